// quic-go peer for quicmq's interop tests (built offline from Debian's golang-github-lucas-clemente-quic-go-dev).
//
//	server: peer -mode server -listen 127.0.0.1:0 -cert c.pem -key k.pem [-alpn mqtt]
//	        prints "listening <port>", echoes every bidirectional stream (reads to FIN, writes it back, FIN).
//	client: peer -mode client -addr 127.0.0.1:4433 [-ca ca.pem | -insecure] [-alpn mqtt] [-bytes N] [-streams K]
//	        opens K streams, sends N pseudo-random bytes on each, FIN, reads the echo, checks it; prints a JSON
//	        summary; exit 0 only when every stream echoed exactly.
//	raw:    peer -mode raw -addr ... : one stream; stdin -> stream, stream -> stdout (for MQTT over QUIC).
//	mqtt-multi: peer -mode mqtt-multi -addr ... [-datagrams]: MQTT 3.1.1 over QUIC with EMQX multi-stream
//	        (EIP-0023): CONNECT on the control stream, SUBSCRIBE on data stream A, PUBLISH on data stream B,
//	        the message expected on A; with -datagrams (RFC 9221) also a QoS 0 message expected as a DATAGRAM
//	        for a control-stream subscription. Prints a JSON summary; exit 0 only when every step passed.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"sync"
	"time"

	quic "github.com/lucas-clemente/quic-go"
)

func main() {
	mode := flag.String("mode", "server", "server | client | raw")
	listen := flag.String("listen", "127.0.0.1:0", "server listen address")
	addr := flag.String("addr", "", "client: server address")
	certFile := flag.String("cert", "", "server certificate chain (PEM)")
	keyFile := flag.String("key", "", "server key (PEM)")
	caFile := flag.String("ca", "", "client: CA file")
	insecure := flag.Bool("insecure", false, "client: skip certificate verification")
	serverName := flag.String("sni", "localhost", "client: server name")
	alpn := flag.String("alpn", "mqtt", "ALPN protocol")
	size := flag.Int("bytes", 100000, "client: bytes per stream")
	streams := flag.Int("streams", 1, "client: streams")
	timeout := flag.Duration("timeout", 20*time.Second, "overall timeout")
	datagrams := flag.Bool("datagrams", false, "mqtt-multi: enable RFC 9221 datagrams and expect a QoS 0 message in one")
	keylog := os.Getenv("SSLKEYLOGFILE")
	flag.Parse()

	var kl io.Writer
	if keylog != "" {
		f, err := os.OpenFile(keylog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0600)
		if err == nil {
			kl = f
		}
	}
	qconf := &quic.Config{MaxIdleTimeout: 10 * time.Second, HandshakeIdleTimeout: 10 * time.Second, EnableDatagrams: *datagrams}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	switch *mode {
	case "server":
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		die(err)
		tconf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{*alpn}, KeyLogWriter: kl}
		ln, err := quic.ListenAddr(*listen, tconf, qconf)
		die(err)
		fmt.Printf("listening %d\n", ln.Addr().(*net.UDPAddr).Port)
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func(c quic.Connection) {
				for {
					s, err := c.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go func(s quic.Stream) {
						data, err := io.ReadAll(s)
						if err != nil {
							s.CancelWrite(1)
							return
						}
						s.Write(data)
						s.Close()
					}(s)
				}
			}(conn)
		}
	case "client", "raw", "mqtt-multi":
		tconf := &tls.Config{NextProtos: []string{*alpn}, ServerName: *serverName, InsecureSkipVerify: *insecure, KeyLogWriter: kl}
		if *caFile != "" {
			pem, err := os.ReadFile(*caFile)
			die(err)
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			tconf.RootCAs = pool
		}
		start := time.Now()
		conn, err := quic.DialAddrContext(ctx, *addr, tconf, qconf)
		die(err)
		hs := time.Since(start)
		if *mode == "mqtt-multi" {
			mqttMulti(ctx, conn, *datagrams)
			return
		}
		if *mode == "raw" {
			s, err := conn.OpenStreamSync(ctx)
			die(err)
			go func() { io.Copy(s, os.Stdin); s.Close() }()
			io.Copy(os.Stdout, s)
			conn.CloseWithError(0, "")
			return
		}
		var wg sync.WaitGroup
		errs := make(chan error, *streams)
		for i := 0; i < *streams; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				payload := make([]byte, *size)
				rand.New(rand.NewSource(int64(i))).Read(payload)
				s, err := conn.OpenStreamSync(ctx)
				if err != nil {
					errs <- err
					return
				}
				go func() { s.Write(payload); s.Close() }()
				got, err := io.ReadAll(s)
				if err != nil {
					errs <- fmt.Errorf("stream %d: %v", i, err)
					return
				}
				if !bytes.Equal(got, payload) {
					errs <- fmt.Errorf("stream %d: echo mismatch (%d bytes, want %d)", i, len(got), len(payload))
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		var msgs []string
		for e := range errs {
			msgs = append(msgs, e.Error())
		}
		conn.CloseWithError(0, "done")
		out, _ := json.Marshal(map[string]any{"ok": len(msgs) == 0, "errors": msgs, "handshake_ms": hs.Milliseconds(),
			"total_ms": time.Since(start).Milliseconds(), "alpn": conn.ConnectionState().TLS.NegotiatedProtocol})
		fmt.Println(string(out))
		if len(msgs) > 0 {
			os.Exit(1)
		}
	default:
		die(fmt.Errorf("unknown mode %q", *mode))
	}
}

func die(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
}

// ---- mqtt-multi: MQTT 3.1.1 packets written by hand (MQTT 3.1.1 §2, §3) ----

func remainingLength(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

func mqttString(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

func packet(first byte, body []byte) []byte {
	return append(append([]byte{first}, remainingLength(len(body))...), body...)
}

func connectPacket(clientID string) []byte {
	body := append(mqttString("MQTT"), 4, 0x02, 0, 60) // level 4, clean session, keepalive 60 s
	return packet(0x10, append(body, mqttString(clientID)...))
}

func subscribePacket(id int, topic string) []byte {
	body := append([]byte{byte(id >> 8), byte(id)}, mqttString(topic)...)
	return packet(0x82, append(body, 0)) // QoS 0
}

func publishPacket(topic, payload string) []byte {
	return packet(0x30, append(mqttString(topic), payload...))
}

// readPacket reads one MQTT packet: its first byte and its body.
func readPacket(r io.Reader) (byte, []byte, error) {
	var hdr [1]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n, mult := 0, 1
	for i := 0; i < 4; i++ {
		var b [1]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n += int(b[0]&0x7f) * mult
		mult *= 128
		if b[0]&0x80 == 0 {
			break
		}
	}
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return hdr[0], body, err
}

// publishPayload returns the topic and payload of a QoS 0 PUBLISH body.
func publishPayload(body []byte) (string, string) {
	if len(body) < 2 {
		return "", ""
	}
	l := int(body[0])<<8 | int(body[1])
	if 2+l > len(body) {
		return "", ""
	}
	return string(body[2 : 2+l]), string(body[2+l:])
}

func mqttMulti(ctx context.Context, conn quic.Connection, datagrams bool) {
	steps := map[string]any{}
	fail := func(step string, err error) {
		steps["ok"] = false
		steps["failed"] = fmt.Sprintf("%s: %v", step, err)
		out, _ := json.Marshal(steps)
		fmt.Println(string(out))
		conn.CloseWithError(1, step)
		os.Exit(1)
	}
	control, err := conn.OpenStreamSync(ctx)
	if err != nil {
		fail("open control stream", err)
	}
	control.Write(connectPacket("quic-go-multi"))
	if t, body, err := readPacket(control); err != nil || t != 0x20 || len(body) != 2 || body[1] != 0 {
		fail("CONNACK", fmt.Errorf("type %x body %v err %v", t, body, err))
	}
	a, err := conn.OpenStreamSync(ctx)
	if err != nil {
		fail("open data stream A", err)
	}
	a.Write(subscribePacket(1, "gomulti/a"))
	if t, body, err := readPacket(a); err != nil || t != 0x90 || len(body) != 3 || body[2] != 0 {
		fail("SUBACK on data stream A", fmt.Errorf("type %x body %v err %v", t, body, err))
	}
	steps["suback_on_data_stream"] = true
	b, err := conn.OpenStreamSync(ctx)
	if err != nil {
		fail("open data stream B", err)
	}
	b.Write(publishPacket("gomulti/a", "from B"))
	t, body, err := readPacket(a)
	if topic, payload := publishPayload(body); err != nil || t != 0x30 || topic != "gomulti/a" || payload != "from B" {
		fail("PUBLISH delivered on data stream A", fmt.Errorf("type %x topic %q payload %q err %v", t, topic, payload, err))
	}
	steps["delivered_on_data_stream"] = true
	if datagrams {
		control.Write(subscribePacket(2, "gomulti/d"))
		if t, _, err := readPacket(control); err != nil || t != 0x90 {
			fail("SUBACK on the control stream", fmt.Errorf("type %x err %v", t, err))
		}
		b.Write(publishPacket("gomulti/d", "in a datagram"))
		got := make(chan []byte, 1)
		go func() {
			m, err := conn.ReceiveMessage()
			if err == nil {
				got <- m
			}
		}()
		select {
		case m := <-got:
			t, body, err := readPacket(bytes.NewReader(m))
			if topic, payload := publishPayload(body); err != nil || t != 0x30 || topic != "gomulti/d" || payload != "in a datagram" {
				fail("PUBLISH in a DATAGRAM", fmt.Errorf("type %x topic %q payload %q err %v", t, topic, payload, err))
			}
		case <-time.After(5 * time.Second):
			fail("PUBLISH in a DATAGRAM", fmt.Errorf("no datagram within 5 s"))
		}
		steps["datagram_delivery"] = true
		// And the other way: a QoS 0 PUBLISH in a DATAGRAM, delivered on data stream A.
		if err := conn.SendMessage(publishPacket("gomulti/a", "datagram to broker")); err != nil {
			fail("send DATAGRAM", err)
		}
		t, body, err := readPacket(a)
		if topic, payload := publishPayload(body); err != nil || t != 0x30 || topic != "gomulti/a" || payload != "datagram to broker" {
			fail("DATAGRAM PUBLISH routed to data stream A", fmt.Errorf("type %x topic %q payload %q err %v", t, topic, payload, err))
		}
		steps["datagram_publish"] = true
	}
	control.Write([]byte{0xe0, 0x00}) // DISCONNECT
	control.Close()
	steps["ok"] = true
	out, _ := json.Marshal(steps)
	fmt.Println(string(out))
	conn.CloseWithError(0, "done")
}

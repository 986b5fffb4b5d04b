// quic-go peer for quicmq's interop tests (built offline from Debian's golang-github-lucas-clemente-quic-go-dev).
//
//	server: peer -mode server -listen 127.0.0.1:0 -cert c.pem -key k.pem [-alpn mqtt]
//	        prints "listening <port>", echoes every bidirectional stream (reads to FIN, writes it back, FIN).
//	client: peer -mode client -addr 127.0.0.1:4433 [-ca ca.pem | -insecure] [-alpn mqtt] [-bytes N] [-streams K]
//	        opens K streams, sends N pseudo-random bytes on each, FIN, reads the echo, checks it; prints a JSON
//	        summary; exit 0 only when every stream echoed exactly.
//	raw:    peer -mode raw -addr ... : one stream; stdin -> stream, stream -> stdout (for MQTT over QUIC).
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
	keylog := os.Getenv("SSLKEYLOGFILE")
	flag.Parse()

	var kl io.Writer
	if keylog != "" {
		f, err := os.OpenFile(keylog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0600)
		if err == nil {
			kl = f
		}
	}
	qconf := &quic.Config{MaxIdleTimeout: 10 * time.Second, HandshakeIdleTimeout: 10 * time.Second}
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
	case "client", "raw":
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

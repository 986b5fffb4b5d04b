#!/usr/bin/env bash
# Generates the test PKI into $1 (default test-output/certs): a CA, server certificates for
# localhost/127.0.0.1 (RSA 2048, ECDSA P-256, ECDSA P-384, Ed25519), a client certificate, and the bad
# ones tests need (expired, wrong host name, self-signed, signed by another CA). Idempotent: does
# nothing when the directory already has its marker file.
set -euo pipefail
out=${1:-test-output/certs}
[ -f "$out/.complete" ] && exit 0
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
tmp=$(mktemp -d "$(dirname "$out")/.certs.XXXXXX")
cd "$tmp"
days=3650
subj() { echo "/CN=$1/O=quicmq test"; }

mkca() { # name
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1-key.pem" -out "$1.pem" \
    -days $days -subj "$(subj "$1")" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
mkleaf() { # name keyalgo-args ca san extra-days-args
  local name=$1 ca=$3 san=$4 startend=${5:-}
  openssl genpkey $2 -out "$name-key.pem" 2>/dev/null
  openssl req -new -key "$name-key.pem" -out "$name.csr" -subj "$(subj "$name")" 2>/dev/null
  cat > "$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EXT
  if [ -n "$startend" ]; then
    # expired: valid from 2001 to 2002 (needs openssl ca-style dates via x509 -not_before is not in 3.0, so use -days on a faked clock is impossible; use 'openssl ca')
    mkdir -p demoCA/newcerts; : > demoCA/index.txt; echo 1000 > demoCA/serial
    openssl ca -batch -notext -cert "$ca.pem" -keyfile "$ca-key.pem" -in "$name.csr" -out "$name.pem" \
      -startdate 20010101000000Z -enddate 20020101000000Z -extfile "$name.ext" -md sha256 \
      -outdir demoCA/newcerts -config <(printf '[ca]\ndefault_ca=d\n[d]\ndatabase=demoCA/index.txt\nserial=demoCA/serial\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n') 2>/dev/null
  else
    openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca-key.pem" -CAcreateserial -out "$name.pem" \
      -days $days -sha256 -extfile "$name.ext" 2>/dev/null
  fi
  cat "$name.pem" "$ca.pem" > "$name-chain.pem"
}

mkca ca
mkca other-ca
mkleaf server-rsa "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ca "DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf server-ecdsa "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ca "DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf server-p384 "-algorithm EC -pkeyopt ec_paramgen_curve:P-384" ca "DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf server-ed25519 "-algorithm ED25519" ca "DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf client "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ca "DNS:client.quicmq.test"
mkleaf wronghost "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ca "DNS:not-this-host.example"
mkleaf othercaserver "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" other-ca "DNS:localhost,IP:127.0.0.1"
mkleaf expired "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ca "DNS:localhost,IP:127.0.0.1" expired
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout selfsigned-key.pem -out selfsigned.pem \
  -days $days -subj "$(subj selfsigned)" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
rm -rf demoCA *.csr *.ext *.srl
touch .complete
rm -rf "$out.old"; [ -d "$out" ] && mv "$out" "$out.old"
mv "$tmp" "$out" 2>/dev/null || true
rm -rf "$out.old"
exit 0

#!/bin/sh
# gen-certs.sh: make a throwaway CA and the certificates an orcd NATS cluster
# uses, for tests and first trials. Use your own PKI in production.
#
#   deploy/nats/gen-certs.sh OUTDIR [EXTRA_NAME ...]
#
# OUTDIR gets:
#   ca.pem, ca-key.pem                 the CA (keep ca-key.pem private)
#   server-cert.pem, server-key.pem    every NATS node: client TLS and the
#                                      mutual-TLS cluster routes
#   client-cert.pem, client-key.pem    an optional client certificate
#                                      (worker --tls-cert/--tls-key)
# The server certificate names localhost, 127.0.0.1, ::1, nats, nats-1..3,
# the names a Helm release "nats" gives its pods and services, and every
# EXTRA_NAME (a DNS name, or an IP address). Needs openssl. Certificates
# last 30 days.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [EXTRA_NAME ...]" >&2
	exit 2
fi
out=$1
shift
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl not found" >&2; exit 1; }
mkdir -p "$out"
cd "$out"
umask 077

sans="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:nats,DNS:nats-1,DNS:nats-2,DNS:nats-3"
sans="$sans,DNS:*.nats,DNS:*.nats-headless,DNS:*.nats-headless.nats.svc,DNS:*.nats-headless.nats.svc.cluster.local"
sans="$sans,DNS:nats.nats.svc,DNS:nats.nats.svc.cluster.local"
for n in "$@"; do
	case $n in
	*[!0-9a-fA-F.:]*) sans="$sans,DNS:$n" ;;
	*) sans="$sans,IP:$n" ;;
	esac
done

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca-key.pem
openssl req -x509 -new -key ca-key.pem -sha256 -days 30 -subj "/CN=orcd throwaway CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

# sign NAME EXTENSIONS: NAME-key.pem and a CSR, signed by the CA into NAME-cert.pem
sign() {
	key "$1-key.pem"
	openssl req -new -key "$1-key.pem" -subj "/CN=orcd $1" -out "$1.csr"
	printf '%s\n' "$2" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-sha256 -days 30 -extfile "$1.ext" -out "$1-cert.pem" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

# Routes dial each other with the same certificate, so it is both a
# server and a client certificate.
sign server "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$sans"
sign client "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
rm -f ca.srl

# Certificates are public; the container user must be able to read the keys.
chmod 644 ./*-cert.pem ca.pem
chmod 600 ./*-key.pem
echo "certificates in $out"

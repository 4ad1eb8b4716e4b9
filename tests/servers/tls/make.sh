#!/bin/sh
# make.sh - makes the test TLS files of tests/servers/tls: a CA of its own (ca.pem) and a
# certificate it signed for 127.0.0.1 and localhost (server.pem, server.key), valid for 100
# years.  Committed, so that the tests need no openssl at run time; run this only to remake
# them.  Nothing here is secret: the key protects nothing but the tests' own servers.
set -eu
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days \
	-subj "/CN=pipeline test CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
	-subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
	-days $days -extfile server.ext
rm -f ca.key ca.srl server.csr server.ext

#!/bin/bash
# An HTTPS front that requires a client certificate, in front of the git servers tests/servers/
# start.sh left in DIR: its server certificate is DIR/tls/server1.crt (CA 1), and it accepts
# client certificates signed by CA 1. Writes DIR/mtls.env:
#   CF_GIT_MTLS_URL (base URL like CF_GIT_HTTPS1_URL), CF_GIT_CLIENT_CRT / CF_GIT_CLIENT_KEY
#   (signed by CA 1), CF_GIT_STRANGER_CRT / CF_GIT_STRANGER_KEY (self-signed, refused).
# usage: mtls-front.sh DIR [stop]
set -euo pipefail
DIR=$(cd "${1:?usage: mtls-front.sh DIR [stop]}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
T="$DIR/tls"

if [ "${2:-}" = stop ]; then
	[ -s "$DIR/mtls.pid" ] || exit 0
	pid=$(cat "$DIR/mtls.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$DIR/mtls.pid"
	exit 0
fi

openssl req -newkey rsa:2048 -nodes -subj "/CN=cflux git client" \
	-keyout "$T/client.key" -out "$T/client.csr" 2>/dev/null
openssl x509 -req -days 2 -in "$T/client.csr" -CA "$T/ca1.crt" -CAkey "$T/ca1.key" \
	-CAcreateserial -out "$T/client.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=stranger" \
	-keyout "$T/stranger.key" -out "$T/stranger.crt" 2>/dev/null

http_url=$(sed -n 's/^CF_GIT_HTTP_URL=//p' "$DIR/env")
http_port=${http_url#http://127.0.0.1:}
http_port=${http_port%%/*}
port=$("$HERE/../../servers/free-port.py")
setsid "$HERE/mtls_proxy.py" "$port" "$T/server1.crt" "$T/server1.key" "$T/ca1.crt" "$http_port" \
	> "$DIR/mtls.log" 2>&1 < /dev/null &
echo $! > "$DIR/mtls.pid"
# Ready once a request with the client certificate gets through to git http-backend.
for _ in $(seq 100); do
	curl -sf --cacert "$T/ca1.crt" --cert "$T/client.crt" --key "$T/client.key" -o /dev/null \
		"https://127.0.0.1:$port/git/app.git/info/refs?service=git-upload-pack" && break
	sleep 0.1
done
cat > "$DIR/mtls.env" <<ENV
CF_GIT_MTLS_URL=https://127.0.0.1:$port/git
CF_GIT_CLIENT_CRT=$T/client.crt
CF_GIT_CLIENT_KEY=$T/client.key
CF_GIT_STRANGER_CRT=$T/stranger.crt
CF_GIT_STRANGER_KEY=$T/stranger.key
ENV
echo "$DIR/mtls.env"

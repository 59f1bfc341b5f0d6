#!/bin/bash
# A Helm HTTP repository for the end-to-end tests, on 127.0.0.1 only: lighttpd serving charts
# packaged and indexed by the real helm CLI, basic auth under /private/, a redirect /old/ ->
# /charts/, an HTTPS front with a private CA, and broken repositories for the failure cases.
# Writes DIR/env (HELM_HTTP_URL, HELM_HTTPS_URL, HELM_MTLS_URL (client certificate required),
# HELM_CA, HELM_CLIENT_CRT, HELM_CLIENT_KEY, HELM_USER, HELM_PASS, HELM_WWW).
# usage: helm-server.sh DIR start     start the servers
#        helm-server.sh DIR add NAME VERSION   package one more chart version into /charts/ and
#                                               /private/ and re-index both (as a chart release does)
#        helm-server.sh DIR stop
set -euo pipefail
DIR=$(mkdir -p "${1:?usage: helm-server.sh DIR start|add|stop}" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
HELM=${HELM:-$HOME/.cache/cflux/bin/helm}
W="$DIR/www"

# A minimal chart NAME VERSION packaged into directory $3.
mkchart() {
	local src="$DIR/src/$1-$2"
	mkdir -p "$src/templates"
	printf 'apiVersion: v2\nname: %s\nversion: %s\ndescription: test chart\n' "$1" "$2" > "$src/Chart.yaml"
	printf 'replicas: 1\nimage:\n  tag: "%s"\n' "$2" > "$src/values.yaml"
	printf 'replicas: 3\n' > "$src/values-prod.yaml"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  tag: {{ .Values.image.tag | quote }}\n  replicas: {{ .Values.replicas | quote }}\n' \
		> "$src/templates/cm.yaml"
	"$HELM" package "$src" -d "$3" >/dev/null
	rm -rf "$src"
}

start() {
	mkdir -p "$W"/{charts,private,abs,notyaml,big,evil,missing,mismatch} "$DIR/tls"
	for v in 1.0.0 1.1.0 1.2.0-rc.1 2.0.0-beta.1; do mkchart app "$v" "$W/charts"; done
	mkchart other 0.1.0 "$W/charts"
	"$HELM" repo index "$W/charts"
	cp "$W/charts"/*.tgz "$W/private/" && "$HELM" repo index "$W/private"

	HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	# Absolute chart URLs on another path, answered with a redirect.
	cp "$W/charts"/app-1.*.tgz "$W/abs/" && "$HELM" repo index "$W/abs" --url "http://127.0.0.1:$HTTP_PORT/old"
	rm "$W/abs"/*.tgz
	# Behind auth, with chart URLs on another host name (localhost): passCredentials territory.
	mkdir -p "$W/private-abs"
	cp "$W/charts/app-1.0.0.tgz" "$W/private-abs/" && "$HELM" repo index "$W/private-abs" --url "http://localhost:$HTTP_PORT/private"
	rm "$W/private-abs"/*.tgz
	# Broken repositories.
	printf 'apiVersion: v1\nentries:\n  app: [unclosed\n' > "$W/notyaml/index.yaml"
	{ cat "$W/charts/index.yaml"; for i in $(seq 30000); do echo "# padding line $i to pass the size limit"; done; } > "$W/big/index.yaml"
	cp "$W/charts/app-1.0.0.tgz" "$W/missing/" && "$HELM" repo index "$W/missing" && rm "$W/missing/app-1.0.0.tgz"
	cp "$W/charts/app-1.0.0.tgz" "$W/mismatch/" && "$HELM" repo index "$W/mismatch"
	sed -i "s/digest: .*/digest: $(sha256sum "$W/charts/app-1.1.0.tgz" | cut -d' ' -f1)/" "$W/mismatch/index.yaml"
	python3 - "$W/evil/evil-1.0.0.tgz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    for name, data in (("evil/Chart.yaml", b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"),
                       ("evil/../../escaped.txt", b"outside\n")):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
	cat > "$W/evil/index.yaml" <<IDX
apiVersion: v1
entries:
  evil:
  - apiVersion: v2
    name: evil
    version: 1.0.0
    digest: $(sha256sum "$W/evil/evil-1.0.0.tgz" | cut -d' ' -f1)
    urls:
    - evil-1.0.0.tgz
IDX

	echo "helmuser:h3lm-pa55" > "$DIR/users"
	cat > "$DIR/lighttpd.conf" <<CONF
server.document-root = "$W"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.pid-file = "$DIR/lighttpd.pid"
server.errorlog = "$DIR/lighttpd.log"
server.modules = ("mod_redirect", "mod_auth", "mod_authn_file")
# Files change under the server while tests run (a new index.yaml): never serve a cached stat.
server.stat-cache-engine = "disable"
auth.backend = "plain"
auth.backend.plain.userfile = "$DIR/users"
url.redirect = ( "^/old/(.*)\$" => "/charts/\$1" )
\$HTTP["url"] =~ "^/private" {
	auth.require = ( "" => ( "method" => "basic", "realm" => "helm", "require" => "valid-user" ) )
}
CONF
	/usr/sbin/lighttpd -f "$DIR/lighttpd.conf"

	T="$DIR/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cflux helm test CA" \
		-keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T/server.key" -out "$T/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$T/san.ext"
	openssl x509 -req -days 2 -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-extfile "$T/san.ext" -out "$T/server.crt" 2>/dev/null
	HTTPS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	setsid "$HERE/../../servers/tls_proxy.py" "$HTTPS_PORT" "$T/server.crt" "$T/server.key" "$HTTP_PORT" \
		> "$DIR/tls.log" 2>&1 < /dev/null &
	echo $! > "$DIR/tls.pid"
	# A second front that wants a client certificate from the same CA.
	openssl req -newkey rsa:2048 -nodes -subj "/CN=helm client" -keyout "$T/client.key" -out "$T/client.csr" 2>/dev/null
	openssl x509 -req -days 2 -in "$T/client.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-out "$T/client.crt" 2>/dev/null
	MTLS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	setsid "$HERE/mtls_proxy.py" "$MTLS_PORT" "$T/server.crt" "$T/server.key" "$T/ca.crt" "$HTTP_PORT" \
		> "$DIR/mtls.log" 2>&1 < /dev/null &
	echo $! > "$DIR/mtls.pid"
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/charts/index.yaml" &&
			curl -sf --cacert "$T/ca.crt" -o /dev/null "https://127.0.0.1:$HTTPS_PORT/charts/index.yaml" &&
			curl -sf --cacert "$T/ca.crt" --cert "$T/client.crt" --key "$T/client.key" -o /dev/null \
				"https://127.0.0.1:$MTLS_PORT/charts/index.yaml" && break
		sleep 0.1
	done
	cat > "$DIR/env" <<ENV
HELM_HTTP_URL=http://127.0.0.1:$HTTP_PORT
HELM_HTTPS_URL=https://127.0.0.1:$HTTPS_PORT
HELM_CA=$T/ca.crt
HELM_MTLS_URL=https://127.0.0.1:$MTLS_PORT
HELM_CLIENT_CRT=$T/client.crt
HELM_CLIENT_KEY=$T/client.key
HELM_USER=helmuser
HELM_PASS=h3lm-pa55
HELM_WWW=$W
ENV
}

add() {
	mkchart "$1" "$2" "$W/charts"
	"$HELM" repo index "$W/charts"
	cp "$W/charts/$1-$2.tgz" "$W/private/" && "$HELM" repo index "$W/private"
}

stop() {
	for f in "$DIR/lighttpd.pid" "$DIR/tls.pid" "$DIR/mtls.pid"; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

case "${2:-}" in
start) start ;;
add) add "${3:?name}" "${4:?version}" ;;
stop) stop ;;
*) echo "usage: helm-server.sh DIR start|add NAME VERSION|stop" >&2; exit 2 ;;
esac

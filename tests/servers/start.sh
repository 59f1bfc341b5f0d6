#!/bin/bash
# Starts the git test servers on free 127.0.0.1 ports and writes DIR/env with their URLs:
#   git http-backend behind lighttpd (anonymous, basic auth, bearer token), two HTTPS fronts
#   with different self-signed CAs, and sshd with a test user key. Stop them with stop.sh DIR.
# usage: start.sh DIR
set -euo pipefail
DIR=$(mkdir -p "${1:?usage: start.sh DIR}" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
port() { "$HERE/free-port.py"; }

"$HERE/make-repos.sh" "$DIR"
mkdir -p "$DIR/www" "$DIR/tls" "$DIR/ssh"

# --- TLS: two independent CAs, each signing a certificate for 127.0.0.1 ---------------------
for n in 1 2; do
	T="$DIR/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cflux test CA $n" \
		-keyout "$T/ca$n.key" -out "$T/ca$n.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$T/server$n.key" -out "$T/server$n.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$T/san.ext"
	openssl x509 -req -days 2 -in "$T/server$n.csr" -CA "$T/ca$n.crt" -CAkey "$T/ca$n.key" \
		-CAcreateserial -extfile "$T/san.ext" -out "$T/server$n.crt" 2>/dev/null
done

# --- lighttpd + git http-backend -----------------------------------------------------------
HTTP_PORT=$(port)
echo "gituser:s3cret-pa55" > "$DIR/users"
echo "t0ken-abc123" > "$DIR/bearer"
cat > "$DIR/lighttpd.conf" <<CONF
server.document-root = "$DIR/www"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.pid-file = "$DIR/lighttpd.pid"
server.errorlog = "$DIR/lighttpd.log"
server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi")
auth.backend = "plain"
auth.backend.plain.userfile = "$DIR/users"
alias.url = ( "/git" => "/usr/lib/git-core/git-http-backend",
              "/auth" => "/usr/lib/git-core/git-http-backend",
              "/bearer" => "$HERE/bearer-backend.sh" )
\$HTTP["url"] =~ "^/(git|auth|bearer)/" {
	cgi.assign = ( "" => "" )
	setenv.add-environment = ( "GIT_PROJECT_ROOT" => "$DIR/repos", "GIT_HTTP_EXPORT_ALL" => "",
	                           "CF_BEARER_FILE" => "$DIR/bearer" )
}
\$HTTP["url"] =~ "^/auth/" {
	auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
}
CONF
/usr/sbin/lighttpd -f "$DIR/lighttpd.conf"

# --- HTTPS fronts ---------------------------------------------------------------------------
for n in 1 2; do
	P=$(port)
	setsid "$HERE/tls_proxy.py" "$P" "$DIR/tls/server$n.crt" "$DIR/tls/server$n.key" "$HTTP_PORT" \
		> "$DIR/tls$n.log" 2>&1 < /dev/null &
	echo $! > "$DIR/tls$n.pid"
	eval "HTTPS${n}_PORT=$P"
done

# --- sshd -----------------------------------------------------------------------------------
S="$DIR/ssh"
SSH_PORT=$(port)
ssh-keygen -q -t ecdsa -N '' -f "$S/host_ecdsa_key"
ssh-keygen -q -t ed25519 -N '' -f "$S/host_ed25519_key"
ssh-keygen -q -t ecdsa -m PEM -N '' -C test -f "$S/id_test"
ssh-keygen -q -t ecdsa -m PEM -N 'key-pa55phrase' -C test-pass -f "$S/id_test_pass"
ssh-keygen -q -t ecdsa -m PEM -N '' -C stranger -f "$S/id_stranger"
ssh-keygen -q -t ed25519 -N 'ed-pa55phrase' -C test-ed25519 -f "$S/id_ed25519"
ssh-keygen -q -t ecdsa -N '' -C other-host -f "$S/other_host_key"
cat "$S/id_test.pub" "$S/id_test_pass.pub" "$S/id_ed25519.pub" > "$S/authorized_keys"
for k in host_ecdsa_key host_ed25519_key; do
	echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$S/$k.pub")"
done > "$S/known_hosts"
echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$S/other_host_key.pub")" > "$S/known_hosts_wrong"
cat > "$S/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $S/host_ecdsa_key
HostKey $S/host_ed25519_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
CONF
# sshd wants its privilege separation directory even when it never uses it.
mkdir -p /run/sshd 2>/dev/null || true
/usr/sbin/sshd -f "$S/sshd_config" -E "$DIR/sshd.log"

# --- wait until every port answers ------------------------------------------------------------
for p in $HTTP_PORT $HTTPS1_PORT $HTTPS2_PORT $SSH_PORT; do
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break
		sleep 0.05
	done
done

cat > "$DIR/env" <<ENV
CF_GIT_REPOS=$DIR/repos
CF_GIT_HTTP_URL=http://127.0.0.1:$HTTP_PORT/git
CF_GIT_AUTH_URL=http://127.0.0.1:$HTTP_PORT/auth
CF_GIT_BEARER_URL=http://127.0.0.1:$HTTP_PORT/bearer
CF_GIT_HTTPS1_URL=https://127.0.0.1:$HTTPS1_PORT/git
CF_GIT_HTTPS2_URL=https://127.0.0.1:$HTTPS2_PORT/git
CF_GIT_SSH_URL=ssh://$(id -un)@127.0.0.1:$SSH_PORT$DIR/repos
CF_GIT_USER=gituser
CF_GIT_PASSWORD=s3cret-pa55
CF_GIT_TOKEN=t0ken-abc123
CF_GIT_CA1=$DIR/tls/ca1.crt
CF_GIT_CA2=$DIR/tls/ca2.crt
CF_GIT_SSH_KEY=$S/id_test
CF_GIT_SSH_KEY_PASS=$S/id_test_pass
CF_GIT_SSH_PASSPHRASE=key-pa55phrase
CF_GIT_SSH_STRANGER_KEY=$S/id_stranger
CF_GIT_SSH_ED25519_KEY=$S/id_ed25519
CF_GIT_SSH_ED25519_PASSPHRASE=ed-pa55phrase
CF_GIT_KNOWN_HOSTS=$S/known_hosts
CF_GIT_KNOWN_HOSTS_WRONG=$S/known_hosts_wrong
ENV
echo "$DIR/env"

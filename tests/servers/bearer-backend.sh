#!/bin/sh
# CGI wrapper: serves git http-backend only when the request carries the expected bearer token
# (lighttpd's mod_auth has no bearer method).
if [ "$HTTP_AUTHORIZATION" != "Bearer $(cat "$CF_BEARER_FILE")" ]; then
	printf 'Status: 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="git"\r\nContent-Type: text/plain\r\n\r\nunauthorized\n'
	exit 0
fi
exec /usr/lib/git-core/git-http-backend

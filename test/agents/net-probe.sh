#!/bin/sh
# A scripted agent for the sandbox's network tests: reaches a loopback HTTP server of the host directly,
# through the sandbox's proxy to an allowed host, and to a host off the allow-list; writes what happened.
# usage: net-probe.sh <port>
port=$1
direct=$(curl -s --max-time 5 "http://127.0.0.1:$port/" || echo "failed")
if [ -n "$HTTPS_PROXY" ]; then
  allowed=$(curl -s --max-time 5 -p -x "$HTTPS_PROXY" --noproxy '' "http://127.0.0.1:$port/" || echo "failed")
  denied=$(curl -s --max-time 5 -p -x "$HTTPS_PROXY" --noproxy '' "http://localhost:$port/" || echo "failed")
else
  allowed=no-proxy denied=no-proxy
fi
printf 'direct=%s allowed=%s denied=%s\n' "$direct" "$allowed" "$denied" > net.txt
echo '{"status":"complete","summary":"","evidence":""}' > "$NIGHTSHIFT_RESULT_FILE"

#!/bin/sh
# A tiny web app: renders a page from the environment, then serves it with busybox httpd.
set -eu
mkdir -p /tmp/www
cat > /tmp/www/index.html <<HTML
<h1>${GREETING:-hello}</h1>
<p>log level: ${LOG_LEVEL:-unset}</p>
HTML
echo "serving on :8080 (greeting: ${GREETING:-hello})"
exec httpd -f -p 8080 -h /tmp/www

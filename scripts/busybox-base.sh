#!/usr/bin/env bash
# Build the offline stand-in for an upstream OS image: FROM scratch + a static busybox, with
# /etc/passwd, /etc/group and a writable /tmp, pushed to the local registry as busybox:stable.
# Usage: bash scripts/busybox-base.sh [REGISTRY]   (needs DOCKER_HOST and the busybox-static package)
set -euo pipefail
registry=${1:-${DEVENV_TEST_REGISTRY:-127.0.0.1:5555}}
busybox=$(command -v busybox || echo /bin/busybox)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$busybox" "$ctx/busybox"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$ctx/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/group"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
COPY passwd /etc/passwd
COPY group /etc/group
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /root /usr/bin && chmod 1777 /tmp && ln -s /bin/env /usr/bin/env
CMD ["/bin/sh"]
DOCKERFILE
docker build -q -t "$registry/busybox:stable" "$ctx" >/dev/null
docker push -q "$registry/busybox:stable" >/dev/null
echo "$registry/busybox:stable"

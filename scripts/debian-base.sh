#!/usr/bin/env bash
# The team's upstream OS image, offline: a Debian root filesystem bootstrapped with mmdebstrap
# through apt's mirror, imported into the engine and pushed to the registry as
# <registry>/upstream/debian:<suite>. It stands in for `debian:<suite>-slim` from Docker Hub:
# minbase, no recommends, no docs/man pages/locales (the same dpkg filters the slim images use).
# Cached: the inputs (suite, variant, mirror, packages, this script) name a tag
# (<suite>-<hash>); when the registry holds it, nothing is built.
# Prints the reference pinned by digest, e.g. 127.0.0.1:5555/upstream/debian@sha256:…
# Usage: bash scripts/debian-base.sh [--wait] [REGISTRY]   (root, DOCKER_HOST set, mmdebstrap)
# --wait: the engine and registry may not be up yet (the quick start starts them while this runs
# beside the rest of its installs): bootstrap the root filesystem first, then wait for them (5 min
# at most) to import and push it. A registry installed but not answering yet is waited for first,
# so that a second run finds its cached image.
set -euo pipefail
wait_up=0
[[ ${1:-} == --wait ]] && { wait_up=1; shift; }
registry=${1:-${DEVENV_TEST_REGISTRY:-127.0.0.1:5555}}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
include=${DEBIAN_INCLUDE:-ca-certificates}
repo=upstream/debian
log() { echo "debian-base: $*" >&2; }

key=$( { echo "$suite|minbase|$mirror|$security|$include"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-12)
tag=$suite-$key
manifest_types=application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json

registry_digest() {  # the digest the registry holds for $repo:$1, or nothing
  curl -fsS -I -H "Accept: $manifest_types" "http://$registry/v2/$repo/manifests/$1" 2>/dev/null \
    | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}' || true
}

registry_up() { curl -fsS -o /dev/null --max-time 2 "http://$registry/v2/" 2>/dev/null; }
engine_up() { docker info >/dev/null 2>&1; }
wait_for() {  # wait_for WHAT SECONDS: until the function WHAT succeeds, or say so and fail
  local deadline=$((SECONDS + $2))
  until "$1"; do
    ((SECONDS < deadline)) || { log "gave up waiting for the ${1%_up} after $2 s"; return 1; }
    sleep 0.2
  done
}
if ((wait_up)) && ! registry_up && command -v docker-registry >/dev/null; then
  wait_for registry_up 60
fi

digest=$(registry_digest "$tag")
if [[ -n $digest ]]; then
  log "$registry/$repo:$tag is in the registry (same inputs): nothing to build"
  echo "$registry/$repo@$digest"
  exit 0
fi

if ! docker image inspect "$registry/$repo:$tag" >/dev/null 2>&1; then
  command -v mmdebstrap >/dev/null || { log "mmdebstrap is not installed (apt-get install mmdebstrap)"; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # apt as in the slim images (their /etc/apt/apt.conf.d/docker-*): every image built on this
  # one keeps no downloaded .debs or package caches in its layers (before: 139 MB of them in the
  # postgres image, compressed and pushed with it) and fetches no translations.
  mkdir "$work/apt.conf.d"
  cat >"$work/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' >"$work/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' >"$work/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$work/apt.conf.d/docker-autoremove-suggests"
  log "bootstrapping Debian $suite (minbase) from $mirror"
  mmdebstrap --quiet --variant=minbase --include="$include" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log' \
    --customize-hook="cp $work/apt.conf.d/* \"\$1\"/etc/apt/apt.conf.d/" \
    "$suite" "$work/rootfs.tar" \
    "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main"
  if ((wait_up)); then
    wait_for engine_up 300
    wait_for registry_up 300
  fi
  log "importing into the engine as $registry/$repo:$tag"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "mmdebstrap $suite minbase ($key)" \
    "$work/rootfs.tar" "$registry/$repo:$tag" >/dev/null
fi
docker tag "$registry/$repo:$tag" "$registry/$repo:$suite"
log "pushing $registry/$repo:$tag"
docker push -q "$registry/$repo:$tag" >/dev/null
docker push -q "$registry/$repo:$suite" >/dev/null
digest=$(registry_digest "$tag")
[[ -n $digest ]] || { log "the registry did not answer with a digest for $repo:$tag"; exit 1; }
echo "$registry/$repo@$digest"

#!/usr/bin/env bash
# Publish examples/notify to the team registry as its own repository's CI would: `devenv publish`
# of notify's committed files, with its devenv.lock committed beside them. In a team, notify is a
# repository of its own that commits its lock; here it is a folder of this one whose lock is
# gitignored (it pins this machine's registry). So its files as committed at HEAD are copied into
# a scratch repository, locked against the registry there and committed, then published:
# notify:<commit> and, when DEVENV_DEFAULT_BRANCH names the branch in hand, notify:latest.
# Uncommitted edits under examples/notify are not released (run them beside the shop with
# `devenv link notify ../notify` in examples/shop).
# The scratch commit comes out the same each time (HEAD's notify tree, its lock, that commit's
# date): when the registry has its tag already and latest names the same artifact, it is
# published and nothing is done (publishing it again gives the same artifact anyway: a cached
# build, nothing new pushed).
# Progress on stderr; stdout: the published reference (<registry>/notify:<tag>@<digest>).
set -euo pipefail
cd "$(dirname "$0")/.."
notify=examples/notify

if [[ -n $(git status --porcelain --untracked-files=all -- "$notify") ]]; then
  echo "release-notify: $notify has uncommitted changes: notify is published as committed (HEAD);" \
    "to run your edits beside the shop: (cd examples/shop && devenv link notify ../notify)" >&2
fi
source=$(git log -1 --format=%H HEAD -- "$notify")
[[ -n $source ]] || { echo "release-notify: $notify is not in any commit of this checkout" >&2; exit 1; }
when=$(git log -1 --format=%cI "$source")

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git archive "$source" "$notify" | tar -x -C "$scratch" --strip-components=2
cd "$scratch"
# notify's own repository commits its lock: the line that keeps it out of this one goes.
sed -i '/^devenv\.lock$/d' .gitignore
git init -q -b "${DEVENV_DEFAULT_BRANCH:-main}"
devenv -q lock >/dev/null
git add -A
GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -c user.name=devenv -c user.email=quickstart@localhost \
  -c commit.gpgsign=false commit -q -m "examples/notify at ${source:0:12}, locked"

# Where `devenv publish` puts it: <registry>/<project name> (DEVENV_REGISTRY wins, as there).
key() { sed -n "s/^$1 = \"\\([^\"]*\\)\".*/\\1/p" devenv.toml | head -1; }
stack=${DEVENV_REGISTRY:-$(key registry)}/$(key name)
tag=$(git rev-parse --short=12 HEAD)
published() {  # the artifact digest the registry has under tag $1 (empty: none, or no answer)
  curl -fsI --max-time 5 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://${stack%%/*}/v2/${stack#*/}/manifests/$1" 2>/dev/null | tr -d '\r' | sed -n 's/^docker-content-digest: //Ip' || true
}
have=$(published "$tag")
if [[ -n $have && $have == "$(published latest)" ]]; then
  echo "release-notify: $stack:$tag is published already, as latest: nothing to build or push" >&2
  echo "$stack:$tag@$have"
  exit 0
fi
devenv publish

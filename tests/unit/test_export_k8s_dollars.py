"""`export k8s` writes command and args so that the kubelet's `$(VAR)` expansion (devenv's own
port of it, `expand_text`) gives back exactly what devenv runs: a `$` that starts `$$` or `$(`
doubled, any other `$` as it is (what engines without the expansion, `podman kube play`, run)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from devenv.config.loader import parse_project
from devenv.envvars.expansion import expand_text
from devenv.export import export_k8s
from devenv.export.k8s import escaped

DIGEST = "127.0.0.1:5555/busybox@sha256:" + "c" * 64
ARGS = [
    "echo $(hostname) $(API_URL) $$ $HOME ${HOME} $(",
    "cost: 5$",
    "$(API_URL)",
    "$$(API_URL)",
    "$$$(API_URL)",
    "no dollars",
]
ENTRYPOINT = ["/bin/sh", "-c", 'exec $0 "$@" # $(API_URL)']


def test_command_and_args_round_trip_through_the_kubelets_expansion(tmp_path: Path) -> None:
    toml = (
        '[project]\nname = "shop"\n\n[services.web]\nimage = "busybox:test"\n'
        f"entrypoint = {json.dumps(ENTRYPOINT)}\ncommand = {json.dumps(ARGS)}\n"
        'environment = { API_URL = "http://api" }\n'
    )
    project = parse_project(toml, tmp_path / "devenv.toml")
    assert project.services[0].command == tuple(ARGS)
    files = export_k8s(project, images={"web": DIGEST}, envs={})
    container = yaml.safe_load(files["deployment-web.yaml"])["spec"]["template"]["spec"]["containers"][0]
    env = {"API_URL": "http://api", "hostname": "nope", "HOME": "/root"}  # every name the kubelet could know
    assert [expand_text(a, env) for a in container["command"]] == ENTRYPOINT
    assert [expand_text(a, env) for a in container["args"]] == ARGS
    assert container["args"][2] == "$$(API_URL)"
    assert container["args"][0] == "echo $$(hostname) $$(API_URL) $$$ $HOME ${HOME} $$("
    assert container["command"][2] == 'exec $0 "$@" # $$(API_URL)'  # `$0`, `$@`: verbatim


@given(st.text(alphabet="$()AB x", max_size=24))
def test_escaped_round_trips_through_the_kubelets_expansion(text: str) -> None:
    assert expand_text(escaped(text), {"A": "1", "B": "2", "AB": "3"}) == text


@given(st.text(alphabet="$AB{} x", max_size=24).filter(lambda t: "$$" not in t))
def test_a_dollar_the_kubelet_keeps_is_written_once(text: str) -> None:
    assert escaped(text) == text

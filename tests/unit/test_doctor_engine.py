"""`devenv doctor` names the engine and gives Podman's fixes where Podman differs: the verdicts
over the engine's own documents (RegistryConfig transcribed from Podman 4.3.1 and dockerd
20.10.24 on this project's CI machine)."""

from __future__ import annotations

from pathlib import Path

from devenv.engine.kind import EngineKind
from devenv.ops.doctor_checks import FAIL, OK, SKIP, WARN, engine_check
from devenv.ops.doctor_engine import (
    engine_uses_plain_http,
    init_binary,
    init_check,
    podman_sockets,
    registry_http_check,
    unreachable_fix,
)

PODMAN = EngineKind("Podman", "4.3.1", "1.41")
DOCKER = EngineKind("Docker", "20.10.24+dfsg1", "1.41")
# Podman's /info with a registries.conf.d entry `location = "127.0.0.1:5555"`, `insecure = true`.
PODMAN_INFO = {
    "RegistryConfig": {
        "InsecureRegistryCIDRs": [],
        "IndexConfigs": {
            "127.0.0.1:5555": {"Name": "127.0.0.1:5555", "Mirrors": [], "Secure": False, "Official": False}
        },
    }
}
# dockerd's /info with no daemon.json: loopback is insecure by default.
DOCKER_INFO = {
    "RegistryConfig": {
        "InsecureRegistryCIDRs": ["127.0.0.0/8"],
        "IndexConfigs": {"docker.io": {"Name": "docker.io", "Secure": True, "Official": True}},
    }
}


def test_the_engine_line_names_docker_or_podman_with_version_api_and_mode() -> None:
    podman = engine_check(
        "unix:///run/podman/podman.sock",
        {"Components": [{"Name": "Podman Engine"}], "Version": "4.3.1", "ApiVersion": "1.41"},
        None,
        rootless=True,
    )
    assert podman.status == OK
    assert podman.detail == "Podman 4.3.1 (API 1.41, rootless) at unix:///run/podman/podman.sock"
    docker = engine_check("unix:///var/run/docker.sock", {"Version": "20.10.24", "ApiVersion": "1.41"}, None)
    assert docker.detail == "Docker 20.10.24 (API 1.41) at unix:///var/run/docker.sock"
    old = engine_check(
        "unix:///x",
        {"Components": [{"Name": "Podman Engine"}], "Version": "3.4.4", "ApiVersion": "1.40"},
        None,
    )
    assert old.status == FAIL and old.detail.startswith("Podman 3.4.4 speaks API 1.40")
    assert old.fix == "upgrade Podman to 4.0 or newer"


def test_an_unreachable_engine_points_at_a_podman_socket_found_here_or_at_starting_one() -> None:
    both = {"podman_installed": True, "docker_installed": True}
    found = unreachable_fix("unix:///var/run/docker.sock", ["/run/user/1000/podman/podman.sock"], **both)
    assert found == (
        "Podman's service listens on /run/user/1000/podman/podman.sock: "
        "`export DOCKER_HOST=unix:///run/user/1000/podman/podman.sock`"
    )
    only_podman = unreachable_fix(
        "unix:///var/run/docker.sock", [], podman_installed=True, docker_installed=False
    )
    assert only_podman is not None and "systemctl --user enable --now podman.socket" in only_podman
    assert "podman system service --time=0" in only_podman and "DOCKER_HOST" in only_podman
    # DOCKER_HOST at the one Podman socket there is, which does not answer: start the service
    dead = unreachable_fix("unix:///run/podman/podman.sock", ["/run/podman/podman.sock"], **both)
    assert dead is not None and dead.startswith("start Podman's Docker-compatible service")
    # Docker's socket, both installed, no Podman service: Docker's own fix
    assert unreachable_fix("unix:///var/run/docker.sock", [], **both) is None
    assert (
        unreachable_fix("unix:///var/run/docker.sock", [], podman_installed=False, docker_installed=True)
        is None
    )


def test_podman_sockets_are_looked_for_where_its_service_listens(tmp_path: Path) -> None:
    import socket

    (tmp_path / "podman").mkdir()
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "podman" / "podman.sock"))
        found = podman_sockets({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert found[0] == str(tmp_path / "podman" / "podman.sock")


def test_which_engine_pulls_over_plain_http_is_read_from_its_registry_config() -> None:
    assert engine_uses_plain_http(PODMAN, PODMAN_INFO, "127.0.0.1:5555")
    assert not engine_uses_plain_http(PODMAN, PODMAN_INFO, "127.0.0.1:5000")  # Podman: only what is named
    assert engine_uses_plain_http(DOCKER, DOCKER_INFO, "127.0.0.1:5000")  # Docker: the loopback CIDR
    assert not engine_uses_plain_http(DOCKER, DOCKER_INFO, "registry.internal:5000")
    assert not engine_uses_plain_http(DOCKER, {}, "127.0.0.1:5000")


def test_a_plain_http_registry_podman_does_not_know_gets_the_registries_conf_fix() -> None:
    ok = registry_http_check(PODMAN, PODMAN_INFO, "127.0.0.1:5555", blocking=True)
    assert ok.status == OK and ok.id == "registry-http:127.0.0.1:5555"
    missing = registry_http_check(PODMAN, PODMAN_INFO, "localhost:5000", blocking=True)
    assert missing.status == FAIL and missing.exit_code == 4
    assert missing.fix is not None
    assert 'location = "localhost:5000"' in missing.fix and "insecure = true" in missing.fix
    assert "sudo tee -a /etc/containers/registries.conf.d/" in missing.fix  # appended, never overwritten
    assert "/etc/containers/registries.conf.d/" in missing.fix and "restart the Podman service" in missing.fix
    docker = registry_http_check(DOCKER, DOCKER_INFO, "registry.internal:5000", blocking=False)
    assert docker.status == WARN and docker.fix is not None and "insecure-registries" in docker.fix


def test_podman_s_init_is_catatonit_and_is_checked_only_where_podman_runs(tmp_path: Path) -> None:
    assert init_check(DOCKER, True, None) is None
    remote = init_check(PODMAN, False, None)
    assert remote is not None and remote.status == SKIP
    missing = init_check(PODMAN, True, None)
    assert missing is not None and missing.status == FAIL and missing.exit_code == 3
    assert missing.fix is not None and "apt-get install catatonit" in missing.fix
    present = init_check(PODMAN, True, "/usr/libexec/podman/catatonit")
    assert present is not None and present.status == OK
    binary = tmp_path / "catatonit"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert init_binary([str(tmp_path / "absent"), str(binary)]) == str(binary)

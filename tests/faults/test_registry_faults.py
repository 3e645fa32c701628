"""Registry faults, end to end: `devenv pull` and `devenv up` against a local HTTP server that
answers 401, 404 or 500, stalls, or is gone. Each ends with exit code 4 and a message naming the
registry, within the deadlines (set short here); a locked image already present still starts."""

from __future__ import annotations

import json

import pytest

from tests.faults.stack_harness import assert_clean

pytestmark = pytest.mark.engine
FAULTS = ["401", "404", "500", "stall", "down"]
SHORT_DEADLINES = {"DEVENV_REGISTRY_CONNECT_TIMEOUT": "2", "DEVENV_REGISTRY_READ_TIMEOUT": "2"}
# What each fault must be called (any of these words, case-insensitive): the user's next step differs.
WORDS = {
    "401": ("unauthorized", "authentication", "log in", "login", "credentials", "denied"),
    "404": ("not found", "unknown", "no such", "does not exist", "has no repository", "no tag"),
    "500": ("500", "server error", "internal"),
    "stall": ("stalled", "no answer", "did not answer", "timed out"),
    "down": ("cannot reach", "unreachable", "refused", "not reachable"),
}


def write_stack(project, image: str) -> None:
    project.write(
        f"""
[project]
name = "{project.name}"
[services.app]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
"""
    )


def set_fault(bad_registry, fault: str) -> None:
    if fault == "down":
        bad_registry.down()
    else:
        bad_registry.mode = fault


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", [("pull",), ("up", "-d")])
def test_registry_fault_is_exit_4_with_a_clear_message(faults_project, bad_registry, fault, command) -> None:
    write_stack(faults_project, f"{bad_registry.address}/busybox:test")  # never pulled: not local
    set_fault(bad_registry, fault)
    result = faults_project.run(*command, timeout=90, **SHORT_DEADLINES)  # timeout: a hang guard
    assert_clean(result)
    assert result.code == 4, str(result)
    error = next(line for line in result.err.splitlines() if line.startswith("error: "))
    assert bad_registry.address in error, str(result)
    assert any(word in error.lower() for word in WORDS[fault]), f"{fault}: {error}"
    assert "hint: " in result.err


@pytest.mark.parametrize("fault", FAULTS)
def test_locked_image_present_locally_starts_during_a_fault(faults_project, bad_registry, fault) -> None:
    write_stack(faults_project, f"{bad_registry.address}/busybox:test")
    faults_project.ok("lock")  # through the healthy proxy: the digest is pinned in devenv.lock
    faults_project.ok("pull")
    set_fault(bad_registry, fault)
    result = faults_project.run("up", "-d", timeout=90, **SHORT_DEADLINES)
    assert_clean(result)
    assert result.code == 0, str(result)
    states = json.loads(faults_project.ok("status", "--json").out)["services"]
    assert [s["state"] for s in states] == ["running"]
    faults_project.ok("down")


@pytest.mark.parametrize("fault", ["500", "stall", "down"])
def test_pull_always_falls_back_to_the_local_copy_with_a_warning(faults_project, bad_registry, fault) -> None:
    write_stack(faults_project, f"{bad_registry.address}/busybox:test")
    faults_project.ok("pull")
    set_fault(bad_registry, fault)
    result = faults_project.run("up", "-d", "--pull", "always", timeout=90, **SHORT_DEADLINES)
    assert_clean(result)
    if fault == "500":  # the registry answered: an error is not "offline", devenv must not hide it
        assert result.code == 4, str(result)
        return
    assert result.code == 0, str(result)
    assert "warning: " in result.err, str(result)
    faults_project.ok("down")

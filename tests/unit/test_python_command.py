"""How a Python service command splits into the interpreter with its options and what it runs
(config/pycommand.py): what `watch.preload` accepts and how the supervisor wraps it."""

from __future__ import annotations

import pytest

from devenv.config.pycommand import PythonCommand, python_command
from devenv.watch import supervisor


@pytest.mark.parametrize(
    ("command", "split"),
    [
        (["python3", "-m", "shop"], (("python3",), ("-m", "shop"))),
        (["python", "-u", "-m", "shop", "--port", "8000"], (("python", "-u"), ("-m", "shop", "--port", "8000"))),
        (["/usr/bin/python3.11", "app.py", "-v"], (("/usr/bin/python3.11",), ("app.py", "-v"))),
        (["python3", "-X", "dev", "-W", "error", "-m", "shop"], (("python3", "-X", "dev", "-W", "error"), ("-m", "shop"))),
        (["python3", "-Xdev", "-mshop", "a"], (("python3", "-Xdev"), ("-m", "shop", "a"))),
        (["python3", "-B", "-OO", "manage.py", "runserver"], (("python3", "-B", "-OO"), ("manage.py", "runserver"))),
    ],
)
def test_python_commands_split(command: list[str], split: tuple) -> None:
    assert python_command(command) == PythonCommand(*split)


@pytest.mark.parametrize(
    "command",
    [
        ["python3", "-c", "print(1)"],
        ["python3", "-cprint(1)"],
        ["python3", "-"],
        ["python3", "-m"],
        ["python3", "-u"],
        ["python3"],
        ["node", "server.js"],
        ["gunicorn", "shop:app"],
        ["pythonista", "-m", "x"],
        [],
    ],
)
def test_what_is_no_python_command_to_preload(command: list[str]) -> None:
    assert python_command(command) is None


def test_preload_wraps_a_python_command_in_the_python_supervisor() -> None:
    wrapped = supervisor.wrap_command(["python3", "-u", "-m", "shop"], preload=True)
    assert wrapped == ["python3", "-u", "/.devenv/pywarm.py", "-m", "shop"]
    assert supervisor.is_supervised(wrapped) and supervisor.signal_reaches_supervisor(wrapped)
    # anything else keeps the shell supervisor
    assert supervisor.wrap_command(["node", "s.js"], preload=True) == ["/bin/sh", "/.devenv/supervise.sh", "node", "s.js"]


def test_a_signal_reaches_the_supervisor_only_when_it_is_the_containers_process() -> None:
    assert supervisor.signal_reaches_supervisor(["/bin/sh", "/.devenv/supervise.sh", "sleep", "9"])
    # an image's ENTRYPOINT runs first: the signal would go to it
    assert not supervisor.signal_reaches_supervisor(["/entrypoint.sh", "/bin/sh", "/.devenv/supervise.sh", "x"])
    assert not supervisor.signal_reaches_supervisor(["/entrypoint.sh", "python3", "/.devenv/pywarm.py", "-m", "x"])
    assert not supervisor.signal_reaches_supervisor(["python3", "-m", "app"])


def test_the_restart_command_waits_only_when_the_signal_went_through_the_engine() -> None:
    assert supervisor.restart_command() == ["/bin/sh", "/.devenv/restart.sh", "10"]
    assert supervisor.restart_command(after="7:3") == ["/bin/sh", "/.devenv/restart.sh", "10", "7:3"]

"""Validate once, completely: a value `config validate` accepts is one `up` and `export` can use.
Each case was accepted before and failed only later (the engine refusing it, an export crashing);
now the load refuses it with one line naming file, line and key, and a fix."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.errors import ConfigError, ExitCode

WEB = '[services.web]\nimage = "python:3.12"\n'


def error_of(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> ConfigError:
    monkeypatch.chdir(tmp_path)  # messages name the file relative to here
    path = tmp_path / "devenv.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        parse_project(text, path)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # durations the engine cannot wait (round(inf) crashed `up` and `export`)
        (
            WEB + "stop_timeout = inf\n",
            "devenv.toml:3 services.web.stop_timeout: inf is not a duration devenv can use",
        ),
        (
            WEB + "stop_timeout = nan\n",
            "devenv.toml:3 services.web.stop_timeout: nan is not a duration devenv can use",
        ),
        (
            "[project]\nstop_timeout = +inf\n" + WEB,
            "devenv.toml:2 project.stop_timeout: inf is not a duration",
        ),
        (WEB + "stop_timeout = 1e300\n", "devenv.toml:3 services.web.stop_timeout: 1e+300 is not a duration"),
        (
            WEB + 'stop_timeout = "99999999h"\n',
            'devenv.toml:3 services.web.stop_timeout: "99999999h" is not a duration',
        ),
        (
            WEB + '[services.web.health]\ncmd = ["true"]\ninterval = inf\n',
            "devenv.toml:5 services.web.health.interval: inf is not a duration",
        ),
        # host addresses
        (
            WEB + 'ports = ["999.1.1.1:80:80"]\n',
            'devenv.toml:3 services.web.ports[0]: host address "999.1.1.1" is not an IP address',
        ),
        (
            WEB + 'ports = ["[::1::2]:80:80"]\n',
            'devenv.toml:3 services.web.ports[0]: host address "::1::2" is not an IP address',
        ),
        (
            WEB + 'ports = [{ container = 80, host_ip = "localhost" }]\n',
            'devenv.toml:3 services.web.ports[0]: host address "localhost" is not an IP address',
        ),
        (
            WEB + 'ports = [{ container = 80, host_ip = "" }]\n',
            'devenv.toml:3 services.web.ports[0]: host address "" is not an IP address',
        ),
        # mounts
        (WEB + 'code = "/"\n', 'devenv.toml:3 services.web.code: "/" would mount over the container\'s root'),
        (WEB + 'code = "/app/.."\n', 'devenv.toml:3 services.web.code: "/app/.." would mount over'),
        (
            WEB + 'data = [{ source = ".", target = "/" }]\n',
            'devenv.toml:3 services.web.data[0].target: "/" would mount over the container\'s root',
        ),
        (
            WEB + 'code = "/app"\ndata = [{ source = ".", target = "/app/" }]\n',
            'devenv.toml:4 services.web.data[0].target: "/app/" is also where code is mounted',
        ),
        (
            WEB + 'code = true\nvolumes = ["cache:/app"]\n',
            'devenv.toml:4 services.web.volumes[0]: "/app" is also where code is mounted',
        ),
        (
            WEB + 'volumes = ["a:/d", "b:/d"]\n',
            'devenv.toml:3 services.web.volumes[1]: "/d" is also where volumes.0 is mounted',
        ),
        (
            WEB + 'code = "/a:b"\n',
            "devenv.toml:3 services.web.code: \"/a:b\": a mount target cannot hold ':'",
        ),
        # NUL: no argv, variable or API string carries it
        (
            WEB + 'environment = { A = "x\\u0000y" }\n',
            "devenv.toml:3 services.web.environment.A: holds a NUL character",
        ),
        (
            WEB + 'command = ["sh", "-c", "\\u0000"]\n',
            "devenv.toml:3 services.web.command[2]: holds a NUL character",
        ),
        (
            '[env.profiles.dev]\nset = { A = "\\u0000" }\n' + WEB,
            "devenv.toml:2 env.profiles.dev.set.A: holds a NUL",
        ),
        (
            '[services.web]\nbuild = { context = ".", args = { "A\\u0000" = "x" } }\n',
            'devenv.toml:2 services.web.build.args."A\\u0000": holds a NUL',
        ),
        # signals
        (
            WEB + 'stop_signal = "SIGFOO"\n',
            'devenv.toml:3 services.web.stop_signal: "SIGFOO" is not a signal the engine knows',
        ),
        (WEB + 'stop_signal = "0"\n', 'devenv.toml:3 services.web.stop_signal: "0" is not a signal'),
        (WEB + 'stop_signal = "99"\n', 'devenv.toml:3 services.web.stop_signal: "99" is not a signal'),
        # image references: an option is not an image
        (
            '[services.web]\nimage = "--privileged"\n',
            'devenv.toml:2 services.web.image: "--privileged" is not an image reference',
        ),
        (
            '[services.web]\nimage = "Python:3.12"\n',
            'devenv.toml:2 services.web.image: "Python:3.12" is not an image reference',
        ),
        (
            '[services.web]\nimage = "python:-x"\n',
            'devenv.toml:2 services.web.image: "python:-x" is not an image reference',
        ),
        (
            '[services.web]\nbuild = { context = ".", from = "-x" }\n',
            'devenv.toml:2 services.web.build.from: "-x" is not an image reference',
        ),
        (
            '[project]\nregistry = "--insecure"\n' + WEB,
            'devenv.toml:2 project.registry: "--insecure" is not a registry',
        ),
        ('[images.base]\nfrom = "-x"\n', 'devenv.toml:2 images.base.from: "-x" is not an image reference'),
    ],
)
def test_what_only_fails_later_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    error = error_of(tmp_path, text, monkeypatch)
    assert str(error).startswith(expected), str(error)
    assert "\n" not in str(error)
    assert error.hint or "at most" in str(error)  # the fix: in the hint, or the limit in the line
    assert error.exit_code == ExitCode.USER_ERROR


@pytest.mark.parametrize(
    "extra",
    [
        'ports = ["0.0.0.0:80:80", "[::1]:81:81", { container = 82, host_ip = "::" }]\n',
        'stop_signal = "SIGRTMIN+3"\n',
        'stop_signal = "9"\n',
        'stop_timeout = "1m30s"\n',
        'code = "/app"\ndata = [{ source = ".", target = "/data" }]\nvolumes = ["cache:/cache"]\n',
    ],
)
def test_what_the_engine_takes_still_loads(tmp_path: Path, extra: str) -> None:
    text = WEB + extra
    path = tmp_path / "devenv.toml"
    path.write_text(text)
    service = parse_project(text, path).service("web")
    assert math.isfinite(service.stop_timeout_s)


def test_a_catalog_image_may_start_from_another_catalog_image(tmp_path: Path) -> None:
    text = '[images.base]\n[images.tool]\nfrom = "base"\n'
    path = tmp_path / "devenv.toml"
    path.write_text(text)
    assert [i.base for i in parse_project(text, path).images] == [None, "base"]

"""Files that come with a cloned folder are read as untrusted: `.devenv/instance` never through a
symbolic link, no file past its size limit, a FIFO never waited on, and every failure one line
(file, fix) that quotes content only as a short escaped excerpt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devenv import fsutil
from devenv.config.model import Project
from devenv.errors import ConfigError, DevenvError
from devenv.ops.instance import choose_instance

TOKEN = "ghp_FAKE0123456789abcdefTOKEN"


def _project(root: Path) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    (root / "devenv.toml").write_text('[project]\nname = "shop"\n')
    return Project(name="shop", root=root, config_file=root / "devenv.toml")


def _one_line(err: DevenvError) -> str:
    text = f"{err.message}\n{err.hint or ''}"
    assert "\n" not in err.message and "\n" not in (err.hint or "")
    assert len(text) < 400, text
    return text


def test_a_pin_that_is_a_link_is_refused_and_its_target_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "environ"
    secret.write_text(f"CI_TOKEN={TOKEN}\0HOME=/root\0")
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    (root / ".devenv" / "instance").symlink_to(secret)
    with pytest.raises(DevenvError) as caught:
        choose_instance(_project(root))
    text = _one_line(caught.value)
    assert TOKEN not in text and "CI_TOKEN" not in text
    assert ".devenv/instance is a symbolic link" in text and "remove it" in text


def test_a_pin_under_a_linked_devenv_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "instance").write_text(TOKEN)
    root = tmp_path / "shop"
    root.mkdir()
    (root / ".devenv").symlink_to(elsewhere)
    with pytest.raises(DevenvError) as caught:
        choose_instance(_project(root))
    text = _one_line(caught.value)
    assert TOKEN not in text and f"{root / '.devenv'} is a symbolic link" in text


def test_a_proc_environ_link_prints_nothing_of_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    (root / ".devenv" / "instance").symlink_to("/proc/self/environ")
    with pytest.raises(DevenvError) as caught:
        choose_instance(_project(root))
    text = _one_line(caught.value)
    assert os.environ.get("PATH", "/usr/bin") not in text


def test_a_huge_pin_gives_one_short_line(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    (root / ".devenv" / "instance").write_bytes(b"a" * 5_000_000)
    with pytest.raises(DevenvError) as caught:
        choose_instance(_project(root))
    assert "larger than 256 bytes" in _one_line(caught.value)


def test_a_pin_that_is_not_utf8_gives_one_line(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    (root / ".devenv" / "instance").write_bytes(b"dev\xff\xfe\n")
    with pytest.raises(DevenvError) as caught:
        choose_instance(_project(root))
    assert ".devenv/instance:1: not UTF-8 text (byte 0xff)" in _one_line(caught.value)


def test_an_invalid_pin_is_quoted_as_a_short_escaped_excerpt(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    (root / ".devenv" / "instance").write_text("x" * 30 + "\x1b[31m" + TOKEN + "\n")
    with pytest.raises(DevenvError) as caught:
        choose_instance(_project(root))
    text = _one_line(caught.value)
    assert (
        TOKEN not in text
        and "\x1b" not in text
        and "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\x1b[31mghp_F'..." in text
    )


def test_a_fifo_is_not_waited_on(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    os.mkfifo(root / ".devenv" / "instance")
    with pytest.raises(DevenvError, match="not a regular file"):
        choose_instance(_project(root))
    os.mkfifo(tmp_path / "prod.env")
    with pytest.raises(ConfigError, match=r"prod\.env: not a regular file"):
        fsutil.read_text(tmp_path / "prod.env", "prod.env")


def test_no_pin_and_a_plain_pin(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    assert fsutil.read_project_file(root, ".devenv/instance", limit=10) is None
    (root / ".devenv").write_text("a file, not a folder")
    assert fsutil.read_project_file(root, ".devenv/instance", limit=10) is None
    (root / ".devenv").unlink()
    (root / ".devenv").mkdir()
    (root / ".devenv" / "instance").write_text("qa\n")
    assert choose_instance(_project(root)).name == "qa"


def test_excerpt_is_short_escaped_and_one_line() -> None:
    assert fsutil.excerpt("a\nb") == "'a\\nb'"
    assert fsutil.excerpt("x" * 100) == repr("x" * 40) + "..."
    assert fsutil.excerpt(b"\xff\xfe") == repr("\ufffd\ufffd")


# --- non-UTF-8 files are one line, not exit 70 --------------------------------------------------


def test_a_secrets_file_that_is_not_utf8(tmp_path: Path) -> None:
    from devenv.config.model import EnvSpec
    from devenv.envvars.layering import read_secrets_file

    (tmp_path / ".devenv").mkdir()
    (tmp_path / ".devenv" / "secrets.env").write_bytes(b"A=1\nB=\xff\n")
    with pytest.raises(ConfigError) as caught:
        read_secrets_file(tmp_path, EnvSpec(secrets=".devenv/secrets.env"))
    assert caught.value.message == ".devenv/secrets.env:2: not UTF-8 text (byte 0xff)"


def test_a_lock_that_is_not_utf8(tmp_path: Path) -> None:
    from devenv.registry.lockfile import LockFile

    (tmp_path / "devenv.lock").write_bytes(b"version = 1\n# \xff\n")
    with pytest.raises(ConfigError, match=r"^devenv.lock:2: not UTF-8 text"):
        LockFile.load(tmp_path / "devenv.lock")


def test_compose_files_for_init_that_are_not_utf8(tmp_path: Path) -> None:
    from devenv.convert import convert_compose, convert_devcontainer

    source = tmp_path / "docker-compose.yml"
    source.write_bytes(b'services:\n  web:\n    image: x\n    environment:\n      A: "\xff"\n')
    with pytest.raises(ConfigError, match=r"docker-compose.yml:5: not UTF-8 text"):
        convert_compose(source, tmp_path)
    source.write_bytes(b"services:\n  web:\n    image: x\n")
    (tmp_path / ".env").write_bytes(b"A=\xff\n")
    with pytest.raises(ConfigError, match=r"\.env:1: not UTF-8 text"):
        convert_compose(source, tmp_path)
    devcontainer = tmp_path / "devcontainer.json"
    devcontainer.write_bytes(b'{"image": "\xff"}')
    with pytest.raises(ConfigError, match=r"devcontainer.json:1: not UTF-8 text"):
        convert_devcontainer(devcontainer, tmp_path)

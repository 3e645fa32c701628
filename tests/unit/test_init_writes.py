"""`devenv init` writes only inside the project (a cloned `.devenv` or `.gitignore` link that
leads elsewhere is refused, before anything is written) and never loses the user's devenv.toml:
each `--force` keeps the file it replaces in the first free `.bak` name."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.convert.scaffold import ensure_gitignore, write_config, write_local_secrets
from devenv.errors import ConfigError
from devenv.fsutil import inside


def test_force_twice_keeps_the_original(tmp_path: Path) -> None:
    (tmp_path / "devenv.toml").write_text("# mine, hand-written\n")
    first = write_config(tmp_path, "# generated 1\n", force=True)
    second = write_config(tmp_path, "# generated 2\n", force=True)
    assert first.backup == tmp_path / "devenv.toml.bak"
    assert second.backup == tmp_path / "devenv.toml.bak.1"
    assert (tmp_path / "devenv.toml.bak").read_text() == "# mine, hand-written\n"
    assert (tmp_path / "devenv.toml.bak.1").read_text() == "# generated 1\n"
    assert (tmp_path / "devenv.toml").read_text() == "# generated 2\n"


def test_the_same_text_again_needs_no_backup(tmp_path: Path) -> None:
    (tmp_path / "devenv.toml").write_text("# same\n")
    assert write_config(tmp_path, "# same\n", force=True).backup is None
    assert not (tmp_path / "devenv.toml.bak").exists()


def test_a_linked_devenv_folder_leading_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".devenv").symlink_to(outside)
    with pytest.raises(ConfigError) as caught:
        write_local_secrets(root, ".devenv/secrets.env", {"DB_PASSWORD": "hunter2"})
    assert caught.value.message == (
        f".devenv leads outside the project (to {outside / 'secrets.env'}): devenv init does not write there"
    )
    assert "hunter2" not in caught.value.message + (caught.value.hint or "")
    assert list(outside.iterdir()) == []


def test_a_linked_gitignore_or_config_leading_out_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY\n")
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".gitignore").symlink_to(secret)
    with pytest.raises(ConfigError, match=r"^\.gitignore leads outside the project"):
        ensure_gitignore(root)
    (root / "devenv.toml").symlink_to(secret)
    with pytest.raises(ConfigError, match=r"^devenv\.toml leads outside the project"):
        write_config(root, "# new\n", force=True)
    assert secret.read_text() == "PRIVATE KEY\n"
    assert sorted(p.name for p in root.iterdir()) == [".gitignore", "devenv.toml"]


def test_links_that_stay_inside_are_fine(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / ".devenv").symlink_to(tmp_path / "state")
    assert inside(tmp_path, ".devenv/secrets.env", "devenv init") == tmp_path / ".devenv/secrets.env"
    assert write_local_secrets(tmp_path, ".devenv/secrets.env", {"A": "1"}) == ["A"]
    assert (tmp_path / "state" / "secrets.env").is_file()

"""Files that come with a folder, through the real `devenv` process: a linked, huge or non-UTF-8
`.devenv/instance`, secrets file, devenv.lock or compose file, a hand-written file where an export
would go, a folder an export cannot write: exit 1 with one `error:` line (and its hint) naming
the file and the fix — never a traceback, never the content."""

from __future__ import annotations

import pytest

TOKEN = "ghp_FAKE0123456789abcdefTOKEN"
DIGEST = "sha256:" + "a" * 64
HAND_WRITTEN = "# production\nservices:\n  web:\n    image: shop:prod\n    environment:\n      KEEP: me\n"


def one_error(result, *parts: str) -> str:
    assert result.code == 1, str(result)
    assert "Traceback" not in result.err and "internal error" not in result.err, str(result)
    lines = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and len(result.err) < 600, str(result)
    for part in parts:
        assert part in lines[0], str(result)
    return lines[0]


@pytest.fixture
def folder(offline_project):
    offline_project.write(
        """
        [env]
        secrets = ".devenv/secrets.env"

        [services.web]
        image = "busybox:latest"
        command = ["sleep", "1000"]
        """
    )
    (offline_project.root / ".devenv").mkdir()
    (offline_project.root / "devenv.lock").write_text(
        f'version = 1\n\n[images.web]\nimage = "busybox:latest"\n'
        f'reference = "docker.io/library/busybox:latest"\ndigest = "{DIGEST}"\n'
    )
    return offline_project


@pytest.mark.parametrize("command", [("status",), ("down",), ("up", "-d")])
def test_a_linked_pin_prints_nothing_it_points_at(folder, tmp_path, command) -> None:
    target = tmp_path / "environ"
    target.write_text(f"CI_TOKEN={TOKEN}\n")
    (folder.root / ".devenv" / "instance").symlink_to(target)
    result = folder.run(*command)
    one_error(result, ".devenv/instance is a symbolic link")
    assert TOKEN not in result.out + result.err


def test_a_huge_or_binary_pin_is_one_short_line(folder) -> None:
    pin = folder.root / ".devenv" / "instance"
    pin.write_bytes(b"a" * 5_000_000)
    one_error(folder.run("status"), ".devenv/instance: larger than 256 bytes")
    pin.write_bytes(b"\xff\xfe\x00")
    one_error(folder.run("status"), ".devenv/instance:1: not UTF-8 text")


def test_non_utf8_secrets_and_lock_are_one_line(folder) -> None:
    (folder.root / ".devenv" / "secrets.env").write_bytes(b"API_KEY=\xff\n")
    one_error(
        folder.run("env", "show", "web"),
        ".devenv/secrets.env:1: not UTF-8 text",
    )
    (folder.root / ".devenv" / "secrets.env").unlink()
    (folder.root / "devenv.lock").write_bytes(b"version = 1\n# \xff\n")
    one_error(folder.run("export", "compose"), "devenv.lock:2: not UTF-8 text")


def test_init_from_a_non_utf8_compose_file_is_one_line(offline_project) -> None:
    (offline_project.root / "docker-compose.yml").write_bytes(
        b'services:\n  web:\n    image: x\n    environment:\n      A: "\xff"\n'
    )
    one_error(
        offline_project.run("init", "--from", "docker-compose.yml"), "docker-compose.yml:5: not UTF-8 text"
    )
    assert not (offline_project.root / "devenv.toml").exists()


def test_export_keeps_a_hand_written_compose_file(folder) -> None:
    path = folder.root / "docker-compose.yml"
    path.write_text(HAND_WRITTEN)
    line = one_error(folder.run("export", "compose", "-o", "."), f"{path} was not written by devenv export")
    assert path.read_text() == HAND_WRITTEN, line
    folder.ok("export", "compose", "-o", ".", "--force")
    exported = path.read_text()
    assert exported.startswith("# Exported by `devenv export compose`") and DIGEST in exported
    folder.write(folder.root.joinpath("devenv.toml").read_text().replace("1000", "2000"))
    folder.ok("export", "compose", "-o", ".")  # its own file: replaced without --force
    assert '"2000"' in path.read_text() or "- '2000'" in path.read_text()


def test_export_k8s_keeps_same_named_files(folder) -> None:
    out = folder.root / "deploy"
    out.mkdir()
    (out / "deployment-web.yaml").write_text("# ours\nkind: Deployment\n")
    one_error(
        folder.run("export", "k8s", "-o", "deploy"), "deployment-web.yaml was not written by devenv export"
    )
    assert (out / "deployment-web.yaml").read_text() == "# ours\nkind: Deployment\n"


def test_export_into_a_folder_that_cannot_be_written_is_one_line(folder) -> None:
    (folder.root / "afile").write_text("x")
    one_error(folder.run("export", "k8s", "-o", "afile/deploy"), "cannot write the export there")
    assert (folder.root / "afile").read_text() == "x"


def test_init_from_refuses_a_devenv_link_that_leaves_the_project(offline_project, tmp_path) -> None:
    outside = tmp_path / "home-of-someone"
    outside.mkdir()
    (offline_project.root / ".devenv").symlink_to(outside)
    (offline_project.root / ".env").write_text("PW=hunter2\n")
    (offline_project.root / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: x\n    environment:\n      DB_PASSWORD: ${PW}\n"
    )
    result = offline_project.run("init", "--from", "docker-compose.yml")
    one_error(result, ".devenv leads outside the project")
    assert "hunter2" not in result.out + result.err
    assert list(outside.iterdir()) == []
    assert not (offline_project.root / "devenv.toml").exists()  # checked before the first write


def test_init_force_twice_keeps_the_original(offline_project) -> None:
    (offline_project.root / "devenv.toml").write_text("# my own\n")
    first = offline_project.ok("init", "--yes", "--force", "--image", "a:1")
    assert "kept the previous file as devenv.toml.bak" in first.err
    second = offline_project.ok("init", "--yes", "--force", "--image", "a:2")
    assert "kept the previous file as devenv.toml.bak.1" in second.err
    assert (offline_project.root / "devenv.toml.bak").read_text() == "# my own\n"
    assert 'image = "a:1"' in (offline_project.root / "devenv.toml.bak.1").read_text()

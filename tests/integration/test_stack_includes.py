"""Published stacks on the real engine and a registry of the test's own: `devenv publish` of a
stack that itself includes a published stack, included by `stack =` (its release image, its own
prod env, its secret from the includer's secrets file), pinned by `devenv lock`, started with the
registry stopped, a moved tag seen by `lock --check`, altered content refused (exit 4)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.integration.registry_helpers import PrivateRegistry

pytestmark = pytest.mark.engine

SMTP = """\
[project]
name = "smtp"
registry = "{registry}"

[services.smtp]
image = "busybox:test"
command = ["sh", "-c", "mkdir -p /tmp/w && echo smtp relay > /tmp/w/index.html && exec httpd -f -p 2525 -h /tmp/w"]
"""

NOTIFY = """\
[project]
name = "notify"
registry = "{registry}"

[env]
prod = ["deploy/prod.env"]
secret_keys = ["SMTP_PASSWORD"]

[include.relay]
stack = "smtp:1"

[services.mail]
image = "busybox:test"
command = ["sh", "-c", "mkdir -p /tmp/www && cp /app/www/index.html /tmp/www/ && exec httpd -f -p 8080 -h /tmp/www"]
code = "/app"
env = "prod"
depends_on = ["smtp"]
"""

SHOP = """\
registry = "{registry}"

[env]
prod = ["prod.env"]
secrets = ".devenv/secrets.env"

[env.profiles.dev]
set = {{ MAIL_FROM = "shop@dev" }}

[include.notify]
stack = "notify:1.4"

[services.web]
image = "busybox:test"
command = ["sleep", "1d"]
env = "prod"
depends_on = ["mail"]
"""


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def stack_repo(project, folder: Path, toml: str, files: dict[str, str]) -> Path:
    """A committed project folder of its own, sharing the test's state folder."""
    folder.mkdir(parents=True)
    (folder / "devenv.toml").write_text(toml)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (folder / ".gitignore").write_text(".devenv/\n")
    git("init", "-q", "-b", "main", cwd=folder)
    git("add", "-A", cwd=folder)
    git("commit", "-qm", "v1", cwd=folder)
    return folder


def run_in(project, folder: Path, *args: str):
    """`devenv ARGS` in another project folder, with the test's state (and stack cache)."""
    from tests.conftest import DevenvProject

    other = DevenvProject(folder, project.state_dir)
    other.name = folder.name
    return other.run(*args, timeout=300)


def ok_in(project, folder: Path, *args: str):
    result = run_in(project, folder, *args)
    assert result.code == 0, str(result)
    return result


def publish(project, folder: Path, tag: str) -> dict:
    ok_in(project, folder, "lock")
    git("add", "-A", cwd=folder)
    git("commit", "-qm", "lock", "--allow-empty", cwd=folder)
    return json.loads(ok_in(project, folder, "publish", "--tag", tag, "--json").out)


def _left(project) -> list[str]:
    import docker

    client = docker.from_env()
    label = f"dev.devenv.project={project.name}"
    return [c.name for c in client.containers.list(all=True, filters={"label": label})]


def test_publish_include_by_stack_lock_offline_moved_tag_and_altered_content(
    project, busybox_registry, tmp_path, docker_client
) -> None:
    p = project
    smtp = stack_repo(p, tmp_path / "smtp", SMTP.format(registry=busybox_registry.addr), {})
    publish(p, smtp, "1")
    notify = stack_repo(
        p,
        tmp_path / "notify",
        NOTIFY.format(registry=busybox_registry.addr),
        {
            "www/index.html": "notify v1\n",
            "deploy/prod.env": "MAIL_FROM=notify@prod\nSMTP_PASSWORD=prod-only-value\n",
        },
    )
    # notify includes the smtp stack: published with it pinned (transitively), not copied.
    done = publish(p, notify, "1.4")
    assert done["reference"] == f"{busybox_registry.addr}/notify:1.4" and done["digest"].startswith("sha256:")
    manifest = json.loads(_blob(busybox_registry, done["digest"]).read_bytes())
    layer = _blob(busybox_registry, manifest["layers"][0]["digest"]).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        shipped = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    assert sorted(shipped) == ["deploy/prod.env", "devenv.lock", "devenv.toml"]  # no code, no .gitignore
    assert (
        shipped["deploy/prod.env"] == b"MAIL_FROM=notify@prod\nSMTP_PASSWORD=\n"
    )  # the secret's value left out

    p.write(SHOP.format(registry=busybox_registry.addr))
    (p.root / "prod.env").write_text("MAIL_FROM=shop@prod\n")
    missing = p.run("up", "-d")  # notify's secret has no local value yet: one line, nothing started
    assert missing.code == 1 and "include notify: no local value for secret key SMTP_PASSWORD" in missing.err
    assert "NOTIFY__SMTP_PASSWORD=<value> to .devenv/secrets.env" in missing.err and _left(p) == [], str(
        missing
    )
    (p.root / ".devenv").mkdir()
    (p.root / ".devenv" / "secrets.env").write_text("NOTIFY__SMTP_PASSWORD=from-the-shop\n")
    p.ok("up", "-d")

    rows = {s["service"]: s for s in json.loads(p.ok("status", "--json").out)["services"]}
    assert rows["mail"]["include"] == "notify" and rows["mail"]["source"] == "image"
    assert rows["smtp"]["include"] == "relay" and rows["smtp"]["source"] == "image"
    # The released image holds notify's committed code; the shop reaches both by name.
    assert p.ok("exec", "web", "--", "wget", "-qO-", "http://mail:8080/").out == "notify v1\n"
    assert p.ok("exec", "mail", "--", "wget", "-qO-", "http://smtp:2525/").out == "smtp relay\n"
    # notify's own prod env, its secret from the shop's secrets file, never the published value.
    mail_env = p.ok("exec", "mail", "--", "sh", "-c", "echo $MAIL_FROM $SMTP_PASSWORD").out.split()
    assert mail_env == ["notify@prod", "from-the-shop"]
    assert p.ok("exec", "web", "--", "sh", "-c", "echo $MAIL_FROM").out.strip() == "shop@dev"

    p.ok("lock")
    lock = (p.root / "devenv.lock").read_text()
    assert f'digest = "{done["digest"]}"' in lock and 'stack = "smtp:1"' in lock

    # The registry stopped: the pinned, cached stack and its images still start.
    p.ok("down")
    busybox_registry.stop()
    p.ok("up", "-d")
    assert p.ok("exec", "web", "--", "wget", "-qO-", "http://mail:8080/").out == "notify v1\n"
    busybox_registry.start()

    # The tag moved (notify republished as 1.4): lock --check names the include, exit 6.
    (notify / "www" / "index.html").write_text("notify v2\n")
    git("commit", "-qam", "v2", cwd=notify)
    moved = publish(p, notify, "1.4")
    checked = p.run("lock", "--check")
    assert checked.code == 6 and "include notify: devenv.lock pins" in checked.err + checked.out, str(checked)

    # Altered content in the registry, nothing cached: refused (exit 4), nothing started.
    p.ok("down")
    shutil.rmtree(p.state_dir / "cache" / "stacks")
    stored = _blob(busybox_registry, manifest["layers"][0]["digest"])
    stored.write_bytes(stored.read_bytes().replace(b"notify@prod", b"notify@evil"))
    bad = p.run("up", "-d")
    assert bad.code == 4 and "does not match its digest" in bad.err, str(bad)
    assert "Traceback" not in bad.err and _left(p) == []
    assert moved["digest"] != done["digest"]


def _blob(busybox_registry: PrivateRegistry, digest: str) -> Path:
    hexa = digest.split(":", 1)[1]
    return busybox_registry.root / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexa[:2] / hexa / "data"


def test_bad_stack_includes_are_one_line_and_start_nothing(project, busybox_registry) -> None:
    p = project
    p.write(f'registry = "{busybox_registry.addr}"\n\n[include.notify]\nstack = "busybox:test"\n')
    image = p.run("up", "-d")
    assert image.code == 1 and "is not a devenv stack" in image.err and "Traceback" not in image.err, str(
        image
    )
    p.write(f'registry = "{busybox_registry.addr}"\n\n[include.notify]\nstack = "nothing-here:1"\n')
    missing = p.run("up", "-d")
    assert missing.code == 4 and "include.notify" in missing.err and "not found" in missing.err, str(missing)
    assert _left(p) == []

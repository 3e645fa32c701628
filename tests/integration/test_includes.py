"""Stacks that include stacks, on the real engine: a git include from a local bare repository
and a path include, reached by name from the product, with their own prod env; devenv.lock pins
the commit and starts it with the git server gone; a link runs it from a checkout, edits served."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NOTIFY = """\
[project]
name = "notify"

[env]
prod = ["deploy/prod.env"]

[services.mail]
image = "{registry}/busybox:test"
command = ["httpd", "-f", "-p", "8080", "-h", "/app/www"]
code = "/app"
env = "prod"
volumes = ["spool:/spool"]
"""


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def notify_repo(tmp: Path, registry: str) -> tuple[Path, Path]:
    """The included project's checkout, pushed (tag v1) to a bare repository: (checkout, bare)."""
    src = tmp / "notify"
    (src / "www").mkdir(parents=True)
    (src / "deploy").mkdir()
    (src / "devenv.toml").write_text(NOTIFY.format(registry=registry))
    (src / "www" / "index.html").write_text("notify v1\n")
    (src / "deploy" / "prod.env").write_text("MAIL_FROM=notify@prod\n")
    bare = tmp / "notify.git"
    git("init", "-q", "--bare", str(bare), cwd=tmp)
    git("init", "-q", "-b", "main", cwd=src)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "init", cwd=src)
    git("add", "-A", cwd=src)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "notify v1", cwd=src)
    git("tag", "v1", cwd=src)
    git("push", "-q", str(bare), "main", "v1", cwd=src)
    return src, bare


def shop(project, include: str) -> None:
    project.write(
        f"""
[env]
prod = ["prod.env"]

[env.profiles.dev]
set = {{ MAIL_FROM = "shop@dev" }}

[include.notify]
{include}

[services.web]
image = "{project.registry}/busybox:test"
command = ["sleep", "1d"]
env = "prod"
depends_on = ["mail"]
volumes = ["spool:/data"]
"""
    )
    (project.root / "prod.env").write_text("MAIL_FROM=shop@prod\n")


def services(project, **env: str) -> dict[str, dict]:
    status = json.loads(project.ok("status", "--json", **env).out)
    return {s["service"]: s for s in status["services"]}


def served(project, **env: str) -> str:
    return project.ok("exec", "web", "--", "wget", "-qO-", "http://mail:8080/", **env).out


@pytest.fixture
def included(project, registry, busybox_image):
    """The product's project; git includes are cached in its own state folder (DEVENV_STATE_DIR)."""
    project.registry = registry
    return project


def test_git_include_runs_pinned_offline_from_the_lock_then_linked_then_down(
    included, registry, tmp_path
) -> None:
    p = included
    src, bare = notify_repo(tmp_path, registry)
    shop(p, f'git = "file://{bare}"\nref = "v1"')
    p.ok("up", "-d")

    rows = services(p)
    assert rows["mail"]["include"] == "notify" and rows["mail"]["source"] == "git"
    assert "include" not in rows["web"]
    assert served(p) == "notify v1\n"  # the product reaches it by its own name
    # Its own prod env, not the including project's dev profile (which sets MAIL_FROM too).
    assert p.ok("exec", "mail", "--", "sh", "-c", "echo $MAIL_FROM").out.strip() == "notify@prod"
    assert p.ok("exec", "web", "--", "sh", "-c", "echo $MAIL_FROM").out.strip() == "shop@dev"
    human = p.ok("status").out
    assert "include notify: pinned commit" in human

    p.ok("lock")
    commit = git("rev-parse", "v1", cwd=src)
    assert f'commit = "{commit}"' in (p.root / "devenv.lock").read_text()

    # The git server gone: the pinned, cached commit still starts.
    p.ok("down")
    gone = tmp_path / "notify.git.offline"
    bare.rename(gone)
    p.ok("up", "-d")
    assert served(p) == "notify v1\n"
    gone.rename(bare)

    # The tag moved upstream: lock --check says so (exit 6), naming the include.
    (src / "www" / "index.html").write_text("notify v2\n")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "v2", cwd=src)
    git("tag", "-f", "v1", cwd=src)
    git("push", "-q", "-f", str(bare), "main", "v1", cwd=src)
    checked = p.run("lock", "--check")
    assert checked.code == 6, str(checked)
    assert "include notify: devenv.lock pins" in checked.err + checked.out

    # Linked to a checkout: built and run from it, an edit served at once.
    p.ok("link", "notify", str(src))
    p.ok("up", "-d")
    assert services(p)["mail"]["source"] == "link"
    assert served(p) == "notify v2\n"
    (src / "www" / "index.html").write_text("notify v3 (edited)\n")
    assert served(p) == "notify v3 (edited)\n"
    assert "from source" in p.ok("status").out

    p.ok("unlink", "notify")
    p.ok("up", "-d")
    assert services(p)["mail"]["source"] == "git"
    assert served(p) == "notify v1\n"  # back on the commit devenv.lock pins

    p.ok("down", "--volumes")
    assert _left(p) == []


def test_path_include_with_its_own_volumes_and_a_bad_include_starts_nothing(
    included, registry, tmp_path, docker_client
) -> None:
    p = included
    src, _ = notify_repo(tmp_path, registry)
    shop(p, 'path = "../notify"')
    p.ok("up", "-d")
    rows = services(p)
    assert rows["mail"]["source"] == "path"
    assert served(p) == "notify v1\n"
    (src / "www" / "index.html").write_text("edited\n")
    assert served(p) == "edited\n"  # a path include runs from the folder, as it is
    volumes = {v.name for v in docker_client.volumes.list(filters={"label": f"dev.devenv.project={p.name}"})}
    from devenv.stack.names import volume_name

    # Its own volume, named with its project: never the includer's `spool` by accident.
    assert volume_name(p.name, "default", "notify-spool") in volumes
    assert volume_name(p.name, "default", "spool") in volumes
    p.ok("down", "--volumes")
    assert _left(p) == []

    shutil.rmtree(src)
    bad = p.run("up", "-d")
    assert bad.code == 1 and "include.notify" in bad.err and "has no devenv.toml" in bad.err, str(bad)
    assert "Traceback" not in bad.err
    assert _left(p) == []


def test_exports_run_included_services_from_their_own_code(included, registry, tmp_path, docker_client) -> None:
    """`export k8s --push` builds an included service's release image from the included stack's
    own commit (a git include: the pinned one, from devenv's mirror; a path include: its own
    checkout's HEAD), named after its project; `export compose` mounts its own folder."""
    p = included
    src, bare = notify_repo(tmp_path, registry)
    (src / "www" / "index.html").write_text("notify v2 (not in v1)\n")  # a later edit, uncommitted
    shop(p, f'git = "file://{bare}"\nref = "v1"')
    toml = (p.root / "devenv.toml").read_text()
    named = f'name = "{p.name}"\n'
    (p.root / "devenv.toml").write_text(toml.replace(named, named + f'registry = "{registry}"\n', 1))
    git("init", "-q", cwd=p.root)
    git("add", "-A", cwd=p.root)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "shop", cwd=p.root)
    p.ok("lock")
    out = tmp_path / "k8s"
    p.ok("export", "k8s", "--push", "-o", str(out), timeout=600)
    import yaml

    deployment = yaml.safe_load((out / "deployment-mail.yaml").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    commit = git("rev-parse", "v1", cwd=src)
    assert image.startswith(f"{registry}/notify-mail@sha256:"), image
    inside = docker_client.containers.run(image, ["cat", "/app/www/index.html"], remove=True, entrypoint=[])
    assert inside.decode() == "notify v1\n"  # the pinned commit, not the checkout's edit
    labels = docker_client.images.get(image).labels
    assert labels["org.opencontainers.image.revision"] == commit

    shop(p, 'path = "../notify"')
    compose = tmp_path / "compose"
    p.ok("export", "compose", "-o", str(compose))
    text = (compose / "docker-compose.yml").read_text()
    assert f"{src}:/app" in text or "../notify:/app" in text, text


def test_status_and_down_still_work_when_the_include_is_gone(included, registry, tmp_path) -> None:
    """The included checkout moved away while its services run: `status` still shows them (a
    warning names the include) and `down` removes them; nothing is left behind."""
    p = included
    src, _ = notify_repo(tmp_path, registry)
    shop(p, 'path = "../notify"')
    p.ok("up", "-d")
    src.rename(tmp_path / "notify-moved")

    status = p.ok("status", "--json")
    assert "include.notify" in status.err and "has no devenv.toml" in status.err, str(status)
    rows = {s["service"]: s for s in json.loads(status.out)["services"]}
    assert rows["mail"]["state"] == "running" and rows["mail"]["include"] == "notify"
    down = p.ok("down")
    assert "include.notify" in down.err and "Traceback" not in down.err
    assert _left(p) == []
    assert p.run("up", "-d").code == 1  # acting on the stack still needs the include


def _left(project) -> list[str]:
    import docker

    client = docker.from_env()
    label = f"dev.devenv.project={project.name}"
    return [c.name for c in client.containers.list(all=True, filters={"label": label})] + [
        n.name for n in client.networks.list(filters={"label": label})
    ]


WATCHED = """\
[project]
name = "notify"

[services.mail]
image = "{registry}/busybox:test"
command = ["sh", "-c", "mkdir -p /tmp/www && cat /app/msg.txt > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
code = "/app"
watch = {{ paths = ["msg.txt"] }}
"""


def test_a_linked_include_is_watched_and_reloaded_on_save(included, registry, tmp_path) -> None:
    """What the service serves changes only when it restarts: the save in the linked checkout
    (outside the including project) is seen by the watcher and reloads that service."""
    from tests.integration.real_stack import wait_for
    from tests.integration.watcher import Watcher

    p = included
    src, bare = notify_repo(tmp_path, registry)
    (src / "devenv.toml").write_text(WATCHED.format(registry=registry))
    (src / "msg.txt").write_text("released\n")
    git("add", "-A", cwd=src)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "watched", cwd=src)
    git("tag", "-f", "v1", cwd=src)
    git("push", "-q", "-f", str(bare), "main", "v1", cwd=src)
    shop(p, f'git = "file://{bare}"\nref = "v1"')
    p.ok("up", "-d")
    assert served(p) == "released\n"
    (src / "msg.txt").write_text("from the checkout\n")  # not pushed: the pinned commit still says "released"
    p.ok("link", "notify", str(src))
    p.ok("up", "-d")
    assert served(p) == "from the checkout\n"
    with Watcher(p.root, p.env(), service="mail"):
        (src / "msg.txt").write_text("saved\n")
        wait_for(lambda: served(p) == "saved\n", "the linked include reloads on save")
    p.ok("down")
    assert _left(p) == []

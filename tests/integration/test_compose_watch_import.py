"""A compose file's `develop.watch` brought over by `devenv init --from`, then used as a user
would: `devenv up -d`, `devenv watch`, saves. Each compose action does what compose does —
`sync` (with `initial_sync`, `ignore`) copies into its own target, `sync+exec` copies then runs
its command, `sync+restart` copies then restarts the process — on the real engine."""

from __future__ import annotations

import textwrap

import pytest

from tests.integration.real_stack import wait_for
from tests.integration.watcher import Watcher

pytestmark = pytest.mark.engine

COMPOSE = """\
services:
  web:
    image: {image}
    command: ["sh", "-c", "echo started >> /tmp/starts; exec httpd -f -p 8080 -h /srv/www"]
    develop:
      watch:
        - action: sync
          path: ./html
          target: /srv/www
          initial_sync: true
          ignore:
            - "*.tmp"
        - action: sync+exec
          path: ./conf
          target: /etc/app
          exec:
            command: ["sh", "-c", "cp /etc/app/app.conf /srv/www/conf.txt"]
        - action: sync+restart
          path: ./reload.txt
          target: /srv/reload.txt
"""


def test_converted_develop_watch_reloads_as_compose_would(project, busybox_image):
    (project.root / "html").mkdir()
    (project.root / "html" / "index.html").write_text("v1\n")
    (project.root / "conf").mkdir()
    (project.root / "conf" / "app.conf").write_text("level=1\n")
    (project.root / "reload.txt").write_text("0\n")
    (project.root / "compose.yaml").write_text(textwrap.dedent(COMPOSE.format(image=busybox_image)))
    converted = project.ok("init", "--from", "compose.yaml", "--name", project.name)
    assert "develop" not in converted.err  # every trigger converted

    def inside(path: str) -> str:
        result = project.run("exec", "web", "--", "cat", path)
        return result.out if result.code == 0 else ""

    project.ok("up", "-d")
    assert inside("/srv/www/index.html") == ""  # nothing is mounted: only the watcher copies files
    with Watcher(project.root, project.env()) as watch:
        wait_for(lambda: inside("/srv/www/index.html") == "v1\n", "initial_sync copies html/ in")

        (project.root / "html" / "index.html").write_text("v2\n")
        (project.root / "html" / "scratch.tmp").write_text("never\n")
        wait_for(lambda: inside("/srv/www/index.html") == "v2\n", "a sync into the rule's target")

        (project.root / "conf" / "app.conf").write_text("level=2\n")
        wait_for(lambda: inside("/srv/www/conf.txt") == "level=2\n", "sync+exec: copied, then the command ran")

        assert inside("/tmp/starts") == "started\n"
        (project.root / "reload.txt").write_text("1\n")
        wait_for(lambda: inside("/tmp/starts") == "started\nstarted\n", "sync+restart restarts the process")
        assert inside("/srv/reload.txt") == "1\n"  # a file rule: the file itself at its target
        assert inside("/srv/www/scratch.tmp") == ""  # ignored by its rule
    assert watch.returncode == 0, watch.text
    project.ok("down")

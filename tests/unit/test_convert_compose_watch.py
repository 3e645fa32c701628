"""compose `develop.watch` → devenv watch rules. The inputs are the examples of the Compose
Develop Specification (docker/docs content/reference/compose-file/develop.md) and of "Use
Compose Watch" (content/manuals/compose/how-tos/file-watch.md), transcribed as test data,
plus the newer keys (`include`, `initial_sync`, `restart`); the converted file must load."""

from __future__ import annotations

import textwrap
from pathlib import Path

from devenv.config.loader import parse_project
from devenv.convert import convert_compose

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib


def convert(tmp_path: Path, compose: str):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(compose))
    conversion = convert_compose(tmp_path / "compose.yaml", tmp_path)
    (tmp_path / "devenv.toml").write_text(conversion.toml_text)
    project = parse_project(conversion.toml_text, tmp_path / "devenv.toml")  # it loads as devenv reads it
    return conversion, tomllib.loads(conversion.toml_text), project


SPEC_EXAMPLE = """\
services:
  frontend:
    image: example/webapp
    build: ./webapp
    develop:
      watch:
        # sync static content
        - path: ./webapp/html
          action: sync
          target: /var/www
          ignore:
            - node_modules/

  backend:
    image: example/backend
    build: ./backend
    develop:
      watch:
        # rebuild image and recreate service
        - path: ./backend/src
          action: rebuild
"""


def test_the_spec_example(tmp_path):
    for folder in ("webapp", "backend"):
        (tmp_path / folder).mkdir()
    conv, doc, project = convert(tmp_path, SPEC_EXAMPLE)
    assert doc["services"]["frontend"]["watch"] == {
        "paths": ["webapp/html"],
        "action": "none",
        "rules": [
            {
                "paths": ["/webapp/html", "!/webapp/html/node_modules/"],
                "action": "sync",
                "target": "/var/www",
                "source": "webapp/html",
            }
        ],
    }
    assert doc["services"]["backend"]["watch"]["rules"] == [{"paths": ["/backend/src"], "action": "rebuild"}]
    assert not [item for item in conv.unconverted if "develop" in item]
    rule = project.service("frontend").watch.rules[0]
    assert (rule.source, rule.target) == ("webapp/html", "/var/www")


NODE_EXAMPLE = """\
services:
  web:
    build: .
    command: npm start
    develop:
      watch:
        - action: sync
          path: .
          target: /usr/src/app
          ignore:
            - node_modules/
          initial_sync: true
        - action: rebuild
          path: package.json
        - action: sync+restart
          path: ./nginx.conf
          target: /etc/nginx/conf.d/default.conf
        - action: sync+exec
          path: ./etc/config
          target: /etc/config/
          exec:
            command: app reload
        - action: restart
          path: ./settings.yml
        - action: sync
          path: ./templates
          target: /usr/src/app/views
          include:
            - "*.html"
            - "!draft.html"
"""


def test_every_action_and_key(tmp_path):
    conv, doc, _ = convert(tmp_path, NODE_EXAMPLE)
    watch = doc["services"]["web"]["watch"]
    assert "paths" not in watch and watch["action"] == "none"  # `.` is watched: the whole project
    assert watch["rules"] == [
        {
            "paths": ["/etc/config"],
            "action": "sync+exec",
            "target": "/etc/config/",
            "exec": ["app", "reload"],
        },
        {"paths": ["/package.json"], "action": "rebuild"},
        {"paths": ["/nginx.conf"], "action": "sync+restart", "target": "/etc/nginx/conf.d/default.conf"},
        {"paths": ["/settings.yml"], "action": "restart"},  # a `command`: restarted in place
        {
            "paths": ["/templates/*.html", "!/templates/draft.html"],
            "action": "sync",
            "target": "/usr/src/app/views",
            "source": "templates",
        },
        {
            "paths": ["**", "!/node_modules/"],
            "action": "sync",
            "target": "/usr/src/app",
            "source": ".",
            "initial_sync": True,
        },
    ]
    assert not [item for item in conv.unconverted if "develop" in item]


def test_what_cannot_be_carried_is_named(tmp_path):
    conv, doc, _ = convert(
        tmp_path,
        """\
        services:
          proxy:
            image: nginx
            develop:
              watch:
                - action: rebuild
                  path: ./nginx
                - action: sync
                  path: ./html
                - action: sync+exec
                  path: ./conf
                  target: /etc/nginx
                  exec:
                    command: ["nginx", "-s", "reload"]
                    user: root
                    privileged: true
                    environment: { A: "1" }
                - action: sync
                  path: ../shared
                  target: /shared
                - action: restart
                  path: ./nginx.conf
                - action: explode
                  path: .
        """,
    )
    assert conv.unconverted == [
        "services.proxy.develop.watch[0].action: rebuild needs the service to build its image (it has no build)",
        "services.proxy.develop.watch[1].target: sync needs an absolute container path as target",
        "services.proxy.develop.watch[2].exec.user: devenv runs a watch command as the service's user",
        "services.proxy.develop.watch[2].exec.privileged: devenv runs watch commands unprivileged",
        "services.proxy.develop.watch[2].exec.environment: devenv runs a watch command with the service's env",
        'services.proxy.develop.watch[3].path: "../shared" is outside the project; devenv watches only the project',
        "services.proxy.develop.watch[5].action: 'explode' is not a compose watch action "
        "(sync, rebuild, restart, sync+restart, sync+exec)",
    ]
    rules = doc["services"]["proxy"]["watch"]["rules"]
    assert rules == [
        {
            "paths": ["/conf"],
            "action": "sync+exec",
            "target": "/etc/nginx",
            "exec": ["nginx", "-s", "reload"],
        },
        {"paths": ["/nginx.conf"], "action": "restart-container"},  # no command: the container restarts
    ]
    assert any("compose restarts the container" in note for note in conv.notes)


def test_the_whole_project_synced(tmp_path):
    _, doc, project = convert(
        tmp_path,
        """\
        services:
          app:
            build: .
            develop:
              watch:
                - {action: sync, path: ., target: /app}
        """,
    )
    assert doc["services"]["app"]["watch"]["rules"] == [
        {"paths": ["**"], "action": "sync", "target": "/app", "source": "."}
    ]
    assert project.service("app").watch.rules[0].source == ""  # the project folder itself

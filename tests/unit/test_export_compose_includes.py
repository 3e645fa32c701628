"""`export_compose` of a project that includes another by path: the included service's code is
mounted from its own project's folder, as `devenv up` mounts it, never the includer's."""

from __future__ import annotations

from pathlib import Path

import yaml

from devenv.config.load import load_project
from devenv.export import export_compose
from devenv.include.expand import expand

DIGEST = "127.0.0.1:5555/busybox@sha256:" + "a" * 64


def test_an_included_service_mounts_its_own_projects_code(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "devenv.toml").write_text(
        '[project]\nname = "shop"\n\n[services.web]\nimage = "busybox:test"\ncode = "/app"\n'
        'depends_on = ["mail"]\n\n[include.notify]\npath = "../notify"\n'
    )
    (tmp_path / "notify" / "src").mkdir(parents=True)
    (tmp_path / "notify" / "devenv.toml").write_text(
        '[project]\nname = "notify"\n\n[services.mail]\nimage = "busybox:test"\n'
        'code = { source = "src", target = "/app" }\n'
    )
    project = expand(load_project(tmp_path / "shop", explicit=True))
    doc = yaml.safe_load(export_compose(project, images={"web": DIGEST, "mail": DIGEST}, envs={}))
    assert doc["services"]["web"]["volumes"] == [".:/app"]
    assert doc["services"]["mail"]["volumes"] == ["../notify/src:/app"]

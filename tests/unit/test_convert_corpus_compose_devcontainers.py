"""Every compose-based devcontainer template of ../shared/corpus (devcontainers/templates: the
devcontainer.json files with `dockerComposeFile`, 15 of them) converts: the `service` becomes a
devenv service with the project mounted at `workspaceFolder`, only the services the devcontainer
starts are converted, nothing about dockerComposeFile / runServices / override files is left
unconverted, and the file loads. The templates are read where they lie (copied to a temp project
with their dot-names back, as SOURCES.md says), never copied into the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.convert import convert_devcontainer
from devenv.convert.devcontainer import parse_jsonc
from devenv.errors import ConfigError
from tests.conftest import CORPUS

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

TEMPLATES = sorted(
    p.parent.parent
    for p in (CORPUS.resolve() / "devcontainer" / "templates").glob("*/_devcontainer/devcontainer.json")
    if "dockerComposeFile" in parse_jsonc(p.read_text(encoding="utf-8"))
)
# docker-existing-docker-compose extends the project's own compose file (`../docker-compose.yml`),
# which a template cannot ship: the test gives it one, as a project adopting the template has.
EXISTING_PROJECT_COMPOSE = """\
services:
  your-service-name-here:
    build: .
    command: ["python3", "-m", "http.server", "8000"]
    ports: ["8000:8000"]
    depends_on: [db]
  db:
    image: postgres:16
  docs:
    image: nginx
    profiles: [docs]
"""


@pytest.fixture(autouse=True)
def _corpus_present(corpus: Path) -> None:
    """Skips (outside CI) or fails (CI=true) when the corpus is not beside the repository."""


def project_from(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / template.name
    shutil.copytree(template, root)
    for path in sorted(root.rglob("_*"), key=lambda p: -len(p.parts)):
        path.rename(path.with_name("." + path.name[1:]))
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def give_folders(root: Path, doc: dict) -> None:
    """Build contexts and data folders the templates' code would hold (not in the corpus)."""
    for svc in doc["services"].values():
        build = svc.get("build")
        if isinstance(build, dict):
            (root / build["context"]).mkdir(parents=True, exist_ok=True)
        for data in svc.get("data") or []:
            if not data["source"].startswith(("/", "~")):
                (root / data["source"]).mkdir(parents=True, exist_ok=True)


def test_the_corpus_holds_the_compose_templates():
    assert len(TEMPLATES) == 15, [t.name for t in TEMPLATES]


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_compose_template_converts(template: Path, tmp_path: Path):
    root = project_from(template, tmp_path)
    if template.name == "docker-existing-docker-compose":
        (root / "docker-compose.yml").write_text(EXISTING_PROJECT_COMPOSE)
    config = root / ".devcontainer" / "devcontainer.json"
    devcontainer = parse_jsonc(config.read_text(encoding="utf-8"))
    conv = convert_devcontainer(config, root)
    doc = tomllib.loads(conv.toml_text)
    service = devcontainer["service"]
    svc = doc["services"][service]
    workspace = f"/workspaces/{root.name}"  # workspaceFolder with ${localWorkspaceFolderBasename}
    assert svc["code"] == workspace and svc["workdir"] == workspace
    assert str(root) not in conv.toml_text  # nothing of this machine in a shared file
    left = [i for i in conv.unconverted if i.startswith(("dockerComposeFile", "runServices", "service:"))]
    assert not left, left
    text = conv.toml_text
    if template.name == "docker-outside-of-docker-compose":
        # The host's engine socket at the path the template's docker-init.sh expects: a data mount
        # of this machine's socket (which the check below needs to exist, so give it one).
        assert svc["data"] == [
            {"source": "/var/run/docker.sock", "target": "/var/run/docker-host.sock", "read_only": False}
        ]
        (tmp_path / "docker.sock").touch()
        text = text.replace('"/var/run/docker.sock"', f'"{tmp_path / "docker.sock"}"')
    (root / "devenv.toml").write_text(text)
    give_folders(root, doc)
    project = parse_project(text, root / "devenv.toml")
    assert service in project.service_names


def test_the_existing_compose_template_merges_onto_the_projects_file(tmp_path: Path):
    template = next(t for t in TEMPLATES if t.name == "docker-existing-docker-compose")
    root = project_from(template, tmp_path)
    (root / "docker-compose.yml").write_text(EXISTING_PROJECT_COMPOSE)
    conv = convert_devcontainer(root / ".devcontainer" / "devcontainer.json", root)
    doc = tomllib.loads(conv.toml_text)
    app = doc["services"]["your-service-name-here"]
    assert app["command"] == ["sleep", "infinity"]  # the .devcontainer override replaces the command
    assert app["ports"] == ["8000:8000"] and app["build"] == {"context": "."}  # the project's file
    assert sorted(doc["services"]) == ["db", "your-service-name-here"]  # docs: an inactive profile


def test_without_the_projects_compose_file_the_error_names_it(tmp_path: Path):
    template = next(t for t in TEMPLATES if t.name == "docker-existing-docker-compose")
    root = project_from(template, tmp_path)
    with pytest.raises(
        ConfigError, match=r'dockerComposeFile\[0\]: "../docker-compose.yml" does not exist'
    ) as err:
        convert_devcontainer(root / ".devcontainer" / "devcontainer.json", root)
    assert "add the compose file it extends" in (err.value.hint or "")

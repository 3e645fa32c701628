"""Nothing silent: a prod source that gives a service none of its env, or a Kustomize document read
as a manifest, is an error naming what the sources hold; `env check` fails on it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from devenv.config.model import EnvSpec
from devenv.envvars.drift import check_drift
from devenv.envvars.sources import load_prod
from devenv.errors import ConfigError

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          env: [{name: LOG_LEVEL, value: info}]
        - name: migrate
"""


def write(root: Path, name: str, text: str) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return name


def test_a_container_without_env_is_an_error_naming_the_containers_the_source_holds(tmp_path: Path) -> None:
    source = write(tmp_path, "k8s/app.yaml", APP)
    assert load_prod(tmp_path, (f"{source}#api",), "api").values["LOG_LEVEL"].value == "info"
    with pytest.raises(ConfigError) as caught:
        load_prod(tmp_path, (f"{source}#migrate",), "migrate")
    assert caught.value.message == (
        '[env] prod gives service "migrate" no variables (it mirrors api/migrate, which has no env): '
        "k8s/app.yaml holds containers api/api, api/migrate"
    )
    assert 'env = "none" on migrate' in (caught.value.hint or "")


def test_an_empty_dotenv_or_a_compose_service_without_env_is_named(tmp_path: Path) -> None:
    write(tmp_path, "prod.env", "# nothing yet\n")
    with pytest.raises(ConfigError, match=r'service "db" no variables: prod.env holds no variables$'):
        load_prod(tmp_path, ("prod.env",), "db")
    write(tmp_path, "compose.prod.yml", "services:\n  postgres: {image: x}\n  web: {image: y, environment: {A: b}}\n")
    with pytest.raises(ConfigError, match=r"compose\.prod\.yml holds services postgres, web"):
        load_prod(tmp_path, ("compose.prod.yml#postgres",), "db")


def test_the_project_view_of_an_empty_source_is_no_error(tmp_path: Path) -> None:
    """Only a service told to receive prod's env needs some of it (`env show` without one lists
    what the sources hold: nothing)."""
    write(tmp_path, "prod.env", "\n")
    assert not load_prod(tmp_path, ("prod.env",)).values


def test_a_kustomization_read_as_a_manifest_says_to_list_its_folder(tmp_path: Path) -> None:
    """A folder's kustomization.yaml is rendered by Kustomize; the same document inside another
    YAML file would mirror nothing, so it is refused with the way to list it."""
    source = write(
        tmp_path,
        "k8s/overlays/prod/all.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base]\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_prod(tmp_path, (source,))
    assert caught.value.message == (
        "k8s/overlays/prod/all.yaml:1: a Kustomize kustomization inside a manifest file holds no env itself"
    )
    assert caught.value.hint == (
        "move it into its folder's kustomization.yaml and list the folder in [env] prod "
        "(k8s/overlays/prod), which devenv renders with Kustomize"
    )


def test_env_check_fails_when_a_service_would_mirror_nothing(tmp_path: Path) -> None:
    source = write(tmp_path, "k8s/app.yaml", APP)
    spec = EnvSpec(prod=(f"{source}#migrate",))
    report = check_drift(tmp_path, spec, "dev", None, ["migrate"])
    assert not report.ok
    assert [(p.kind, p.message.split(":")[0]) for p in report.problems] == [("service-env", "services.migrate")]
    assert check_drift(tmp_path, EnvSpec(prod=(f"{source}#api",)), "dev", None, ["api"]).ok

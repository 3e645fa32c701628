"""Compose, JSON and dotenv sources; detection; ordering; source hashes."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from devenv.envvars.sources import hash_files, load_prod
from devenv.errors import ConfigError


def write(root: Path, name: str, text: str) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return name


COMPOSE = """\
services:
  web:
    image: shop
    env_file:
      - common.env
      - path: optional.env
        required: false
    environment:
      LOG_LEVEL: info
      PORT: 8000
      TAG_URL: "https://cdn/${TAG:-latest}/x"
      FROM_SHELL:
      PRICE: "$$5"
  worker:
    image: shop
    environment:
      - QUEUE=default
      - HOME
"""


@pytest.fixture
def compose_root(tmp_path: Path) -> Path:
    write(tmp_path, "deploy/compose.yaml", COMPOSE)
    write(tmp_path, "deploy/common.env", "LOG_LEVEL=debug\nCOMMON=yes\nURL=http://${HOST}\n")
    write(tmp_path, "deploy/.env", "TAG=v42\nHOST=example.org\n")
    return tmp_path


def test_compose_service_env_file_then_environment(compose_root):
    prod = load_prod(compose_root, ("deploy/compose.yaml#web",))
    assert {k: v.value for k, v in prod.values.items()} == {
        "LOG_LEVEL": "info",
        "COMMON": "yes",
        "URL": "http://example.org",  # env_file values are interpolated against the .env
        "PORT": "8000",
        "TAG_URL": "https://cdn/v42/x",
        "PRICE": "$5",
    }
    assert prod.values["LOG_LEVEL"].source == "deploy/compose.yaml:9"
    assert (prod.values["COMMON"].source, prod.values["COMMON"].via) == (
        "deploy/common.env:2",
        "deploy/compose.yaml:5",
    )
    assert prod.unmirrorable["FROM_SHELL"].source == "deploy/compose.yaml:12"


def test_compose_list_form_and_service_choice(compose_root):
    prod = load_prod(compose_root, ("deploy/compose.yaml",), service="worker")
    assert {k: v.value for k, v in prod.values.items()} == {"QUEUE": "default"}
    assert "HOME" in prod.unmirrorable


def test_compose_with_several_services_needs_a_selector(compose_root):
    with pytest.raises(ConfigError, match=r"deploy/compose.yaml:2: 2 services \(web, worker\)"):
        load_prod(compose_root, ("deploy/compose.yaml",))


def test_compose_missing_required_env_file(compose_root):
    (compose_root / "deploy/common.env").unlink()
    with pytest.raises(ConfigError) as err:
        load_prod(compose_root, ("deploy/compose.yaml#web",))
    assert str(err.value) == "deploy/compose.yaml:5: service web env_file deploy/common.env does not exist"


def test_compose_boolean_must_be_quoted(tmp_path):
    write(tmp_path, "c.yml", "services:\n  a:\n    environment:\n      DEBUG: true\n")
    with pytest.raises(ConfigError, match=r"c.yml:4: services.a.environment.DEBUG is a YAML boolean"):
        load_prod(tmp_path, ("c.yml",))


def test_json_values_with_lines(tmp_path):
    write(tmp_path, "prod.json", '{\n  "A": "1",\n  "B": "two \\"quoted\\"",\n\n  "C": ""\n}\n')
    prod = load_prod(tmp_path, ("prod.json",))
    assert [(v.key, v.value, v.source) for v in prod.values.values()] == [
        ("A", "1", "prod.json:2"),
        ("B", 'two "quoted"', "prod.json:3"),
        ("C", "", "prod.json:5"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "A": 1\n}', "prod.json:2: A is int, not a string"),
        ('{\n  "A": "1",\n  "B": {"x": "y"}\n}', "prod.json:3: B is dict, not a string"),
        ('{\n  "A": "1"\n  "B": "2"\n}', "prod.json:3: not valid JSON: Expecting ',' delimiter"),
        ('["A"]', "prod.json:1: expected a JSON object of strings"),
    ],
)
def test_json_errors(tmp_path, text, message):
    write(tmp_path, "prod.json", text)
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, ("prod.json",))
    assert str(err.value) == message


def test_later_sources_win_and_dotenv_sees_earlier_ones(tmp_path):
    write(tmp_path, "base.json", '{"A": "json", "B": "json"}')
    write(tmp_path, ".env.production", "B=dotenv\nC=${A}-x\n")
    prod = load_prod(tmp_path, ("base.json", ".env.production"))
    assert {k: (v.value, v.source) for k, v in prod.values.items()} == {
        "A": ("json", "base.json:1"),
        "B": ("dotenv", ".env.production:1"),
        "C": ("json-x", ".env.production:2"),
    }


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, ("deploy/nope.yaml",))
    assert str(err.value) == "deploy/nope.yaml: env source not found (listed in [env] prod in devenv.toml)"


def test_a_folder_source_says_it_is_a_folder_and_names_its_files(tmp_path):
    # (a folder holding a kustomization is rendered by Kustomize: tests/integration/test_env_kustomize.py)
    write(tmp_path, "k8s/overlays/prod/service.yaml", "kind: Service\n")
    write(tmp_path, "k8s/overlays/prod/deployment.yaml", "kind: Deployment\n")
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, ("k8s/overlays/prod",))
    assert str(err.value) == "k8s/overlays/prod: env source is a folder, not a file (listed in [env] prod in devenv.toml)"
    assert '"k8s/overlays/prod/deployment.yaml", "k8s/overlays/prod/service.yaml"' in (err.value.hint or "")
    assert "kustomization.yaml" in (err.value.hint or "")


def test_yaml_that_is_neither_k8s_nor_compose(tmp_path):
    write(tmp_path, "x.yaml", "foo: bar\n")
    with pytest.raises(ConfigError, match=r"x.yaml:1: neither Kubernetes manifests"):
        load_prod(tmp_path, ("x.yaml",))


def test_selector_on_a_configmap_file_is_an_error(tmp_path):
    write(tmp_path, "c.yaml", "kind: ConfigMap\nmetadata: {name: c}\ndata: {A: '1'}\n")
    with pytest.raises(ConfigError, match=r"c.yaml#web: a selector picks a container"):
        load_prod(tmp_path, ("c.yaml#web",))


def test_hashes_cover_compose_env_files_and_dotenv(compose_root):
    hashes = hash_files(compose_root, ("deploy/compose.yaml#web",))
    assert list(hashes) == ["deploy/compose.yaml", "deploy/common.env", "deploy/.env"]
    expected = hashlib.sha256((compose_root / "deploy/common.env").read_bytes()).hexdigest()
    assert hashes["deploy/common.env"] == expected

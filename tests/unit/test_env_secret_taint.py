"""A value built from a secret is secret, whatever the source kind: a compose `environment`
value interpolated from a declared secret of its `.env`, an env_file line, a `.env` value
passed on, a dotenv prod source after a Kubernetes Secret, a Kubernetes `$(VAR)` of a
declared secret. Prod shows it masked and exports refer to the secret; dev and test rebuild it
from the local value of that secret, never with production's."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from devenv.config.loader import parse_project
from devenv.config.model import EnvSpec, Profile, Project
from devenv.envvars import LayeredEnv, resolve_env, service_env
from devenv.envvars.model import Piece
from devenv.errors import ConfigError
from devenv.export import export_compose, export_k8s

PROD_PW = "prod-Pw-7Qx"
LOCAL_PW = "local-Pw-3Kz"
SECRETS = ".devenv/secrets.env"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def env_of(
    root: Path, prod: tuple[str, ...], profile: str, *, keys: tuple[str, ...] = (), **kw: object
) -> LayeredEnv:
    spec = EnvSpec(prod=prod, secrets=SECRETS, secret_keys=keys, **kw)  # type: ignore[arg-type]
    return resolve_env(root, spec, profile, process_env={})


def assert_masked_in_prod_local_in_dev(
    root: Path, prod: tuple[str, ...], key: str, keys: tuple[str, ...] = ()
) -> None:
    (root / SECRETS).parent.mkdir(exist_ok=True)
    (root / SECRETS).write_text(f"DB_PASSWORD={LOCAL_PW}\n")
    in_prod = env_of(root, prod, "prod", keys=keys).values[key]
    assert in_prod.secret and PROD_PW in in_prod.value
    for profile in ("dev", "test"):
        value = env_of(root, prod, profile, keys=keys).values[key]
        assert value.secret, profile
        assert PROD_PW not in value.value and LOCAL_PW in value.value, profile
        assert ", recomputed from " in value.source


COMPOSE = """\
services:
  web:
    image: shop
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db/shop
      PLAIN: ${REGION}-1
"""


def test_compose_environment_built_from_a_declared_dot_env_secret(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, ".env": f"DB_PASSWORD={PROD_PW}\nREGION=eu\n"})
    assert_masked_in_prod_local_in_dev(tmp_path, ("compose.yaml",), "DATABASE_URL", ("DB_PASSWORD",))
    dev = env_of(tmp_path, ("compose.yaml",), "dev", keys=("DB_PASSWORD",))
    assert dev.values["DATABASE_URL"].value == f"postgres://app:{LOCAL_PW}@db/shop"
    assert (dev.values["PLAIN"].value, dev.values["PLAIN"].secret) == ("eu-1", False)  # not every value
    assert f"postgres://app:{LOCAL_PW}@db/shop" in dev.secret_values()


def test_compose_env_file_and_dot_env_values_passed_on(tmp_path):
    write(
        tmp_path,
        {
            "compose.yaml": "services:\n  web:\n    image: shop\n    env_file: app.env\n"
            "    environment:\n      URL: ${DATABASE_URL}\n",
            ".env": f"DB_PASSWORD={PROD_PW}\nDATABASE_URL=postgres://app:${{DB_PASSWORD}}@db/shop\n",
            "app.env": "DSN=pg:${DB_PASSWORD}@db\n",
        },
    )
    assert_masked_in_prod_local_in_dev(tmp_path, ("compose.yaml",), "URL", ("DB_PASSWORD",))
    assert_masked_in_prod_local_in_dev(tmp_path, ("compose.yaml",), "DSN", ("DB_PASSWORD",))


def test_compose_operators_keep_the_variable(tmp_path):
    from devenv.envvars.interpolate import interpolate_parts, variable

    env = {"DB_PASSWORD": PROD_PW, "EMPTY": ""}
    parts = interpolate_parts(
        "a${DB_PASSWORD:-x}b${MISSING:-${DB_PASSWORD}}c${DB_PASSWORD:+set}${EMPTY:+no}",
        lambda n: variable(n, env[n]) if n in env else None,
    )
    assert parts == (
        Piece("a"),
        Piece(PROD_PW, "DB_PASSWORD", interpolated=True),
        Piece("b"),
        Piece(PROD_PW, "DB_PASSWORD", interpolated=True),
        Piece("cset"),  # `:+` says only that it is set: not built from its text
    )


def test_dotenv_source_after_a_kubernetes_secret(tmp_path):
    encoded = base64.b64encode(PROD_PW.encode()).decode()
    write(
        tmp_path,
        {
            "k8s/secret.yaml": f"kind: Secret\nmetadata: {{name: db}}\ndata:\n  DB_PASSWORD: {encoded}\n",
            "prod.env": "DSN=postgres://app:${DB_PASSWORD}@db/shop\nDSN2=${DSN}?ssl=1\n",
        },
    )
    assert_masked_in_prod_local_in_dev(tmp_path, ("k8s/secret.yaml", "prod.env"), "DSN")
    assert_masked_in_prod_local_in_dev(tmp_path, ("k8s/secret.yaml", "prod.env"), "DSN2")


def test_dotenv_source_with_a_declared_secret_in_the_same_file(tmp_path):
    write(tmp_path, {"prod.env": f"DB_PASSWORD={PROD_PW}\nDSN=postgres://app:${{DB_PASSWORD}}@db\n"})
    assert_masked_in_prod_local_in_dev(tmp_path, ("prod.env",), "DSN", ("DB_PASSWORD",))


def test_kubernetes_value_built_from_a_declared_secret(tmp_path):
    write(
        tmp_path,
        {
            "pod.yaml": "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      env:\n"
            f"        - {{name: DB_PASSWORD, value: {PROD_PW}}}\n"
            "        - {name: DSN, value: 'postgres://app:$(DB_PASSWORD)@db'}\n",
        },
    )
    assert_masked_in_prod_local_in_dev(tmp_path, ("pod.yaml",), "DSN", ("DB_PASSWORD",))


def test_json_source_then_dotenv_built_from_its_declared_secret(tmp_path):
    write(tmp_path, {"prod.json": f'{{"DB_PASSWORD": "{PROD_PW}"}}', "prod.env": "DSN=x:${DB_PASSWORD}\n"})
    assert_masked_in_prod_local_in_dev(tmp_path, ("prod.json", "prod.env"), "DSN", ("DB_PASSWORD",))


def test_a_secret_taken_under_its_own_name_needs_a_local_value_not_prods(tmp_path):
    """`DB_PASSWORD: ${DB_PASSWORD}` names the `.env` variable: it cannot be rebuilt from itself."""
    write(
        tmp_path,
        {
            "compose.yaml": "services:\n  web:\n    image: shop\n    environment:\n"
            "      DB_PASSWORD: ${DB_PASSWORD}\n      URL: pg://${DB_PASSWORD}@db\n",
            ".env": f"DB_PASSWORD={PROD_PW}\n",
        },
    )
    with pytest.raises(ConfigError, match="no local value for secret key DB_PASSWORD"):
        env_of(tmp_path, ("compose.yaml",), "dev", keys=("DB_PASSWORD",))
    assert_masked_in_prod_local_in_dev(tmp_path, ("compose.yaml",), "URL", ("DB_PASSWORD",))
    dev = env_of(tmp_path, ("compose.yaml",), "dev", keys=("DB_PASSWORD",))
    assert dev.values["DB_PASSWORD"].value == LOCAL_PW


def test_a_profile_that_unsets_the_secret_blanks_it_rather_than_keep_prods(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, ".env": f"DB_PASSWORD={PROD_PW}\nREGION=eu\n"})
    cut = Profile("dev", unset=("DB_PASSWORD",))
    env = env_of(tmp_path, ("compose.yaml",), "dev", keys=("DB_PASSWORD",), profiles=(cut,))
    assert env.values["DATABASE_URL"].value == "postgres://app:@db/shop"
    assert env.values["DATABASE_URL"].secret


def test_a_derived_value_listed_before_its_part_is_rebuilt_after_it(tmp_path):
    """prod's order is not the build order (a later source redefines DSN in its old place):
    DSN is rebuilt after URL, from URL's local value, not from prod's."""
    write(
        tmp_path,
        {
            "a.env": f"DSN=old\nDB_PASSWORD={PROD_PW}\nURL=pg://${{DB_PASSWORD}}@db\n",
            "b.env": "DSN=${URL}?ssl=1\n",
        },
    )
    prod = ("a.env", "b.env")
    assert_masked_in_prod_local_in_dev(tmp_path, prod, "DSN", ("DB_PASSWORD",))
    assert (
        env_of(tmp_path, prod, "dev", keys=("DB_PASSWORD",)).values["DSN"].value
        == f"pg://{LOCAL_PW}@db?ssl=1"
    )


# --- exports refer to the secret, never write the value ---

PROJECT = """\
[project]
name = "shop"

[env]
prod = ["compose.yaml"]
secrets = ".devenv/secrets.env"
secret_keys = ["DB_PASSWORD"]

[services.web]
image = "busybox:test"
env = "prod"
"""


def project(root: Path) -> Project:
    write(
        root,
        {
            "compose.yaml": COMPOSE,
            ".env": f"DB_PASSWORD={PROD_PW}\nREGION=eu\n",
            SECRETS: f"DB_PASSWORD={LOCAL_PW}\n",
            "devenv.toml": PROJECT,
        },
    )
    return parse_project(PROJECT, root / "devenv.toml")


@pytest.mark.parametrize("profile", ["prod", "dev"])
def test_export_k8s_puts_it_in_the_secret_not_the_configmap(tmp_path, profile):
    proj = project(tmp_path)
    envs = {"web": service_env(proj, "web", profile, process_env={}).values}
    files = export_k8s(proj, images={"web": "r/web@sha256:" + "a" * 64}, envs=envs, profile=profile)
    assert not any(PROD_PW in t or LOCAL_PW in t for t in files.values())
    assert "DATABASE_URL" not in yaml.safe_load(files["configmap-web.yaml"])["data"]
    container = yaml.safe_load(files["deployment-web.yaml"])["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_URL"  # held whole
    assert "#   DATABASE_URL = postgres://app:${DB_PASSWORD}@db/shop" in files["deployment-web.yaml"]
    assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "DB_PASSWORD"


@pytest.mark.parametrize("profile", ["prod", "dev"])
def test_export_compose_writes_a_reference(tmp_path, profile):
    proj = project(tmp_path)
    envs = {"web": service_env(proj, "web", profile, process_env={}).values}
    text = export_compose(proj, images={"web": "r/web@sha256:" + "a" * 64}, envs=envs, profile=profile)
    assert PROD_PW not in text and LOCAL_PW not in text
    environment = yaml.safe_load(text)["services"]["web"]["environment"]
    assert environment["DATABASE_URL"] == "postgres://app:${DB_PASSWORD}@db/shop"
    assert "#   DB_PASSWORD" in text

"""Kubernetes manifests as prod sources: every form, its provenance, and its errors."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from devenv.config.model import EnvSpec
from devenv.envvars import resolve_env
from devenv.envvars.sources import load_prod
from devenv.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "env" / "k8s"
FULL = ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#web")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "k8s")
    return tmp_path


def write(root: Path, name: str, text: str) -> str:
    (root / name).write_text(textwrap.dedent(text))
    return name


def test_container_env_values(root):
    prod = load_prod(root, FULL)
    assert {k: v.value for k, v in prod.values.items()} == {
        "DATABASE_URL": "postgres://app@db.prod.internal:5432/shop",
        "NEW_RELIC_LICENSE_KEY": "nr-license-public-id",
        "FEATURE_FLAGS": "checkout=v2\nsearch=on\n",
        "LOG_LEVEL": "warning",  # env overrides envFrom
        "URL_REDIS_URL": "redis://cache.prod.internal:6379/0",  # envFrom prefix
        "URL_CDN_URL": "https://cdn.example.com",
        "DB_PASSWORD": "prod-db-password-9f8e7d",  # base64 data
        "STRIPE_KEY": "sk_live_prodtoken_123456",
        "SESSION_SECRET": "prod-session-secret-abcdef",  # stringData
        "PORT": "8000",
        "PUBLIC_URL": "http://$(PORT_HOST):8000/shop",  # $(PORT) expanded, undefined kept
        "REDIS_URL": "redis://cache.prod.internal:6379/0",
        "API_TOKEN": "sk_live_prodtoken_123456",
        "POD_NAME": "shop",  # fieldRef metadata.name: the local stand-in the manifest decides
    }
    # the optional reference to a ConfigMap nobody deploys is simply absent
    assert "MAYBE" not in prod.values


def test_provenance_points_at_the_line_holding_the_value(root):
    values = load_prod(root, FULL).values
    assert (values["DATABASE_URL"].source, values["DATABASE_URL"].via) == (
        "k8s/configmap.yaml:8",
        "k8s/deployment.yaml:16",
    )
    assert (values["REDIS_URL"].source, values["REDIS_URL"].via) == (
        "k8s/configmap.yaml:19",
        "k8s/deployment.yaml:30",
    )
    assert (values["API_TOKEN"].source, values["API_TOKEN"].via) == (
        "k8s/secret.yaml:10",
        "k8s/deployment.yaml:35",
    )
    assert (values["LOG_LEVEL"].source, values["LOG_LEVEL"].via) == ("k8s/deployment.yaml:27", None)
    assert values["SESSION_SECRET"].source == "k8s/secret.yaml:12"


def test_secret_flags_and_aliases(root):
    prod = load_prod(root, FULL)
    assert prod.secret_keys == {"DB_PASSWORD", "STRIPE_KEY", "SESSION_SECRET", "API_TOKEN"}
    assert prod.secret_aliases == {"API_TOKEN": "STRIPE_KEY"}


def test_field_ref_gets_the_manifests_value_and_prod_says_kubernetes_fills_it(root):
    pod_name = load_prod(root, FULL).values["POD_NAME"]
    assert (pod_name.value, pod_name.runtime) == ("shop", "fieldRef metadata.name")
    assert pod_name.source == (
        "k8s/deployment.yaml:40 (fieldRef metadata.name: the Deployment's name (Kubernetes adds a suffix))"
    )
    prod = resolve_env(root, EnvSpec(prod=FULL), "prod")
    assert "POD_NAME" not in prod.values
    assert prod.unmirrorable["POD_NAME"].reason == (
        "filled in by Kubernetes when the pod runs; dev and test use 'shop'"
    )


def test_configmaps_and_secrets_alone_are_the_env(root):
    prod = load_prod(root, ("k8s/configmap.yaml", "k8s/secret.yaml"))
    assert set(prod.values) == {
        "LOG_LEVEL",
        "DATABASE_URL",
        "NEW_RELIC_LICENSE_KEY",
        "FEATURE_FLAGS",
        "REDIS_URL",
        "CDN_URL",
        "DB_PASSWORD",
        "STRIPE_KEY",
        "SESSION_SECRET",
    }
    assert prod.values["LOG_LEVEL"].source == "k8s/configmap.yaml:7"
    assert prod.values["DB_PASSWORD"].secret


def test_stringdata_wins_over_data(root):
    write(
        root,
        "s.yaml",
        """\
        kind: Secret
        metadata: {name: s}
        data:
          A: b2xk
        stringData:
          A: new
        """,
    )
    assert load_prod(root, ("s.yaml",)).values["A"].value == "new"


def test_selector_forms_and_service_choice(root):
    assert (
        "QUEUE"
        in load_prod(root, ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#worker")).values
    )
    both = ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#shop/web")
    assert "PORT" in load_prod(root, both).values
    no_selector = ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml")
    assert "QUEUE" in load_prod(root, no_selector, service="worker").values


def test_several_containers_without_selector_is_ambiguous(root):
    with pytest.raises(ConfigError) as err:
        load_prod(root, ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml"), service="db")
    assert str(err.value) == (
        "k8s/deployment.yaml:50: 2 candidate containers (shop/web, shop/worker); "
        "devenv cannot tell which one's env to mirror"
    )
    assert err.value.hint == 'pick one in [env] prod, e.g. "k8s/deployment.yaml#shop/web"'


def test_unknown_selector_lists_containers(root):
    with pytest.raises(ConfigError, match=r'no container "api" \(containers: shop/web, shop/worker, shop/migrate\)'):
        load_prod(root, ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#api"))


def test_reference_to_an_undeclared_configmap_is_an_error(root):
    with pytest.raises(ConfigError) as err:
        load_prod(root, ("k8s/secret.yaml", "k8s/deployment.yaml#web"))
    assert str(err.value) == (
        'k8s/deployment.yaml:16: Deployment "shop" container "web" envFrom configMapRef names ConfigMap '
        '"shop-config", which no [env] prod source defines; the container would not start'
    )
    assert "add the file holding ConfigMap shop-config to [env] prod" in err.value.hint


def test_missing_key_in_referenced_configmap(root):
    write(
        root,
        "d.yaml",
        """\
        kind: ConfigMap
        metadata: {name: c}
        data: {A: "1"}
        ---
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: app
              env:
                - name: X
                  valueFrom:
                    configMapKeyRef: {name: c, key: B}
        """,
    )
    with pytest.raises(
        ConfigError, match=r"d.yaml:13: configMapKeyRef for X: ConfigMap \"c\" \(d.yaml:1\) has no key 'B'"
    ):
        load_prod(root, ("d.yaml",))


def test_invalid_base64_names_file_line_and_key(root):
    write(
        root, "s.yaml", "kind: Secret\nmetadata:\n  name: app\ndata:\n  OK: b2s=\n  DB_PASSWORD: not*base64\n"
    )
    with pytest.raises(ConfigError) as err:
        load_prod(root, ("s.yaml",))
    assert str(err.value) == 's.yaml:6: Secret "app" data.DB_PASSWORD is not valid base64'
    assert "base64" in err.value.hint


def test_unquoted_number_in_configmap_is_an_error(root):
    write(root, "c.yaml", "kind: ConfigMap\nmetadata: {name: c}\ndata:\n  PORT: 8080\n")
    with pytest.raises(ConfigError) as err:
        load_prod(root, ("c.yaml",))
    assert str(err.value) == 'c.yaml:4: ConfigMap "c" data.PORT is a number; Kubernetes needs a string'


def test_yaml_syntax_error_has_a_line_and_no_snippet(root):
    write(root, "c.yaml", "kind: ConfigMap\ndata:\n  A: 'x\n  B: [\n")
    with pytest.raises(ConfigError, match=r"^c.yaml:\d+: not valid YAML: "):
        load_prod(root, ("c.yaml",))


def test_duplicate_configmap_names_are_ambiguous(root):
    write(root, "dup.yaml", "kind: ConfigMap\nmetadata: {name: shop-config}\ndata: {A: '1'}\n")
    with pytest.raises(
        ConfigError,
        match=r'ConfigMap "shop-config" is ambiguous: defined at k8s/configmap.yaml:2, dup.yaml:1',
    ):
        load_prod(root, ("k8s/configmap.yaml", "dup.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#web"))


def test_cronjob_list_and_statefulset(root):
    write(
        root,
        "jobs.yaml",
        """\
        kind: List
        items:
          - kind: CronJob
            metadata: {name: nightly}
            spec:
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers:
                        - name: report
                          env:
                            - {name: MODE, value: nightly}
                            - {name: BOTH, value: "$(MODE)-$$(MODE)"}
        """,
    )
    values = load_prod(root, ("jobs.yaml",)).values
    assert values["MODE"].value == "nightly"
    assert values["BOTH"].value == "nightly-$(MODE)"
    write(
        root,
        "sts.yaml",
        "kind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: pg\n          env: [{name: PGDATA, value: /data}]\n",
    )
    assert load_prod(root, ("sts.yaml",)).values["PGDATA"].source == "sts.yaml:8"


def test_expansion_of_a_secret_marks_the_result_secret(root):
    write(
        root,
        "d.yaml",
        """\
        kind: Secret
        metadata: {name: s}
        stringData: {PW: hunter22}
        ---
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: app
              envFrom: [{secretRef: {name: s}}]
              env:
                - {name: URL, value: "postgres://u:$(PW)@db"}
        """,
    )
    url = load_prod(root, ("d.yaml",)).values["URL"]
    assert url.secret and url.value == "postgres://u:hunter22@db"

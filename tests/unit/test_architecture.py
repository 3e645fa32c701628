"""The layering, read from the imports themselves (ast, no import): data flows one way, every
package imports only from the layers below it, nothing imports in a circle, and only the
engine adapter imports docker-py."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "devenv"

# Lowest first. A package may import its own modules and those of any lower layer, never one of
# its own layer or above.
LAYERS: list[set[str]] = [
    {"__init__", "errors"},
    {"settings"},  # the DEVENV_* variables, read by every layer above
    {"paths", "interrupts", "fsutil", "reads"},
    {"config"},
    {"engine"},
    {"envvars", "stack", "registry"},
    {"images", "export", "watch", "trust", "include"},  # include: includes resolved into one model
    {"convert"},  # a conversion reads .gitignore with the watcher's matcher
    {"reconcile"},  # desired (env, images, specs) → observed → plan → apply: the path of `up` and `down`
    {"ops"},
    {"ui"},  # the dashboard: reads and acts through ops, like the CLI; only the CLI prints
    {"cli"},
    {"entry"},
    {"__main__"},
]
LAYER_OF = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}
DOCKER_PY = ("docker", "requests", "urllib3")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in the file: top level, in functions, under
    TYPE_CHECKING alike (an import inside a function is still a dependency)."""
    here = module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = here.split(".")[: len(here.split(".")) - node.level + (path.name == "__init__.py")]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from devenv.engine import labels` imports a module too
                yield node.lineno, f"{base}.{alias.name}"


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def devenv_imports(path: Path) -> Iterator[tuple[int, str]]:
    for line, target in imports(path):
        if target in MODULES:
            yield line, target


def test_every_package_has_a_layer() -> None:
    assert {package_of(m) for m in MODULES} <= set(LAYER_OF), "add the new package to LAYERS"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_run_down_the_layers(module: str) -> None:
    own = package_of(module)
    wrong = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target}"
        for line, target in devenv_imports(MODULES[module])
        if package_of(target) != own and LAYER_OF[package_of(target)] >= LAYER_OF[own]
    ]
    assert not wrong, "import up (or across) a layer:\n" + "\n".join(wrong)


def test_no_import_circle() -> None:
    graph = {m: {t for _, t in devenv_imports(p) if t != m} for m, p in MODULES.items()}
    # a package's __init__ importing its own submodules is how packages work, not a circle
    for m in graph:
        graph[m] = {
            t for t in graph[m] if not (m == t.rsplit(".", 1)[0] and MODULES[m].name == "__init__.py")
        }
    circles = [c for c in _strongly_connected(graph) if len(c) > 1]
    assert not circles, f"modules importing each other: {circles}"


def test_only_the_engine_adapter_imports_docker_py() -> None:
    importers = sorted(
        {
            module
            for module, path in MODULES.items()
            for _, target in imports(path)
            if target.split(".")[0] in DOCKER_PY
        }
    )
    assert importers == ["devenv.engine.docker_engine"]


def test_the_cli_talks_to_use_cases_not_to_the_engine() -> None:
    reaching = [
        f"{m}: {t}" for m, p in MODULES.items() if package_of(m) == "cli" for _, t in devenv_imports(p)
        if package_of(t) == "engine"
    ]  # fmt: skip
    assert not reaching


def test_labels_are_spelled_in_one_module() -> None:
    spelled = sorted(
        module
        for module, path in MODULES.items()
        if module != "devenv.engine.labels" and '"dev.devenv.' in path.read_text(encoding="utf-8")
    )
    assert not spelled, f"label strings outside engine/labels.py: {spelled}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def test_help_loads_no_command_module_nor_docker_nor_watchdog() -> None:
    """`devenv --help` lists the commands from their short help, importing none of them."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from devenv.cli.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'watchdog', 'yaml')"
        " or m.startswith(('devenv.ops', 'devenv.engine', 'devenv.config', 'devenv.cli.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=PACKAGE.parent
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "['devenv.cli.app', 'devenv.cli.output']"

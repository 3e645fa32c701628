"""A compose file's service as an env source: its `env_file`s, then its `environment` (which wins).

Values are interpolated as compose does, against the `.env` beside the compose file; the shell's
environment is not consulted, so prod resolves the same on every machine. A variable compose would
take from the shell (`environment: [KEY]` or `KEY:` with no value) is reported as not mirrorable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, NamedTuple, Optional

from devenv.envvars import yamlnodes as yn
from devenv.envvars.dotenv import parse_dotenv, parse_raw, read_dotenv
from devenv.envvars.interpolate import InterpolationError, interpolate_parts, variable
from devenv.envvars.model import EnvValue, Piece, Unmirrorable, joined
from devenv.errors import ConfigError

_SHELL = "compose takes this value from the shell that runs it; set it in a profile"
ReadFile = Callable[[str, Optional[str]], str]  # (project-relative path, referencing place) -> text
Parts = dict[str, tuple[Piece, ...]]  # variable -> what its value is made of


@dataclass
class ComposeEnv:
    values: list[EnvValue] = field(default_factory=list)
    unmirrorable: list[Unmirrorable] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_compose(nodes: list[Any]) -> bool:
    return len(nodes) == 1 and yn.get(nodes[0], "services") is not None


def _sibling(label: str, name: str) -> str:
    return str(PurePosixPath(label).parent / name)


class EnvFile(NamedTuple):
    path: str  # project-relative
    required: bool
    format: Optional[str]  # None (compose's dotenv rules) or "raw"
    line: int
    label: str  # the compose file that names it (another one for a service it `extends`)


def env_files(nodes: list[Any], label: str) -> list[EnvFile]:
    """Every env_file the services of this file name themselves (not those of what they extend)."""
    return [f for _, _, svc in yn.items(yn.get(nodes[0], "services")) for f in _service_env_files(svc, label)]


def extends_files(nodes: list[Any], label: str) -> list[str]:
    """The files this file's services `extends` from (project-relative), not followed further."""
    out: list[str] = []
    for _, _, svc in yn.items(yn.get(nodes[0], "services")):
        node = yn.get(svc, "extends")
        file = yn.text(yn.get(node, "file")) if node is not None and yn.is_mapping(node) else None
        if file and os.path.normpath(_sibling(label, file)) not in out:
            out.append(os.path.normpath(_sibling(label, file)))
    return out


def referenced_files(nodes: list[Any], label: str, read: ReadFile) -> list[str]:
    """Every file the services' env comes from besides this one: the files they `extends` from,
    and every env_file (of the services and of what they extend)."""
    out: list[str] = []
    for name, _, svc in yn.items(yn.get(nodes[0], "services")):
        for layer in extends_chain(nodes, label, name, svc, read):
            files = ([] if layer.label == label else [layer.label]) + [
                f.path for f in _service_env_files(layer.node, layer.label)
            ]
            out.extend(f for f in files if f not in out)
    return out


class Layer(NamedTuple):
    """A service definition in a chain of `extends`: the file it is in, its name, its node."""

    label: str
    name: str
    node: Any


def extends_chain(nodes: list[Any], label: str, name: str, svc: Any, read: ReadFile) -> list[Layer]:
    """The service and every service it `extends`, the farthest first (the order compose merges
    them in). `extends: NAME` names a service of the same file; `file:` is relative to the file
    that says it, and a service there extends within that file."""
    chain = [Layer(label, name, svc)]
    services = yn.get(nodes[0], "services")
    while True:
        current = chain[0]
        node = yn.get(current.node, "extends")
        if node is None:
            return chain
        where = f"{current.label}:{yn.line(node)}"
        file: Optional[str] = None
        if yn.is_mapping(node):
            ref, file = yn.text(yn.get(node, "service")), yn.text(yn.get(node, "file"))
        else:
            ref = yn.text(node) if yn.is_scalar(node) else None
        if not ref:
            raise ConfigError(
                f"{where}: services.{current.name}.extends names no service", "write extends: {service: NAME}"
            )
        file_label = current.label
        if file:
            file_label = os.path.normpath(_sibling(current.label, file))
            docs = yn.compose_documents(read(file_label, where), file_label)
            services = yn.get(docs[0], "services") if docs else None
        base = (
            next((n for key, _, n in yn.items(services) if key == ref), None)
            if services is not None
            else None
        )
        if base is None:
            raise ConfigError(
                f"{where}: services.{current.name} extends {ref}, which {file_label} does not define",
                "fix the service name or the file in `extends`",
            )
        if any((layer.label, layer.name) == (file_label, ref) for layer in chain):
            raise ConfigError(
                f"{where}: services.{current.name} extends {ref}, which extends it back (a cycle)",
                "remove one of the `extends`",
            )
        chain.insert(0, Layer(file_label, ref, base))


def _service_env_files(svc: Any, label: str) -> list[EnvFile]:
    node = yn.get(svc, "env_file")
    if node is None:
        return []
    out: list[EnvFile] = []
    for entry in [node] if yn.is_scalar(node) else yn.elements(node):
        fmt: Optional[str] = None
        if yn.is_mapping(entry):
            path, required = yn.text(yn.get(entry, "path")), yn.text(yn.get(entry, "required"))
            is_required = (required or "true").lower() != "false"
            fmt = yn.text(yn.get(entry, "format"))
        else:
            path, is_required = yn.text(entry), True
        if path:
            out.append(EnvFile(_sibling(label, path), is_required, fmt, yn.line(entry), label))
    return out


def _merged_env_files(chain: list[Layer]) -> list[EnvFile]:
    """The env_files of a chain of `extends`, the farthest service's first; one named twice keeps
    its first place and takes its last entry (compose-go's merge, then its unicity rule)."""
    merged: dict[str, EnvFile] = {}
    for layer in chain:
        for env_file in _service_env_files(layer.node, layer.label):
            merged[os.path.normpath(env_file.path)] = env_file
    return list(merged.values())


def select_service(
    nodes: list[Any], label: str, selector: Optional[str], service: Optional[str]
) -> tuple[str, Any]:
    services_node = yn.get(nodes[0], "services")
    services = yn.items(services_node)
    names = [name for name, _, _ in services]
    wanted = selector or (service if service in names else None)
    if wanted is None and len(services) == 1:
        wanted = names[0]
    for name, _, node in services:
        if name == wanted:
            return name, node
    if wanted is None:
        raise ConfigError(
            f"{label}:{yn.line(services_node)}: {len(names)} services ({', '.join(names)}); "
            "devenv cannot tell which one's env to mirror",
            f'pick one in [env] prod, e.g. "{label}#{names[0] if names else "web"}"',
        )
    raise ConfigError(
        f'{label}:{yn.line(services_node)}: no service "{wanted}" (services: {", ".join(names)})',
        f"use {label}#NAME",
    )


def compose_env(
    root: Path, nodes: list[Any], label: str, selector: Optional[str], service: Optional[str], read: ReadFile
) -> ComposeEnv:
    """A service's env as compose computes it: its env_files in order (each interpolated against
    the project's `.env` first, then the service's own `environment`, then what the env_files
    before gave, as compose-go resolves them), then its `environment` on top. A value keeps the
    variables it was built from (`${DB_PASSWORD}`): it is secret when one of them is."""
    result = ComposeEnv()
    name, svc = select_service(nodes, label, selector, service)
    chain = extends_chain(nodes, label, name, svc, read)
    dot_env = _sibling(label, ".env")
    project_vars: Parts = {}
    if (root / dot_env).is_file():
        parsed = read_dotenv(read(dot_env, None), dot_env)
        project_vars = {
            e.key: e.pieces or variable(e.key, e.value) for e in parsed.entries if e.value is not None
        }
        result.warnings.extend(parsed.warnings)
    merged: dict[str, tuple[str, Optional[tuple[Piece, ...]], str]] = {}  # a nearer service's key wins
    for layer in chain:
        for key, parts, where in _interpolated_environment(
            layer.node, layer.label, layer.name, project_vars, result
        ):
            merged[key] = (key, parts, where)
    own = list(merged.values())
    own_values = {key: _named(key, parts) for key, parts, _ in own if parts is not None}

    def resolve(key: str) -> Optional[tuple[Piece, ...]]:
        return project_vars[key] if key in project_vars else own_values.get(key)

    env: dict[str, EnvValue] = {}
    read_so_far: Parts = {}
    for env_file in _merged_env_files(chain):
        if not (root / env_file.path).is_file():
            if env_file.required:
                raise ConfigError(
                    f"{env_file.label}:{env_file.line}: service {name} env_file {env_file.path} does not exist",
                    "create it, fix the path (relative to the compose file), or set required: false",
                )
            continue
        text = read(env_file.path, f"{env_file.label}:{env_file.line}")
        if env_file.format == "raw":
            parsed = parse_raw(text, env_file.path, parts=resolve)
        elif env_file.format in (None, "env"):
            parsed = parse_dotenv(text, env_file.path, parts=resolve, lookup_first=True, known=read_so_far)
        else:
            raise ConfigError(
                f"{env_file.label}:{env_file.line}: service {name} env_file {env_file.path}: "
                f"unsupported format {env_file.format!r}",
                "compose reads env_files as dotenv (the default) or format: raw",
            )
        result.warnings.extend(parsed.warnings)
        for entry in parsed.entries:
            where = f"{env_file.path}:{entry.line}"
            if entry.value is None:
                result.unmirrorable.append(Unmirrorable(entry.key, where, _SHELL))
                env.pop(entry.key, None)
            else:
                read_so_far[entry.key] = entry.pieces or variable(entry.key, entry.value)
                via = f"{env_file.label}:{env_file.line}"
                env[entry.key] = EnvValue(entry.key, entry.value, where, via=via, pieces=entry.pieces)
    for key, parts, where in own:
        if parts is None:
            result.unmirrorable.append(Unmirrorable(key, where, _SHELL))
            env.pop(key, None)
        else:
            derived = parts if any(p.ref is not None for p in parts) else ()
            env[key] = EnvValue(key, joined(parts), where, pieces=derived)
    result.values = list(env.values())
    return result


def _named(key: str, parts: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """What `${KEY}` takes: the parts a value was built from, else the value naming KEY."""
    return parts if any(p.ref is not None for p in parts) else variable(key, joined(parts))


def _interpolated_environment(
    svc: Any, label: str, name: str, project_vars: Parts, result: ComposeEnv
) -> list[tuple[str, Optional[tuple[Piece, ...]], str]]:
    out: list[tuple[str, Optional[tuple[Piece, ...]], str]] = []
    for key, value, where in _environment(yn.get(svc, "environment"), label, name):
        if value is None:
            out.append((key, None, where))
            continue
        unset: list[str] = []
        try:
            parts = interpolate_parts(value, project_vars.get, unset)
        except InterpolationError as err:
            raise ConfigError(
                f"{where}: {err}", "define the variable in the .env beside the compose file"
            ) from None
        result.warnings.extend(
            f"{where}: the {v} variable is not set, defaulting to a blank string" for v in unset
        )
        out.append((key, parts, where))
    return out


def _environment(node: Any, label: str, service: str) -> list[tuple[str, Optional[str], str]]:
    out: list[tuple[str, Optional[str], str]] = []
    if node is None:
        return out
    if yn.is_mapping(node):
        for key, key_node, value in yn.items(node):
            where = f"{label}:{yn.line(key_node)}"
            kind = yn.scalar_kind(value)
            if kind == "boolean":
                raise ConfigError(
                    f"{where}: services.{service}.environment.{key} is a YAML boolean",
                    'compose needs booleans quoted: write "true" / "false"',
                )
            if kind not in ("string", "number", "null", "other") or not yn.is_scalar(value):
                raise ConfigError(
                    f"{where}: services.{service}.environment.{key} must be a string", "quote it"
                )
            out.append((key, yn.text(value), where))
        return out
    for item in yn.elements(node):
        text = yn.text(item) or ""
        where = f"{label}:{yn.line(item)}"
        key, sep, value = text.partition("=")
        out.append((key, value if sep else None, where))
    return out

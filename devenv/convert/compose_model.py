"""The compose application model from its files, before conversion: `include`, `extends`, more
than one file (a devcontainer's `dockerComposeFile` list), `profiles`, `!reset` and `!override`.

Compose's rules (compose-spec merge.md, include.md, services.md#extends, profiles.md):
- merging: mappings merge key by key; sequences append, except `command`, `entrypoint` and
  `healthcheck.test` (replaced) and `volumes`, `secrets`, `configs` (one entry per target) and
  `ports` (one per exact entry); `environment`, `labels`, `depends_on` in list form are mappings;
  `!reset` removes what an earlier file set, `!override` replaces it instead of merging.
- `include`: each file is a model of its own, its relative paths relative to its own folder
  (or its `project_directory`); a service it brings that the including file also defines is an error
  in compose — here it is named and the including file's definition kept.
- `extends`: the base service (from this file or `file`), then the extending one merged on top;
  a base from another file has its relative paths rebased, as compose-go does.
- override files (more than one file): paths stay relative to the first file's folder.
- `profiles`: a service with profiles is converted when one of them is active (or an active
  service depends on it); the others are named, not converted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from devenv.config import bounded
from devenv.convert.compose_paths import rebase_model, rebased_service
from devenv.convert.draft import Draft
from devenv.errors import ConfigError

_REPLACED = {"command", "entrypoint"}
_BY_TARGET = {"volumes", "secrets", "configs"}
_AS_MAPPING = {"environment", "labels", "annotations", "sysctls", "extra_hosts"}


class Reset:
    """`!reset`: the key is removed from the merged model."""


class Override:
    """`!override VALUE`: replaces what earlier files set, without merging."""

    def __init__(self, value: Any):
        self.value = value


def read(path: Path) -> dict[str, Any]:
    """One compose file as YAML (with compose's two tags); ConfigError naming file:line on bad YAML."""
    import yaml  # lazy: only init/export need it

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader: Any, node: Any, wrap: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            return wrap(loader.construct_mapping(node, deep=True))
        if isinstance(node, yaml.SequenceNode):
            return wrap(loader.construct_sequence(node, deep=True))
        return wrap(loader.construct_scalar(node))

    Loader.add_constructor("!reset", lambda loader, node: construct(loader, node, lambda _: Reset()))
    Loader.add_constructor("!override", lambda loader, node: construct(loader, node, Override))

    try:
        doc = bounded.yaml_load(bounded.read_text(path, str(path)), str(path), Loader)  # a SafeLoader with two tags
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", "check the path") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}", "check the path given to --from") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})",
            "fix the YAML syntax, then run `devenv init --from` again",
        ) from None
    return doc if isinstance(doc, dict) else {}


def load_model(
    path: Path,
    draft: Draft,
    *,
    overrides: Sequence[Path] = (),
    profiles: Sequence[str] = (),
    label: str = "",
) -> dict[str, Any]:
    """The merged model of `path` (then each override file), with includes, extends and profiles
    applied; markers and the keys they were resolved from are gone."""
    base = path.parent.resolve()
    doc = _with_includes(read(path), base, draft, {path.resolve()}, label or path.name)
    for extra in overrides:
        doc = merge(doc, _with_includes(read(extra), base, draft, {extra.resolve()}, extra.name))
    services = doc.get("services")
    if isinstance(services, dict):
        doc["services"] = {
            name: _extended(str(name), raw, services, base, draft, [f"{label or path.name}:{name}"])
            for name, raw in services.items()
        }
        _apply_profiles(doc["services"], set(profiles), draft)
    plain: dict[str, Any] = _plain(doc)
    return plain


# --- include ---
def _with_includes(
    doc: dict[str, Any], base: Path, draft: Draft, seen: set[Path], label: str
) -> dict[str, Any]:
    entries = doc.pop("include", None) or []
    for index, entry in enumerate(entries if isinstance(entries, list) else [entries]):
        where = f"include[{index}]"
        spec = entry if isinstance(entry, dict) else {"path": entry}
        paths = spec.get("path")
        paths = paths if isinstance(paths, list) else [paths]
        if not paths or not all(isinstance(p, str) for p in paths):
            draft.skip(where, f"expected a path or {{path: ...}}, got {entry!r}")
            continue
        for key in spec:
            if key not in ("path", "project_directory", "env_file"):
                draft.skip(f"{where}.{key}", "not an include key")
        if spec.get("env_file") is not None:
            draft.note(f"{where}.env_file", "the including file's .env interpolates the included file here")
        first = (base / paths[0]).resolve()
        if first in seen:
            draft.skip(where, f"{paths[0]} includes itself (a cycle); left out")
            continue
        folder = (
            (base / str(spec["project_directory"])).resolve()
            if spec.get("project_directory")
            else first.parent
        )
        included = _with_includes(read(first), folder, draft, seen | {first}, paths[0])
        for extra in paths[1:]:
            included = merge(
                included, _with_includes(read(base / extra), folder, draft, seen | {first}, extra)
            )
        rebase_model(included, folder, base)
        for name in list(included.get("services") or {}):
            if name in (doc.get("services") or {}):
                draft.skip(
                    f"{where}: services.{name}",
                    f"{paths[0]} defines it too (compose refuses the conflict); the definition in {label} is kept",
                )
                del included["services"][name]
        for section in ("services", "volumes", "secrets", "configs", "networks"):
            for name, value in (included.get(section) or {}).items():
                into = doc.get(section)
                if not isinstance(into, dict):
                    into = doc[section] = {}
                into.setdefault(name, value)
        draft.note(where, f"{paths[0]} is included: its services are converted with this file's")
    return doc


# --- extends ---
def _extended(
    name: str, raw: Any, services: dict[str, Any], base: Path, draft: Draft, chain: list[str]
) -> Any:
    if not isinstance(raw, dict) or raw.get("extends") is None:
        return raw
    raw = dict(raw)
    ext = raw.pop("extends")
    spec = ext if isinstance(ext, dict) else {"service": ext}
    target = spec.get("service")
    where = f"services.{name}.extends"
    if not isinstance(target, str):
        draft.skip(where, f"expected a service name or {{service, file}}, got {ext!r}")
        return raw
    if spec.get("file"):
        path = (base / str(spec["file"])).resolve()
        other = read(path).get("services") or {}
        if target not in other:
            draft.skip(where, f'{spec["file"]} has no service "{target}"; not extended')
            return raw
        key = f"{path}:{target}"
        if key in chain:
            draft.skip(where, f"extends in a cycle ({' → '.join([*chain, key])}); not extended")
            return raw
        parent = _extended(target, other[target], other, path.parent, draft, [*chain, key])
        parent = rebased_service(parent, path.parent, base)
    else:
        if target not in services:
            draft.skip(where, f'no service "{target}" in this file; not extended')
            return raw
        key = f"{chain[-1].rsplit(':', 1)[0]}:{target}"
        if key in chain:
            draft.skip(where, f"extends in a cycle ({' → '.join([*chain, key])}); not extended")
            return raw
        parent = _extended(target, services[target], services, base, draft, [*chain, key])
    return merge_service(parent if isinstance(parent, dict) else {}, raw)


# --- profiles ---
def _apply_profiles(services: dict[str, Any], active: set[str], draft: Draft) -> None:
    def profiles_of(raw: Any) -> list[str]:
        found = raw.get("profiles") if isinstance(raw, dict) else None
        return [str(p) for p in found] if isinstance(found, list) else []

    enabled = {n for n, raw in services.items() if not profiles_of(raw) or set(profiles_of(raw)) & active}
    needed = _dependencies(services, enabled)
    for name in list(services):
        raw = services[name]
        wanted = profiles_of(raw)
        if isinstance(raw, dict):
            raw.pop("profiles", None)
        if not wanted:
            continue
        shown = ", ".join(wanted)
        if name in enabled:
            draft.note(
                f"services.{name}.profiles", f"profile {shown} is active: converted (devenv starts it too)"
            )
        elif name in needed:
            draft.note(
                f"services.{name}.profiles",
                f"in profile {shown}, not active, but an active service depends on it: converted",
            )
        else:
            draft.skip(
                f"services.{name}",
                f"in compose profile {shown}, not active — `devenv init --from FILE --compose-profile "
                f"{wanted[0]}` converts it",
            )
            del services[name]


def _dependencies(services: dict[str, Any], names: Iterable[str]) -> set[str]:
    """`names` and every service they depend on, transitively."""
    out: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in out or name not in services:
            continue
        out.add(name)
        raw = services[name] if isinstance(services[name], dict) else {}
        todo.extend(str(d) for d in (raw.get("depends_on") or []))
        # compose starts these first too: `network_mode: service:db`, `links`, `volumes_from`
        mode = str(raw.get("network_mode") or "")
        if mode.startswith("service:"):
            todo.append(mode.split(":", 1)[1])
        todo.extend(str(link).split(":", 1)[0] for link in raw.get("links") or [])
        todo.extend(
            str(v).split(":", 1)[0]
            for v in raw.get("volumes_from") or []
            if not str(v).startswith("container:")
        )
    return out


def keep_services(doc: dict[str, Any], names: Sequence[str], draft: Draft, why: str) -> None:
    """Only `names` and what they depend on (a devcontainer's service + runServices)."""
    services = doc.get("services") or {}
    kept = _dependencies(services, names)
    for name in list(services):
        if name not in kept:
            draft.skip(f"services.{name}", why)
            del services[name]


# --- merging ---
def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Two compose documents: services by name, other sections key by key."""
    out = dict(base)
    for key, value in over.items():
        if key == "services" and isinstance(value, dict) and isinstance(out.get(key), dict):
            services = dict(out[key])
            for name, svc in value.items():
                old = services.get(name)
                services[name] = (
                    merge_service(old, svc) if isinstance(old, dict) and isinstance(svc, dict) else svc
                )
            out[key] = services
        else:
            out[key] = _merge_value(key, out.get(key), value)
    return out


def merge_service(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Reset):
            out.pop(key, None)
        elif isinstance(value, Override) or key in _REPLACED or key not in out:
            out[key] = value
        elif key == "healthcheck" and isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = {**out[key], **value}  # `test` replaced with the rest
        elif key in _AS_MAPPING or key == "depends_on":
            out[key] = _merge_value(key, _as_mapping(key, out[key]), _as_mapping(key, value))
        elif key == "build":
            out[key] = _merge_value(key, _build_map(out[key]), _build_map(value))
        elif key in _BY_TARGET and isinstance(value, list) and isinstance(out[key], list):
            by_target = {_target(v): v for v in out[key]}
            by_target.update((_target(v), v) for v in value)
            out[key] = list(by_target.values())
        else:
            out[key] = _merge_value(key, out[key], value)
    return out


def _merge_value(key: str, old: Any, new: Any) -> Any:
    if isinstance(new, Reset):
        return None
    if isinstance(new, Override):
        return new.value
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for k, v in new.items():
            if isinstance(v, Reset):
                merged.pop(k, None)
            else:
                merged[k] = _merge_value(k, merged.get(k), v) if k in merged else v
        return merged
    if isinstance(old, list) and isinstance(new, list):
        return old + [v for v in new if v not in old]
    if isinstance(old, list) and isinstance(new, str) and key in ("env_file", "dns", "dns_search", "tmpfs"):
        return old + ([new] if new not in old else [])
    return new


def _as_mapping(key: str, value: Any) -> Any:
    if not isinstance(value, list):
        return value
    if key == "depends_on":
        return {str(v): {"condition": "service_started"} for v in value}
    out: dict[str, Any] = {}
    for item in value:
        text = str(item)
        name, sep, rest = text.partition("=") if key != "extra_hosts" else text.partition(":")
        out[name] = rest if sep else None
    return out


def _build_map(value: Any) -> Any:
    return {"context": value} if isinstance(value, str) else value


def _target(volume: Any) -> str:
    if isinstance(volume, dict):
        return str(volume.get("target") or volume.get("source") or volume)
    parts = str(volume).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _plain(node: Any) -> Any:
    """The model without markers (a `!reset` that reached here has nothing to reset)."""
    if isinstance(node, Override):
        return _plain(node.value)
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if not isinstance(v, Reset)}
    if isinstance(node, list):
        return [_plain(v) for v in node if not isinstance(v, Reset)]
    return node

"""devcontainer.json → devenv.toml: one service (or the compose stack it names) with the
project folder mounted where the devcontainer had it."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from devenv.config import bounded
from devenv.convert import compose_parts as parts
from devenv.convert.compose import ComposeConverter, _label, checked
from devenv.convert.compose_model import keep_services, load_model
from devenv.convert.compose_secrets import toml_literal
from devenv.convert.draft import Conversion, Draft, safe_name
from devenv.convert.mounts import Mount, MountMapper
from devenv.errors import ConfigError

SERVICE = "dev"
LIFECYCLE = ("onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand")
KEEP_ALIVE = "while sleep 1000; do :; done"  # what the devcontainer CLI runs when it overrides CMD
_VAR = re.compile(r"\$\{([^}]+)\}")
_REASONS = {
    "features": "install what the features add in the image's Dockerfile",
    "customizations": "editor settings; not part of the stack",
    "runArgs": "docker run flags are not read; use the matching devenv.toml keys",
    "remoteUser": 'devenv runs the service and `devenv shell` as one user (user = "host" with the code mount)',
    "initializeCommand": "runs on the host before start; run it yourself or in a Makefile",
    "postAttachCommand": "devenv has no attach step; run it with `devenv exec`",
    "portsAttributes": "port labels and auto-forward behaviour have no devenv meaning",
    "otherPortsAttributes": "port labels and auto-forward behaviour have no devenv meaning",
    "shutdownAction": "`devenv down` stops the stack",
    "hostRequirements": "`devenv doctor` checks this machine",
}
_IGNORED = {"$schema", "name"}
_HANDLED = {
    "image",
    "build",
    "dockerFile",
    "dockerfile",
    "context",
    "dockerComposeFile",
    "service",
    "runServices",
    "workspaceFolder",
    "workspaceMount",
    "forwardPorts",
    "appPort",
    "mounts",
    "containerEnv",
    "remoteEnv",
    "containerUser",
    "privileged",
    "overrideCommand",
    *LIFECYCLE,
}


def parse_jsonc(text: str, label: str = "devcontainer.json") -> Any:
    """devcontainer.json is JSON with comments and trailing commas."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(char)
            i += 1
    return bounded.json_loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)), label)


def convert_devcontainer(
    path: Path,
    project_root: Path,
    *,
    name: Optional[str] = None,
    registry: Optional[str] = None,
    profiles: Sequence[str] = (),
    catalog: bool = False,
) -> Conversion:
    """Convert the devcontainer.json at `path` into devenv.toml text for the project at `project_root`."""

    try:
        doc = parse_jsonc(bounded.read_text(path, str(path)), str(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", "check the path given to --from") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}", "check the path given to --from") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}:{err.lineno}: not valid JSON ({err.msg})", "fix the syntax") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a JSON object", "pass a devcontainer.json")
    root = project_root.resolve()
    draft = Draft(source_label=_label(path, root), project_name=safe_name(root.name))
    _Converter(draft, path.parent.resolve(), root, profiles, catalog).convert(doc)
    if name:
        draft.project_name = safe_name(name)
    draft.registry = registry
    return draft.conversion()


class _Converter:
    def __init__(
        self, draft: Draft, base: Path, root: Path, profiles: Sequence[str] = (), catalog: bool = False
    ):
        self.catalog = catalog
        self.draft = draft
        self.profiles = profiles
        self.base = base  # relative paths in devcontainer.json are relative to its folder
        self.root = root
        self.service = SERVICE
        self.workspace = f"/workspaces/{root.name}"

    def resolve(self, text: str, where: str, *, mount_source: bool = False) -> Optional[str]:
        """Expand the devcontainer variables devenv can write portably; None (reported, naming
        the variable) for the others. devenv.toml is shared: no value of this machine goes in."""
        unresolved: list[str] = []

        def one(match: re.Match[str]) -> str:
            value = self.variable(match.group(1), where, mount_source)
            if value is None:
                unresolved.append(match.group(1))
                return match.group(0)
            return value

        out = _VAR.sub(one, text)
        if unresolved:
            self.draft.skip(where, f"${{{unresolved[0]}}} {self.why_not(unresolved[0], mount_source)}")
            return None
        return out

    def variable(self, body: str, where: str, mount_source: bool) -> Optional[str]:
        kind, _, rest = body.partition(":")
        if body == "localWorkspaceFolder":
            return str(self.root) if mount_source else None  # a mount source is made project-relative
        if body == "localWorkspaceFolderBasename":
            return self.root.name
        if body == "containerWorkspaceFolder":
            return self.workspace
        if body == "containerWorkspaceFolderBasename":
            return self.workspace.rstrip("/").rsplit("/", 1)[-1]
        if kind == "localEnv":
            name, _, default = rest.partition(":")
            if default:
                self.draft.note(where, f"${{{body}}}: the default {default!r} (not this machine's {name})")
                return default
            if mount_source and name in ("HOME", "USERPROFILE"):
                return "~"  # a data source under the home folder: devenv expands ~ on each machine
            return None
        if kind == "templateOption":
            option = self.template_defaults().get(rest)
            if option is not None:
                self.draft.note(where, f"${{{body}}}: the template's default {option!r}")
                return option
        return None

    def why_not(self, body: str, mount_source: bool) -> str:
        kind = body.partition(":")[0]
        if body == "localWorkspaceFolder":
            return "is the project's path on this machine; devenv.toml is shared — write a container path"
        if kind == "localEnv":
            return "is this machine's environment and has no default; write the value"
        if kind == "containerEnv":
            return "is the container's own environment, known only when it runs; write the value"
        if kind == "templateOption":
            return (
                "is a template option without a default (no devcontainer-template.json says); write the value"
            )
        return "cannot be resolved when writing devenv.toml; write the value"

    def template_defaults(self) -> dict[str, str]:
        """Option defaults of the devcontainer template the folder came from, if it is one."""
        for folder in (self.base, self.base.parent):
            path = folder / "devcontainer-template.json"
            if path.is_file():
                try:
                    options = parse_jsonc(bounded.read_text(path), str(path)).get("options") or {}
                except (OSError, ValueError, AttributeError, ConfigError):
                    return {}
                return {
                    str(k): parts.as_string(v["default"])
                    for k, v in options.items()
                    if isinstance(v, dict) and v.get("default") is not None
                }
        return {}

    def convert(self, doc: dict[str, Any]) -> None:
        if doc.get("workspaceFolder"):
            self.workspace = self.resolve(str(doc["workspaceFolder"]), "workspaceFolder") or self.workspace
        compose_mode = bool(doc.get("dockerComposeFile"))
        if compose_mode:
            self.compose(doc)
        else:
            self.single(doc)
        svc = self.draft.service(self.service)
        where = "devcontainer"
        self.ports(doc)
        env: dict[str, str] = dict(svc.get("environment") or {})
        for key in ("containerEnv", "remoteEnv"):
            for name, value in (doc.get(key) or {}).items():
                resolved = self.resolve(parts.as_string(value), f"{key}.{name}")
                if resolved is not None:
                    env[str(name)] = toml_literal(resolved)
        if doc.get("remoteEnv"):
            self.draft.note(
                "remoteEnv", "set on the container (devenv has no separate environment for tools)"
            )
        if env:
            svc["environment"] = env
        if doc.get("containerUser"):
            svc["user"] = str(doc["containerUser"])
        if doc.get("privileged") is True:
            svc["privileged"] = True
        self.lifecycle(doc, svc, override=bool(doc.get("overrideCommand", not compose_mode)))
        for key in doc:
            if key not in _HANDLED and key not in _IGNORED:
                self.draft.skip(str(key), _REASONS.get(key, "not supported by devenv"))
        if not compose_mode:  # the compose converter already said it for its services
            MountMapper(self.draft, self.root, self.root).finish(self.service, where)

    def single(self, doc: dict[str, Any]) -> None:
        svc = self.draft.service(self.service)
        self.draft.service_comments[self.service] = [f"from {self.draft.source_label}"]
        build = doc.get("build") or {}
        dockerfile = build.get("dockerfile") or doc.get("dockerFile") or doc.get("dockerfile")
        if dockerfile:
            context = (self.base / str(build.get("context") or doc.get("context") or ".")).resolve()
            spec: dict[str, Any] = {"context": _relpath(context, self.root)}
            spec["dockerfile"] = _relpath((self.base / str(dockerfile)).resolve(), context)
            if build.get("args"):
                args = {
                    str(k): self.resolve(parts.as_string(v), f"build.args.{k}")
                    for k, v in build["args"].items()
                }
                spec["args"] = {k: v for k, v in args.items() if v is not None}
            if build.get("target"):
                spec["target"] = str(build["target"])
            for key in build:
                if key not in ("dockerfile", "context", "args", "target"):
                    self.draft.skip(f"build.{key}", "not supported by devenv builds")
            svc["build"] = spec
        elif doc.get("image"):
            image = self.resolve(str(doc["image"]), "image")
            if image is not None:
                svc["image"] = image
        else:
            self.draft.skip(
                "devcontainer", "has no image, build.dockerfile or dockerComposeFile — add an image"
            )
        svc["workdir"] = self.workspace
        mounts = MountMapper(self.draft, self.root, self.root)
        if doc.get("workspaceMount"):
            mount = self.mount(doc["workspaceMount"], "workspaceMount")
            if mount is not None:
                mounts.place(self.service, mount, "workspaceMount")
        else:
            svc["code"] = self.workspace
        for i, raw in enumerate(doc.get("mounts") or []):
            mount = self.mount(raw, f"mounts[{i}]")
            if mount is not None:
                mounts.place(self.service, mount, f"mounts[{i}]")

    def compose(self, doc: dict[str, Any]) -> None:
        """The compose files merged in order, as the devcontainer CLI hands them to compose
        (relative paths are relative to the first file's folder); only `service`, `runServices`
        and what they depend on are started, so only they are converted."""
        files = doc["dockerComposeFile"]
        files = [str(f) for f in (files if isinstance(files, list) else [files])]
        paths = [(self.base / f).resolve() for f in files]
        for i, path in enumerate(paths):
            if not path.is_file():
                key = "dockerComposeFile" + (f"[{i}]" if len(files) > 1 else "")
                raise ConfigError(
                    f'{self.draft.source_label} {key}: "{files[i]}" does not exist ({path})',
                    "fix dockerComposeFile (it is relative to the devcontainer.json folder)"
                    + (", or add the compose file it extends" if i == 0 and len(files) > 1 else "")
                    + ", or run `devenv init --from` on the compose file itself",
                )
        label = ", ".join(_label(p, self.root) for p in paths)
        model = load_model(paths[0], self.draft, overrides=paths[1:], profiles=self.profiles, label=label)
        checked(paths[0], model)
        name = str(doc.get("service") or "")
        if name not in model["services"]:
            raise ConfigError(
                f'{self.draft.source_label}: service "{name}" is not in {label}',
                "set `service` to one of: " + ", ".join(str(s) for s in model["services"]),
            )
        run = doc.get("runServices")
        if isinstance(run, list):
            unknown = [str(s) for s in run if s not in model["services"]]
            for s in unknown:
                self.draft.skip("runServices", f'no service "{s}" in {label}')
            keep_services(
                model,
                [name, *(str(s) for s in run if s in model["services"])],
                self.draft,
                "not in runServices (the devcontainer starts only those, `service` and what they depend on)",
            )
        converter = ComposeConverter(self.draft, paths[0].parent, self.root, label, catalog=self.catalog)
        converter.convert(model)
        self.service = converter.names[name]
        if doc.get("workspaceFolder"):
            self.draft.service(self.service)["workdir"] = self.workspace
        for i, raw in enumerate(doc.get("mounts") or []):
            mount = self.mount(raw, f"mounts[{i}]")
            if mount is not None:
                MountMapper(self.draft, self.root, self.root).place(self.service, mount, f"mounts[{i}]")

    def mount(self, raw: Any, where: str) -> Optional[Mount]:
        if isinstance(raw, str):
            fields: dict[str, str] = {}
            for part in raw.split(","):
                k, _, v = part.partition("=")
                fields[k.strip()] = v.strip() if _ else "true"
        elif isinstance(raw, dict):
            fields = {str(k): parts.as_string(v) for k, v in raw.items()}
        else:
            self.draft.skip(where, f"expected a mount string or object, got {raw!r}")
            return None
        source = self.resolve(fields.get("source") or fields.get("src") or "", where, mount_source=True)
        target = self.resolve(
            fields.get("target") or fields.get("dst") or fields.get("destination") or "", where
        )
        if source is None or target is None:
            return None
        read_only = fields.get("readonly") in ("true", "1") or fields.get("ro") in ("true", "1")
        if source.startswith("/") and Path(source).resolve().is_relative_to(self.root):
            # ${localWorkspaceFolder}/x: written project-relative so the file works on every machine
            source = "./" + Path(source).resolve().relative_to(self.root).as_posix()
        return Mount(fields.get("type", "volume"), source, target, read_only)

    def ports(self, doc: dict[str, Any]) -> None:
        for i, raw in enumerate(doc.get("forwardPorts") or []):
            where = f"forwardPorts[{i}]"
            service, port = self.service, raw
            if isinstance(raw, str) and ":" in raw:
                host, _, port = raw.rpartition(":")
                if host not in ("localhost", "127.0.0.1"):
                    service = safe_name(host)
            if service not in self.draft.services:
                self.draft.skip(where, f'"{raw}": no service "{service}" in the stack')
                continue
            found = parts.port(f"{port}:{port}", where, self.draft)
            self._add_ports(service, found)
        app_ports = doc.get("appPort")
        for i, raw in enumerate(
            app_ports if isinstance(app_ports, list) else [app_ports] if app_ports else []
        ):
            self._add_ports(self.service, parts.port(raw, f"appPort[{i}]", self.draft))

    def _add_ports(self, service: str, found: list[str]) -> None:
        ports = self.draft.service(service).setdefault("ports", [])
        ports.extend(p for p in found if p not in ports)

    def lifecycle(self, doc: dict[str, Any], svc: dict[str, Any], override: bool) -> None:
        steps: list[str] = []
        for key in LIFECYCLE:
            raw = doc.get(key)
            if not raw:
                continue
            if not override:
                self.draft.skip(key, "the service keeps its own command; run it with `devenv exec`")
                continue
            if isinstance(raw, dict):
                self.draft.note(
                    key, "the named commands run one after another (devcontainers run them in parallel)"
                )
                steps.extend(_shell(v) for v in raw.values())
            else:
                steps.append(_shell(raw))
        if override:
            svc["command"] = ["/bin/sh", "-c", "\n".join([*steps, KEEP_ALIVE])]
            if steps:
                self.draft.note(
                    "postCreateCommand",
                    "runs in the service command, so on every start of the "
                    "service (devenv has no run-once hook); keep it idempotent",
                )


def _shell(raw: Any) -> str:
    if isinstance(raw, list):
        return shlex.join(parts.as_string(p) for p in raw)
    return parts.as_string(raw)


def _relpath(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start).replace(os.sep, "/")

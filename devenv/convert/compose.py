"""docker-compose.yml → devenv.toml.

Covers the compose spec's service forms that have a devenv meaning (see docs/init.md); every
other key is listed as unconverted with the reason, never dropped silently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from devenv.convert import compose_parts as parts
from devenv.convert.catalog_map import mapped_build_base, mapped_image
from devenv.convert.compose_model import load_model, read
from devenv.convert.compose_secrets import SecretMover, env_file_secrets, gitignored, secret_mounts
from devenv.convert.compose_watch import convert_watch
from devenv.convert.draft import Conversion, Draft, safe_name
from devenv.convert.mounts import MountMapper, parse_long, parse_short
from devenv.convert.prod_overlay import ProdOverlay, prod_decides, read_overlay
from devenv.errors import ConfigError

# Keys with no devenv meaning, and why (shown to the user).
_REASONS = {
    "container_name": "devenv names containers after project, instance and service",
    "restart": "devenv supervises the process and restarts it on code changes; no restart policy",
    "networks": "devenv puts every service on one project network; services reach each other by name",
    "network_mode": "devenv puts every service on one project network",
    "deploy": "cluster settings; `devenv export k8s` writes Deployments for clusters",
    "configs": "mount the file with `data` or `code` instead",
    "stdin_open": "`devenv shell` and `devenv exec` give an interactive terminal",
    "tty": "`devenv shell` and `devenv exec` give an interactive terminal",
    "tmpfs": "tmpfs mounts are not supported by devenv (read_only = true gives a tmpfs /tmp)",
}
_TOP_REASONS = {
    "networks": _REASONS["networks"],
    "configs": _REASONS["configs"],
}
_ENVIRONMENT = re.compile(r"services\.[^.]+\.environment")
_HANDLED = {
    "image",
    "build",
    "command",
    "entrypoint",
    "working_dir",
    "ports",
    "expose",
    "volumes",
    "environment",
    "env_file",
    "depends_on",
    "healthcheck",
    "user",
    "read_only",
    "privileged",
    "stop_grace_period",
    "secrets",
    "network_mode",
    "develop",
}


def load_yaml(path: Path) -> dict[str, Any]:
    """A compose file as YAML, checked to be one (a `services:` mapping)."""
    return checked(path, read(path))


def checked(path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(doc.get("services"), dict) or not doc["services"]:
        raise ConfigError(
            f"{path}: no `services:` mapping — is this a compose file?",
            "pass a docker-compose.yml / compose.yaml with services",
        )
    return doc


def convert_compose(
    path: Path,
    project_root: Path,
    *,
    name: Optional[str] = None,
    registry: Optional[str] = None,
    profiles: Sequence[str] = (),
    catalog: bool = False,
) -> Conversion:
    """Convert the compose file at `path` into devenv.toml text for the project at `project_root`;
    `profiles`: the compose profiles to convert as active (`--compose-profile`); `catalog`: a team
    registry is known, so public images the team catalog has become the catalog's."""
    label = _label(path, project_root)
    draft = Draft(source_label=label, project_name=safe_name(project_root.resolve().name))
    checked(path, read(path))
    doc = checked(path, load_model(path, draft, profiles=profiles, label=label))
    if doc.get("name") and not name and safe_name(str(doc["name"])) != draft.project_name:
        draft.note(
            "name",
            f'compose names the project "{doc["name"]}"; devenv names it after its folder '
            f'("{draft.project_name}"); pass --name to choose',
        )
    ComposeConverter(draft, path.parent.resolve(), project_root, label, catalog=catalog).convert(doc)
    if name:
        draft.project_name = safe_name(name)
    draft.registry = registry
    return draft.conversion()


def _label(path: Path, project_root: Path) -> str:
    try:
        return path.resolve().relative_to(project_root.resolve()).as_posix()
    except ValueError:
        return str(path)


class ComposeConverter:
    """Fills a draft from a parsed compose document. Also used for devcontainers that name a compose file."""

    def __init__(self, draft: Draft, base: Path, project_root: Path, label: str, *, catalog: bool = False):
        self.draft = draft
        self.catalog = catalog
        self.base = base
        self.root = project_root.resolve()
        self.label = label
        self.mounts = MountMapper(draft, base, project_root)
        self.names: dict[str, str] = {}
        self.env_files: dict[str, list[str]] = {}
        self.dotenv: dict[str, str] = {}
        self.top_secrets: dict[str, Any] = {}
        self.mover: Optional[SecretMover] = None
        self.overlay: Optional[ProdOverlay] = None

    def convert(self, doc: dict[str, Any]) -> None:
        doc = self._interpolated(doc)
        top = doc.get("secrets")
        self.top_secrets = top if isinstance(top, dict) else {}
        for key in doc:
            if key in ("services", "volumes", "name", "secrets"):
                continue
            if key == "version":
                self.draft.note("version", "the compose file format version has no devenv meaning")
            elif str(key).startswith("x-"):
                self.draft.skip(str(key), "extension field, not read by devenv")
            else:
                self.draft.skip(str(key), _TOP_REASONS.get(key, "not supported by devenv"))
        self.names = {name: safe_name(str(name)) for name in doc["services"]}
        for name, new in self.names.items():
            if new != name:
                self.draft.note(f"services.{name}", f'renamed "{new}" (devenv names are a-z, 0-9, _ -)')
        assert self.mover is not None
        self.mover.learn_written(
            [raw.get("environment") for raw in doc["services"].values() if isinstance(raw, dict)]
        )
        with_files = any(isinstance(raw, dict) and raw.get("env_file") for raw in doc["services"].values())
        built = [self.names[n] for n, raw in doc["services"].items() if isinstance(raw, dict) and raw.get("build")]
        self.overlay = read_overlay(self.draft, self.root, list(self.names.values()), built, with_files)
        for name, raw in doc["services"].items():
            self.service(str(name), raw if isinstance(raw, dict) else {})
        self._env_files(doc["services"])
        self.top_volumes(doc.get("volumes") or {})

    def _interpolated(self, doc: Any) -> Any:
        """Compose expands ${VAR} from the .env beside the file. We do too, but never from this shell's
        environment (that would write one person's values into a shared file)."""
        from devenv.envvars.dotenv import read_dotenv
        from devenv.envvars.interpolate import InterpolationError, interpolate
        from devenv.fsutil import read_text

        dotenv = self.base / ".env"
        values: dict[str, str] = {}
        if dotenv.is_file():
            values = read_dotenv(read_text(dotenv), ".env").values()
        self.dotenv = values
        label = self.relative(".env")
        self.mover = SecretMover(self.draft, values, label, dotenv.is_file() and gitignored(self.root, label))

        def walk(node: Any, where: str) -> Any:
            if _ENVIRONMENT.fullmatch(where):
                return node  # interpolated value by value: a secret must not land in devenv.toml
            if isinstance(node, dict):
                return {k: walk(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v, f"{where}[{i}]") for i, v in enumerate(node)]
            if not isinstance(node, str) or "$" not in node:
                return node
            unset: list[str] = []
            try:
                out = interpolate(node, values.get, unset)
            except InterpolationError as err:
                self.draft.skip(where, f"{err}; kept as written")
                return node
            if unset:
                self.draft.skip(
                    where,
                    f"${{{unset[0]}}} is not set in .env and devenv.toml has no "
                    "interpolation; kept as written — replace it with the value",
                )
                return node
            return out

        return walk(doc, "")

    def service(self, name: str, raw: dict[str, Any]) -> None:
        new = self.names[name]
        where = f"services.{name}"
        svc = self.draft.service(new)
        self.draft.service_comments[new] = [f"from {where} in {self.label}"]
        if raw.get("build") is not None:
            build = self.build(raw["build"], f"{where}.build")
            if build is not None:
                mapped_build_base(self.draft, self.root, build, where, self.catalog)
                svc["build"] = build
                if raw.get("image"):
                    self.draft.note(
                        f"{where}.image",
                        f'"{raw["image"]}" was the tag for the built image; devenv tags built images itself',
                    )
            elif raw.get("image"):
                svc["image"] = mapped_image(self.draft, str(raw["image"]), f"{where}.image", self.catalog)
        elif raw.get("image"):
            svc["image"] = mapped_image(self.draft, str(raw["image"]), f"{where}.image", self.catalog)
        else:
            self.draft.skip(where, "has neither image nor build — add one")
        for key in ("command", "entrypoint"):
            if key in raw:
                value = parts.command(raw[key], f"{where}.{key}", self.draft)
                if value is not None:
                    svc[key] = value
        if raw.get("working_dir"):
            svc["workdir"] = str(raw["working_dir"])
        ports = [
            p
            for i, entry in enumerate(raw.get("ports") or [])
            for p in parts.port(entry, f"{where}.ports[{i}]", self.draft)
        ]
        if ports:
            svc["ports"] = ports
            if any(p.count(":") == 1 for p in ports):
                self.draft.note(
                    f"{where}.ports",
                    "published on 127.0.0.1 (compose publishes on every "
                    'interface); write "0.0.0.0:HOST:CONTAINER" to share a port',
                )
        if raw.get("expose"):
            self.draft.note(f"{where}.expose", "not needed: services reach each other's ports by name")
        for i, entry in enumerate(raw.get("volumes") or []):
            mount = parse_long(entry) if isinstance(entry, dict) else parse_short(str(entry))
            if mount is None:
                self.draft.skip(f"{where}.volumes[{i}]", f'"{entry}" is not SOURCE:TARGET[:MODE]')
            else:
                self.mounts.place(new, mount, f"{where}.volumes[{i}]")
        if "environment" in raw:
            env = parts.env_map(raw["environment"] or {}, f"{where}.environment", self.draft)
            prod = self.overlay.services.get(new) if self.overlay else None
            mover = self.mover
            assert mover is not None
            svc["environment"] = {
                k: self.env_value(k, v, f"{where}.environment.{k}")
                for k, v in env.items()
                if prod is None or not prod_decides(mover, k, v, prod, f"{where}.environment.{k}")
            }
            if not svc["environment"] and prod is not None:
                del svc["environment"]
        if raw.get("secrets"):
            self.secrets(new, raw["secrets"], f"{where}.secrets")
        if raw.get("network_mode") is not None:
            self.network_mode(raw, where)
        if raw.get("env_file"):
            self.env_files[name] = self.env_file_paths(raw["env_file"], f"{where}.env_file")
        deps = self.depends_on(raw.get("depends_on"), f"{where}.depends_on")
        if deps:
            svc["depends_on"] = deps
        if raw.get("healthcheck") is not None:
            check = parts.health(raw["healthcheck"], f"{where}.healthcheck", self.draft)
            if check is not None:
                svc["health"] = check
        if raw.get("user") is not None:
            svc["user"] = parts.as_string(raw["user"])
        for key in ("read_only", "privileged"):
            if raw.get(key) is True:
                svc[key] = True
        if raw.get("stop_grace_period") is not None:
            grace = parts.duration(raw["stop_grace_period"], f"{where}.stop_grace_period", self.draft)
            if grace is not None:
                svc["stop_timeout"] = grace
        if raw.get("develop") is not None:
            convert_watch(self.draft, svc, raw["develop"], f"{where}.develop", self.relative)
        for key in raw:
            if key not in _HANDLED:
                reason = "extension field, not read by devenv" if str(key).startswith("x-") else None
                self.draft.skip(f"{where}.{key}", reason or _REASONS.get(key, "not supported by devenv"))
        self.mounts.finish(new, where)

    def env_value(self, key: str, raw: str, where: str) -> str:
        assert self.mover is not None
        return self.mover.environment_entry(key, raw, where)

    def secrets(self, service: str, raw: Any, where: str) -> None:
        """compose `secrets:` → read-only data mounts at /run/secrets/<name>, as compose mounts them."""
        for here, mount in secret_mounts(self.draft, self.top_secrets, raw, where):
            self.mounts.place(service, mount, here)

    def network_mode(self, raw: dict[str, Any], where: str) -> None:
        parts.network_mode_note(self.draft, self.names, raw, where, _REASONS["network_mode"])

    def build(self, raw: Any, where: str) -> Optional[dict[str, Any]]:
        spec = {"context": raw} if isinstance(raw, str) else raw
        if not isinstance(spec, dict):
            self.draft.skip(where, f"expected a path or a mapping, got {raw!r}")
            return None
        context = str(spec.get("context", "."))
        if "://" in context or context.startswith("git@"):
            self.draft.skip(
                f"{where}.context", f'"{context}" is a remote context; devenv builds from the working tree'
            )
            return None
        if "dockerfile_inline" in spec:
            self.draft.skip(f"{where}.dockerfile_inline", "write the Dockerfile to a file and name it")
            return None
        out: dict[str, Any] = {"context": self.relative(context)}
        if spec.get("dockerfile"):
            out["dockerfile"] = str(spec["dockerfile"])
        if spec.get("args"):
            out["args"] = parts.env_map(spec["args"], f"{where}.args", self.draft)
        if spec.get("target"):
            out["target"] = str(spec["target"])
        for key in spec:
            if key not in ("context", "dockerfile", "args", "target"):
                self.draft.skip(f"{where}.{key}", "not supported by devenv builds")
        return out

    def relative(self, written: str) -> str:
        """A compose path (relative to the compose file) as a project-relative path."""
        absolute = (self.base / written).resolve()
        rel = os.path.relpath(absolute, self.root).replace(os.sep, "/")
        return rel

    def env_file_paths(self, raw: Any, where: str) -> list[str]:
        """The env_files that become [env] prod sources; a gitignored one is local (its values
        move to the secrets file instead)."""
        entries = raw if isinstance(raw, list) else [raw]
        out = []
        for i, entry in enumerate(entries):
            spec = entry if isinstance(entry, dict) else {"path": entry}
            path = self.relative(str(spec.get("path", "")))
            here = f"{where}[{i}]"
            if spec.get("format") not in (None, "env"):
                self.draft.skip(
                    f"{here}.format", f"devenv reads [env] prod files as dotenv, not {spec['format']}"
                )
            if not (self.root / path).is_file():
                if spec.get("required", True) is False:
                    self.draft.note(here, f'optional file "{path}" does not exist; left out')
                    continue
                self.draft.note(here, f'"{path}" does not exist yet; devenv needs it to exist')
                out.append(path)
                continue
            if not self._env_file_is_local(path, here):
                out.append(path)
        return out

    def _env_file_is_local(self, path: str, where: str) -> bool:
        from devenv.envvars.dotenv import read_dotenv

        try:
            entries = read_dotenv(
                (self.root / path).read_text(encoding="utf-8"), path, self.dotenv.get
            ).values()
        except (ConfigError, OSError, UnicodeDecodeError) as err:
            self.draft.note(where, f"{path} could not be read ({err}); its secrets were not checked")
            return False
        assert self.mover is not None
        return env_file_secrets(self.mover, self.root, path, entries, where)

    def _env_files(self, services: dict[str, Any]) -> None:
        """env_file → [env] prod sources, received by the services with `env = "prod"` (their literal
        `environment` goes on top, as compose puts `environment` over `env_file`); production's
        Kustomize overlay, when found instead, is received by the services it configures."""
        union: list[str] = []
        for paths in self.env_files.values():
            union.extend(f for f in paths if f not in union)
        own_files = dict(self.env_files)
        if self.overlay is not None:
            union = [self.overlay.entry]
            own_files = {name: union for name in services if self.names[name] in self.overlay.services}
        if not union and not self.draft.secret_keys:
            return
        self.draft.env_prod.extend(f for f in union if f not in self.draft.env_prod)
        for name in services:
            svc = self.draft.service(self.names[name])
            own = own_files.get(name)
            where = f"services.{name}.env_file"
            if own is None:
                if "environment" not in svc:
                    svc["env"] = "none"  # it had no env in compose; keep it that way
                elif union:
                    svc["env"] = "none"  # said, not implied: `config validate` asks about it otherwise
                    given = "production's overlay configures another container" if self.overlay else (
                        "compose gave it no env_file"
                    )
                    self.draft.note(
                        f"services.{name}",
                        f'env = "none": {given}, so it receives none of [env] prod '
                        f'({", ".join(union)}); set env = "prod" to mirror production\'s env into it',
                    )
            else:
                svc["env"] = "prod"
                if own != union:
                    self.draft.note(where, f"devenv gives it every [env] prod file ({', '.join(union)})")

    def depends_on(self, raw: Any, where: str) -> list[str]:
        if raw is None:
            return []
        if isinstance(raw, list):
            return [self.names.get(str(n), safe_name(str(n))) for n in raw]
        if not isinstance(raw, dict):
            self.draft.skip(where, f"expected a list or a mapping, got {raw!r}")
            return []
        out = []
        for name, spec in raw.items():
            out.append(self.names.get(str(name), safe_name(str(name))))
            condition = (spec or {}).get("condition", "service_started") if isinstance(spec, dict) else None
            if condition == "service_completed_successfully":
                self.draft.skip(
                    f"{where}.{name}.condition",
                    "devenv waits for a dependency to be healthy, not for it to exit",
                )
            for key in (spec or {}) if isinstance(spec, dict) else ():
                if key not in ("condition",):
                    self.draft.skip(f"{where}.{name}.{key}", "not supported by devenv")
        return out

    def top_volumes(self, raw: dict[str, Any]) -> None:
        for name, spec in raw.items():
            where = f"volumes.{name}"
            new = safe_name(str(name))
            decl: dict[str, Any] = {}
            spec = spec or {}
            if spec.get("driver"):
                decl["driver"] = str(spec["driver"])
            if spec.get("driver_opts"):
                decl["options"] = {str(k): parts.as_string(v) for k, v in spec["driver_opts"].items()}
            if spec.get("external"):
                decl["external"] = True
                if isinstance(spec["external"], dict) and spec["external"].get("name"):
                    self.draft.skip(f"{where}.external.name", "devenv uses the volume under its own name")
            for key in spec:
                if key not in ("driver", "driver_opts", "external"):
                    self.draft.skip(
                        f"{where}.{key}",
                        "devenv names and labels volumes itself"
                        if key in ("name", "labels")
                        else "not supported by devenv",
                    )
            if new in self.draft.volumes or decl:
                self.draft.add_volume(new, decl)

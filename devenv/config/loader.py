"""devenv.toml → `Project`: find the file, parse, validate against the declarations, fill the
model records from them (`Record.build`), and compute and check what spans keys (defaults that
depend on other keys, dependencies, paths, duplicate ports)."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from devenv.config import bounded, checks, model
from devenv.config import toml as tomllib
from devenv.config.find import shown as _shown
from devenv.config.host_facts import HostFacts
from devenv.config.includes import IncludeSpec
from devenv.config.locate import dotted, line_of
from devenv.config.order import CycleError, dependency_order, shown_cycle
from devenv.config.profiles import first_extends_cycle, known_profiles
from devenv.config.pycommand import python_command
from devenv.config.schema import BUILD, DATA, ENV, PROJECT, RENDER, ROOT, SERVICE, WATCH, WATCH_RULE
from devenv.config.types import Invalid, unknown_key_message
from devenv.config.watch_actions import (
    EXEC_ACTIONS,
    RESTART,
    RESTART_CONTAINER,
    SYNC,
    SYNC_ACTIONS,
    runs_supervised,
)
from devenv.errors import ConfigError

_GLOB = re.compile(r"[*?\[]")


def parse_project(
    text: str, path: Path, host_paths: bool = True, facts: Optional[HostFacts] = None
) -> model.Project:
    """Parse and validate the text of `path`; every problem is one ConfigError with file:line key.
    `host_paths=False` skips what depends on this machine (build contexts and data paths that
    exist): `init` checks a file it just wrote from a source whose folders may come later.
    `facts`: notes what the file system answered on the way (`config.project_cache` keeps them)."""
    try:
        raw = bounded.toml_loads(text, _shown(path))  # size and nesting bounded: one line past them
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(_syntax_message(path, text, err), "fix the TOML syntax (https://toml.io)") from None
    try:
        data = ROOT.check(raw)
        checks.check_project(data)  # what each type cannot see alone (addresses, mounts, signals)
    except Invalid as err:
        raise _error(path, text, err.where, err.message) from None
    except checks.Problem as err:
        raise _error(path, text, err.where, err.message, err.hint) from None
    return _Builder(path, text, data, host_paths, facts or HostFacts()).build()


def _syntax_message(path: Path, text: str, err: Exception) -> str:
    message = str(err)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        reason = message[: match.start()].strip().rstrip(".")
        return f"{_shown(path)}:{match.group(1)}: invalid TOML: {reason} (column {match.group(2)})"
    if "(at end of document)" in message:  # still a place a person can look at: the last line
        reason = message.replace("(at end of document)", "").strip().rstrip(".")
        last = max(1, len(text.splitlines()))
        return f"{_shown(path)}:{last}: invalid TOML: {reason} (at the end of the file)"
    return f"{_shown(path)}: invalid TOML: {message}"


def _error(
    path: Path, text: str, where: Sequence[Union[str, int]], message: str, hint: Optional[str] = None
) -> ConfigError:
    line = line_of(text, where)
    location = f"{_shown(path)}:{line}" if line else _shown(path)
    key = f" {dotted(where)}" if where else ""
    # One line, whatever a quoted value held (every source quotes with types.quoted; this is the net).
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    return ConfigError(f"{location}{key}: {message}", hint)


def _inside(path: str, folder: str) -> bool:
    """Whether container path `path` is `folder` or below it."""
    path, folder = posixpath.normpath(path), posixpath.normpath(folder)
    return folder == "/" or path == folder or path.startswith(folder + "/")


def _folder_name(root: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", root.name.lower()).strip("-_")
    return name[:63] or "project"


class _Builder:
    """Turns validated plain data into the frozen model: the declarations fill each record
    (`Record.build`); this computes the custom keys' fields and checks what spans several keys."""

    def __init__(self, path: Path, text: str, data: dict[str, Any], host_paths: bool, facts: HostFacts):
        self.host_paths = host_paths
        self.path = path
        self.text = text
        self.data = data
        self.facts = facts  # every question to the file system goes through it
        self.root = facts.resolve(path.parent)

    def fail(self, where: Sequence[Union[str, int]], message: str, hint: Optional[str] = None) -> ConfigError:
        return _error(self.path, self.text, where, message, hint)

    def resolved(self, where: Sequence[Union[str, int]], path: Path) -> Path:
        try:
            return self.facts.resolve(path)
        except ConfigError as err:
            raise self.fail(where, err.message, err.hint) from None

    def build(self) -> model.Project:
        project = self.data["project"] or PROJECT.check({})
        stop_timeout = project["stop_timeout"] or 1.0  # "0s" here counts as unset; a service's own "0s" holds
        services = tuple(
            self.service(name, raw, stop_timeout) for name, raw in (self.data["services"] or {}).items()
        )
        self.check_dependencies(services)
        self.check_ports(services)
        return PROJECT.build(
            project,
            name=project["name"] or _folder_name(self.root),
            stop_timeout_s=stop_timeout,
            root=self.root,
            config_file=self.facts.resolve(self.path),
            services=services,
            volumes=self.table("volumes", ()),
            env=self.env(),
            images=self.table("images", ()),
            include_specs=self.include_specs(),
        )

    def include_specs(self) -> tuple[IncludeSpec, ...]:
        return tuple(
            IncludeSpec(
                name,
                path=raw["path"],
                git=raw["git"],
                ref=raw["ref"],
                stack=raw["stack"],
                services=None if raw["services"] is None else tuple(raw["services"]),
                profile=raw["profile"],
                env=tuple(sorted((raw["env"] or {}).items())),
                line=line_of(self.text, ["include", name]) or 0,
            )
            for name, raw in (self.data["include"] or {}).items()
        )

    def table(self, name: str, unset: Any) -> Any:
        """A top-level key's records as the declaration builds them (`unset` when absent)."""
        raw = self.data[name]
        key = ROOT.key(name)
        assert key is not None
        return unset if raw is None else key.type.to_model(raw)

    def service(self, name: str, raw: dict[str, Any], project_stop: float) -> model.Service:
        where = ["services", name]
        if not raw["image"] and not raw["build"]:
            raise self.fail(
                where,
                "has neither image nor build",
                'add image = "NAME:TAG" (from the team registry) or build = "FOLDER"',
            )
        code = raw["code"]
        code_source = ""
        if isinstance(code, dict):
            code_source = self.code_source(where, code["source"])
            code = code["target"]
        elif code is True:
            code = "/app"
        elif code is False:
            code = None
        user = raw["user"] or ("host" if code else None)
        environment = raw["environment"]
        watch = self.watch(raw["watch"], name)
        if watch is not None and code:
            self.check_sync_outside_code(where, code, watch)
        if watch is not None and watch.preload:
            self.check_preload(where, raw)
        return SERVICE.build(
            raw,
            name=name,
            build=self.build_spec(where, raw["build"]),
            workdir=raw["workdir"] or code,
            code=code,
            data=tuple(self.data_mount(where, i, d) for i, d in enumerate(raw["data"] or ())),
            environment=tuple(sorted(environment.items())) if environment is not None else None,
            env=raw["env"] or ("prod" if environment is None else None),
            user=user,
            stop_timeout_s=_stop_timeout(raw, project_stop),
            watch=watch or _implicit_watch(code, raw),
            line=line_of(self.text, where),
            code_source=code_source,
        )

    def code_source(self, where: list[Any], source: str) -> str:
        """`code.source`: a folder of the project (a mount outside it would be `data`)."""
        rel = _project_rel(source)
        folder = self.resolved([*where, "code", "source"], self.root / rel)
        if os.path.isabs(source) or not folder.is_relative_to(self.root):
            raise self.fail(
                [*where, "code", "source"],
                f'code folder "{source}" is outside the project',
                "give a folder relative to devenv.toml (mount other host folders as `data`)",
            )
        if not self.facts.is_dir(folder):
            raise self.fail(
                [*where, "code", "source"],
                f'code folder "{source}" does not exist ({folder})',
                "create the folder or fix the path (relative to devenv.toml)",
            )
        return rel

    def build_spec(self, where: list[Any], raw: Any) -> Optional[model.BuildSpec]:
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = BUILD.check({"context": raw})
        context = self.resolved([*where, "build", "context"], self.root / raw["context"])
        if self.host_paths and not self.facts.is_dir(context):
            raise self.fail(
                [*where, "build", "context"],
                f'folder "{raw["context"]}" does not exist',
                "give a folder relative to the project",
            )
        return BUILD.build(raw, context=context)

    def data_mount(self, where: list[Any], index: int, raw: dict[str, Any]) -> model.DataMount:
        source = Path(self.facts.expanduser(raw["source"]))
        if not source.is_absolute():
            source = self.root / source
        source = self.resolved([*where, "data", index, "source"], source)
        if self.host_paths and not self.facts.exists(source):
            raise self.fail(
                [*where, "data", index, "source"],
                f'data path "{raw["source"]}" does not exist ({source})',
                "mount the disk or create the folder, or fix the path; devenv never creates or deletes data",
            )
        written = raw["source"]
        home = written if written == "~" or written.startswith("~/") else None
        return DATA.build(raw, source=source, home=home)

    def watch(self, raw: Optional[dict[str, Any]], service: str) -> Optional[model.WatchSpec]:
        if raw is None:
            return None
        where = ["services", service, "watch", "rules"]
        rules = tuple(self.watch_rule(r, [*where, i]) for i, r in enumerate(raw["rules"] or ()))
        return WATCH.build(raw, rules=rules)

    def check_sync_outside_code(self, where: list[Any], code: str, watch: model.WatchSpec) -> None:
        """A sync into the `code` bind mount writes each copied file back into the project
        folder, which the watcher sees as the next change: it would copy for ever."""
        # (key to blame, where it copies to, how to say it)
        copies: list[tuple[list[Union[str, int]], str, str]] = []
        if watch.action == SYNC:
            key: list[Union[str, int]] = ["sync_target"] if watch.sync_target else ["action"]
            copies.append((key, watch.sync_target or code, "sync_target" if watch.sync_target else ""))
        for i, rule in enumerate(watch.rules):
            if rule.action not in SYNC_ACTIONS:
                continue
            if rule.target:
                copies.append((["rules", i, "target"], rule.target, "target"))
            elif watch.sync_target:
                copies.append((["sync_target"], watch.sync_target, "sync_target"))
            else:
                copies.append((["rules", i, "action"], code, ""))
        for key, target, named in copies:
            if not _inside(target, code):
                continue
            said = f'{named} "{target}" is' if named else f'action "sync" copies (to `code`, "{code}")'
            raise self.fail(
                [*where, "watch", *key],
                f'{said} inside the code mount "{code}": each copy changes the project folder and '
                "starts the next sync, for ever",
                f'sync into a folder outside "{code}", or use action = "restart" (the code mount '
                "already shows every save in the container)",
            )

    def check_preload(self, where: list[Any], raw: dict[str, Any]) -> None:
        """Preloading forks the restarted process from a parent Python: it needs a Python
        command run by the supervisor."""
        command = raw["command"]
        if not raw["supervise"]:
            raise self.fail(
                [*where, "watch", "preload"],
                "preload restarts under the supervisor, and supervise = false",
                "remove one of them",
            )
        if command is None or python_command(command) is None:
            import json  # only for this message

            said = "no command" if command is None else f"command {json.dumps(command)}"
            raise self.fail(
                [*where, "watch", "preload"],
                f"preload needs a Python command, and the service has {said}",
                'write command = ["python3", "-m", "MODULE"] (or a script path), or remove preload',
            )

    def watch_rule(self, raw: dict[str, Any], where: list[Union[str, int]]) -> model.WatchRule:
        action, target, source = raw["action"], raw["target"], raw["source"]
        syncs = action in SYNC_ACTIONS
        if target is not None and not syncs:
            raise self.fail([*where, "target"], f'target is for sync actions, not "{action}"', "remove it")
        if raw["exec"] is not None and action not in EXEC_ACTIONS:
            raise self.fail([*where, "exec"], f'exec is for the exec actions, not "{action}"', "remove it")
        if raw["initial_sync"] and target is None:
            raise self.fail(
                [*where, "initial_sync"], "initial_sync needs a target", "add target = a container path"
            )
        if source is not None:
            if _GLOB.search(source) or source.startswith("/") or _project_rel(source).startswith(".."):
                raise self.fail(
                    [*where, "source"],
                    f'"{raw["source"]}" is not a project-relative folder or file',
                    'write a path inside the project, e.g. "src"',
                )
        elif target is not None:
            paths = raw["paths"]
            if len(paths) != 1 or _GLOB.search(paths[0]) or paths[0].startswith("!"):
                raise self.fail(
                    [*where, "target"],
                    "a target needs the one folder or file it mirrors",
                    'add source = "FOLDER" (the rule\'s paths have globs or several entries)',
                )
            source = paths[0].lstrip("/")  # "/web": the project's web, anchored as gitignore reads it
        return WATCH_RULE.build(raw, source=None if source is None else _project_rel(source))

    def env(self) -> model.EnvSpec:
        raw = self.data["env"]
        if raw is None:
            return model.EnvSpec()
        profiles = raw["profiles"] or {}
        known = set(known_profiles(profiles))
        for name, profile in profiles.items():
            parent = profile["extends"]
            if parent is not None and parent not in known:
                raise self.fail(
                    ["env", "profiles", name, "extends"],
                    unknown_key_message(parent, known)
                    .replace("unknown key", "unknown profile")
                    .replace("known keys", "known profiles"),
                )
        self.check_extends_cycles(profiles)
        default = raw["default_profile"]
        if default not in known:
            raise self.fail(
                ["env", "default_profile"],
                f'unknown profile "{default}"',
                f"declare [env.profiles.{default}] or use one of: {', '.join(sorted(known))}",
            )
        targets = {
            name: tuple(self.prod_entry(["env", "targets", name], i, e) for i, e in enumerate(sources))
            for name, sources in (raw["targets"] or {}).items()
        }
        if raw["prod"] is not None and "prod" in targets:
            raise self.fail(
                ["env", "targets", "prod"],
                "production's sources are declared twice: [env] prod and [env.targets] prod",
                "keep one of the two (they mean the same: the default target)",
            )
        prod = targets.setdefault(
            "prod", tuple(self.prod_entry(["env", "prod"], i, e) for i, e in enumerate(raw["prod"] or ()))
        )
        return ENV.build(
            raw,
            prod=prod,
            targets=tuple(sorted(targets.items())) if raw["targets"] else (),  # prod alone: none
        )

    def prod_entry(self, where: list[Any], index: int, raw: Any) -> Union[str, model.RenderSource]:
        if isinstance(raw, str):
            return raw
        command = tuple(raw["render"])
        if not command or not command[0].strip():
            raise self.fail(
                [*where, index, "render"],
                "is empty",
                'give the command as an array, e.g. ["helm", "template", "shop", "deploy/chart"]',
            )
        return RENDER.build(raw, command=command)

    def check_extends_cycles(self, profiles: dict[str, Any]) -> None:
        found = first_extends_cycle({name: p["extends"] for name, p in profiles.items()})
        if found is not None:
            start, cycle = found
            raise self.fail(
                ["env", "profiles", start, "extends"],
                f"profiles extend in a cycle: {shown_cycle(cycle, 'profiles')}",
                "remove one `extends` so the chain ends",
            )

    def check_dependencies(self, services: tuple[model.Service, ...]) -> None:
        names = {s.name for s in services}
        for svc in services:
            for index, dep in enumerate(svc.depends_on):
                where: list[Union[str, int]] = ["services", svc.name, "depends_on", index]
                if dep == svc.name:
                    raise self.fail(
                        where, f'service "{svc.name}" depends on itself', "remove it from depends_on"
                    )
                if dep not in names and not self.data["include"]:  # else checked once includes resolve
                    message = unknown_key_message(dep, names).replace("unknown key", "unknown service")
                    raise self.fail(where, message.replace("known keys", "services"))
        try:
            dependency_order(services)
        except CycleError as err:
            raise self.fail(
                ["services", err.cycle[0], "depends_on"],
                f"depends_on forms a cycle: {err.shown}",
                "remove one of these dependencies",
            ) from None

    def check_ports(self, services: tuple[model.Service, ...]) -> None:
        taken: dict[tuple[str, int, str], str] = {}
        for svc in services:
            for index, port in enumerate(svc.ports):
                if port.host == 0:
                    continue
                key = (port.host_ip, port.host, port.protocol)
                if key in taken:
                    raise self.fail(
                        ["services", svc.name, "ports", index],
                        f'host port {port.host}/{port.protocol} is also published by service "{taken[key]}"',
                        "give one of them another host port",
                    )
                taken[key] = svc.name


def _project_rel(path: str) -> str:
    """ "./web/" -> "web"; "." -> "" (the project folder)."""
    import posixpath

    norm = posixpath.normpath(path.strip() or ".")
    return "" if norm == "." else norm


def _implicit_watch(code: Optional[str], raw: dict[str, Any]) -> Optional[model.WatchSpec]:
    """A service with `code` and no [watch] table reloads on any change in its code folder: in place
    when its command runs under the supervisor, else by restarting the container."""
    if not code:
        return None
    in_place = runs_supervised(raw["command"], raw["supervise"])
    return model.WatchSpec(action=RESTART if in_place else RESTART_CONTAINER)


STATEFUL_STOP_TIMEOUT_S = 30.0


def _stop_timeout(raw: dict[str, Any], project_stop: float) -> float:
    """A service that keeps data in a named volume (a database) gets time for a clean shutdown;
    the rest stop fast, as dev stacks should. An explicit `stop_timeout` always wins."""
    if raw["stop_timeout"] is not None:
        return float(raw["stop_timeout"])
    return max(project_stop, STATEFUL_STOP_TIMEOUT_S) if raw["volumes"] else project_stop

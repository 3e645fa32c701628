"""Includes → one model: each included project loaded (recursively) with the ordinary loader,
a stack reached twice at the same commit or folder kept once, and every conflict refused with
the include chain that caused it, before anything is started.

Pure but for reading devenv.toml files: fetching (git, links) is the caller's `fetch`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Optional

from devenv.config.includes import IncludedStack, IncludeSpec
from devenv.config.model import Profile, Project, Service, VolumeDecl, VolumeMount
from devenv.config.order import CycleError, dependency_order
from devenv.config.profiles import known_profiles
from devenv.errors import ConfigError


class Fetched(NamedTuple):
    folder: Path  # holds the included devenv.toml
    source: str  # "git" | "image" (a published stack) | "path" | "link"
    identity: str  # the stack regardless of version: "git:<url>", "stack:<repo>" or "path:<folder>"
    version: str  # the commit (git), the artifact digest (stack) or the folder (path, link)
    commit: Optional[str] = None
    repository: Optional[Path] = None  # git: the repository holding `commit` (devenv's mirror)


Fetch = Callable[[IncludeSpec, Project, str], Fetched]  # spec, includer, where (for errors)
Load = Callable[[Path], Project]


def where(project: Project, spec: IncludeSpec) -> str:
    """`devenv.toml:7 include.notify` of the file that declares `spec`."""
    return f"{_shown(project.config_file)}:{spec.line} include.{spec.name}"


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


class _Walk:
    def __init__(self, root: Project, fetch: Fetch, load: Load) -> None:
        self.root = root
        self.fetch = fetch
        self.load = load
        self.stacks: dict[str, IncludedStack] = {}  # version key → stack
        self.selected: dict[str, set[str]] = {}  # version key → services asked for
        self.versions: dict[str, tuple[str, str]] = {}  # identity → (version, where first reached)
        self.names: set[str] = set()

    def visit(self, project: Project, path_keys: tuple[str, ...], chain: tuple[str, ...], via: str) -> None:
        for spec in project.include_specs:
            here = where(project, spec)
            trail = f"{via} → {here}" if via else here
            fetched = self.fetch(spec, project, here)
            key = f"{fetched.identity}@{fetched.version}"
            if fetched.identity in path_keys:
                raise ConfigError(
                    f"{trail}: includes form a cycle (it includes a stack that includes it)",
                    "remove one of these includes: a stack cannot run inside itself",
                )
            first = self.versions.get(fetched.identity)
            if first is not None and first[0] != fetched.version:
                raise ConfigError(
                    f"{trail}: the same stack at two versions ({_short(fetched.version)} here, "
                    f"{_short(first[0])} at {first[1]})",
                    "include it at one ref in both places (one stack runs once per project)",
                )
            self.versions[fetched.identity] = (fetched.version, trail)
            if key in self.stacks:  # reached twice at the same version: one stack, the union of services
                self.selected[key] |= self._select(self.stacks[key].project, spec, trail)
                continue
            if not (fetched.folder / "devenv.toml").is_file():
                raise ConfigError(
                    f"{trail}: {fetched.folder} has no devenv.toml",
                    "point it at a project folder (the one holding devenv.toml)",
                )
            included = self.load(fetched.folder)
            profile = spec.profile or included.env.default_profile
            declared = [p.name for p in included.env.profiles]
            if spec.profile and spec.profile not in known_profiles(declared):
                raise ConfigError(
                    f"{trail}: {included.config_file.name} has no profile {spec.profile!r} "
                    f"(profiles: {', '.join(known_profiles(declared))})",
                    "name one of its profiles, or drop profile = to use its default",
                )
            if spec.env:
                # The declared differences are a profile of its own on top of the chosen one:
                # layered and shown with their provenance like any profile's `set`.
                extra = Profile(
                    f"include.{spec.name}",
                    extends=profile,
                    set=spec.env,
                    dev_only=tuple(k for k, _ in spec.env),
                )
                included = included._replace(
                    env=included.env._replace(profiles=(*included.env.profiles, extra))
                )
                profile = extra.name
            name = spec.name if spec.name not in self.names else ".".join((*chain, spec.name))
            self.names.add(name)
            stack = IncludedStack(
                name,
                included,
                fetched.source,
                key,
                profile,
                commit=fetched.commit,
                repository=fetched.repository,
                chain=(*chain, spec.name),
                spec=spec,
            )
            self.stacks[key] = stack
            self.selected[key] = self._select(included, spec, trail)
            self.visit(included, (*path_keys, fetched.identity), stack.chain, trail)

    def _select(self, included: Project, spec: IncludeSpec, trail: str) -> set[str]:
        names = set(included.service_names)
        if spec.services is None:
            return names
        for name in spec.services:
            if name not in names:
                raise ConfigError(
                    f"{trail} services: {included.config_file.name} has no service {name!r} "
                    f"(services: {', '.join(sorted(names)) or 'none'})",
                    "name services it has, or drop services = to run them all",
                )
        wanted, todo = set(), list(spec.services)
        while todo:  # what they depend on comes along
            name = todo.pop()
            if name not in wanted and name in names:
                wanted.add(name)
                todo.extend(included.service(name).depends_on)
        return wanted


def _short(version: str) -> str:
    return version[:12] if len(version) == 40 else version


def resolve_includes(root: Project, fetch: Fetch, load: Load) -> Project:
    """`root` with every included service merged in (marked with its include), or one
    ConfigError naming the includes involved."""
    if not root.include_specs:
        return root
    walk = _Walk(root, fetch, load)
    root_identity = f"path:{root.root}"
    walk.visit(root, (root_identity,), (), "")
    return merge(root, list(walk.stacks.values()), walk.selected)


def merge(root: Project, stacks: list[IncludedStack], selected: dict[str, set[str]]) -> Project:
    owner: dict[str, str] = {s.name: f"{_shown(root.config_file)}:{s.line}" for s in root.services}
    services: list[Service] = list(root.services)
    volumes: list[VolumeDecl] = list(root.volumes)
    for stack in stacks:
        own = stack.project
        declared = {v.name: v for v in own.volumes}
        renamed: dict[str, str] = {}
        for svc in own.services:
            if svc.name not in selected[stack.key]:
                continue
            here = f"{_shown(own.config_file)}:{svc.line} (include {stack.name})"
            if svc.name in owner:
                raise ConfigError(
                    f"service {svc.name!r} is defined twice: {owner[svc.name]} and {here}",
                    "rename one of them, or include only the other stack's services you need (services = [...])",
                )
            owner[svc.name] = here
            mounts = []
            for mount in svc.volumes:
                decl = declared.get(mount.name)
                if decl is not None and decl.external:
                    mounts.append(mount)
                    continue
                # Its own volumes, named with its project: never the includer's by accident.
                new = renamed.setdefault(mount.name, f"{own.name}-{mount.name}"[:63])
                mounts.append(VolumeMount(new, mount.target, mount.read_only))
                if decl is not None and all(v.name != new for v in volumes):
                    volumes.append(decl._replace(name=new))
            services.append(
                svc._replace(
                    include=stack.name,
                    volumes=tuple(mounts),
                    watch=svc.watch if stack.source in ("path", "link") else None,  # pinned: never edited
                )
            )
    merged = root._replace(services=tuple(services), volumes=tuple(volumes), includes=tuple(stacks))
    _check_dependencies(merged, owner)
    return merged


def _check_dependencies(project: Project, owner: dict[str, str]) -> None:
    names = set(project.service_names)
    for svc in project.services:
        for dep in svc.depends_on:
            if dep not in names:
                raise ConfigError(
                    f"{owner[svc.name]} services.{svc.name}.depends_on: unknown service {dep!r} "
                    f"(services, with the included ones: {', '.join(sorted(names))})",
                    "name one of them, or include the stack that has it",
                )
    try:
        dependency_order(project.services)
    except CycleError as err:
        raise ConfigError(
            f"depends_on forms a cycle across includes: {' → '.join(err.cycle)} "
            f"({', '.join(owner[n] for n in dict.fromkeys(err.cycle))})",
            "remove one of these dependencies",
        ) from None

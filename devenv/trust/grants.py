"""What a devenv.toml grants beyond its own project folder: host access a stranger's repository
must not get by a `devenv up` alone (privileged, the engine socket, host folders, files read from
outside the project). Pure reads of the model and the file system; nothing here talks to Docker.

Two kinds: a container grant is acted on by the commands that create containers (up, test,
watch); a read grant (a file outside the project read into the env) by every command that reads
the env. Paths are compared after resolving symlinks: `data -> /` is outside.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath
from typing import Callable, NamedTuple

from devenv.config.model import DOCKER_SOCKET, Project, RenderSource
from devenv.reads import locate

CONTAINERS = "containers"  # created with host access
READS = "reads"  # a host file outside the project read into the env
RUNS = "runs"  # a host command run to read the env (a render entry); asked with the reads

# Volume types whose `device` is a remote share or nothing on the host.
_NOT_HOST_PATHS = frozenset({"nfs", "nfs4", "cifs", "smb", "smb3", "ceph", "glusterfs", "tmpfs"})
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_COMPOSE_SCAN_LIMIT = 4 * 1024 * 1024  # a compose source's env_files are looked for in at most this much


class Grant(NamedTuple):
    subject: str  # "web", "volume dbdata", "[env] prod"
    what: str  # "runs privileged"
    where: str  # a host path or what the grant reaches
    kind: str = CONTAINERS

    def line(self) -> str:
        return f"{self.subject}: {self.what}: {self.where}"

    def key(self) -> str:
        """What a trust record stores: the grant, whatever words describe it."""
        return f"{self.kind}\t{self.subject}\t{self.where}\t{self.what}"


def inside(path: Path, root: Path) -> bool:
    """Whether `path` (resolved) is `root` or below it."""
    return path == root or root in path.parents


def grants(project: Project) -> list[Grant]:
    """Every grant of `project`, in file order: services, volumes, then the env sources."""
    return [*container_grants(project), *read_grants(project), *included_read_grants(project)]


def included_read_grants(project: Project) -> list[Grant]:
    """An included stack's env reads, judged from its own folder and trusted with this file's."""
    return [
        g._replace(subject=f"{g.subject} ({_origin(project, stack.name)})")
        for stack in project.includes
        for g in read_grants(stack.project)
    ]


def _origin(project: Project, include: str) -> str:
    """An included grant's name; a git include's carries its commit (a stack's its digest), so a
    moved one asks again."""
    stack = project.included(include)
    return (
        f"include {include} @ {stack.commit.removeprefix('sha256:')[:12]}"
        if stack.source in ("git", "image") and stack.commit
        else f"include {include}"
    )


def container_grants(project: Project) -> list[Grant]:
    found: list[Grant] = []
    for service in project.services:
        # An included service is judged from its own project's folder, and named with its include.
        root = project.included(service.include).project.root if service.include else project.root
        svc = (
            service._replace(name=f"{service.name} ({_origin(project, service.include)})")
            if service.include
            else service
        )
        if svc.privileged:
            found.append(Grant(svc.name, "runs privileged", "every device and kernel capability of the host"))
        if svc.docker_socket:
            found.append(Grant(svc.name, "mounts the engine socket", f"{DOCKER_SOCKET} (root on the host)"))
        for mount in svc.data:
            if inside(mount.source, root):
                continue
            access = "read-only" if mount.read_only else "read-write"
            what = "mounts a host socket" if _is_socket(mount.source) else f"mounts a host path {access}"
            found.append(Grant(svc.name, what, f"{mount.source} at {mount.target}"))
        if svc.build is not None and not inside(svc.build.context, root):
            found.append(Grant(svc.name, "builds from a host folder", str(svc.build.context)))
    root = project.root
    for volume in project.volumes:
        options = dict(volume.options)
        device = options.get("device", "")
        if volume.external or options.get("type", "").lower() in _NOT_HOST_PATHS:
            continue
        if not device.startswith(("/", "~")):  # none, "tmpfs", ":/export" (NFS): no host path
            continue
        path, within = locate(root, device)
        if not within:
            found.append(Grant(f"volume {volume.name}", "binds a host path", str(path)))
    return found


def read_grants(project: Project) -> list[Grant]:
    """Env files outside the project: prod sources, the secrets file, compose env_files (and
    the `.env` beside a compose source); and every render command (it runs on the host)."""
    root, spec = project.root, project.env
    found: list[Grant] = []
    seen: set[Path] = set()

    def check(subject: str, written: str) -> Path:
        path, within = locate(root, written)
        if not within and path not in seen:
            seen.add(path)
            found.append(Grant(subject, "reads a file outside the project", str(path), READS))
        return path

    entries = spec.prod
    if spec.targets:  # every target's sources, not only the mirrored one's
        from devenv.envvars.targets import all_sources

        entries = all_sources(spec)
    for entry in entries:
        if isinstance(entry, RenderSource):
            found.append(Grant("[env] prod", "runs a host command", " ".join(entry.command), RUNS))
            continue
        written = entry.partition("#")[0].strip()
        compose = check("[env] prod", written)
        if _kustomize_reads(root, written, check):
            continue
        if PurePosixPath(written).suffix.lower() in (".yaml", ".yml"):
            dot_env = str(PurePosixPath(written).parent / ".env")
            if os.path.lexists(root / dot_env):  # one syscall for the usual case: there is none
                check(f"[env] prod {written}", dot_env)
            for kind, named in _compose_files(compose, written):
                check(f"{kind} in {written}", named)
    if spec.secrets:
        check("[env] secrets", spec.secrets)
    return found


def _kustomize_reads(root: Path, written: str, check: Callable[[str, str], Path]) -> bool:
    """A Kustomize folder (or its kustomization file): each folder or file one of its
    kustomizations names outside the project (a shared base) is a read grant. Only a path that
    names a kustomization is parsed."""
    pure = PurePosixPath(written)
    if pure.suffix.lower() in (".yaml", ".yml", ".json") and pure.name not in KUSTOMIZATION_NAMES:
        return False  # a manifest or compose file: no stat at all
    path, _ = locate(root, written)
    if pure.name in KUSTOMIZATION_NAMES:
        path = path.parent
    elif not any((path / n).is_file() for n in KUSTOMIZATION_NAMES):
        return False
    from devenv.envvars import kustomize  # YAML: only for a Kustomize source

    for named, kfile in kustomize.reach(path, ".").named:
        check(f"[env] prod {written} ({os.path.relpath(kfile, root)})", named)
    return True


def outside_reads(found: list[Grant]) -> list[str]:
    return [g.where for g in found if g.kind == READS]


def commands(found: list[Grant]) -> list[str]:
    return [g.where for g in found if g.kind == RUNS]


def _compose_files(path: Path, label: str) -> list[tuple[str, str]]:
    """The env_files and `extends` files a compose source names (project-relative or absolute),
    each with its key, when it is one.
    The reader refuses any outside path it was not allowed, so a file this misses is refused,
    never read: the text is only parsed when it mentions env_file at all."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _COMPOSE_SCAN_LIMIT:
            return []
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if "env_file" not in text and "extends" not in text:
        return []
    from devenv.envvars import compose  # YAML: only for a compose source with env_files
    from devenv.envvars.sources import _parse_yaml  # cached: the env read after reuses the parse
    from devenv.errors import DevenvError

    try:
        kind, nodes, _ = _parse_yaml(label, text)
    except (DevenvError, RecursionError):
        return []  # reading it fails loudly, with its own message
    if kind != "compose":
        return []
    return [("env_file", f.path) for f in compose.env_files(list(nodes), label)] + [
        ("extends", f) for f in compose.extends_files(list(nodes), label)
    ]


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False

"""`devenv publish`: the project's stack into the team registry as an OCI artifact.

Release images for the services with code are built from the commit and pushed (as `export
--for swarm --push` does: ops.export.release_images); every other service's image is the digest
devenv.lock pins. The artifact (registry/stack_artifact.py) carries those pins and the files
another project needs to run the stack — devenv.toml, devenv.lock, the prod env files it reads —
each as committed. Never the secrets file, a secret's value in a dotenv file, or anything
.gitignore names."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from devenv.config.model import Project
from devenv.errors import ConfigError
from devenv.registry.lockfile import LOCK_NAME, LockFile

Progress = Callable[[str], None]
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


class Published(NamedTuple):
    reference: str  # registry/repo:tag (the first tag)
    digest: str  # the artifact manifest's
    tags: tuple[str, ...]
    images: dict[str, str]  # service -> pinned image
    files: tuple[str, ...]  # what the artifact carries (project-relative)


def stack_repository(registry: str, project_name: str) -> str:
    """Where a project's stack is published: `<registry>/<project>` (a `stack =` short name)."""
    return f"{registry}/{project_name}".lower()


def check_includes(project: Project, lock: LockFile) -> None:
    """Every include must be pinned in devenv.lock (so the artifact's lock pins it for whoever
    includes this stack), and none may be a local path (not in the artifact)."""
    for spec in project.include_specs:
        where = f"{project.config_file.name}:{spec.line} include.{spec.name}"
        if spec.path:
            raise ConfigError(
                f"{where}: a path include cannot be published (the folder {spec.path} is not in the artifact)",
                "publish that stack too and include it with stack = (or with git = and ref =)",
            )
        pinned = (
            lock.pinned_commit(spec.git, spec.ref or "") if spec.git else lock.pinned_stack(spec.stack or "")
        )
        if pinned is None:
            raise ConfigError(
                f"{where}: not pinned in {LOCK_NAME}",
                f"run `devenv lock` and commit {LOCK_NAME}: a published stack pins what it includes",
            )


def secret_free_dotenv(text: str, label: str, secret: set[str]) -> str:
    """`text` with every secret key's value emptied (`KEY=`); refused when a secret's value
    spans lines (it could not be removed for certain)."""
    from devenv.envvars.dotenv import parse_dotenv

    before = parse_dotenv(text, label, private=True).entries
    hidden = [e for e in before if e.key in secret and e.value]
    lines = text.splitlines(keepends=True)
    for entry in hidden:
        lines[entry.line - 1] = f"{entry.key}=\n"
    out = "".join(lines)
    want = [(e.key, "" if e in hidden else e.value) for e in before]
    try:
        ok = [(e.key, e.value) for e in parse_dotenv(out, label, private=True).entries] == want
    except ConfigError:
        ok = False  # what is left of a multi-line value no longer parses
    if not ok:
        entry = hidden[0] if hidden else before[0]
        raise ConfigError(
            f"{label}:{entry.line}: the value of secret key {entry.key} spans lines; publish cannot leave it out",
            "write it on one line, or move it to the secrets file",
        )
    return out


def collect_files(project: Project, repo_root: Path, revision: str, relpath: str) -> dict[str, bytes]:
    """project-relative path -> bytes as committed: what a stack include needs to run."""
    from devenv.envvars.layering import declare_secrets
    from devenv.envvars.sources import load_prod, source_files, source_kind
    from devenv.envvars.targets import all_sources
    from devenv.images import gitexport

    wanted = [project.config_file.name, LOCK_NAME, *source_files(project.root, all_sources(project.env))]
    secrets_file = posixpath.normpath(project.env.secrets) if project.env.secrets else None
    in_repo = {name: posixpath.normpath(posixpath.join(relpath, name)) for name in dict.fromkeys(wanted)}
    ignored = gitexport.ignored(repo_root, list(in_repo.values()))
    prod = load_prod(project.root, project.env.prod)
    declare_secrets(prod, project.env)
    secret = set(prod.secret_keys)
    files: dict[str, bytes] = {}
    for name, path in in_repo.items():
        norm = posixpath.normpath(name)
        if norm == secrets_file or path in ignored:
            why = "the secrets file" if norm == secrets_file else "named by .gitignore"
            if norm == LOCK_NAME:
                fix = f"commit the lock: take {LOCK_NAME} out of .gitignore, run `devenv lock`, then git add {LOCK_NAME}"
            elif norm == secrets_file:
                fix = "list it only as [env] secrets (read locally, never published), not among the prod sources"
            else:
                fix = f"commit it (take it out of .gitignore; secret values belong in [env] secrets): git add {name}"
            raise ConfigError(f"{name}: the stack reads it, but it is {why}: publish never ships it", fix)
        text = gitexport.committed_file(repo_root, path, revision)
        if text is None:
            raise ConfigError(
                f"{name} is not in commit {revision[:12]}: publish takes the stack's files from the commit",
                f"commit it first: git add {name} && git commit",
            )
        if source_kind(name) == "dotenv" and name not in (project.config_file.name, LOCK_NAME):
            text = secret_free_dotenv(text, name, secret)
        files[norm] = text.encode()
    return files


def default_tags(repo_root: Path, revision: str, environ: Mapping[str, str]) -> list[str]:
    """The commit, and `latest` on the default branch."""
    from devenv.images import gitexport

    tags = [revision[:12]]
    branch = gitexport.current_branch(repo_root, environ)
    if branch and branch == gitexport.default_branch(repo_root, environ):
        tags.append("latest")
    return tags


def publish(
    project: Project,
    *,
    tags: Sequence[str] = (),
    progress: Optional[Progress] = None,
    environ: Mapping[str, str] = os.environ,
) -> Published:
    """Build and push the release images, then the stack artifact under every tag. `project`:
    devenv.toml as loaded, its includes not merged (they are pinned, not copied)."""
    from devenv.images import gitexport
    from devenv.images.release import _relpath, needs_release
    from devenv.ops.export import locked_images, release_images
    from devenv.registry.reference import effective_registry, parse_reference
    from devenv.registry.resolve import client_for
    from devenv.registry.stack_artifact import MANIFEST_TYPE, StackConfig, digest_of, pack

    registry = effective_registry(project.registry, environ)
    if not registry:
        raise ConfigError(
            "devenv.toml [project] registry is not set: a stack is published to the team registry",
            'add `registry = "registry.example.com/team"` under [project] (or set DEVENV_REGISTRY)',
        )
    lock = LockFile.load(project.root / LOCK_NAME)
    if lock is None:
        raise ConfigError(
            f"no {LOCK_NAME} in {project.root}", "run `devenv lock` first: a stack is published pinned"
        )
    check_includes(project, lock)
    repo_root = gitexport.repo_root(project.root)
    revision = gitexport.head_sha(repo_root)
    relpath = _relpath(project.root, repo_root)
    releases = any(needs_release(s) for s in project.services)  # those say it themselves
    dirty = [] if releases or progress is None else gitexport.dirty_paths(repo_root, relpath or ".")
    if dirty and progress is not None:
        progress(
            f"uncommitted changes ({len(dirty)} path(s)) are not published: the stack is {revision[:12]}"
        )
    files = collect_files(project, repo_root, revision, relpath)  # before building: a bad file fails fast
    images, bases = locked_images(project)
    images = {
        **images,
        **release_images(project, images, bases, push=True, progress=progress, environ=environ),
    }
    config = StackConfig(project.name, revision, {s.name: images[s.name] for s in project.services})
    artifact = pack(
        files, config, folders=tuple(sorted({s.code_source for s in project.services if s.code_source}))
    )
    target = parse_reference(stack_repository(registry, project.name))
    client = client_for(target.registry, environ)
    client.upload_blob(target.repository, artifact.config, digest_of(artifact.config))
    client.upload_blob(target.repository, artifact.files, digest_of(artifact.files))
    wanted = list(dict.fromkeys(tags or default_tags(repo_root, revision, environ)))
    for tag in wanted:
        if not _TAG.match(tag):
            raise ConfigError(
                f"--tag {tag!r} is not a valid tag",
                "use letters, digits, '_', '.' and '-' (at most 128, not starting with . or -)",
            )
    for tag in wanted:
        client.put_manifest(target.repository, tag, artifact.manifest, MANIFEST_TYPE)
        if progress is not None:
            progress(f"published {target.name}:{tag} ({artifact.digest[:19]}…)")
    return Published(
        f"{target.name}:{wanted[0]}", artifact.digest, tuple(wanted), config.images, tuple(sorted(files))
    )

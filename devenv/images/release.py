"""Release images: what a cluster runs for a service whose code devenv mounts.

A cluster cannot mount a laptop's folder, so an export to one runs, for every service with
`code` (or its own `build`), the service's image with the committed project copied in at its
`code` path: `<registry>/<project>-<service>:<short sha>`. Both parts come from the commit
(`git archive` of HEAD, as catalog images do): the service's own build (its Dockerfile, build
args, the locked `from` as BASE_IMAGE) or its locked image, then one `COPY` of the project.
Uncommitted changes are not in it, and the tag says which commit is.
"""

from __future__ import annotations

import datetime
import io
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from devenv.config.model import Project, Service
from devenv.errors import ConfigError, DevenvError, EngineError, RegistryError
from devenv.images import gitexport
from devenv.images.dockerfile import BASE_ARG
from devenv.registry.reference import ImageRef, effective_registry, parse_reference, registry_host

RELEASE_LABEL = "dev.devenv.release"  # <project>/<service> on every release image
OCI = "org.opencontainers.image"
CODE_DIR = "code"  # the project's files inside the release build context

Progress = Callable[[str], None]


class ReleasePlan(NamedTuple):
    service: str
    repository: str  # <registry>/<project>-<service>
    tag: str  # the commit's short sha
    revision: str  # the full sha
    repo_root: Path  # the git repository holding the project
    relpath: str  # the project folder inside it ("" for the repository root)
    dirty: tuple[str, ...]  # uncommitted paths under the project (not in the image)

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


def needs_release(svc: Service) -> bool:
    """A cluster runs the code inside the image: a service with `code` or a build needs one made."""
    return bool(svc.code) or svc.build is not None


def plan_releases(project: Project, environ: Mapping[str, str] = os.environ) -> list[ReleasePlan]:
    """One plan per service that needs a release image, for the commit at HEAD."""
    services = [s for s in project.services if needs_release(s)]
    if not services:
        return []
    registry = effective_registry(project.registry, environ)
    if not registry:
        raise ConfigError(
            "devenv.toml [project] registry is not set: release images need a registry to be pushed to",
            'add `registry = "registry.example.com/team"` under [project] (or set DEVENV_REGISTRY)',
        )
    root = gitexport.repo_root(project.root)
    sha = gitexport.head_sha(root)
    relpath = _relpath(project.root, root)
    dirty = tuple(gitexport.dirty_paths(root, relpath or "."))
    return [
        ReleasePlan(
            s.name, f"{registry}/{project.name}-{s.name}".lower(), sha[:12], sha, root, relpath, dirty
        )
        for s in services
    ]


def _relpath(path: Path, root: Path) -> str:
    rel = os.path.relpath(path.resolve(), root.resolve()).replace(os.sep, "/")
    return "" if rel == "." else rel


def find_releases(plans: list[ReleasePlan], environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """service -> pinned reference of its release image for HEAD, as the registry holds it."""
    from devenv.registry.resolve import client_for

    found: dict[str, str] = {}
    missing: list[str] = []
    for plan in plans:
        ref = parse_reference(plan.reference)
        digest = client_for(ref.registry, environ).manifest_digest_if_present(ref.repository, plan.tag)
        if digest is None:
            missing.append(plan.reference)
        else:
            found[plan.service] = str(ref.pinned(digest))
    if missing:
        raise ConfigError(
            f"no release image for HEAD in the registry: {', '.join(missing)}",
            "build and push them from the commit with `--push` (a cluster runs the code inside the image)",
        )
    return found


def release_dockerfile(base: str, code: Optional[str]) -> str:
    lines = [f"FROM {base}"]
    if code:
        lines.append(f"COPY {CODE_DIR}/ {code.rstrip('/')}/")
    return "\n".join(lines) + "\n"


def release_context(project_tar: bytes, dockerfile: str) -> bytes:
    """The build context: the Dockerfile, and the committed project under code/."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
        with tarfile.open(fileobj=io.BytesIO(project_tar), mode="r") as source:
            for member in source.getmembers():
                if member.name in ("", ".", "pax_global_header") or member.type == tarfile.XGLTYPE:
                    continue
                name = member.name[2:] if member.name.startswith("./") else member.name
                member.name = f"{CODE_DIR}/{name}"
                handle = source.extractfile(member) if member.isfile() else None
                tar.addfile(member, handle)
    return out.getvalue()


def labels_for(project: Project, plan: ReleasePlan, source: Optional[str]) -> dict[str, str]:
    labels = {
        f"{OCI}.revision": plan.revision,
        f"{OCI}.created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"{OCI}.title": f"{project.name}-{plan.service}",
        RELEASE_LABEL: f"{project.name}/{plan.service}",
    }
    if source:
        labels[f"{OCI}.source"] = source
    return labels


def build_release(
    client: Any,
    project: Project,
    plan: ReleasePlan,
    *,
    image: Optional[str],
    base: Optional[str],
    progress: Optional[Progress] = None,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Build the release image of `plan` from HEAD, push it, return its pinned reference.
    `image`: the service's locked image (a service without `build`); `base`: its locked `from`."""
    svc = project.service(plan.service)
    labels = labels_for(project, plan, gitexport.source_url(plan.repo_root, environ))
    start = image
    if svc.build is not None:
        context_rel = _relpath(svc.build.context, plan.repo_root)
        args = dict(svc.build.args)
        if svc.build.base is not None:
            if base is None:
                raise ConfigError(
                    f"devenv.lock has no digest for the base image of service {svc.name}",
                    "run `devenv lock` first",
                )
            args[BASE_ARG] = base
        start = f"{plan.repository}:{plan.tag}-build"
        _build(
            client,
            tag=start,
            context=gitexport.archive_head(plan.repo_root, context_rel, plan.revision),
            dockerfile=svc.build.dockerfile,
            args=args,
            target=svc.build.target,
            labels=labels,
            what=f"services.{svc.name}.build at {plan.revision[:12]}",
            progress=progress,
        )
    if start is None:
        raise ConfigError(f"devenv.lock has no digest for service {svc.name}", "run `devenv lock` first")
    if svc.code or svc.build is None:
        project_tar = gitexport.archive_head(plan.repo_root, plan.relpath, plan.revision)
        _build(
            client,
            tag=plan.reference,
            context=release_context(project_tar, release_dockerfile(start, svc.code)),
            labels=labels,
            what=f"the release image of {svc.name}",
            progress=progress,
        )
    else:
        client.api.tag(start, plan.repository, plan.tag)
    digest = _push(client, plan.repository, plan.tag, environ)
    return str(parse_reference(plan.repository).pinned(digest))


def _build(
    client: Any,
    *,
    tag: str,
    context: bytes,
    labels: dict[str, str],
    what: str,
    dockerfile: str = "Dockerfile",
    args: Optional[dict[str, str]] = None,
    target: Optional[str] = None,
    progress: Optional[Progress] = None,
) -> None:
    import docker.errors

    try:
        for event in client.api.build(
            fileobj=io.BytesIO(context), custom_context=True, dockerfile=dockerfile, buildargs=args or {},
            target=target, tag=tag, labels=labels, rm=True, forcerm=True, decode=True,
        ):  # fmt: skip
            if "error" in event:
                raise DevenvError(
                    f"{what}: build failed: {str(event['error']).strip()}",
                    hint="fix it, commit, and export again",
                )
            if progress is not None and event.get("stream", "").strip():
                progress(event["stream"].rstrip("\n"))
    except docker.errors.APIError as err:
        raise EngineError(f"engine refused the build of {what}: {err.explanation or err}") from err


def _push(client: Any, repository: str, tag: str, environ: Mapping[str, str]) -> str:
    import docker.errors

    from devenv.registry.resolve import engine_auth

    host = registry_host(repository)
    ref = f"{repository}:{tag}"
    digest: Optional[str] = None
    try:
        for event in client.api.push(
            repository,
            tag=tag,
            stream=True,
            decode=True,
            auth_config=engine_auth(ImageRef(host, "x", "latest"), environ),
        ):
            if "error" in event:
                raise RegistryError(
                    f"push of {ref} failed: {str(event['error']).strip()[:300]}",
                    hint=f"check `devenv login {host}` and write access",
                )
            aux = event.get("aux")
            if isinstance(aux, dict) and aux.get("Digest"):
                digest = str(aux["Digest"])
    except docker.errors.APIError as err:
        raise RegistryError(f"push of {ref} failed: {err.explanation or err}") from err
    if digest is None:
        raise RegistryError(f"push of {ref}: the engine reported no digest")
    return digest

"""`devenv export compose|k8s`: the stack with locked digests and a profile's env, for other engines."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import click

from devenv.errors import ConfigError

COMPOSE_FILE = "docker-compose.yml"


class _AnySecret(Mapping[str, str]):
    """Stands in for the process env while resolving secrets: export writes references to secret
    keys, never their values, so it must not need (or read) anyone's local secret values."""

    def __getitem__(self, key: str) -> str:
        return ""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def locked_images(project: Any) -> tuple[dict[str, str], dict[str, str]]:
    """From devenv.lock, "registry/repo@sha256:..." per service: the image of each service that
    pulls one (every such service must be locked), and the base (`build.from`) of each that builds."""
    from devenv.registry.lockfile import LockFile
    from devenv.registry.reference import parse_reference

    lock = LockFile.load(project.root / "devenv.lock")
    images: dict[str, str] = {}
    bases: dict[str, str] = {}
    for svc in project.services:
        entry = lock.images.get(svc.name) if lock is not None else None
        if entry is not None:
            pinned = str(parse_reference(entry.reference).pinned(entry.digest))
            (bases if svc.build is not None else images)[svc.name] = pinned
        elif svc.build is None or svc.build.base is not None:
            raise ConfigError(
                f"devenv.lock has no digest for service {svc.name}"
                if lock is not None
                else f"no devenv.lock in {project.root}",
                "run `devenv lock` first: an export pins every image to its digest",
            )
    return images, bases


def layered_envs(project: Any, profile: Optional[str]) -> dict[str, Mapping[str, Any]]:
    from devenv.envvars import service_env

    return {
        svc.name: service_env(project, svc.name, profile, process_env=_AnySecret()).values
        for svc in project.services
    }


@click.command("export")
@click.argument("target", type=click.Choice(["compose", "k8s"]))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write files into this folder (default: print to stdout).",
)
@click.option("--profile", help="Env profile to export (default: [env] default_profile).")
@click.pass_obj
def export(app: Any, target: str, out_dir: Optional[Path], profile: Optional[str]) -> None:
    """Export the stack — locked digests, a profile's env — as compose or Kubernetes YAML.

    \b
    devenv export compose -o .            docker-compose.yml beside devenv.toml
    devenv export k8s -o deploy/devenv    Deployments, Services, ConfigMaps, PVCs
    Secret values are never written: compose gets ${KEY} references, Kubernetes
    gets secretKeyRefs to the Secret <project>-secrets.
    """
    from devenv.export import export_compose, export_k8s
    from devenv.fsutil import atomic_write

    project = app.project()
    out_dir = out_dir.resolve() if out_dir is not None else None
    images, bases = locked_images(project)
    envs = layered_envs(project, profile)
    if target == "compose":
        base = out_dir or project.root
        files = {
            COMPOSE_FILE: export_compose(
                project, images=images, envs=envs, base_dir=base, profile=profile, bases=bases
            )
        }
    else:
        files = export_k8s(project, images=images, envs=envs, profile=profile)
    if out_dir is None:
        app.output.line("---\n".join(files.values()).rstrip("\n"))
        return
    for name, text in files.items():
        atomic_write(out_dir / name, text)
        app.output.line(str(out_dir / name))
    app.output.info(f"wrote {len(files)} file(s) to {out_dir}")

"""`devenv export compose|k8s`: the stack with locked digests and a profile's env, for other engines."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app


@click.command("export", short_help=SHORT_HELP["export"])
@click.argument("target", type=click.Choice(["compose", "k8s"]))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write files into this folder (default: print to stdout).",
)
@click.option("--profile", help="Env profile to export (default: [env] default_profile).")
@click.option(
    "--for",
    "engine",
    type=click.Choice(["compose", "swarm"]),
    default="compose",
    show_default=True,
    help="compose: one machine, code mounted. swarm: a `docker stack deploy` file (release images, "
    "Swarm secrets, host-mode ports).",
)
@click.option(
    "--push",
    is_flag=True,
    help="Build each code service's release image from HEAD and push it (swarm, k8s).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace files in the -o folder that devenv export did not write (hand-written ones are kept otherwise).",
)
@pass_app
def export(
    app: AppContext,
    target: str,
    out_dir: Optional[Path],
    profile: Optional[str],
    engine: str,
    push: bool,
    force: bool,
) -> None:
    """Export the stack — locked digests, a profile's env — as compose or Kubernetes YAML.

    \b
    devenv export compose -o .                      docker-compose.yml beside devenv.toml
    devenv export compose --for swarm --push -o .   docker-stack.yml (release images pushed)
    devenv export k8s -o deploy/devenv              Deployments, Services, ConfigMaps, PVCs
    Secret values are never written: compose gets ${KEY} references, Swarm external
    secrets, Kubernetes secretKeyRefs to the Secret <project>-secrets. A file in the -o
    folder that devenv export did not write is kept (--force replaces it); the files are
    replaced as a whole.
    """
    from devenv.export.swarm import STACK_FILE
    from devenv.ops.export import COMPOSE_FILE, check_overwrites, export_files, write_export

    if engine == "swarm" and target != "compose":
        raise click.UsageError("--for swarm is for `export compose` (Kubernetes manifests are `export k8s`)")
    project = app.acting_project("reads")  # the env it writes: files outside the project only once trusted
    out_dir = out_dir.resolve() if out_dir is not None else None
    if out_dir is not None and target == "compose":  # before a --push: the one file's name is known
        check_overwrites(out_dir, [STACK_FILE if engine == "swarm" else COMPOSE_FILE], force=force)
    files = export_files(
        project,
        "swarm" if engine == "swarm" else target,
        out_dir=out_dir,
        profile=profile,
        push=push,
        progress=app.output.info,
    )
    if out_dir is None:
        app.output.line("---\n".join(files.values()).rstrip("\n"))
        return
    for path in write_export(out_dir, files, force=force):
        app.output.line(str(path))
    app.output.info(f"wrote {len(files)} file(s) to {out_dir}")

"""down and status: what runs, and taking it away (reads and removals: docker-py never loads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.cli.options import instance_option
from devenv.cli.output import Output, stack_title, table
from devenv.cli.progress import progress_printer
from devenv.ops.down import down as run_down

if TYPE_CHECKING:
    from devenv.ops.status import OtherInstance


@click.command(short_help=SHORT_HELP["down"])
@instance_option
@click.option("--volumes", is_flag=True, help="Also remove this instance's named volumes (never data disks).")
@click.option(
    "--all-stale",
    is_flag=True,
    help="Remove leftovers: `devenv test` runs whose devenv died, and instances whose folder is gone "
    "(a removed worktree; their volumes only with --volumes).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print what was removed (with --dry-run: the plan) as JSON."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what down would remove and keep, removing nothing (it only reads the engine).",
)
@pass_app
def down(
    obj: AppContext, instance: Optional[str], volumes: bool, all_stale: bool, as_json: bool, dry_run: bool
) -> None:
    """Remove the containers and network devenv created for this instance. Named volumes stay
    unless --volumes; data disks and external volumes are never touched."""

    out: Output = obj.output
    project = obj.project_as_running()
    say = progress_printer(out)
    if dry_run:
        if all_stale:
            raise click.UsageError("--dry-run plans one instance's down: drop --all-stale")
        from devenv.cli.plan_view import show_plan

        choice = obj.instance(instance)
        planned = run_down(project, choice.name, volumes=volumes, waiting=out.info, dry_run=True)
        title = stack_title(project.name, choice.name, choice.source, choice.worktree)
        show_plan(
            out,
            planned.plan,
            command="down",
            project=project.name,
            instance=choice.name,
            title=title,
            as_json=as_json,
        )
        return
    if all_stale:
        from devenv.ops.stale import down_stale  # not on the path of a plain `down`

        targets, result = down_stale(project, volumes=volumes, progress=say)
        if not targets:
            out.info("no stale instances")
    else:
        instance = obj.instance(instance).name
        targets, result = (
            [instance],
            run_down(project, instance, volumes=volumes, progress=say, waiting=out.info),
        )
    removed = {
        "containers": result.containers,
        "networks": result.networks,
        "volumes": result.volumes,
        "kept_volumes": result.kept_volumes,
        "left_networks": result.left_networks,
    }
    if as_json:
        out.data("down", {"project": project.name, "instances": targets, **removed})
        return
    if not any(removed[k] for k in ("containers", "networks", "volumes", "left_networks")) and not all_stale:
        out.info(f"{project.name} ({targets[0]}): nothing to remove")
    if removed["volumes"]:
        out.info("removed volumes: " + ", ".join(removed["volumes"]))
    if removed["kept_volumes"] and not all_stale:  # --all-stale named each instance's command
        out.info("kept volumes (remove with --volumes): " + ", ".join(removed["kept_volumes"]))
    for warning in result.left_network_warnings():
        out.warn(warning)


@click.command(short_help=SHORT_HELP["status"])
@instance_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (schema devenv.status/v1).")
@pass_app
def status(obj: AppContext, instance: Optional[str], as_json: bool) -> None:
    """Show every service of the instance: state, health, image digest, env hash and URLs; then
    the project's other instances on this engine (other worktrees, test runs) and their folders."""

    out: Output = obj.output
    project = obj.project_as_running()
    from devenv.ops.status import status as get_status  # a plain `down` never needs it

    result = get_status(project, obj.instance(instance).name, with_volumes=as_json)
    if as_json:
        out.data("status", result.to_dict())
        return
    rows = []
    for row in result.services:
        state = row.state + (f" ({row.exit_code})" if row.exit_code is not None else "")
        state += f" ({row.health})" if row.health else ""
        flags = f" [{', '.join(row.security)}]" if row.security else ""
        if row.include:  # which include it came from, and whether it runs from source
            pinned = {"git": "pinned commit", "image": "released stack"}.get(row.source or "")
            flags += f" (include {row.include}: {pinned or 'from source'})"
        digest = (row.digest or "-").replace("sha256:", "")[:12]
        mirrors = f" ({row.target})" if row.target not in (None, "prod") else ""  # `up --target`
        env = (row.env_hash or "-") + mirrors
        rows.append([row.service, state + flags, digest, env, " ".join(row.urls) or "-"])
    out.line(stack_title(result.project, result.instance, result.instance_source, result.worktree))
    out.line(table(rows, ["SERVICE", "STATE", "DIGEST", "ENV", "URLS"]))
    if result.created_from is not None:
        other = result.created_from
        whose = "another checkout's stack" if other.live else "leftovers: the folder holds no devenv.toml"
        out.line(f"created from {other.path} ({whose})")
    if result.others:
        out.line("other instances: " + ", ".join(_other(o) for o in result.others))


def _other(other: OtherInstance) -> str:
    where = ", ".join(other.created_from) or "folder unknown"
    gone = ", folder gone: `devenv down --all-stale` removes it" if other.folder_gone else ""
    return f"{other.instance} ({where}; {other.running}/{other.containers} running{gone})"

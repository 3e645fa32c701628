"""down and status: what runs, and taking it away (reads and removals: docker-py never loads)."""

from __future__ import annotations

from typing import Any

import click

from devenv.cli.options import instance_option
from devenv.cli.output import Output, table
from devenv.cli.progress import progress_printer
from devenv.ops.down import down as run_down
from devenv.ops.stale import down_stale
from devenv.ops.status import status as get_status


@click.command(short_help="Remove the stack's containers and network; volumes and data stay.")
@instance_option
@click.option("--volumes", is_flag=True, help="Also remove this instance's named volumes (never data disks).")
@click.option("--all-stale", is_flag=True, help="Remove leftovers of `devenv test` runs whose devenv died.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@click.pass_obj
def down(obj: Any, instance: str, volumes: bool, all_stale: bool, as_json: bool) -> None:
    """Remove the containers and network devenv created for this instance. Named volumes stay
    unless --volumes; data disks and external volumes are never touched."""

    out: Output = obj.output
    project = obj.project()
    say = progress_printer(out)
    if all_stale:
        targets, result = down_stale(project, progress=say)
        if not targets:
            out.info("no stale test instances")
    else:
        targets, result = (
            [instance],
            run_down(project, instance, volumes=volumes, progress=say, waiting=out.info),
        )
    removed = {
        "containers": result.containers,
        "networks": result.networks,
        "volumes": result.volumes,
        "kept_volumes": result.kept_volumes,
    }
    if as_json:
        out.data("down", {"project": project.name, "instances": targets, **removed})
        return
    if not removed["containers"] and not removed["networks"] and not all_stale:
        out.info(f"{project.name} ({instance}): nothing to remove")
    if removed["volumes"]:
        out.info("removed volumes: " + ", ".join(removed["volumes"]))
    if removed["kept_volumes"]:
        out.info("kept volumes (remove with --volumes): " + ", ".join(removed["kept_volumes"]))


@click.command(short_help="Services, state, health, image digest, env hash, URLs.")
@instance_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (schema devenv.status/v1).")
@click.pass_obj
def status(obj: Any, instance: str, as_json: bool) -> None:
    """Show every service of the instance: state, health, image digest, env hash and URLs."""

    out: Output = obj.output
    project = obj.project()
    result = get_status(project, instance)
    if as_json:
        out.data("status", result.to_dict())
        return
    rows = []
    for row in result.services:
        state = row.state + (f" ({row.health})" if row.health else "")
        flags = f" [{', '.join(row.security)}]" if row.security else ""
        digest = (row.digest or "-").replace("sha256:", "")[:12]
        rows.append([row.service, state + flags, digest, row.env_hash or "-", " ".join(row.urls) or "-"])
    out.line(f"{result.project} ({result.instance})")
    out.line(table(rows, ["SERVICE", "STATE", "DIGEST", "ENV", "URLS"]))

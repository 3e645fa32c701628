"""`devenv trust` and `devenv untrust`: accept (or forget) what this devenv.toml grants beyond
its project folder, as `direnv allow` and `mise trust` do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.cli.output import Output, table

if TYPE_CHECKING:
    from devenv.trust.grants import Grant


def _rows(found: list[Grant]) -> str:
    return table([[g.subject, g.what, g.where] for g in found], ["WHO", "GRANT", "WHERE"])


@click.command(short_help=SHORT_HELP["trust"])
@click.option("--json", "as_json", is_flag=True, help="Print what was trusted as JSON.")
@pass_app
def trust(obj: AppContext, as_json: bool) -> None:
    """Trust this exact devenv.toml: `up`, `test`, `watch` and the env commands act on what it
    grants beyond the project folder (privileged, the engine socket, host paths, files read from
    outside the project). The trust is keyed by the file's path and sha256: a changed file asks
    again. A file that grants none of these needs no trust."""
    from devenv.ops.trust import trust as record

    out: Output = obj.output
    project = obj.project()
    found = record(project).grants
    if as_json:
        out.data(
            "trust",
            {
                "file": str(project.config_file),
                "trusted": bool(found),
                "grants": [{"subject": g.subject, "grant": g.what, "where": g.where, "kind": g.kind} for g in found],
            },
        )
        return
    if not found:
        out.info(f"{project.config_file} grants nothing beyond the project folder: no trust needed")
        return
    out.line(_rows(found))
    count = len(found)
    out.info(
        f"trusted {project.config_file} for these {count} grant{'s' if count != 1 else ''}; "
        "a change to the file asks again (`devenv untrust` forgets it)"
    )


@click.command(short_help=SHORT_HELP["untrust"])
@pass_app
def untrust(obj: AppContext) -> None:
    """Forget every trust given to this devenv.toml (any content): what it grants is refused
    again until `devenv trust`."""
    from devenv.ops.trust import untrust as forget

    out: Output = obj.output
    project = obj.project()
    removed = forget(project)
    if removed:
        out.info(f"{project.config_file} is no longer trusted")
    else:
        out.info(f"{project.config_file} was not trusted; nothing to forget")

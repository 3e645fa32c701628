"""`devenv publish`: the project's stack into the team registry (ops.publish)."""

from __future__ import annotations

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app


@click.command(short_help=SHORT_HELP["publish"])
@click.option(
    "--tag",
    "tags",
    multiple=True,
    help="Tag to publish as (repeatable; default: the commit, and latest on the default branch).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"reference": ..., "digest": ...}.')
@pass_app
def publish(app: AppContext, tags: tuple[str, ...], as_json: bool) -> None:
    """Publish the stack to the team registry ([project] registry) as `<registry>/<project>`:
    release images of the services with code built from the commit and pushed, every image
    pinned by digest, with devenv.toml, devenv.lock and the prod env files as committed. Another
    project runs it with `[include.NAME] stack = "<project>:<tag>"`. Never published: the
    secrets file, secret values, anything .gitignore names."""
    from pathlib import Path

    from devenv.config.load import load_project
    from devenv.ops.publish import publish as run_publish

    app.acting_project("containers")  # it builds images: the project's grants are checked as for up
    start = app.project_dir or Path.cwd()
    own = load_project(start, explicit=app.project_dir is not None)  # its includes pinned, not merged
    done = run_publish(own, tags=tags, progress=app.output.info)
    if as_json:
        app.output.data("publish", {"reference": done.reference, "digest": done.digest})
        return
    app.output.line(f"{done.reference}@{done.digest}")
    for tag in done.tags[1:]:
        app.output.detail(f"also tagged {tag}")
    app.output.info(
        f"published {len(done.images)} service image(s) and {len(done.files)} file(s): {', '.join(done.files)}"
    )

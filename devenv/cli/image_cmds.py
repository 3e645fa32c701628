"""`devenv images list|build|push`: the team's standard images in images/<name>/."""

from __future__ import annotations

from typing import Any

import click

from devenv.cli.output import table
from devenv.cli.progress import TransferProgress
from devenv.ops.images import build as build_images
from devenv.ops.images import list_images, plan_builds
from devenv.ops.images import push as push_images


def _build_args(values: tuple[str, ...]) -> dict[str, str]:
    args = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", param_hint="--build-arg")
        args[key] = val
    return args


@click.group(short_help="Build, push and list the team's standard images.")
def images() -> None:
    """The standard images in images/<name>/Dockerfile: built only from committed sources
    (a clean `git archive` of HEAD), tagged <branch>, <short-sha> and latest (default branch)."""


@images.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def list_(app: Any, as_json: bool) -> None:
    """Name, tags and digest in the registry, and the last local build of each catalog image."""

    entries = list_images(app.project())
    if as_json:
        app.output.data("images", {"images": [e.__dict__ for e in entries]})
        return
    for entry in entries:
        if entry.error:
            app.output.warn(f"{entry.name}: {entry.error}")
    rows = [[e.name, ", ".join(e.tags) or "-", (e.digest or "-")[:19], e.last_build or "-"] for e in entries]
    app.output.line(table(rows, ["NAME", "TAGS", "DIGEST", "LAST BUILD"]))


@images.command()
@click.argument("names", nargs=-1)
@click.option("--allow-dirty", is_flag=True, help="Build despite uncommitted changes (tags end in -dirty).")
@click.option("--build-arg", "build_arg", multiple=True, metavar="KEY=VALUE", help="Passed to the build.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def build(
    app: Any, names: tuple[str, ...], allow_dirty: bool, build_arg: tuple[str, ...], as_json: bool
) -> None:
    """Build NAMEs (default: all) from the committed sources at HEAD."""

    args = _build_args(build_arg)
    project = app.project()
    plans = plan_builds(project, names, allow_dirty=allow_dirty)
    for plan in plans:
        if plan.dirty:
            app.output.warn(
                f"{plan.relpath} has uncommitted changes: building the working tree as {plan.tags[-1]}"
            )

    def progress(name: str, line: str) -> None:
        app.output.detail(f"{name}: {line}")

    built = build_images(project, plans, build_args=args, progress=None if as_json else progress)
    if as_json:
        app.output.data("images-build", {"images": [
            {"name": b.plan.name, "id": b.image_id, "references": b.references, "labels": b.labels} for b in built
        ]})  # fmt: skip
        return
    for item in built:
        app.output.info(f"built {item.plan.name} ({item.image_id[7:19]}) from {item.plan.revision[:12]}")
        for ref in item.references:
            app.output.line(ref)


@images.command()
@click.argument("names", nargs=-1)
@click.option("--allow-dirty", is_flag=True, help="Push the -dirty tags of a dirty build.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress).")
@click.pass_obj
def push(app: Any, names: tuple[str, ...], allow_dirty: bool, as_json: bool) -> None:
    """Push the tags `devenv images build` made for HEAD (default: every catalog image)."""

    project = app.project()
    plans = plan_builds(project, names, allow_dirty=allow_dirty)
    quiet = as_json or app.output.quiet
    renderers: dict[str, TransferProgress] = {}

    def transfer_for(plan: Any) -> Any:
        if quiet:
            return None
        renderers[plan.name] = TransferProgress(app.output, verb="pushed")
        return renderers[plan.name]

    def done(plan: Any) -> None:
        if plan.name in renderers:
            renderers.pop(plan.name).finish()

    results = push_images(plans, transfer_for=transfer_for, done=done)
    if as_json:
        app.output.data("images-push", {"images": [p.__dict__ for p in results]})
        return
    app.output.line(table([[p.reference, p.digest or "-"] for p in results], ["IMAGE", "DIGEST"]))

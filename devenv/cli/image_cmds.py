"""`devenv images list|build|push`: the team's standard images in images/<name>/."""

from __future__ import annotations

from typing import Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.cli.output import table
from devenv.cli.progress import BuildBoard, TransferProgress
from devenv.errors import RegistryError
from devenv.images.catalog import describe_base
from devenv.ops.images import BuildPlan, list_images, offered_images, plan_builds
from devenv.ops.images import build as build_images
from devenv.ops.images import push as push_images


def _build_args(values: tuple[str, ...]) -> dict[str, str]:
    args = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", param_hint="--build-arg")
        args[key] = val
    return args


@click.group(short_help=SHORT_HELP["images"])
def images() -> None:
    """The standard images in images/<name>/Dockerfile: built only from committed sources
    (a clean `git archive` of HEAD), tagged <branch>, <short-sha> and latest (default branch)."""


@images.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """What the team registry offers — each repository's tags, digest and the commit it was
    built from — and, in the repository that builds the catalog (images/), each catalog image's
    tags, digest and last local build."""
    project = app.project()
    entries = list_images(project)
    try:
        registry, offered = offered_images(project)
        offer_error = None
    except RegistryError as err:
        registry, offered, offer_error = project.registry or "", [], err
    if as_json:
        app.output.data(
            "images",
            {
                "images": [e.__dict__ for e in entries],
                "registry": [o.to_dict() for o in offered],
                "registry_error": offer_error.message if offer_error else None,
            },
        )
        return
    for entry in entries:
        if entry.error:
            app.output.warn(f"{entry.name}: {entry.error}")
    if entries:
        rows = [[e.name, ", ".join(e.tags) or "-", (e.digest or "-")[:19], e.last_build or "-"] for e in entries]
        app.output.line(table(rows, ["NAME", "TAGS", "DIGEST", "LAST BUILD"]))
    if offer_error is not None:
        app.output.warn(f"the team registry's images cannot be listed: {offer_error.message}")
        return
    app.output.line(f"team registry {registry}: {len({o.repository for o in offered})} repositories")
    offer_rows = [
        [o.repository, ", ".join(o.tags), (o.digest or "-")[:19], (o.revision or "-")[:12]] for o in offered
    ]
    app.output.line(table(offer_rows, ["REPOSITORY", "TAGS", "DIGEST", "COMMIT"]))


def _plans(
    app: AppContext, names: tuple[str, ...], allow_dirty: bool, build_arg: tuple[str, ...]
) -> list[BuildPlan]:
    plans = plan_builds(app.project(), names, allow_dirty=allow_dirty, build_args=_build_args(build_arg))
    for plan in plans:
        if plan.dirty:
            app.output.warn(
                f"{plan.relpath} has uncommitted changes: building the working tree as {plan.tags[-1]}"
            )
    return plans


def _push_renderer(app: AppContext, quiet: bool) -> Optional[TransferProgress]:
    return None if quiet else TransferProgress(app.output, verb="pushed")


_STATUS = {
    "built": "built",
    "local": "built earlier from the same inputs",
    "registry": "up to date in the registry",
}


@images.command()
@click.argument("names", nargs=-1)
@click.option("--push", is_flag=True, help="Push each image (every tag) as soon as it is ready.")
@click.option("--force", is_flag=True, help="Build even when the registry or engine holds these inputs.")
@click.option("--allow-dirty", is_flag=True, help="Build despite uncommitted changes (tags end in -dirty).")
@click.option("--build-arg", "build_arg", multiple=True, metavar="KEY=VALUE", help="Passed to every build.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def build(
    app: AppContext,
    names: tuple[str, ...],
    push: bool,
    force: bool,
    allow_dirty: bool,
    build_arg: tuple[str, ...],
    as_json: bool,
) -> None:
    """Build NAMEs (default: all) and the catalog images they are built on, from the committed
    sources at HEAD, parents first. An image whose inputs (its folder's tree and build args, the
    base pinned) the registry or engine already holds is not built again."""
    plans = _plans(app, names, allow_dirty, build_arg)
    board = None if as_json or app.output.quiet else BuildBoard(app.output)

    def progress(name: str, line: str) -> None:
        app.output.detail(f"{name}: {line}")

    try:
        built, pushed = build_images(
            app.project(),
            plans,
            force=force,
            push=push,
            progress=None if as_json else (board.build_line if board else progress),
            push_progress=board.push_event if board else None,
            events=board.event if board else None,
        )
    finally:
        if board is not None:
            board.finish()
    if as_json:
        app.output.data("images-build", {"images": [
            {"name": b.plan.name, "id": b.image_id, "status": b.status, "references": b.references,
             "content_tag": b.plan.content_tag, "base": b.plan.base_image, "labels": b.labels}
            for b in built
        ], "pushed": [p.__dict__ for p in pushed]})  # fmt: skip
        return
    for item in built:
        ident = f" ({item.image_id[7:19]})" if item.image_id else ""
        app.output.info(
            f"{item.plan.name}{ident}: {_STATUS[item.status]} — {item.plan.revision[:12]}, {describe_base(item.plan)}"
        )
        for ref in item.references:
            app.output.line(ref)
    if pushed:
        app.output.info(f"pushed {len(pushed)} tags")


@images.command()
@click.argument("names", nargs=-1)
@click.option("--allow-dirty", is_flag=True, help="Push the -dirty tags of a dirty build.")
@click.option("--build-arg", "build_arg", multiple=True, metavar="KEY=VALUE", help="As given to `build`.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress).")
@pass_app
def push(
    app: AppContext, names: tuple[str, ...], allow_dirty: bool, build_arg: tuple[str, ...], as_json: bool
) -> None:
    """Push the tags `devenv images build` made for HEAD (default: every catalog image)."""
    plans = _plans(app, names, allow_dirty, build_arg)
    renderer = _push_renderer(app, as_json or app.output.quiet)
    results = push_images(plans, progress=renderer)
    if renderer is not None:
        renderer.finish()
    if as_json:
        app.output.data("images-push", {"images": [p.__dict__ for p in results]})
        return
    app.output.line(table([[p.reference, p.digest or "-"] for p in results], ["IMAGE", "DIGEST"]))

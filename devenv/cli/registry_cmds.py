"""`devenv login`, `devenv pull`, `devenv lock` — and the per-layer transfer progress they share
with `devenv images push`."""

from __future__ import annotations

import sys
from typing import Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_services
from devenv.cli.context import AppContext, pass_app
from devenv.cli.output import table
from devenv.cli.progress import TransferProgress
from devenv.errors import DriftError
from devenv.ops.lock import check as check_lock
from devenv.ops.lock import lock_path, resolved_afresh, write_lock
from devenv.ops.pull import pull as run_pull
from devenv.registry.lockfile import LOCK_NAME, LockedStack, LockFile
from devenv.registry.login import login as do_login
from devenv.registry.reference import effective_registry


def _short(digest: Optional[str]) -> str:
    return digest[:19] if digest else "-"


@click.command(short_help=SHORT_HELP["login"])
@click.argument("registry", required=False)
@click.option("-u", "--username", help="User name (prompted when omitted).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def login(app: AppContext, registry: Optional[str], username: Optional[str], password_stdin: bool) -> None:
    """Log in to REGISTRY (default: the project's registry). Credentials go where docker keeps
    them ($DOCKER_CONFIG/config.json or its credential helper), never into the project."""

    if registry is None:
        registry = effective_registry(app.project().registry)
        if not registry:
            raise click.UsageError("no REGISTRY given and devenv.toml has no [project] registry")
    if not username:
        username = click.prompt("Username", err=True)
    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, err=True)
    if not password:
        raise click.UsageError("empty password")
    path = do_login(registry, username, password)
    app.output.info(
        f"logged in to {registry} as {username} (credentials in {path.parent}, not in the project)"
    )


@click.command(short_help=SHORT_HELP["pull"])
@click.argument("services", nargs=-1, shell_complete=complete_services)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress).")
@pass_app
def pull(app: AppContext, services: tuple[str, ...], as_json: bool) -> None:
    """Make every service image present: a locked digest is pulled only if absent (no network
    otherwise); an unlocked tag is resolved through the registry and pulled."""

    project = app.project()
    quiet = as_json or app.output.quiet
    renderers: dict[str, TransferProgress] = {}

    def transfer_for(service: str) -> Optional[TransferProgress]:
        if quiet:
            return None
        renderers[service] = TransferProgress(app.output)
        return renderers[service]

    def done(service: str) -> None:
        if service in renderers:
            renderers.pop(service).finish()

    result = run_pull(project, services, transfer_for=transfer_for, done=done)
    for item in result.images:
        if item.warning:
            app.output.warn(item.warning)
    rows = [dict(item.__dict__) for item in result.images]
    if as_json:
        app.output.data("pull", {"images": rows})
        return
    for name in result.built:
        app.output.detail(f"{name}: built from source (`build`), nothing to pull")
    if rows:
        app.output.line(table([[r["service"], r["state"], _short(r["digest"]), r["reference"]] for r in rows],
                              ["SERVICE", "STATE", "DIGEST", "IMAGE"]))  # fmt: skip


@click.command(short_help=SHORT_HELP["lock"])
@click.option("--check", is_flag=True, help="Exit non-zero if devenv.lock is missing or out of date.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def lock(app: AppContext, check: bool, as_json: bool) -> None:
    """Resolve each service's image tag to its manifest digest and write devenv.lock (commit it).
    With --check, change nothing and fail (exit 6) when a tag moved or an image is not locked."""

    own = app.own_project()
    # Includes are resolved once, as they are now (not first with the lock in force).
    afresh = resolved_afresh(own) if own.include_specs else None
    project = app.acting_project("reads", resolved=afresh.project if afresh else own)  # it hashes the env sources
    path = lock_path(project)
    if check:
        checked = check_lock(project, afresh)
        if checked.lock is None:
            if as_json:
                app.output.data("lock-check", {"ok": False, "missing": True, "drift": []})
            raise DriftError(f"{LOCK_NAME} is missing", hint="run `devenv lock` and commit devenv.lock")
        drifts = checked.drifts
        if as_json:
            app.output.data("lock-check", {"ok": not drifts, "missing": False,
                                           "drift": [d.__dict__ | {"message": d.describe()} for d in drifts]})  # fmt: skip
        else:
            for drift in drifts:
                app.output.info(drift.describe())
        if drifts:
            raise DriftError(f"{LOCK_NAME} is out of date: {len(drifts)} image(s) or include(s) differ",
                             hint="run `devenv lock` and commit devenv.lock (or re-push the locked image)")  # fmt: skip
        if not as_json:
            app.output.info(f"{LOCK_NAME} is up to date ({len(checked.lock.images)} images{_includes(checked.lock)})")
        return
    fresh = write_lock(project, afresh)
    if as_json:
        app.output.data("lock", {"path": str(path), "images": {n: i._asdict() for n, i in sorted(fresh.images.items())},
                                 "includes": {n: i._asdict() for n, i in sorted(fresh.includes.items())},
                                 "env_hash": fresh.env_hash})  # fmt: skip
        return
    rows = [[name, _short(item.digest), item.reference] for name, item in sorted(fresh.images.items())]
    if rows:
        app.output.line(table(rows, ["SERVICE", "DIGEST", "IMAGE"]))
    for name, pin in sorted(fresh.includes.items()):
        if isinstance(pin, LockedStack):
            app.output.detail(f"include {name}: {pin.reference} → {pin.digest[:19]}")
        else:
            app.output.detail(f"include {name}: {pin.git} {pin.ref} → {pin.commit[:12]}")
    app.output.info(f"wrote {LOCK_NAME} ({len(rows)} images{_includes(fresh)})")


def _includes(lock: LockFile) -> str:
    count = len(lock.includes)
    return f", {count} include{'s' if count != 1 else ''}" if count else ""

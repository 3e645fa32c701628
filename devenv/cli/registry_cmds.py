"""`devenv login`, `devenv pull`, `devenv lock` — and the per-layer transfer progress they share
with `devenv images push`."""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from devenv.cli.completion import complete_services
from devenv.cli.output import table
from devenv.cli.progress import TransferProgress
from devenv.errors import ConfigError, DriftError

LOCK_NAME = "devenv.lock"


def _short(digest: Optional[str]) -> str:
    return digest[:19] if digest else "-"


@click.command(short_help="Log in to a registry (stored the way docker stores it).")
@click.argument("registry", required=False)
@click.option("-u", "--username", help="User name (prompted when omitted).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def login(app: Any, registry: Optional[str], username: Optional[str], password_stdin: bool) -> None:
    """Log in to REGISTRY (default: the project's registry). Credentials go where docker keeps
    them ($DOCKER_CONFIG/config.json or its credential helper), never into the project."""
    from devenv.registry.login import login as do_login
    from devenv.registry.reference import effective_registry

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


@click.command(short_help="Pull every service image (locked digests first).")
@click.argument("services", nargs=-1, shell_complete=complete_services)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress).")
@click.pass_obj
def pull(app: Any, services: tuple[str, ...], as_json: bool) -> None:
    """Make every service image present: a locked digest is pulled only if absent (no network
    otherwise); an unlocked tag is resolved through the registry and pulled."""
    from devenv.engine.client import connect
    from devenv.registry.lockfile import LockFile, locked_digest
    from devenv.registry.locking import image_services
    from devenv.registry.pull import ensure_image

    project = app.project()
    targets = image_services(project)
    unknown = [s for s in services if s not in project.service_names]
    if unknown:
        raise ConfigError(
            f"no service '{unknown[0]}' in devenv.toml", hint=f"services: {', '.join(project.service_names)}"
        )
    wanted = [s for s in (services or sorted(targets)) if s in targets]
    lock = LockFile.load(project.root / LOCK_NAME)
    client = connect()
    quiet = as_json or app.output.quiet
    rows = []
    for name in wanted:
        image, ref = targets[name]
        digest = locked_digest(lock, name, image)
        renderer = None if quiet else TransferProgress(app.output)
        ensured = ensure_image(
            client, ref, locked_digest=digest, policy="missing" if digest else "always", progress=renderer
        )
        if renderer is not None:
            renderer.finish()
        if ensured.warning:
            app.output.warn(ensured.warning)
        state = "pulled" if ensured.pulled else ("offline" if ensured.warning else "present")
        rows.append({"service": name, "image": image, "reference": ensured.ref.display, "digest": ensured.digest,
                     "locked": digest is not None, "state": state, "warning": ensured.warning})  # fmt: skip
    if as_json:
        app.output.data("pull", {"images": rows})
        return
    skipped = [
        s.name for s in project.services if s.name not in targets and (not services or s.name in services)
    ]
    for name in skipped:
        app.output.detail(f"{name}: built from source (`build`), nothing to pull")
    if rows:
        app.output.line(table([[r["service"], r["state"], _short(r["digest"]), r["reference"]] for r in rows],
                              ["SERVICE", "STATE", "DIGEST", "IMAGE"]))  # fmt: skip


def _fill_env(project: Any, lockfile: Any) -> None:
    """The env part of the lock: the hash of production's env (no secret values in it) and the
    hash of every source file, which `devenv env check` compares to catch drift."""
    if not project.env.prod:
        return
    from devenv.envvars import resolve_env, source_hashes

    lockfile.env_hash = resolve_env(project.root, project.env, "prod").public_hash()
    lockfile.env_sources = source_hashes(project.root, project.env)


@click.command(short_help="Pin every image tag to its digest in devenv.lock.")
@click.option("--check", is_flag=True, help="Exit non-zero if devenv.lock is missing or out of date.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def lock(app: Any, check: bool, as_json: bool) -> None:
    """Resolve each service's image tag to its manifest digest and write devenv.lock (commit it).
    With --check, change nothing and fail (exit 6) when a tag moved or an image is not locked."""
    from devenv.registry.lockfile import LockFile
    from devenv.registry.locking import check_lock, lock_images

    project = app.project()
    path = project.root / LOCK_NAME
    if check:
        existing = LockFile.load(path)
        if existing is None:
            if as_json:
                app.output.data("lock-check", {"ok": False, "missing": True, "drift": []})
            raise DriftError(f"{LOCK_NAME} is missing", hint="run `devenv lock` and commit devenv.lock")
        drifts = check_lock(project, existing)
        if as_json:
            app.output.data("lock-check", {"ok": not drifts, "missing": False,
                                           "drift": [d.__dict__ | {"message": d.describe()} for d in drifts]})  # fmt: skip
        else:
            for drift in drifts:
                app.output.info(drift.describe())
        if drifts:
            raise DriftError(f"{LOCK_NAME} is out of date: {len(drifts)} image(s) differ",
                             hint="run `devenv lock` and commit devenv.lock (or re-push the locked image)")  # fmt: skip
        if not as_json:
            app.output.info(f"{LOCK_NAME} is up to date ({len(existing.images)} images)")
        return
    fresh = lock_images(project)
    _fill_env(project, fresh)
    fresh.save(path)
    if as_json:
        app.output.data("lock", {"path": str(path), "images": {n: i.__dict__ for n, i in sorted(fresh.images.items())},
                                 "env_hash": fresh.env_hash})  # fmt: skip
        return
    rows = [[name, _short(item.digest), item.reference] for name, item in sorted(fresh.images.items())]
    if rows:
        app.output.line(table(rows, ["SERVICE", "DIGEST", "IMAGE"]))
    app.output.info(f"wrote {LOCK_NAME} ({len(rows)} images)")

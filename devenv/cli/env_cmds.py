"""`devenv env show|diff|check`: the layered env with the source of every value, secrets as ***."""

from __future__ import annotations

import json
from typing import Any, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_profile, complete_service
from devenv.cli.context import AppContext, pass_app
from devenv.cli.output import table
from devenv.envvars import EnvValue, LayeredEnv, check_drift, diff_envs, resolve_env, service_env
from devenv.envvars.redact import MASK, Shown
from devenv.errors import DriftError
from devenv.ops.lock import locked_env_sources

PROFILE_HELP = "Profile to resolve (prod, dev, test or one declared in devenv.toml; default: dev)."


def _shown(value: EnvValue) -> str:
    """A value as one table cell: secrets masked, control characters escaped."""

    if value.secret:
        return MASK
    text = value.value
    return json.dumps(text)[1:-1] if any(c < " " for c in text) else text


def _where(value: EnvValue) -> str:
    return f"{value.source} (via {value.via})" if value.via else value.source


def _value_doc(value: EnvValue) -> dict[str, Any]:

    return {
        "key": Shown(value.key),
        "value": MASK if value.secret else Shown(value.value),
        "secret": value.secret,
        "source": value.source,
        "via": value.via,
    }


def _resolve(app: AppContext, profile: Optional[str], service: Optional[str] = None) -> LayeredEnv:

    project = app.acting_project("reads")  # files outside the project: only once trusted
    if service:
        return service_env(project, service, profile)
    return resolve_env(project.root, project.env, profile)


def _guard(app: AppContext, *envs: LayeredEnv) -> None:
    """From here on every printed line is redacted, whatever prints it."""
    secrets: set[str] = set()
    for env in envs:
        secrets |= env.secret_values()
    app.output.add_secrets(secrets)


@click.group(name="env", short_help=SHORT_HELP["env"])
def env() -> None:
    """Show, diff and check the layered environment (prod → profile overrides → local secrets)."""


@env.command("show")
@click.argument("service", required=False, shell_complete=complete_service)
@click.option("--profile", "-p", help=PROFILE_HELP, shell_complete=complete_profile)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@pass_app
def show(app: AppContext, service: Optional[str], profile: Optional[str], as_json: bool) -> None:
    """List every variable a container receives, its value (secrets as ***) and its source."""
    layered = _resolve(app, profile, service)
    _guard(app, layered)
    out = app.output
    for warning in layered.warnings:
        out.warn(warning)
    values = list(layered.values.values())
    if as_json:
        out.data(
            "env",
            {
                "profile": Shown(layered.profile),
                "service": None if service is None else Shown(service),
                "public_hash": layered.public_hash(),
                "variables": [_value_doc(v) for v in values],
                "unmirrorable": [
                    {"key": Shown(u.key), "source": u.source, "reason": u.reason}
                    for u in layered.unmirrorable.values()
                ],
                "warnings": list(layered.warnings),
            },
        )
        return
    target = f"service {service}, " if service else ""
    out.info(
        f"{target}profile {layered.profile}: {len(values)} variable{'' if len(values) == 1 else 's'}, env hash {layered.public_hash()[:12]}"
    )
    if values:
        out.line(table([[v.key, _shown(v), _where(v)] for v in values], ["KEY", "VALUE", "SOURCE"]))
    for item in layered.unmirrorable.values():
        out.info(f"not mirrored: {item.key} ({item.source}): {item.reason}")


@env.command("diff")
@click.argument("a", shell_complete=complete_profile)
@click.argument("b", shell_complete=complete_profile)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@pass_app
def diff(app: AppContext, a: str, b: str, as_json: bool) -> None:
    """Compare two profiles (either may be `prod`): keys added, removed, changed.

    Secret values are compared by hash and never shown.
    """

    env_a, env_b = _resolve(app, a), _resolve(app, b)
    _guard(app, env_a, env_b)
    result = diff_envs(env_a, env_b)
    out = app.output
    if as_json:
        out.data(
            "env-diff",
            {
                "a": Shown(a),
                "b": Shown(b),
                "same": result.same,
                "added": [_value_doc(v) for v in result.added],
                "removed": [_value_doc(v) for v in result.removed],
                "changed": [
                    {"key": Shown(c.key), "secret": c.secret, "a": _value_doc(c.a), "b": _value_doc(c.b)}
                    for c in result.changed
                ],
                "unchanged": result.unchanged,
            },
        )
        return
    out.info(
        f"{a} → {b}: {len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.changed)} changed, {result.unchanged} the same"
    )
    rows = [["+", v.key, "", _shown(v), _where(v)] for v in result.added]
    rows += [["-", v.key, _shown(v), "", _where(v)] for v in result.removed]
    for c in result.changed:
        note = f"{MASK} (secret; differs)" if c.secret else _shown(c.b)
        rows.append(["~", c.key, _shown(c.a), note, _where(c.b)])
    rows.sort(key=lambda r: r[1])
    if rows:
        out.line(table(rows, ["", "KEY", a.upper(), b.upper(), "SOURCE"]))


@env.command("check")
@click.option(
    "--profile",
    "-p",
    help="Check one profile (default: dev, test and every declared profile).",
    shell_complete=complete_profile,
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document (for CI).")
@pass_app
def check(app: AppContext, profile: Optional[str], as_json: bool) -> None:
    """Fail (exit 6) on drift between prod, the profiles and devenv.lock.

    Drift: a key a profile sets or unsets that prod lacks (unless dev_only), a prod key a profile
    lost without unset, a source changed since devenv.lock. Needs no secret values, so CI can run it.
    """

    project = app.acting_project("reads")
    report = check_drift(project.root, project.env, profile, locked_env_sources(project))
    out = app.output
    if as_json:
        out.data(
            "env-check",
            {
                "ok": report.ok,
                "profiles": list(report.profiles),
                "problems": [
                    {
                        "kind": p.kind,
                        "message": p.message,
                        "hint": p.hint,
                        "key": p.key,
                        "file": p.file,
                        "profile": p.profile,
                    }
                    for p in report.problems
                ],
                "notes": list(report.notes),
                "sources": dict(report.sources),
            },
        )
    else:
        for note in report.notes:
            out.info(f"note: {note}")
        for problem in report.problems:
            out.line(f"drift: {problem.message}")
            out.line(f"  fix: {problem.hint}")
        if report.ok:
            out.info(
                f"env check: no drift (profiles {', '.join(report.profiles)}; {len(report.sources)} sources)"
            )
    if not report.ok:
        count = len(report.problems)
        raise DriftError(
            f"env check: {count} drift problem{'s' if count != 1 else ''}",
            "fix the profile in devenv.toml, or review the source change and run `devenv lock`",
        )

"""`devenv env show|diff|check`: the layered env with the source of every value, secrets as ***."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_profile, complete_service, complete_target
from devenv.cli.context import AppContext, pass_app
from devenv.envvars import EnvValue, LayeredEnv, check_drift, diff_envs, resolve_env, service_env
from devenv.envvars.redact import MASK, Shown
from devenv.errors import DriftError
from devenv.ops.lock import locked_env_sources
from devenv.ops.secrets import known_secret_values

if TYPE_CHECKING:  # annotations only: `env` commands need not load these for them
    from devenv.config.model import Project
    from devenv.envvars.diff import ServiceDiff

PROFILE_HELP = "Profile to resolve (prod, dev, test or one declared in devenv.toml; default: dev)."
TARGET_HELP = "Environment to mirror: prod (default) or one declared in [env.targets]."


def _shown(value: EnvValue) -> str:
    """A value as one table cell: masked by its own flag (a secret's, whatever its text; a public
    one shown, even equal to a secret's), control characters escaped."""

    if value.secret:
        return MASK
    text = value.value
    return Shown(json.dumps(text)[1:-1] if any(c < " " for c in text) else text)


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


def _project(app: AppContext, target: Optional[str]) -> Project:
    project = app.acting_project("reads")  # files outside the project: only once trusted
    if target is None:
        return project
    from devenv.envvars.targets import with_target

    return with_target(project, target)


def _resolve(
    app: AppContext, profile: Optional[str], service: Optional[str] = None, target: Optional[str] = None
) -> LayeredEnv:

    project = _project(app, target)
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
@click.option("--target", "-t", help=TARGET_HELP, shell_complete=complete_target)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@pass_app
def show(
    app: AppContext, service: Optional[str], profile: Optional[str], target: Optional[str], as_json: bool
) -> None:
    """List every variable a container receives, its value (secrets as ***) and its source."""
    layered = _resolve(app, profile, service, target)
    mirrors = target or "prod"
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
                "target": Shown(mirrors),
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
    who = f"service {service}, " if service else ""
    out.info(
        f"{who}profile {layered.profile}: {len(values)} variable{'' if len(values) == 1 else 's'}, "
        f"env hash {layered.public_hash()[:12]}, mirroring {mirrors}"
    )
    if values:
        out.table([[Shown(v.key), _shown(v), _where(v)] for v in values], ["KEY", "VALUE", "SOURCE"])
    for item in layered.unmirrorable.values():
        out.info(f"not mirrored: {item.key} ({item.source}): {item.reason}")


@env.command("diff")
@click.argument("a", required=False, shell_complete=complete_profile)
@click.argument("b", required=False, shell_complete=complete_profile)
@click.option(
    "--between",
    nargs=2,
    metavar="TARGET TARGET",
    shell_complete=complete_target,
    help="Compare two environments (e.g. `--between staging prod`) per service, instead of two profiles.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@pass_app
def diff(
    app: AppContext, a: Optional[str], b: Optional[str], between: Optional[tuple[str, str]], as_json: bool
) -> None:
    """Compare two profiles (either may be `prod`): keys added, removed, changed. With
    `--between A B`, compare two targets' production values service by service, with the source
    of each side.

    Secret values are compared by hash and never shown.
    """
    if between:
        if a is not None:
            raise click.UsageError("give two profiles or --between TARGET TARGET, not both")
        _diff_between(app, between[0], between[1], as_json)
        return
    if a is None or b is None:
        raise click.UsageError(
            "give two profiles (e.g. `devenv env diff prod dev`) or --between TARGET TARGET"
        )
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
    rows = [["+", Shown(v.key), "", _shown(v), _where(v)] for v in result.added]
    rows += [["-", Shown(v.key), _shown(v), "", _where(v)] for v in result.removed]
    for c in result.changed:
        note = f"{MASK} (secret; differs)" if c.secret else _shown(c.b)
        rows.append(["~", Shown(c.key), _shown(c.a), note, _where(c.b)])
    rows.sort(key=lambda r: r[1])
    if rows:
        out.table(rows, ["", "KEY", a.upper(), b.upper(), "SOURCE"])


def _diff_between(app: AppContext, a: str, b: str, as_json: bool) -> None:
    from devenv.envvars.diff import diff_targets
    from devenv.envvars.targets import with_target

    project = app.acting_project("reads")
    sides = [with_target(project, name) for name in (a, b)]  # an unknown target: named first
    for side in sides:  # from here on every printed line is redacted
        app.output.add_secrets(known_secret_values(side, "prod"))
    found = diff_targets(project, a, b)
    out = app.output
    if as_json:
        out.data(
            "env-diff-targets",
            {
                "a": Shown(a),
                "b": Shown(b),
                "same": all(f.same for f in found),
                "services": [_between_doc(f) for f in found],
            },
        )
        return
    for item in found:
        d = item.diff
        who = f"service {item.service}" if item.service else "project env"
        out.info(
            f"{who}: {a} → {b}: {len(d.changed)} differ, {len(d.removed)} only in {a}, "
            f"{len(d.added)} only in {b}, {d.unchanged} the same"
        )
        rows = [["-", Shown(v.key), _shown(v), _where(v), "", ""] for v in d.removed]
        rows += [["+", Shown(v.key), "", "", _shown(v), _where(v)] for v in d.added]
        for c in d.changed:
            note = f"{MASK} (secret; differs)" if c.secret else _shown(c.b)
            rows.append(["~", Shown(c.key), _shown(c.a), _where(c.a), note, _where(c.b)])
        rows.sort(key=lambda r: r[1])
        if rows:
            out.table(rows, ["", "KEY", a.upper(), f"{a.upper()} SOURCE", b.upper(), f"{b.upper()} SOURCE"])
    if not found:
        out.info(f"{a} → {b}: no service receives an env")


def _between_doc(item: ServiceDiff) -> dict[str, Any]:
    d = item.diff
    return {
        "service": None if item.service is None else Shown(item.service),
        "same": d.same,
        "only_in_a": [_value_doc(v) for v in d.removed],
        "only_in_b": [_value_doc(v) for v in d.added],
        "differ": [
            {"key": Shown(c.key), "secret": c.secret, "a": _value_doc(c.a), "b": _value_doc(c.b)}
            for c in d.changed
        ],
        "secrets": {Shown(k): "differs" if differs else "same" for k, differs in item.secrets},
        "unchanged": d.unchanged,
    }


@env.command("check")
@click.option(
    "--profile",
    "-p",
    help="Check one profile (default: dev, test and every declared profile).",
    shell_complete=complete_profile,
)
@click.option(
    "--target",
    "-t",
    help="Check against this environment instead of prod (declared in [env.targets]).",
    shell_complete=complete_target,
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document (for CI).")
@pass_app
def check(app: AppContext, profile: Optional[str], target: Optional[str], as_json: bool) -> None:
    """Fail (exit 6) on drift between prod (or --target), the profiles and devenv.lock.

    Drift: a key a profile sets or unsets that prod lacks (unless dev_only), a prod key a profile
    lost without unset, a source changed since devenv.lock (the sources of every target are
    checked). Needs no secret values, so CI can run it.
    """

    project = _project(app, target)
    receiving = [s.name for s in project.services if s.env == "prod"]
    report = check_drift(project.root, project.env, profile, locked_env_sources(project), receiving)
    mirrors = target or "prod"
    out = app.output
    if as_json:
        out.data(
            "env-check",
            {
                "ok": report.ok,
                "target": Shown(mirrors),
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
                f"env check: no drift against {mirrors} (profiles {', '.join(report.profiles)}; {len(report.sources)} sources)"
            )
    if not report.ok:
        count = len(report.problems)
        raise DriftError(
            f"env check: {count} drift problem{'s' if count != 1 else ''}",
            "fix the profile in devenv.toml, or review the source change and run `devenv lock`",
        )

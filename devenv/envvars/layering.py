"""Layering: prod's env → the profile's declared overrides → local values for secret keys.

Profiles `prod`, `dev` and `test` always exist (`dev`/`test` change nothing unless declared);
a profile changes only the keys it names (`set`, `unset`), after the profiles it `extends`.
Secret keys (from a Secret source) get their dev/test values from the local secrets file, else
the process environment; a profile's own `set` is kept when neither has one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from devenv import reads
from devenv.config import profiles
from devenv.config.model import EnvSpec, Profile
from devenv.config.selection import unknown_service
from devenv.envvars.derived import (
    has_references,
    recompute,
    resolve_entry,
    self_derived,
    settle_runtime,
    taint,
)
from devenv.envvars.dotenv import nameable, parse_dotenv
from devenv.envvars.model import EnvValue, LayeredEnv, Unmirrorable
from devenv.envvars.sources import ProdEnv, load_prod
from devenv.errors import ConfigError

PLACEHOLDER = "devenv-placeholder"


def known_profiles(spec: EnvSpec) -> list[str]:
    return profiles.known_profiles(p.name for p in spec.profiles)


def profile_chain(spec: EnvSpec, name: str) -> list[Profile]:
    """The profiles applied for `name`, base first (`prod` -> none)."""
    declared = {p.name: p for p in spec.profiles}
    if "prod" in declared:
        raise ConfigError(
            "devenv.toml [env.profiles.prod]: prod is production itself and cannot be overridden",
            "put the overrides in another profile (dev, test, ...)",
        )
    cycle = profiles.extends_cycle({p.name: p.extends for p in spec.profiles}, name)
    if cycle is not None:
        raise ConfigError(
            f"devenv.toml [env.profiles]: extends forms a cycle: {' -> '.join(cycle)}", "remove one extends"
        )
    chain: list[Profile] = []
    current: Optional[str] = name
    while current not in (None, profiles.PROD):
        profile = declared.get(current)
        if profile is None:
            if current in profiles.BUILTIN_PROFILES:
                profile = Profile(name=current)
            else:
                whose = f" (extended by profile {chain[-1].name})" if chain else ""
                raise ConfigError(
                    f'unknown env profile "{current}"{whose}; known: {", ".join(known_profiles(spec))}',
                    f"declare [env.profiles.{current}] in devenv.toml, or use one of those",
                )
        chain.append(profile)
        current = profile.extends
    return list(reversed(chain))


class Layers:
    """Everything resolve_env knows, including what drift checks need. A plain class: `up`
    imports this module, and creating a dataclass compiles its methods at import."""

    __slots__ = ("chain", "missing_secrets", "prod", "unmirrorable", "values", "warnings")

    def __init__(
        self,
        prod: ProdEnv,
        chain: list[Profile],
        values: dict[str, EnvValue],
        unmirrorable: dict[str, Unmirrorable],
        missing_secrets: Optional[list[str]] = None,
        warnings: Optional[list[str]] = None,
    ) -> None:
        self.prod = prod
        self.chain = chain
        self.values = values
        self.unmirrorable = unmirrorable
        self.missing_secrets: list[str] = [] if missing_secrets is None else missing_secrets
        self.warnings: list[str] = [] if warnings is None else warnings


def declare_secrets(prod: ProdEnv, spec: EnvSpec) -> None:
    """`[env] secret_keys`: secret whatever the sources say; one no source has is local only.
    Then every value built from a secret is secret too (`postgres://app:${DB_PASSWORD}@db`)."""
    for key in spec.secret_keys:
        if key in prod.values:
            prod.values[key] = prod.values[key]._replace(secret=True)
        elif key not in prod.unmirrorable:
            prod.values[key] = EnvValue(
                key, "", "devenv.toml [env] secret_keys (a local value only)", secret=True
            )
    taint(prod.values)


def apply_profiles(
    prod: ProdEnv, chain: list[Profile]
) -> tuple[dict[str, EnvValue], dict[str, Unmirrorable]]:
    values = dict(prod.values)
    unmirrorable = dict(prod.unmirrorable)
    secret_keys = prod.secret_keys
    for profile in chain:
        both = sorted(set(profile.unset) & {k for k, _ in profile.set})
        if both:
            raise ConfigError(
                f"devenv.toml [env.profiles.{profile.name}]: {', '.join(both)} is both set and unset",
                "keep it in one of the two",
            )
        for key in profile.unset:
            values.pop(key, None)
            unmirrorable.pop(key, None)
        for key, value in profile.set:
            values[key] = EnvValue(key, value, f"profile {profile.name}", secret=key in secret_keys)
            unmirrorable.pop(key, None)
    return values, unmirrorable


def read_secrets_file(root: Path, spec: EnvSpec) -> tuple[dict[str, EnvValue], list[str]]:
    if not spec.secrets or not (root / spec.secrets).is_file():
        return {}, []
    label = spec.secrets
    reads.check(root, label, "[env] secrets in devenv.toml")  # outside the project: only once trusted
    from devenv.fsutil import read_text

    result = parse_dotenv(read_text(root / label, label), label, private=True)
    found = {
        e.key: EnvValue(e.key, e.value, f"secrets file {label}:{e.line}", secret=True)
        for e in result.entries
        if e.value is not None
    }
    return found, result.warnings


def layer(
    root: Path,
    spec: EnvSpec,
    profile: str,
    *,
    service: Optional[str] = None,
    process_env: Optional[Mapping[str, str]] = None,
    prod: Optional[ProdEnv] = None,
    given: Optional[Mapping[str, EnvValue]] = None,
    foreign: tuple[str, ...] = (),
) -> Layers:
    """`given`: local secret values from elsewhere (an included stack's, from the including
    developer's secrets file), over its own file's; `foreign`: key prefixes of the secrets file
    that are for included stacks (no "not a secret key" warning)."""
    chain = profile_chain(spec, profile)
    prod = prod if prod is not None else load_prod(root, spec.prod, service)
    declare_secrets(prod, spec)
    values, unmirrorable = apply_profiles(prod, chain)
    layers = Layers(prod, chain, values, unmirrorable, warnings=list(prod.warnings))
    if profile == "prod":
        settle_runtime(values, unmirrorable, in_prod=True)
        return layers  # production's own values, secrets as the manifests hold them
    env = os.environ if process_env is None else process_env
    local, warnings = read_secrets_file(root, spec)
    local = {**local, **(given or {})}
    layers.warnings.extend(warnings)
    placeholders = any(p.placeholder_secrets for p in chain)
    set_by_profile = {k for p in chain for k, _ in p.set}
    for key in sorted(prod.secret_keys & set(values)):
        names = [key] + ([prod.secret_aliases[key]] if key in prod.secret_aliases else [])
        in_file = next((n for n in names if n in local), None)
        in_env = next((n for n in names if n in env), None)
        if in_file is not None:
            found = local[in_file]
            values[key] = found._replace(key=key, source=_named(found.source, in_file, key))
        elif prod.values[key].pieces and not self_derived(prod.values, key):
            continue  # derived: recomputed below from its parts, unless a profile sets it
        elif in_env is not None:
            values[key] = EnvValue(key, env[in_env], _named("process environment", in_env, key), secret=True)
        elif key in set_by_profile:
            continue
        elif placeholders:
            values[key] = EnvValue(
                key, f"{PLACEHOLDER}-{key.lower()}", f"placeholder (profile {profile})", True
            )
        else:
            layers.missing_secrets.append(" (or ".join(names) + ")" * (len(names) - 1))
    recompute(prod.values, values, unmirrorable)
    settle_runtime(values, unmirrorable, in_prod=False)
    for key in sorted(set(local) - prod.secret_keys - set(prod.secret_aliases.values())):
        if key.startswith(foreign) and foreign:
            continue
        layers.warnings.append(_not_a_secret_key(local[key], key))
    return layers


def _not_a_secret_key(found: EnvValue, key: str) -> str:
    """Named only when the line reads as KEY=value: a pasted base64 line (`c2VjcmV0=`) parses
    as a key with an empty value, and its text must not be printed."""
    if nameable(key) and found.value.strip("="):
        return f"{found.source}: {key} is not a secret key of prod's env; ignored"
    return f"{found.source}: not a secret key of prod's env (or not a KEY=value line); ignored"


def _named(source: str, found_as: str, key: str) -> str:
    return source if found_as == key else f"{source} (as {found_as})"


def resolve_env(
    project_root: Path,
    spec: EnvSpec,
    profile: Optional[str] = None,
    *,
    service: Optional[str] = None,
    process_env: Optional[Mapping[str, str]] = None,
    given: Optional[Mapping[str, EnvValue]] = None,
    foreign: tuple[str, ...] = (),
) -> LayeredEnv:
    """The env a container of `profile` receives, every value with its provenance."""
    name = profile or spec.default_profile
    layers = layer(
        project_root, spec, name, service=service, process_env=process_env, given=given, foreign=foreign
    )
    if layers.missing_secrets:
        raise missing_secrets_error(spec, name, layers.missing_secrets)
    return _finish(name, layers.values, layers.unmirrorable, layers.warnings)


class MissingSecrets(ConfigError):
    """A secret key with no local value (`keys`: as the message names them)."""

    def __init__(self, message: str, hint: str, keys: list[str]) -> None:
        super().__init__(message, hint)
        self.keys = keys


def include_prefix(include: str) -> str:
    """How the including developer's secrets file names an included stack's secret:
    `NOTIFY__SMTP_PASSWORD` is notify's SMTP_PASSWORD."""
    return re.sub(r"[^A-Za-z0-9]", "_", include).upper() + "__"


def include_secrets(root: Path, spec: EnvSpec, include: str) -> dict[str, EnvValue]:
    """An included stack's local secret values from the including project's secrets file."""
    prefix = include_prefix(include)
    found, _ = read_secrets_file(root, spec)
    return {
        key[len(prefix) :]: value._replace(key=key[len(prefix) :], source=f"{value.source} (as {key})")
        for key, value in found.items()
        if key.startswith(prefix) and len(key) > len(prefix)
    }


def missing_include_secrets(spec: EnvSpec, include: str, keys: list[str]) -> ConfigError:
    """One line naming the include, its keys, and where the including developer puts them."""
    named = ", ".join(include_prefix(include) + k for k in keys)
    where = spec.secrets or ".devenv/secrets.env"
    declare = "" if spec.secrets else f' (declare secrets = "{where}" in [env] of devenv.toml)'
    return ConfigError(
        f"include {include}: no local value for secret {'key' if len(keys) == 1 else 'keys'} {', '.join(keys)}",
        f"add {named}=<value> to {where}{declare}, keep it out of git; or use a profile of the "
        f"included stack with placeholder_secrets = true ([include.{include}] profile =)",
    )


def missing_secrets_error(spec: EnvSpec, profile: str, keys: list[str]) -> MissingSecrets:
    them = "it" if len(keys) == 1 else "them"
    where = (
        f"add {them} to {spec.secrets} (KEY=value; keep it out of git)"
        if spec.secrets
        else f'declare secrets = ".devenv/secrets.env" in [env] and add {them} there'
    )
    return MissingSecrets(
        f"profile {profile}: no local value for secret {'key' if len(keys) == 1 else 'keys'} {', '.join(keys)}",
        f"{where}, export {them} in the environment, or set placeholder_secrets = true in [env.profiles.{profile}]",
        keys,
    )


def _finish(
    profile: str,
    values: Mapping[str, EnvValue],
    unmirrorable: Mapping[str, Unmirrorable],
    warnings: list[str],
) -> LayeredEnv:
    return LayeredEnv(
        profile=profile,
        values={k: values[k] for k in sorted(values)},
        unmirrorable={k: unmirrorable[k] for k in sorted(unmirrorable)},
        warnings=tuple(dict.fromkeys(warnings)),
    )


def service_env(
    project: Any,
    service: str,
    profile: Optional[str] = None,
    *,
    process_env: Optional[Mapping[str, str]] = None,
    given: Optional[Mapping[str, EnvValue]] = None,
    foreign: tuple[str, ...] = (),
) -> LayeredEnv:
    """A service's env: the layered env when it says `env = "prod"` (with its own `environment`
    table on top, if any); otherwise just that table.

    An `environment` value may refer to the layered env (`POSTGRES_PASSWORD = "${DB_PASSWORD}"`):
    the service's own layered env when it receives one, else the project's (`devenv env show`
    without a service). The entry is secret when what it refers to is.
    """
    try:
        svc = project.service(service)
    except KeyError:
        raise unknown_service(project, service) from None
    if svc.include is not None:  # an included stack's own env: its sources, its profile (never ours)
        stack = project.included(svc.include)
        # Its secrets: never published; local values from our secrets file, as NOTIFY__KEY.
        ours = include_secrets(project.root, project.env, stack.name)
        try:
            return service_env(stack.project, service, stack.profile, process_env=process_env, given=ours)
        except MissingSecrets as err:
            raise missing_include_secrets(project.env, stack.name, err.keys) from None
    foreign = tuple(include_prefix(s.name) for s in getattr(project, "includes", ()))
    name = profile or project.env.default_profile
    table = tuple(svc.environment or ())
    receives = svc.env == "prod"
    env: Optional[LayeredEnv] = None
    if receives:
        env = resolve_env(
            project.root,
            project.env,
            name,
            service=service,
            process_env=process_env,
            given=given,
            foreign=foreign,
        )
    elif any(has_references(v, f"services.{service}.environment.{k}") for k, v in table):
        env = resolve_env(
            project.root, project.env, name, process_env=process_env, given=given, foreign=foreign
        )
    else:
        profile_chain(project.env, name)  # an unknown profile is an error here too
    own = {k: resolve_entry(k, v, f"services.{service}.environment.{k}", env, name) for k, v in table}
    if not receives:
        return _finish(name, own, {}, [])
    assert env is not None
    if not own:
        return env
    secret = env.secret_keys()
    values = {**env.values, **{k: v._replace(secret=v.secret or k in secret) for k, v in own.items()}}
    return _finish(name, values, env.unmirrorable, list(env.warnings))

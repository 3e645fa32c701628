"""Values built from other variables, and how dev/test rebuild them from their own values.

Two kinds: a Kubernetes env `value` with `$(VAR)` references (kept as pieces by `k8s`), and a
service's own `environment` entry with `${VAR}` references to the layered env. Either is secret
when a variable it is built from is. In dev and test a Kubernetes derived value is recomputed
from the layered values of its parts (local secrets, profile overrides), so
`postgres://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST)/shop` follows `DB_HOST = "db"` and the local
password instead of needing a local copy of the whole URL.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Optional

from devenv.envvars.model import EnvValue, LayeredEnv, Piece, Unmirrorable, joined
from devenv.errors import ConfigError

REFERENCE_HINT = "write ${NAME} for a variable of the layered env, $$ for a literal $"


def taint(values: dict[str, EnvValue]) -> None:
    """A value built from a secret is secret, whatever the source kind: once every source is read
    and `[env] secret_keys` applied, mark each part taken from a secret variable, and the value
    built from it, until nothing changes (a value built from one that just became secret)."""
    changed = True
    while changed:
        changed = False
        for key, value in values.items():
            if not value.pieces:
                continue
            pieces = tuple(
                p._replace(secret=True)
                if p.ref is not None and not p.secret and _is_secret(values, p.ref)
                else p
                for p in value.pieces
            )
            secret = value.secret or any(p.secret for p in pieces)
            if pieces != value.pieces or secret != value.secret:
                values[key] = value._replace(pieces=pieces, secret=secret)
                changed = True


def _is_secret(values: Mapping[str, EnvValue], name: str) -> bool:
    found = values.get(name)
    return found is not None and found.secret


def self_derived(values: Mapping[str, EnvValue], key: str) -> bool:
    """Whether `key` is built, through its parts, from itself: a compose `KEY: ${KEY}` takes KEY
    from the `.env`, so dev cannot rebuild it from its parts and needs a value of its own."""
    seen: set[str] = set()
    stack = list(values[key].refs) if key in values else []
    while stack:
        name = stack.pop()
        if name == key:
            return True
        if name in seen or name not in values:
            continue
        seen.add(name)
        stack.extend(values[name].refs)
    return False


def recompute(
    prod: Mapping[str, EnvValue], values: dict[str, EnvValue], unknown: Collection[str] = ()
) -> None:
    """Rebuild every derived prod value the layers left as prod had it, each after the values it
    is built from (so no part keeps prod's text when dev has its own).

    A value a profile `set`s or the secrets file gives is kept as given; a part that is no
    longer defined (a profile `unset` it) stays written as `$(NAME)`, as Kubernetes leaves an
    undefined reference; one in `unknown` (defined, but with no value here) stays a reference.
    A compose/dotenv `${NAME}` part dev's env lacks keeps prod's text, or is blank if secret.
    """
    for key in _parts_first(prod):
        original = prod[key]
        if not original.pieces or values.get(key) is not original:
            continue
        pieces = tuple(_rebuilt(p, values, unknown) for p in original.pieces)
        if pieces == original.pieces:
            continue  # every part as in prod: prod's value, prod's provenance
        values[key] = EnvValue(
            key,
            joined(pieces),
            f"{original.source}, recomputed from {', '.join(original.refs)}",
            secret=original.secret or any(p.secret for p in pieces),
            via=original.via,
            pieces=pieces,
        )


def _parts_first(prod: Mapping[str, EnvValue]) -> list[str]:
    """prod's keys, each after the keys it is built from (prod's order otherwise; a cycle is
    cut where it closes). Iterative: a long chain must not reach Python's recursion limit."""
    order: list[str] = []
    seen: set[str] = set()
    for first in prod:
        if first in seen:
            continue
        seen.add(first)
        stack = [(first, iter(prod[first].refs))]
        while stack:
            key, refs = stack[-1]
            for ref in refs:
                if ref in prod and ref not in seen:
                    seen.add(ref)
                    stack.append((ref, iter(prod[ref].refs)))
                    break
            else:
                stack.pop()
                order.append(key)
    return order


def settle_runtime(values: dict[str, EnvValue], unmirrorable: dict[str, Unmirrorable], in_prod: bool) -> None:
    """What Kubernetes fills in when the pod runs: in prod those keys are not mirrored (their
    local stand-ins are not production's values); in every profile, a value built from a key
    that has no value here is not mirrored either, saying which part is missing."""
    if in_prod:
        for key, value in list(values.items()):
            if value.runtime:
                del values[key]
                unmirrorable[key] = Unmirrorable(
                    key,
                    value.source,
                    f"filled in by Kubernetes when the pod runs; dev and test use {value.value!r}",
                )
    changed = True
    while changed:  # a value built from one that was just moved goes too
        changed = False
        for key, value in list(values.items()):
            missing = [
                r
                for r in dict.fromkeys(
                    p.ref for p in value.pieces if p.ref is not None and not p.interpolated
                )
                if r not in values and r in unmirrorable
            ]
            if value.pieces and missing:
                del values[key]
                unmirrorable[key] = Unmirrorable(
                    key,
                    value.source,
                    f"built from {', '.join(missing)}, which {'has' if len(missing) == 1 else 'have'} "
                    f"no value here; set {' and '.join(missing)} or {key} in a profile",
                )
                changed = True


def _rebuilt(piece: Piece, values: Mapping[str, EnvValue], unknown: Collection[str]) -> Piece:
    if piece.ref is None:
        return piece
    found = values.get(piece.ref)
    if found is None:
        if piece.interpolated:  # looked up in the source's `.env`: prod's text, never a secret's
            return piece._replace(text="") if piece.secret else piece
        return Piece("", piece.ref) if piece.ref in unknown else Piece(f"$({piece.ref})")
    return Piece(found.value, piece.ref, found.secret or piece.secret, piece.interpolated)


def has_references(text: str, where: str) -> bool:
    return "${" in text and any(p.ref is not None for p in parse_references(text, where))


def parse_references(text: str, where: str) -> tuple[Piece, ...]:
    """`${NAME}` references in a devenv.toml `environment` value (names unresolved yet).

    `$$` is a literal `$`; any other `$` is kept as it is. The compose-style operators
    (`${A:-default}`) are not supported: a value here is written by the team, not inherited.
    """
    pieces: list[Piece] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            literal.append("$")
            i += 2
        elif text.startswith("${", i):
            close = text.find("}", i + 2)
            name = text[i + 2 : close] if close >= 0 else ""
            if close < 0 or not name or any(c in name for c in "=${ \t"):
                shown = text[i : close + 1] if close >= 0 else text[i:]
                raise ConfigError(f"devenv.toml {where}: {shown!r} is not a reference", REFERENCE_HINT)
            if literal:
                pieces.append(Piece("".join(literal)))
                literal.clear()
            pieces.append(Piece("", ref=name))
            i = close + 1
        else:
            literal.append(text[i])
            i += 1
    if literal:
        pieces.append(Piece("".join(literal)))
    return tuple(pieces)


def resolve_entry(key: str, text: str, where: str, layered: Optional[LayeredEnv], profile: str) -> EnvValue:
    """One `environment` entry, its `${NAME}` references resolved against `layered`."""
    pieces = parse_references(text, where)
    refs = [p.ref for p in pieces if p.ref is not None]
    if not refs:
        return EnvValue(key, joined(pieces), f"devenv.toml {where.rsplit('.', 1)[0]}")
    assert layered is not None  # the caller resolves the layered env when a value refers to it
    resolved: list[Piece] = []
    for piece in pieces:
        if piece.ref is None:
            resolved.append(piece)
            continue
        found = layered.values.get(piece.ref)
        if found is None:
            raise _unknown(piece.ref, where, layered, profile)
        resolved.append(Piece(found.value, piece.ref, found.secret))
    origins = ", ".join(f"{name}: {layered.values[name].source}" for name in dict.fromkeys(refs))
    return EnvValue(
        key,
        joined(tuple(resolved)),
        f"devenv.toml {where.rsplit('.', 1)[0]} (from {origins})",
        secret=any(p.secret for p in resolved),
        pieces=tuple(resolved),
    )


def _unknown(name: str, where: str, layered: LayeredEnv, profile: str) -> ConfigError:
    if name in layered.unmirrorable:
        return ConfigError(
            f"devenv.toml {where}: ${{{name}}} has no value in profile {profile}: "
            f"{layered.unmirrorable[name].reason}",
            f"set {name} in [env.profiles.{profile}], or stop referring to it",
        )
    return ConfigError(
        f"devenv.toml {where}: ${{{name}}} is not a variable of the layered env (profile {profile})",
        f"refer to a key `devenv env show --profile {profile}` lists, or {REFERENCE_HINT}",
    )

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


def recompute(
    prod: Mapping[str, EnvValue], values: dict[str, EnvValue], unknown: Collection[str] = ()
) -> None:
    """Rebuild, in prod's order, every derived prod value the layers left as prod had it.

    A value a profile `set`s or the secrets file gives is kept as given; a part that is no
    longer defined (a profile `unset` it) stays written as `$(NAME)`, as Kubernetes leaves an
    undefined reference; one in `unknown` (defined, but with no value here) stays a reference.
    """
    for key, original in prod.items():
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
            missing = [r for r in value.refs if r not in values and r in unmirrorable]
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
        return Piece("", piece.ref) if piece.ref in unknown else Piece(f"$({piece.ref})")
    return Piece(found.value, piece.ref, found.secret)


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

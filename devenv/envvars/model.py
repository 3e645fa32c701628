"""Value types of the layered environment: every value carries where it came from.

NamedTuples, not dataclasses: every `up` creates these classes, and a NamedTuple class costs a
fraction of a frozen dataclass's (see config/model.py). Annotations are evaluated, not
postponed: NamedTuple compiles each string one into a ForwardRef.
"""

import hashlib
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Optional


class Piece(NamedTuple):
    """One part of a derived value: literal text, or the value of another variable.

    `ref` names the variable the text was taken from (None for literal text); `secret` says
    whether that variable is secret. Exports rebuild references from these (`${KEY}` for
    compose, `$(KEY)` for Kubernetes) instead of writing a secret's text. `interpolated`: a
    compose/dotenv `${KEY}`, looked up where the source was read (a compose file's `.env`, an
    earlier prod source) rather than in the container's own env, so a name dev's env lacks
    keeps prod's text (a secret's becomes blank) instead of staying a Kubernetes `$(KEY)`.
    """

    text: str
    ref: Optional[str] = None
    secret: bool = False
    interpolated: bool = False


def joined(pieces: tuple[Piece, ...]) -> str:
    return "".join(p.text for p in pieces)


class EnvValue(NamedTuple):
    """One variable as the container receives it, with its provenance.

    `source` is where the value is written: "deploy/k8s/configmap.yaml:12", "profile dev",
    "secrets file .devenv/secrets.env:3" or "process environment". `via` is the line that
    routes it to the container (an `envFrom` or `configMapKeyRef` in a Deployment), if any.
    `pieces` is set for a value built from other variables (a Kubernetes `$(VAR)` or a
    service's `${VAR}` reference): what it is made of, so dev/test can recompute it from their
    own values and an export can write references instead of secret text. `runtime` names what
    Kubernetes fills in when the pod runs (`fieldRef metadata.name`); the value is then devenv's
    local stand-in, decided by the manifest, and prod lists the key as not mirrored.
    """

    key: str
    value: str
    source: str
    secret: bool = False
    via: Optional[str] = None
    pieces: tuple[Piece, ...] = ()
    runtime: Optional[str] = None

    @property
    def refs(self) -> tuple[str, ...]:
        """The variables this value is built from, in order, each once."""
        return tuple(dict.fromkeys(p.ref for p in self.pieces if p.ref is not None))


class Unmirrorable(NamedTuple):
    """A prod variable devenv cannot reproduce (a `fieldRef`, a value taken from the shell)."""

    key: str
    source: str
    reason: str


def _digest(rows: list[list[object]]) -> str:
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


class LayeredEnv(NamedTuple):
    """The env of one profile: prod, then the profile's overrides, then local secret values."""

    profile: str
    values: Mapping[str, EnvValue]  # ordered by key
    unmirrorable: Mapping[str, Unmirrorable] = MappingProxyType({})
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, str]:
        """What the container receives."""
        return {key: v.value for key, v in self.values.items()}

    def secret_values(self) -> set[str]:
        """Raw values to redact from every output."""
        return {v.value for v in self.values.values() if v.secret and v.value}

    def secret_keys(self) -> set[str]:
        return {key for key, v in self.values.items() if v.secret}

    def public_hash(self) -> str:
        """Keys, non-secret values and secret *keys* only: equal on every machine of the team."""
        return _digest([[k, None if v.secret else v.value] for k, v in sorted(self.values.items())])

    def full_hash(self) -> str:
        """Everything, local secret values included: decides whether a container must be recreated."""
        return _digest([[k, v.value, v.secret] for k, v in sorted(self.values.items())])


def value_hash(value: str) -> str:
    """How secrets are compared (diff): never by their text."""
    return hashlib.sha256(value.encode()).hexdigest()

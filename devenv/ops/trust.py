"""The trust gate's use cases: is this devenv.toml trusted for what it grants, refuse it when
not, trust it, forget it. Like `direnv allow` and `mise trust`: the exact content (its sha256)
at its absolute path; a file that grants nothing beyond the project needs no trust at all."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from devenv import reads
from devenv.config.model import Project
from devenv.errors import ExitCode, UntrustedError
from devenv.trust.grants import CONTAINERS, READS, Grant, commands, grants, outside_reads, read_grants

if TYPE_CHECKING:
    from devenv.ops.doctor_checks import Check

TRUST_HINT = "review them, then `devenv trust` accepts this exact devenv.toml (in CI: --trust or DEVENV_TRUST=1)"


class Assessment(NamedTuple):
    grants: list[Grant]
    trusted: bool  # recorded trust covers every grant (or there is none)
    changed: bool = False  # another content of this file was trusted before


def assess(project: Project, scope: str = CONTAINERS) -> Assessment:
    """The grants `scope` acts on (CONTAINERS: all; READS: files read into the env), and whether
    the user trusted them. No grant: no hashing, no store read (the no-op `up` pays nothing)."""
    found = grants(project) if scope == CONTAINERS else read_grants(project)
    if not found:
        return Assessment(found, True)
    from devenv.trust import store  # hashlib and the store: only for files that grant something

    sha = store.digest(project.config_file)
    if store.covers(project.config_file, sha, [g.key() for g in found]):
        return Assessment(found, True)
    return Assessment(found, False, store.known(project.config_file))


def require(project: Project, scope: str = CONTAINERS, *, assume: bool = False) -> Assessment:
    """Refuse to act on a devenv.toml whose grants the user has not trusted (UntrustedError,
    with the list), unless `assume` (--trust, DEVENV_TRUST=1). Once allowed, the env readers
    may read the files outside the project it lists."""
    found = assess(project, scope)
    if not found.trusted and not assume:
        raise refusal(project, found)
    reads.allow(outside_reads(found.grants))
    reads.allow_commands(commands(found.grants))
    return found


def refusal(project: Project, found: Assessment) -> UntrustedError:
    count = len(found.grants)
    said = "changed since you trusted it; it" if found.changed else "is not trusted, and it"
    lines = "".join(f"\n  {g.line()}" for g in found.grants)
    return UntrustedError(
        f"{project.config_file} {said} grants {count} thing{'s' if count != 1 else ''} beyond "
        f"the project; nothing was done:{lines}",
        TRUST_HINT,
    )


def trust(project: Project) -> Assessment:
    """Record the user's trust in this exact content for what it grants now."""
    found = grants(project)
    if found:
        from devenv.trust import store

        store.add(project.config_file, store.digest(project.config_file), [g.key() for g in found])
    return Assessment(found, True)


def doctor_checks(project: Project) -> list[Check]:
    """`devenv doctor`'s lines: whether the file is trusted, then one line per grant."""
    from devenv.ops.doctor_checks import FAIL, OK, WARN, Check  # a dataclass: not for `up`

    found = assess(project)
    count = len(found.grants)
    if not count:
        return [Check("trust", "trust", OK, "devenv.toml grants nothing beyond the project folder")]
    them = f"{count} grant{'s' if count != 1 else ''} beyond the project"
    if found.trusted:
        head = Check("trust", "trust", OK, f"trusted: {them}")
    else:
        said = "changed since you trusted it" if found.changed else "not trusted"
        head = Check("trust", "trust", FAIL, f"{said}: {them}; up refuses it", TRUST_HINT, int(ExitCode.UNTRUSTED))
    status = OK if found.trusted else WARN
    return [head, *(Check(f"grant:{i}", "grant", status, g.line()) for i, g in enumerate(found.grants))]


def untrust(project: Project) -> int:
    from devenv.trust import store

    return store.remove(project.config_file)


__all__ = ["CONTAINERS", "READS", "Assessment", "assess", "doctor_checks", "refusal", "require", "trust", "untrust"]

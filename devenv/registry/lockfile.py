"""`devenv.lock`: every service image pinned to a manifest digest, plus the env hash.

TOML, sorted and stable so re-locking an unchanged project rewrites the same bytes.

No dataclasses (every `up` reads the lock, and creating one compiles its methods at import):
an entry is a NamedTuple, the lock a plain class (`devenv lock` fills in its env part)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple, Optional, Union

from devenv.config import bounded
from devenv.errors import ConfigError
from devenv.fsutil import atomic_write

LOCK_NAME = "devenv.lock"
VERSION = 1
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
HEADER = (
    "# devenv.lock — written by `devenv lock`; do not edit by hand. Commit it.\n"
    "# Pins every service image to the manifest digest its tag pointed at, so every machine\n"
    "# runs byte-identical images. `devenv lock --check` fails when a tag has moved.\n"
)


class LockedImage(NamedTuple):
    image: str  # as written in devenv.toml
    reference: str  # resolved, e.g. "127.0.0.1:5555/python:3.12"
    digest: str  # "sha256:..."


class LockedInclude(NamedTuple):
    git: str  # the repository URL as written
    ref: str  # the ref as written
    commit: str  # what it named when locked


class LockedStack(NamedTuple):
    stack: str  # the `stack =` value as written
    reference: str  # resolved, e.g. "127.0.0.1:5555/notify:1.4"
    digest: str  # the artifact manifest's digest when locked


class LockFile:
    __slots__ = ("env_hash", "env_sources", "images", "includes")

    def __init__(
        self,
        images: Optional[dict[str, LockedImage]] = None,  # key: service name
        env_hash: Optional[str] = None,
        env_sources: Optional[dict[str, str]] = None,
        includes: Optional[dict[str, Union[LockedInclude, LockedStack]]] = None,  # key: the include's name
    ) -> None:
        self.images: dict[str, LockedImage] = {} if images is None else images
        self.env_hash = env_hash
        self.env_sources: dict[str, str] = {} if env_sources is None else env_sources
        self.includes: dict[str, Union[LockedInclude, LockedStack]] = {} if includes is None else includes

    def __eq__(self, other: object) -> bool:  # a loaded lock equals the one saved
        if not isinstance(other, LockFile):
            return NotImplemented
        return (self.images, self.env_hash, self.env_sources, self.includes) == (
            other.images,
            other.env_hash,
            other.env_sources,
            other.includes,
        )

    def pinned_commit(self, git: str, ref: str) -> Optional[str]:
        """The commit a git include at `ref` is pinned to (whichever include locked it)."""
        for entry in self.includes.values():
            if isinstance(entry, LockedInclude) and entry.git == git and entry.ref == ref:
                return entry.commit
        return None

    def pinned_stack(self, stack: str) -> Optional[str]:
        """The artifact digest a `stack =` include is pinned to (by the value as written, or
        the reference it resolved to)."""
        for entry in self.includes.values():
            if isinstance(entry, LockedStack) and stack in (entry.stack, entry.reference):
                return entry.digest
        return None

    @classmethod
    def load(cls, path: Path) -> Optional[LockFile]:
        """None when the file does not exist; ConfigError naming `devenv.lock:line` on bad content."""

        try:
            text = bounded.read_text(path, path.name)
        except FileNotFoundError:
            return None
        from devenv.config import toml as tomllib  # the parser: only for a project that has a lock

        try:
            data = bounded.toml_loads(text, path.name)
        except tomllib.TOMLDecodeError as err:
            line = re.search(r"line (\d+)", str(err))
            raise ConfigError(
                f"{path.name}:{line.group(1) if line else '?'}: not valid TOML ({str(err).split(' (at')[0]})",
                hint="regenerate it with `devenv lock`",
            ) from err
        return cls._from_data(path, text, data)

    @classmethod
    def _from_data(cls, path: Path, text: str, data: dict[str, Any]) -> LockFile:
        def fail(key: str, why: str, anchor: Optional[str] = None) -> ConfigError:
            return ConfigError(
                f"{path.name}:{_line_of(text, anchor or key)} {key}: {why}",
                hint="regenerate it with `devenv lock`",
            )

        version = data.get("version")
        if not isinstance(version, int):
            raise fail("version", "missing or not an integer (expected 1)")
        if version > VERSION:
            raise ConfigError(
                f"{path.name}: written by a newer devenv (lock version {version}; this devenv reads {VERSION})",
                hint="upgrade devenv (pip install -U devenv-stack)",
            )
        def strings(section: str, name: str, entry: Any, keys: tuple[str, ...]) -> dict[str, str]:
            """The table `[section.name]`'s `keys`, each a non-empty string."""
            anchor = f"[{section}.{name}]"
            if not isinstance(entry, dict):
                raise fail(f"{section}.{name}", "must be a table", anchor)
            values = {}
            for key in keys:
                value = entry.get(key)
                if not isinstance(value, str) or not value:
                    raise fail(f"{section}.{name}.{key}", "missing or not a string", anchor)
                values[key] = value
            return values

        images: dict[str, LockedImage] = {}
        for name, entry in (data.get("images") or {}).items():
            anchor = f"[images.{name}]"
            values = strings("images", name, entry, ("image", "reference", "digest"))
            if not _DIGEST.match(values["digest"]):
                raise fail(f"images.{name}.digest", f"'{values['digest']}' is not sha256:<64 hex>", anchor)
            images[name] = LockedImage(**values)
        includes: dict[str, Union[LockedInclude, LockedStack]] = {}
        for name, entry in (data.get("includes") or {}).items():
            anchor = f"[includes.{name}]"
            if isinstance(entry, dict) and "stack" in entry:
                pinned = strings("includes", name, entry, ("stack", "reference", "digest"))
                if not _DIGEST.match(pinned["digest"]):
                    raise fail(f"includes.{name}.digest", f"'{pinned['digest']}' is not sha256:<64 hex>", anchor)
                includes[name] = LockedStack(**pinned)
                continue
            fields = strings("includes", name, entry, ("git", "ref", "commit"))
            if not re.match(r"^[0-9a-f]{40}$", fields["commit"]):
                raise fail(f"includes.{name}.commit", f"'{fields['commit']}' is not a 40-hex commit", anchor)
            includes[name] = LockedInclude(**fields)
        env = data.get("env") or {}
        sources = env.get("sources") or {}
        if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
            raise fail("env.sources", "must map file paths to hashes", "[env]")
        env_hash = env.get("hash")
        if env_hash is not None and not isinstance(env_hash, str):
            raise fail("env.hash", "must be a string", "[env]")
        return cls(images=images, env_hash=env_hash, env_sources=dict(sources), includes=includes)

    def dumps(self) -> str:
        lines = [HEADER, f"version = {VERSION}", ""]
        for name in sorted(self.images):
            item = self.images[name]
            lines += [
                f"[images.{_key(name)}]",
                f"image = {_str(item.image)}",
                f"reference = {_str(item.reference)}",
                f"digest = {_str(item.digest)}",
                "",
            ]
        for name in sorted(self.includes):
            inc = self.includes[name]
            if isinstance(inc, LockedStack):
                lines += [
                    f"[includes.{_key(name)}]",
                    f"stack = {_str(inc.stack)}",
                    f"reference = {_str(inc.reference)}",
                    f"digest = {_str(inc.digest)}",
                    "",
                ]
                continue
            lines += [
                f"[includes.{_key(name)}]",
                f"git = {_str(inc.git)}",
                f"ref = {_str(inc.ref)}",
                f"commit = {_str(inc.commit)}",
                "",
            ]
        if self.env_hash is not None or self.env_sources:
            lines.append("[env]")
            if self.env_hash is not None:
                lines.append(f"hash = {_str(self.env_hash)}")
            if self.env_sources:
                pairs = ", ".join(f"{_key(k)} = {_str(v)}" for k, v in sorted(self.env_sources.items()))
                lines.append(f"sources = {{ {pairs} }}")
            lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"

    def save(self, path: Path) -> None:
        atomic_write(path, self.dumps())


def _str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _key(name: str) -> str:
    return name if re.match(r"^[A-Za-z0-9_-]+$", name) else _str(name)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(needle) or stripped.startswith(needle.rsplit(".", 1)[-1] + " "):
            return number
    return 1


def locked_digest(lock: Optional[LockFile], service: str, image: Optional[str]) -> Optional[str]:
    """The digest to run for `service`, if the lock has one for the image devenv.toml names now."""
    if lock is None or image is None:
        return None
    entry = lock.images.get(service)
    return entry.digest if entry is not None and entry.image == image else None

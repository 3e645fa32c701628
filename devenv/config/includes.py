"""The `[include.NAME]` table (devenv.include resolves it): declared here, checked by the loader with every other key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple, Optional

from devenv.config.model import Project
from devenv.config.types import EnvValue, Invalid, Key, ListOf, MapOf, Str, Table

_NAME = r"[a-z0-9][a-z0-9_-]{0,62}"
_ENV_KEY = r"[ -<>-~]+"
SOURCES = ("path", "git", "stack")


def _one_source(table: dict[str, Any]) -> dict[str, Any]:
    given = [k for k in SOURCES if table.get(k)]
    if not given:
        raise Invalid(
            'needs one of path = "../folder", git = "<url>" with ref = "<tag|branch|commit>", or stack = "name:tag"', ()
        )
    if len(given) > 1:
        raise Invalid(f"has both {given[0]} and {given[1]}: an include names exactly one source", (given[1],))
    if given[0] == "stack" and table.get("ref"):
        raise Invalid('ref is for git includes: a stack names its tag itself (stack = "notify:1.4")', ("ref",))
    if given[0] == "git" and not table.get("ref"):
        raise Invalid('a git include needs ref = "<tag|branch|commit>" (what to run)', ("git",))
    if given[0] == "path" and table.get("ref"):
        raise Invalid("ref is for git includes: a path include runs the folder as it is", ("ref",))
    return table


INCLUDE = Table(
    (
        Key("path", Str(), "A local project folder with its own devenv.toml (relative to this file).", None),
        Key("git", Str(), "A git repository URL holding a devenv.toml at its top (with ref).", None),
        Key("ref", Str(), "The tag, branch or commit of `git` to run (pinned by `devenv lock`).", None),
        Key(
            "stack",
            Str(),
            "A stack published to the team registry by `devenv publish` (`name:tag`: a short name resolves against [project] registry).",
            None,
        ),
        Key(
            "services",
            ListOf(Str(pattern=_NAME, what="a service name")),
            "Only these of its services, and what they depend on (default: all).",
            None,
        ),
        Key(
            "profile",
            Str(pattern=_NAME, what="a profile name"),
            "Its profile (default: its own default).",
            None,
        ),
        Key(
            "env",
            MapOf(EnvValue(), _ENV_KEY, "a variable name"),
            "Declared differences for its services' env (shown with their provenance).",
            None,
        ),
    ),
    help="Another project's stack run beside this one, under its own service names.",
    what="an include table",
    post=_one_source,
)
INCLUDES = MapOf(INCLUDE, _NAME, "an include name (a-z, 0-9, _ -)")


class IncludeSpec(NamedTuple):
    """One `[include.NAME]` table as written (devenv.include resolves it)."""

    name: str
    path: Optional[str] = None  # a local project folder, relative to the including file
    git: Optional[str] = None  # a repository URL, with `ref`
    ref: Optional[str] = None
    stack: Optional[str] = None  # a published stack, "name:tag" or a full reference
    services: Optional[tuple[str, ...]] = None  # None: all of them
    profile: Optional[str] = None  # the included stack's profile (None: its own default)
    env: tuple[tuple[str, str], ...] = ()  # declared differences for the included services
    line: int = 0  # line of [include.NAME] in its file


class IncludedStack(NamedTuple):
    """An included stack, resolved: its own project (own root, env, volumes), run under the
    including project's name, network and labels."""

    name: str  # the include's name in the including file (the first one reaching it)
    project: Project  # its own devenv.toml, loaded from `root`
    source: str  # "git" (pinned commit), "image" (a published stack): not watched; "path" or "link" (watched)
    key: str  # what makes two includes the same stack: "git:<url>@<commit>", "stack:<repo>@<digest>" or "path:<folder>"
    profile: str  # the profile its env is layered with (its own, never the includer's)
    commit: Optional[str] = None  # git: the resolved commit; stack: the artifact digest
    repository: Optional[Path] = None  # git: the repository holding it (devenv's bare mirror)
    chain: tuple[str, ...] = ()  # include names from the root project down to this one
    spec: Optional[IncludeSpec] = None  # the table that first reached it

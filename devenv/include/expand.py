"""The project as every command sees it: its own services and those of the stacks it includes
(resolved once per command; nothing here is imported by a project without includes)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from devenv.config.includes import IncludeSpec
from devenv.config.model import Project
from devenv.include.links import read_links
from devenv.include.resolve import Fetched, resolve_includes
from devenv.registry.lockfile import LOCK_NAME, LockFile


def _load(folder: Path) -> Project:
    from devenv.config.loader import load_project

    return load_project(folder, explicit=True)


class RealFetch:
    """Folders from disk, from a link, or from the git cache (pinned by devenv.lock when it says)."""

    def __init__(self, root: Project, *, refresh: bool = False, use_lock: bool = True) -> None:
        self.links = read_links(root.root)
        self.lock: Optional[LockFile] = LockFile.load(root.root / LOCK_NAME) if use_lock else None
        self.refresh = refresh
        self.commits: dict[str, tuple[str, str, str]] = {}  # include name → (url, ref, commit)

    def __call__(self, spec: IncludeSpec, includer: Project, where: str) -> Fetched:
        linked = self.links.get(spec.name)
        if spec.git:
            from devenv.include.gitcache import export_tree, mirror_of, resolve_commit

            assert spec.ref is not None  # the schema requires it
            pinned = self.lock.pinned_commit(spec.git, spec.ref) if self.lock else None
            commit = resolve_commit(spec.git, spec.ref, where, pinned=pinned, refresh=self.refresh)
            self.commits[spec.name] = (spec.git, spec.ref, commit)
            if linked is not None:
                return Fetched(linked, "link", f"git:{spec.git}", f"link:{linked}", commit)
            tree = export_tree(spec.git, commit, where)
            return Fetched(tree, "git", f"git:{spec.git}", commit, commit, mirror_of(spec.git))
        assert spec.path is not None
        folder = linked if linked is not None else (includer.root / spec.path).resolve()
        return Fetched(folder, "link" if linked is not None else "path", f"path:{folder}", str(folder))


def expand(project: Project, *, refresh: bool = False, use_lock: bool = True) -> Project:
    return expand_with(project, RealFetch(project, refresh=refresh, use_lock=use_lock))


def expand_with(project: Project, fetch: RealFetch) -> Project:
    return resolve_includes(project, fetch, _load)

"""The project as every command sees it: its own services and those of the stacks it includes
(resolved once per command; nothing here is imported by a project without includes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from devenv.config.includes import IncludeSpec
from devenv.config.model import Project
from devenv.errors import DevenvError
from devenv.include.links import read_links
from devenv.include.resolve import Fetched, resolve_includes
from devenv.include.resolve import where as where_of
from devenv.registry.lockfile import LOCK_NAME, LockFile, locked_digest

if TYPE_CHECKING:
    from devenv.registry.reference import ImageRef
    from devenv.registry.stack_fetch import FetchedStack


class RealFetch:
    """Folders from disk, from a link, from the git cache, or from the stack cache (pinned by
    devenv.lock when it says: the including project's, else the included stack's own)."""

    def __init__(self, root: Project, *, refresh: bool = False, use_lock: bool = True) -> None:
        self.root = root
        self.links = read_links(root.root)
        self.lock: Optional[LockFile] = LockFile.load(root.root / LOCK_NAME) if use_lock else None
        self.refresh = refresh
        self.commits: dict[str, tuple[str, str, str]] = {}  # include name → (url, ref, commit)
        self.stacks: dict[str, tuple[str, str, str]] = {}  # include name → (stack, reference, digest)
        self.released: dict[Path, dict[str, str]] = {}  # a stack's folder → service → pinned image
        self.included_roots: set[Path] = set()  # folders of included stacks (their own lock applies)
        self.own_locks: dict[Path, Optional[LockFile]] = {}  # an included stack's folder → its lock
        # A file's stack includes fetched side by side, before the walk reaches them one by one.
        self.ahead: dict[tuple[Path, str], Union[FetchedStack, DevenvError]] = {}
        self.looked_ahead: set[Path] = set()

    def _locks(self, includer: Project) -> list[LockFile]:
        """The pins to follow: the root's lock (none while `devenv lock` re-resolves), then, for
        an included stack, its own lock (as committed, published, or in its folder)."""
        locks = [self.lock] if self.lock is not None else []
        if includer is self.root:
            return locks
        folder = includer.root.resolve()
        if folder in self.included_roots:
            if folder not in self.own_locks:
                self.own_locks[folder] = LockFile.load(folder / LOCK_NAME)
            own = self.own_locks[folder]
            locks += [own] if own is not None else []
        return locks

    def _stack_ref(self, stack: str, includer: Project) -> tuple[ImageRef, Optional[str]]:
        """The reference a `stack =` names, and the digest it is pinned to (None: its tag's now)."""
        from devenv.registry.reference import resolve_image

        ref = resolve_image(stack, includer.registry or self.root.registry)
        pinned = next((d for lock in self._locks(includer) if (d := lock.pinned_stack(stack))), None)
        return ref, ref.digest or pinned

    def _look_ahead(self, includer: Project) -> None:
        """The stack includes of one file that need the registry (asked afresh, or pinned but not
        cached) are fetched side by side, once: `devenv lock` of a product with three of them
        waits for the slowest answer, not for the sum. Errors wait for the walk to reach them."""
        if includer.root in self.looked_ahead:
            return
        self.looked_ahead.add(includer.root)
        from devenv.registry.stack_fetch import cached, fetch_stack

        todo = []
        for spec in includer.include_specs:
            if spec.stack:
                ref, pinned = self._stack_ref(spec.stack, includer)
                if pinned and spec.name in self.links:
                    continue  # linked and pinned: runs from the checkout, the artifact is not needed
                hit: Union[FetchedStack, DevenvError, None]
                try:
                    hit = cached(pinned) if pinned else None
                except DevenvError as err:  # raised when the walk reaches it, in the file's order
                    hit = err
                if hit is not None:
                    self.ahead[(includer.root, spec.name)] = hit
                else:
                    todo.append((spec.name, ref, pinned, where_of(includer, spec)))
        if len(todo) < 2:
            return
        from concurrent.futures import ThreadPoolExecutor  # only then: never on a cached include's `up`

        def one(ref: ImageRef, pinned: Optional[str], here: str) -> Union[FetchedStack, DevenvError]:
            try:
                return fetch_stack(ref, here, pinned=pinned)
            except DevenvError as err:
                return err

        with ThreadPoolExecutor(max_workers=min(8, len(todo)), thread_name_prefix="devenv-include") as pool:
            futures = {name: pool.submit(one, ref, pinned, here) for name, ref, pinned, here in todo}
        for name, future in futures.items():
            self.ahead[(includer.root, name)] = future.result()

    def load(self, folder: Path) -> Project:
        from devenv.config.load import load_project
        from devenv.config.loader import parse_project

        images = self.released.get(folder)
        if images is None:
            return pinned_by_own_lock(load_project(folder, explicit=True), self.root.registry)
        config = folder / "devenv.toml"
        # Its build folders are not published (the release images hold the code): not looked for.
        return as_released(
            parse_project(config.read_text(encoding="utf-8"), config, host_paths=False), images
        )

    def __call__(self, spec: IncludeSpec, includer: Project, where: str) -> Fetched:
        linked = self.links.get(spec.name)
        if spec.stack:
            return self._stack(spec, spec.stack, includer, where, linked)
        if spec.git:
            from devenv.include.gitcache import export_tree, mirror_of, resolve_commit

            assert spec.ref is not None  # the schema requires it
            git, ref = spec.git, spec.ref
            pinned = next((c for lock in self._locks(includer) if (c := lock.pinned_commit(git, ref))), None)
            commit = resolve_commit(spec.git, spec.ref, where, pinned=pinned, refresh=self.refresh)
            self.commits[spec.name] = (spec.git, spec.ref, commit)
            if linked is not None:
                self.included_roots.add(linked.resolve())
                return Fetched(linked, "link", f"git:{spec.git}", f"link:{linked}", commit)
            tree = export_tree(spec.git, commit, where)
            self.included_roots.add(tree.resolve())
            return Fetched(tree, "git", f"git:{spec.git}", commit, commit, mirror_of(spec.git))
        assert spec.path is not None
        folder = linked if linked is not None else (includer.root / spec.path).resolve()
        self.included_roots.add(folder)
        return Fetched(folder, "link" if linked is not None else "path", f"path:{folder}", str(folder))

    def _stack(
        self, spec: IncludeSpec, stack: str, includer: Project, where: str, linked: Optional[Path]
    ) -> Fetched:
        from devenv.registry.stack_fetch import fetch_stack

        self._look_ahead(includer)
        ref, pinned = self._stack_ref(stack, includer)
        identity = f"stack:{ref.name}"
        if linked is not None and pinned:
            # Run from the checkout; the lock keeps the released pin for `unlink` (a developer
            # working on it offline has no registry to ask, and needs none).
            self.stacks[spec.name] = (stack, str(ref), pinned)
            self.included_roots.add(linked.resolve())
            return Fetched(linked, "link", identity, f"link:{linked}", pinned)
        found = self.ahead.pop((includer.root, spec.name), None)
        if isinstance(found, DevenvError):
            raise found
        fetched = found if found is not None else fetch_stack(ref, where, pinned=pinned)
        self.stacks[spec.name] = (stack, str(ref), fetched.digest)
        if linked is not None:
            self.included_roots.add(linked.resolve())
            return Fetched(linked, "link", identity, f"link:{linked}", fetched.digest)
        self.released[fetched.folder] = fetched.config.images
        self.included_roots.add(fetched.folder.resolve())
        return Fetched(fetched.folder, "image", identity, fetched.digest, fetched.digest)


def pinned_by_own_lock(project: Project, includer_registry: Optional[str]) -> Project:
    """An included stack runs the images its own devenv.lock pins, as it does on its own: each
    service's image (or `build.from`) resolved against its own registry and pinned to its own
    lock's digest, written as that reference, so the including project's `up` runs it and its
    `lock` records it (and `lock --check` sees it move). An image its lock does not pin stays a
    tag, resolved against its own registry (the including project's lock pins it)."""
    from devenv.registry.reference import effective_registry, is_full_reference, resolve_image

    lock = LockFile.load(project.root / LOCK_NAME)
    own_registry = effective_registry(project.registry) != effective_registry(includer_registry)

    def pinned(service: str, image: str) -> str:
        digest = locked_digest(lock, service, image)
        if digest is None and (is_full_reference(image) or not own_registry):
            return image  # the same reference wherever it is resolved
        ref = resolve_image(image, project.registry)
        return ref.pinned(digest).display if digest else str(ref)

    services = []
    for svc in project.services:
        if svc.build is not None and svc.build.base:
            svc = svc._replace(build=svc.build._replace(base=pinned(svc.name, svc.build.base)))
        elif svc.build is None and svc.image:
            svc = svc._replace(image=pinned(svc.name, svc.image))
        services.append(svc)
    return project._replace(services=tuple(services))


def as_released(project: Project, images: dict[str, str]) -> Project:
    """A published stack runs as released: every service from its pinned image (the release
    image holds the code), nothing built, mounted or watched."""
    from devenv.registry.stack_artifact import NotAStack

    services = []
    for svc in project.services:
        image = images.get(svc.name)
        if image is None:
            raise NotAStack(
                f"{project.config_file}: the published stack pins no image for service {svc.name}",
                "publish it again with `devenv publish`",
            )
        services.append(svc._replace(image=image, build=None, code=None, code_source="", watch=None))
    return project._replace(services=tuple(services))


def expand(project: Project, *, refresh: bool = False, use_lock: bool = True) -> Project:
    return expand_with(project, RealFetch(project, refresh=refresh, use_lock=use_lock))


def expand_with(project: Project, fetch: RealFetch) -> Project:
    return resolve_includes(project, fetch, fetch.load)

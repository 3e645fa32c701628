"""Following one engine build to its image id, and one push to its digest: the loops every build
and push of devenv runs (catalog images, service images, release images), so they fail, report
and find their image alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Callable, Optional

from devenv.engine.errors import EngineRefused
from devenv.engine.port import Engine
from devenv.engine.records import Message
from devenv.errors import DevenvError, EngineError, RegistryError
from devenv.registry.pull import PullEvent
from devenv.registry.reference import ImageRef, registry_host


def follow_build(
    engine: Engine,
    start: Callable[[], Iterable[Message]],
    *,
    tag: str,
    what: str,
    failed: Callable[[str], DevenvError],
    progress: Optional[Callable[[str], None]] = None,
) -> str:
    """Run the build `start` begins and return the id of the image it tagged `tag`.
    `failed`: the error for a build step's error text; `what`: the build, in the engine's refusal."""
    image_id: Optional[str] = None
    try:
        for event in start():
            if event.error is not None:
                raise failed(event.error.strip())
            if event.aux.get("ID"):
                image_id = str(event.aux["ID"])
            if progress is not None and event.stream.strip():
                progress(event.stream.rstrip("\n"))
    except EngineRefused as err:
        raise EngineError(f"engine refused the build of {what}: {err.explanation}") from err
    if image_id is None:  # an engine that does not say it (older API): ask for the tag
        built = engine.inspect_image(tag)
        if built is None:
            raise EngineError(f"the engine reported no error but {tag} is not there after the build")
        image_id = built.id
    return image_id


def follow_push(
    engine: Engine,
    repository: str,
    tag: str,
    *,
    environ: Mapping[str, str],
    progress: Optional[Callable[[PullEvent], None]] = None,
) -> Optional[str]:
    """Push `repository:tag` with the registry's credentials; the digest the engine reports."""
    # The registry's client (http.client, ssl, email) only for a push: `up` imports this module
    # for its builds, and a no-op `up` must not load that client.
    from devenv.registry.resolve import engine_auth

    ref = f"{repository}:{tag}"
    host = registry_host(repository)
    digest: Optional[str] = None
    try:
        for event in engine.push(repository, tag, auth=engine_auth(ImageRef(host, "x", "latest"), environ)):
            if event.error is not None:
                raise RegistryError(
                    f"push of {ref} failed: {event.error.strip()[:300]}",
                    hint=f"check `devenv login {host}` and write access",
                )
            if event.aux.get("Digest"):
                digest = str(event.aux["Digest"])
            if progress is not None and event.status:
                progress(PullEvent(ref, event.id, event.status, event.current, event.total))
    except EngineRefused as err:
        raise RegistryError(f"push of {ref} failed: {err.explanation}") from err
    return digest

"""Make an image present on the engine: locked digests first, a no-network fast path, progress
events per layer, and an offline fallback when the registry is down but the image is here.

The records are NamedTuples, not dataclasses: every `up` imports this module, and creating a
dataclass compiles its methods at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Callable, NamedTuple, Optional

from devenv.engine.errors import EngineRefused
from devenv.engine.port import Engine, EngineReads
from devenv.engine.records import ImageInfo
from devenv.errors import DevenvError, RegistryError, RegistryUnreachable
from devenv.registry.reference import ImageRef

POLICIES = ("missing", "always", "never")


class PullEvent(NamedTuple):
    image: str  # the reference being pulled (display form)
    layer: Optional[str]  # short layer id; None for whole-image events
    status: str  # engine status text: "Downloading", "Pull complete", "Already exists", ...
    current: Optional[int] = None  # bytes so far for this layer
    total: Optional[int] = None  # layer size in bytes, when the engine knows it


class EnsuredImage(NamedTuple):
    ref: ImageRef  # pinned when a digest is known
    run_ref: str  # what to create containers from: "reg/repo@sha256:..." (or "reg/repo:tag" if unknown)
    image_id: str
    digest: Optional[str]
    pulled: bool
    warning: Optional[str] = None  # set when the registry was unreachable and the local copy was used


def local_image(reads: EngineReads, ref: ImageRef, *, locked_digest: Optional[str] = None) -> EnsuredImage:
    """The image `ensure_image` would run with the pull policy `never`, from reads alone
    (the no-op check of `up` asks this over the lite client); a DevenvError when it is absent."""
    digest = locked_digest or ref.digest
    wanted = ref.pinned(digest) if digest else ref
    local = reads.inspect_image(str(wanted))
    if local is None:
        raise _absent(wanted)
    return _ensured(wanted, local, digest or _repo_digest(local, ref, podman=reads.is_podman), pulled=False)


def ensure_image(
    engine: Engine,
    ref: ImageRef,
    *,
    locked_digest: Optional[str] = None,
    policy: str = "missing",
    progress: Optional[Callable[[PullEvent], None]] = None,
    environ: Mapping[str, str] = os.environ,
) -> EnsuredImage:
    """Return the image to run for `ref`. `missing` pulls only what is absent, `always` asks the
    registry every time (falls back to the local copy, with a warning, when it is unreachable),
    `never` uses only local images. A digest (locked or written) always wins over the tag."""
    if policy not in POLICIES:
        raise DevenvError(f"pull policy '{policy}' is not one of {', '.join(POLICIES)}")
    if policy == "never":
        return local_image(engine, ref, locked_digest=locked_digest)
    digest = locked_digest or ref.digest
    if digest:
        pinned = ref.pinned(digest)
        local = engine.inspect_image(str(pinned))
        if local is not None and policy != "always":
            return _ensured(pinned, local, digest, pulled=False)  # the fast path: one engine call
        # The registry client (http.client, ssl) costs more than a no-op `up`: only when asked.
        from devenv.registry.resolve import resolve_digest

        try:
            resolve_digest(pinned)  # our deadlines, auth and "does it exist" before the engine's pull
        except RegistryUnreachable as err:
            if local is not None:
                return _ensured(pinned, local, digest, pulled=False, warning=_offline(err, pinned))
            raise _unreachable_absent(err, pinned) from err
        if local is not None:
            return _ensured(pinned, local, digest, pulled=False)
        return _ensured(pinned, _pull(engine, pinned, progress, environ), digest, pulled=True)

    local = engine.inspect_image(str(ref))
    if local is not None and policy != "always":
        return _ensured(ref, local, _repo_digest(local, ref, podman=engine.is_podman), pulled=False)
    from devenv.registry.resolve import resolve_digest  # the registry client: only when asked

    try:
        digest = resolve_digest(ref)
    except RegistryUnreachable as err:
        if local is not None:
            digest = _repo_digest(local, ref, _fails_with(err), podman=engine.is_podman)
            return _ensured(ref, local, digest, pulled=False, warning=_offline(err, ref))
        raise _unreachable_absent(err, ref) from err
    pinned = ref.pinned(digest)
    present = engine.inspect_image(str(pinned))
    info = present if present is not None else _pull(engine, pinned, progress, environ)
    engine.tag(info.id, ref.name, ref.tag or "latest")  # keep the tag pointing where the registry says
    return _ensured(pinned, info, digest, pulled=present is None)


def _ensured(
    ref: ImageRef, info: ImageInfo, digest: Optional[str], *, pulled: bool, warning: Optional[str] = None
) -> EnsuredImage:
    run_ref = str(ref) if ref.digest else info.id
    return EnsuredImage(
        ref=ref, run_ref=run_ref, image_id=info.id, digest=digest, pulled=pulled, warning=warning
    )


def _repo_digest(
    info: ImageInfo,
    ref: ImageRef,
    ask: Optional[Callable[[ImageRef], str]] = None,
    *,
    podman: Callable[[], bool] = lambda: False,
    holds: Optional[Callable[[ImageRef, str, str], bool]] = None,
) -> Optional[str]:
    """The registry digest of a local image found by its tag. Docker keeps one per repository,
    the one it pulled or pushed. Podman keeps every manifest digest the image was pulled or built
    as (sorted, so the first is no better than the others), but not the one it pushed as: a
    freshly built and pushed image lists only its local build's digest, which no registry names.
    So, for several digests or on Podman, the registry says which digest the tag names; if this
    image does not list it, the registry's manifest for it is asked whether its config is this
    image's (then that digest is this image's, as pushed); a confirmed answer is kept, so the
    registry is asked once per image. A registry that cannot say leaves the first digest. Both
    `up` paths ask this one function, so the no-op check and the full path agree on the digest,
    which the config hash covers."""
    candidates = [d for n, _, d in (e.partition("@") for e in info.repo_digests) if n == ref.name]
    if not candidates or (len(candidates) == 1 and not podman()):
        return candidates[0] if candidates else None
    from devenv.registry import digest_memo

    confirmed = digest_memo.recall(info.id, ref.name)
    if confirmed is not None:
        return confirmed
    if ask is None or holds is None:
        # The registry client: only here.
        from devenv.registry.resolve import manifest_has_config, resolve_digest

        ask, holds = ask or resolve_digest, holds or manifest_has_config
    try:
        named = ask(ref)
        if named in candidates or holds(ref, named, info.id):
            digest_memo.remember(info.id, ref.name, named)
            return named
    except DevenvError:
        pass
    return candidates[0]


def _fails_with(err: DevenvError) -> Callable[[ImageRef], str]:
    """A registry question answered by the failure just met: asking again would only wait again."""

    def ask(_: ImageRef) -> str:
        raise err

    return ask


def _pull(
    engine: Engine,
    pinned: ImageRef,
    progress: Optional[Callable[[PullEvent], None]],
    environ: Mapping[str, str],
) -> ImageInfo:
    from devenv.registry.resolve import engine_auth  # the registry client: only when asked

    display = pinned.display
    try:
        for event in engine.pull(pinned.name, pinned.digest or "", auth=engine_auth(pinned, environ)):
            if event.error is not None:
                raise _engine_pull_error(pinned, event.error)
            if progress is not None and event.status:
                progress(PullEvent(display, event.id, event.status, event.current, event.total))
    except EngineRefused as err:
        raise _engine_pull_error(pinned, err.explanation) from err
    info = engine.inspect_image(str(pinned))
    if info is None:
        raise RegistryError(f"the engine reported no error but {display} is not present after the pull")
    return info


def _engine_pull_error(ref: ImageRef, text: str) -> RegistryError:
    lowered = text.lower()
    if "unauthorized" in lowered or "authentication required" in lowered or "no basic auth" in lowered:
        return RegistryError(
            f"registry {ref.registry} refused the pull of {ref.display}",
            hint=f"run `devenv login {ref.registry}`",
        )
    if "http response to https client" in lowered:  # Podman: 127.0.0.0/8 is not insecure by default
        return RegistryError(
            f"engine could not pull {ref.display}: it speaks HTTPS to {ref.registry}, which serves plain HTTP",
            hint=(
                f'let the engine use HTTP there — Podman: `[[registry]]` `location = "{ref.registry}"` '
                "`insecure = true` in a file under /etc/containers/registries.conf.d/, then restart its service; "
                f'Docker: `"insecure-registries": ["{ref.registry}"]` in /etc/docker/daemon.json '
                "(`devenv doctor` prints the exact command)"
            ),
        )
    return RegistryError(f"engine could not pull {ref.display}: {text.strip()[:300]}")


def _absent(ref: ImageRef) -> DevenvError:
    return DevenvError(
        f"image {ref.display} is not on this machine and the pull policy is 'never'",
        hint="run `devenv pull`, or use --pull missing",
    )


def _unreachable_absent(err: RegistryError, ref: ImageRef) -> RegistryUnreachable:
    return RegistryUnreachable(f"{err.message}, and {ref.display} is not on this machine", hint=err.hint)


def _offline(err: RegistryError, ref: ImageRef) -> str:
    return f"{err.message}; using the local copy of {ref.display} (offline)"

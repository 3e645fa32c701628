"""A devenv stack as an OCI artifact: what `devenv publish` pushes and a `stack =` include reads.

An OCI image manifest (what distribution 2.8 stores) whose config is devenv's own media type,
holding every service's image pinned by digest, and one layer: a tar of the files another
project needs to run the stack (devenv.toml, devenv.lock, the prod env files). The tar is
written byte-for-byte the same for the same files, so republishing an unchanged stack gives the
same digest. Pure: no network, no engine (registry/stack_fetch.py and ops/publish.py move it)."""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from devenv.errors import DevenvError, ExitCode, RegistryError

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.devenv.stack.config.v1+json"
FILES_TYPE = "application/vnd.devenv.stack.files.v1.tar"
FORMAT = 1
MAX_FILES_BYTES = 8 * 1024 * 1024  # what the registry client reads at most: env files are small


class NotAStack(DevenvError):
    """The reference names an artifact, or an image, that is not a devenv stack."""

    exit_code = ExitCode.USER_ERROR


class DigestMismatch(RegistryError):
    """Content that does not hash to the digest it was asked (or pinned) by: refused."""


class Descriptor(NamedTuple):
    media_type: str
    digest: str
    size: int


class Artifact(NamedTuple):
    manifest: bytes
    config: bytes
    files: bytes

    @property
    def digest(self) -> str:
        return digest_of(self.manifest)


class StackConfig(NamedTuple):
    name: str  # the published project's name
    revision: str  # the commit it was published from
    images: dict[str, str]  # service -> "registry/repo@sha256:..." (release or locked image)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_digest(data: bytes, digest: str, what: str) -> None:
    if digest_of(data) != digest:
        raise DigestMismatch(
            f"{what}: content does not match its digest {digest[:19]}… (got {digest_of(data)[:19]}…): refused",
            hint="the registry or the cache holds altered content; publish it again, or re-pin with `devenv lock`",
        )


def _descriptor(media_type: str, data: bytes) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}


def files_tar(files: Mapping[str, bytes], folders: tuple[str, ...] = ()) -> bytes:
    """A tar of `files` (relative POSIX path -> bytes) and empty `folders`, sorted, with no
    time, owner or mode of this machine in it."""
    import tarfile  # here: a cached include's `up` reads the config alone (tarfile brings shutil, bz2, lzma)

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = set(folders)
        for name in files:
            parent = posixpath.dirname(name)
            while parent:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        entries: list[tuple[str, bytes | None]] = [(d, None) for d in dirs]
        entries += [(n, files[n]) for n in files]
        for name, data in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def pack(files: Mapping[str, bytes], config: StackConfig, folders: tuple[str, ...] = ()) -> Artifact:
    config_blob = json.dumps(
        {"devenv_stack": FORMAT, "name": config.name, "revision": config.revision, "images": config.images},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    layer = files_tar(files, folders)
    if len(layer) > MAX_FILES_BYTES:
        raise DevenvError(
            f"the stack's files come to {len(layer)} bytes (at most {MAX_FILES_BYTES})",
            hint="a published stack carries devenv.toml, devenv.lock and the prod env files only",
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": _descriptor(CONFIG_TYPE, config_blob),
        "layers": [
            {
                **_descriptor(FILES_TYPE, layer),
                "annotations": {"org.opencontainers.image.title": f"{config.name}-stack.tar"},
            }
        ],
        "annotations": {
            "org.opencontainers.image.revision": config.revision,
            "org.opencontainers.image.title": config.name,
        },
    }
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return Artifact(body, config_blob, layer)


def _not_a_stack(what: str, why: str) -> NotAStack:
    return NotAStack(
        f"{what} is not a devenv stack ({why})",
        hint="name a stack published with `devenv publish` (an image goes under [services.X] image =)",
    )


def parse_manifest(body: bytes, what: str) -> tuple[Descriptor, Descriptor]:
    """(config, files) descriptors of a stack's manifest; NotAStack for anything else."""
    try:
        data = json.loads(body)
        config = data["config"]
        layers = data["layers"]
        if not isinstance(config, dict) or not isinstance(layers, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise _not_a_stack(what, "not an OCI image manifest") from None
    if config.get("mediaType") != CONFIG_TYPE:
        raise _not_a_stack(what, f"its config is {config.get('mediaType') or 'untyped'}")
    files = [x for x in layers if isinstance(x, dict) and x.get("mediaType") == FILES_TYPE]
    if len(files) != 1:
        raise _not_a_stack(what, f"it has {len(files)} file layers, not one")
    return _desc(config, what), _desc(files[0], what)


def _desc(raw: dict[str, Any], what: str) -> Descriptor:
    digest, size = raw.get("digest"), raw.get("size")
    if not isinstance(digest, str) or not digest.startswith("sha256:") or not isinstance(size, int):
        raise _not_a_stack(what, "a descriptor without a sha256 digest and size")
    if size > MAX_FILES_BYTES:
        raise _not_a_stack(what, f"a blob of {size} bytes")
    return Descriptor(str(raw["mediaType"]), digest, size)


def parse_config(body: bytes, what: str) -> StackConfig:
    try:
        data = json.loads(body)
        fmt = data["devenv_stack"]
        images = data["images"]
        name, revision = data["name"], data["revision"]
    except (ValueError, KeyError, TypeError):
        raise _not_a_stack(what, "its config is not a devenv stack's") from None
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise DevenvError(
            f"{what}: published by a newer devenv (stack format {fmt}; this devenv reads {FORMAT})",
            hint="upgrade devenv (pip install -U devenv-stack)",
        )
    if not isinstance(images, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and "@sha256:" in v for k, v in images.items()
    ):
        raise _not_a_stack(what, "its images are not pinned by digest")
    return StackConfig(str(name), str(revision), dict(images))


def unpack(layer: bytes, dest: Path, what: str) -> None:
    """Extract the files layer into `dest`: plain files and folders under it, nothing else."""
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(layer), mode="r:") as tar:
            for member in tar.getmembers():
                name = posixpath.normpath(member.name)
                if name.startswith(("/", "../")) or name == ".." or not (member.isfile() or member.isdir()):
                    raise _not_a_stack(
                        what, f"its files hold {member.name!r}, which is not a plain file under it"
                    )
                target = dest / name
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                handle = tar.extractfile(member)
                assert handle is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(handle.read())
    except tarfile.TarError:
        raise _not_a_stack(what, "its files layer is not a tar") from None
    if not (dest / "devenv.toml").is_file():
        raise _not_a_stack(what, "it holds no devenv.toml")

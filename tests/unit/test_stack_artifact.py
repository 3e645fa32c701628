"""A published stack without a registry: the artifact's layout (deterministic, an OCI image
manifest with devenv's config type), what is refused when fetched (not a stack, altered content,
unsafe files), the lock's stack pins, the secret values publish leaves out, an included stack's
secret keys, and `stack =` includes resolved from the cache (as released, deduplicated, pinned
through the lock published with them)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from devenv.config.load import load_project
from devenv.config.model import EnvSpec
from devenv.errors import ConfigError, ExitCode
from devenv.include.expand import expand
from devenv.registry.lockfile import LockedInclude, LockedStack, LockFile
from devenv.registry.stack_artifact import (
    CONFIG_TYPE,
    FILES_TYPE,
    MANIFEST_TYPE,
    DigestMismatch,
    NotAStack,
    StackConfig,
    check_digest,
    digest_of,
    pack,
    parse_config,
    parse_manifest,
    unpack,
)

PIN = "127.0.0.1:5555/notify-mail@sha256:" + "a" * 64
CONFIG = StackConfig("notify", "f" * 40, {"mail": PIN})


def test_the_artifact_is_an_oci_image_manifest_of_devenv_config_and_one_file_layer() -> None:
    files = {"devenv.toml": b"[project]\n", "deploy/prod.env": b"A=1\n"}
    art = pack(files, CONFIG, folders=("src",))
    manifest = json.loads(art.manifest)
    assert manifest["mediaType"] == MANIFEST_TYPE and manifest["schemaVersion"] == 2
    assert manifest["config"] == {
        "mediaType": CONFIG_TYPE,
        "digest": digest_of(art.config),
        "size": len(art.config),
    }
    [layer] = manifest["layers"]
    assert (layer["mediaType"], layer["digest"]) == (FILES_TYPE, digest_of(art.files))
    config_desc, files_desc = parse_manifest(art.manifest, "x")
    assert (config_desc.digest, files_desc.digest) == (digest_of(art.config), digest_of(art.files))
    assert parse_config(art.config, "x") == CONFIG
    with tarfile.open(fileobj=io.BytesIO(art.files)) as tar:
        names = {m.name: m for m in tar.getmembers()}
    assert sorted(names) == ["deploy", "deploy/prod.env", "devenv.toml", "src"]
    assert all(m.mtime == 0 and m.uid == 0 for m in names.values())  # nothing of this machine


def test_the_same_files_publish_to_the_same_digest_whatever_their_order() -> None:
    one = pack({"a": b"1", "b/c": b"2"}, CONFIG)
    two = pack({"b/c": b"2", "a": b"1"}, CONFIG)
    assert one.digest == two.digest
    assert pack({"a": b"1", "b/c": b"3"}, CONFIG).digest != one.digest


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        (b"<html>", "not an OCI image manifest"),
        (
            json.dumps(
                {
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": "sha256:1",
                        "size": 1,
                    },
                    "layers": [],
                }
            ).encode(),
            r"its config is application/vnd\.oci\.image\.config\.v1\+json",
        ),
        (
            json.dumps(
                {"config": {"mediaType": CONFIG_TYPE, "digest": "sha256:1", "size": 1}, "layers": []}
            ).encode(),
            "it has 0 file layers",
        ),
    ],
)
def test_what_is_not_a_devenv_stack_is_refused_in_one_line(manifest: bytes, why: str) -> None:
    with pytest.raises(NotAStack, match=why) as err:
        parse_manifest(manifest, "devenv.toml:2 include.notify: reg/notify:1.4")
    assert err.value.exit_code == ExitCode.USER_ERROR
    assert err.value.message.startswith("devenv.toml:2 include.notify: reg/notify:1.4 is not a devenv stack")


def test_a_config_with_an_image_not_pinned_by_digest_is_not_a_stack() -> None:
    raw = json.dumps(
        {"devenv_stack": 1, "name": "n", "revision": "r", "images": {"mail": "busybox:1"}}
    ).encode()
    with pytest.raises(NotAStack, match="not pinned by digest"):
        parse_config(raw, "x")


def test_content_that_does_not_hash_to_its_digest_is_refused_with_the_registry_exit_code() -> None:
    check_digest(b"abc", digest_of(b"abc"), "x")
    with pytest.raises(DigestMismatch, match="x: content does not match its digest") as err:
        check_digest(b"abd", digest_of(b"abc"), "x")
    assert err.value.exit_code == ExitCode.REGISTRY == 4


def _tar(*members: tarfile.TarInfo) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for m in members:
            tar.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)
    return out.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size if kind == tarfile.REGTYPE else 0
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    return info


@pytest.mark.parametrize(
    "member", [_member("../escape"), _member("/etc/x"), _member("devenv.toml", tarfile.SYMTYPE)]
)
def test_unpack_takes_plain_files_under_its_folder_only(tmp_path: Path, member: tarfile.TarInfo) -> None:
    with pytest.raises(NotAStack, match="not a plain file under it"):
        unpack(_tar(member), tmp_path / "out", "x")
    assert not (tmp_path / "escape").exists()


def test_unpack_needs_a_devenv_toml(tmp_path: Path) -> None:
    with pytest.raises(NotAStack, match=r"holds no devenv\.toml"):
        unpack(_tar(_member("prod.env")), tmp_path / "out", "x")


def test_the_lock_pins_stack_includes_beside_git_ones_and_reads_them_back(tmp_path: Path) -> None:
    digest = "sha256:" + "b" * 64
    lock = LockFile(
        includes={
            "notify": LockedStack("notify:1.4", "127.0.0.1:5555/notify:1.4", digest),
            "auth": LockedInclude("file:///auth.git", "v1", "c" * 40),
        }
    )
    lock.save(tmp_path / "devenv.lock")
    text = (tmp_path / "devenv.lock").read_text()
    assert '[includes.notify]\nstack = "notify:1.4"\nreference = "127.0.0.1:5555/notify:1.4"' in text
    again = LockFile.load(tmp_path / "devenv.lock")
    assert again == lock
    assert again is not None and again.pinned_stack("notify:1.4") == digest
    assert again.pinned_stack("127.0.0.1:5555/notify:1.4") == digest
    assert again.pinned_commit("file:///auth.git", "v1") == "c" * 40 and again.pinned_stack("auth") is None
    (tmp_path / "devenv.lock").write_text(text.replace(digest, "sha256:short"))
    with pytest.raises(
        ConfigError, match=r"devenv.lock:\d+ includes.notify.digest: 'sha256:short' is not sha256"
    ):
        LockFile.load(tmp_path / "devenv.lock")


def test_publish_leaves_every_secret_value_out_of_a_dotenv_file() -> None:
    from devenv.ops.publish import secret_free_dotenv

    text = "# mail\nMAIL_FROM=notify@prod\nexport SMTP_PASSWORD='hunter2'\nTOKEN=abc\n"
    out = secret_free_dotenv(text, "prod.env", {"SMTP_PASSWORD", "TOKEN"})
    assert out == "# mail\nMAIL_FROM=notify@prod\nSMTP_PASSWORD=\nTOKEN=\n"
    with pytest.raises(ConfigError, match=r"prod\.env:1: the value of secret key KEY spans lines") as err:
        secret_free_dotenv('KEY="line one\nline two"\n', "prod.env", {"KEY"})
    assert "line one" not in err.value.message + (err.value.hint or "")


def test_an_included_stacks_secret_comes_from_the_includers_file_by_its_prefixed_name(tmp_path: Path) -> None:
    from devenv.envvars.layering import include_prefix, include_secrets, missing_include_secrets

    assert include_prefix("notify") == "NOTIFY__" and include_prefix("sms-gw") == "SMS_GW__"
    (tmp_path / "secrets.env").write_text("NOTIFY__SMTP_PASSWORD=s3cret\nDB_PASSWORD=x\nNOTIFY__=y\n")
    found = include_secrets(tmp_path, EnvSpec(secrets="secrets.env"), "notify")
    assert {k: v.value for k, v in found.items()} == {"SMTP_PASSWORD": "s3cret"}
    assert found["SMTP_PASSWORD"].secret and "(as NOTIFY__SMTP_PASSWORD)" in found["SMTP_PASSWORD"].source
    err = missing_include_secrets(EnvSpec(secrets=".devenv/secrets.env"), "notify", ["SMTP_PASSWORD"])
    assert err.message == "include notify: no local value for secret key SMTP_PASSWORD"
    assert err.hint is not None and "add NOTIFY__SMTP_PASSWORD=<value> to .devenv/secrets.env" in err.hint


# --- stack includes resolved from the cache, no registry ---


def _cache(files: dict[str, str], images: dict[str, str], name: str = "notify") -> str:
    """A stack stored in the cache as a verified fetch stores it; its digest."""
    from devenv.registry.stack_fetch import _store

    art = pack({k: v.encode() for k, v in files.items()}, StackConfig(name, "f" * 40, images))
    _store(art.digest, parse_config(art.config, "x"), art.config, art.files, "x")
    return art.digest


NOTIFY = '[project]\nname = "notify"\n\n[services.mail]\nbuild = "."\ncode = "/app"\ncommand = ["serve"]\n'


def _includer(folder: Path, body: str, pins: dict[str, tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "devenv.toml").write_text('[project]\nname = "shop"\nregistry = "127.0.0.1:5555"\n\n' + body)
    LockFile(includes={n: LockedStack(s, f"127.0.0.1:5555/{s}", d) for n, (s, d) in pins.items()}).save(
        folder / "devenv.lock"
    )
    return folder


def test_a_pinned_cached_stack_runs_as_released_with_no_registry(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DEVENV_REGISTRY_CONNECT_TIMEOUT", "0.01")
    digest = _cache({"devenv.toml": NOTIFY}, {"mail": PIN})
    root = _includer(
        tmp_path / "shop",
        '[include.notify]\nstack = "notify:1.4"\n\n[services.web]\nimage = "busybox"\ndepends_on = ["mail"]\n',
        {"notify": ("notify:1.4", digest)},
    )
    project = expand(load_project(root, explicit=True))
    mail = project.service("mail")
    # Its build folder is not published: the release image holds the code, nothing is mounted or watched.
    assert (mail.image, mail.build, mail.code, mail.watch, mail.include) == (PIN, None, None, None, "notify")
    stack = project.included("notify")
    assert (stack.source, stack.commit, stack.key) == (
        "image",
        digest,
        f"stack:127.0.0.1:5555/notify@{digest}",
    )


def test_a_stack_reached_twice_at_one_digest_runs_once_at_two_it_is_refused(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    mail = '[project]\nname = "mail"\n\n[services.smtp]\nimage = "busybox"\n'
    mail_v1 = _cache({"devenv.toml": mail}, {"smtp": PIN}, "mail")
    mail_v2 = _cache({"devenv.toml": mail + "# v2\n"}, {"smtp": PIN}, "mail")

    def via(name: str, mail_digest: str) -> str:
        """A published stack `name` that includes mail at `mail_digest` (pinned by its own lock)."""
        lock = LockFile(includes={"mail": LockedStack("mail:1", "127.0.0.1:5555/mail:1", mail_digest)})
        toml = (
            f'[project]\nname = "{name}"\nregistry = "127.0.0.1:5555"\n\n[include.mail]\nstack = "mail:1"\n'
        )
        return _cache({"devenv.toml": toml, "devenv.lock": lock.dumps()}, {}, name)

    auth, notify = via("auth", mail_v1), via("notify", mail_v1)
    body = '[include.auth]\nstack = "auth:1"\n\n[include.notify]\nstack = "notify:1"\n'
    root = _includer(tmp_path / "shop", body, {"auth": ("auth:1", auth), "notify": ("notify:1", notify)})
    project = expand(load_project(root, explicit=True))
    assert [s.name for s in project.services] == ["smtp"]  # one mail, through both
    assert [s.name for s in project.includes] == ["auth", "mail", "notify"]

    notify = via("notify", mail_v2)
    root = _includer(tmp_path / "shop2", body, {"auth": ("auth:1", auth), "notify": ("notify:1", notify)})
    with pytest.raises(ConfigError, match="the same stack at two versions"):
        expand(load_project(root, explicit=True))

"""What devenv sends and reads differently on Podman, decided in `engine/kind.py`,
`engine/podman.py`, `engine/labels.py` and `engine/records.py`: pure functions over the engine's
own texts (transcribed from Podman 4.3.1 and Docker 20.10.24 on this project's CI machine)."""

from __future__ import annotations

import pytest

from devenv.engine import labels as L
from devenv.engine import records
from devenv.engine.kind import DOCKER, PODMAN, engine_kind, podman_server
from devenv.engine.podman import (
    Ulimit,
    health_test,
    healthcheck,
    holds_capability,
    parse_limits,
    ulimits_for,
    with_health,
)
from devenv.engine.records import ContainerDetails, ContainerInfo, ContainerState

# /version of Podman 4.3.1's compat service (Components shortened) and of dockerd 20.10.24.
PODMAN_VERSION = {
    "Platform": {"Name": "linux/amd64/debian-12"},
    "Components": [
        {"Name": "Podman Engine", "Version": "4.3.1", "Details": {"APIVersion": "4.3.1"}},
        {"Name": "Conmon", "Version": "conmon version 2.1.6, commit: unknown"},
        {"Name": "OCI Runtime (runc)", "Version": "runc version 1.1.5+ds1"},
    ],
    "Version": "4.3.1",
    "ApiVersion": "1.41",
    "MinAPIVersion": "1.24",
}
DOCKER_VERSION = {
    "Platform": {"Name": ""},
    "Components": [
        {"Name": "Engine", "Version": "20.10.24+dfsg1", "Details": {"ApiVersion": "1.41"}},
        {"Name": "containerd", "Version": "1.6.20~ds1"},
        {"Name": "runc", "Version": "1.1.5+ds1"},
    ],
    "Version": "20.10.24+dfsg1",
    "ApiVersion": "1.41",
}

# /proc/<pid>/limits of a rootful `podman system service` in a sandbox without CAP_SYS_RESOURCE.
LIMITS = """\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max processes             96551                96551                processes
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
"""
STATUS_WITHOUT_SYS_RESOURCE = "Name:\tpodman\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\n"
STATUS_WITH_ALL = "Name:\tdockerd\nCapEff:\t000001ffffffffff\n"


def test_the_engine_is_named_from_its_version_document_and_its_server_header() -> None:
    podman = engine_kind(PODMAN_VERSION)
    assert podman == (PODMAN, "4.3.1", "1.41") and podman.podman
    assert str(podman) == "Podman 4.3.1 (API 1.41)"
    docker = engine_kind(DOCKER_VERSION)
    assert docker.name == DOCKER and not docker.podman
    assert str(docker) == "Docker 20.10.24+dfsg1 (API 1.41)"
    assert engine_kind({}).name == DOCKER  # an engine that says nothing is taken for Docker
    assert podman_server("Libpod/4.3.1 (linux)")
    assert not podman_server("Docker/20.10.24+dfsg1 (linux)") and not podman_server("")


def test_limits_and_capabilities_are_read_from_proc_texts() -> None:
    assert parse_limits(LIMITS) == {"nofile": (20000, 20000), "nproc": (96551, 96551)}
    assert parse_limits("Max open files            unlimited            unlimited            files\n") == {}
    assert not holds_capability(STATUS_WITHOUT_SYS_RESOURCE, 24)
    assert holds_capability(STATUS_WITH_ALL, 24)
    assert holds_capability("Name:\tx\n", 24)  # unreadable: assume it may, change nothing


def test_an_engine_that_may_not_raise_its_limits_is_asked_for_exactly_its_own() -> None:
    assert ulimits_for(LIMITS, STATUS_WITHOUT_SYS_RESOURCE) == (
        Ulimit("nofile", 20000, 20000),
        Ulimit("nproc", 96551, 96551),
    )
    assert ulimits_for(LIMITS, STATUS_WITH_ALL) == ()  # Podman's own defaults are grantable


@pytest.mark.parametrize(
    ("test", "sent"),
    [
        # Podman 4 re-splits a CMD's arguments on whitespace: those become one quoted shell line.
        (["CMD", "python3", "-c", "import a; a.b()"], ["CMD-SHELL", "python3 -c 'import a; a.b()'"]),
        (["CMD", "pg_isready", "-U", "app"], ["CMD", "pg_isready", "-U", "app"]),
        (["CMD-SHELL", "test -f /tmp/ready"], ["CMD-SHELL", "test -f /tmp/ready"]),
        (["CMD", "sh", "-c", 'it\'s "quoted"'], ["CMD-SHELL", "sh -c 'it'\"'\"'s \"quoted\"'"]),
    ],
)
def test_health_tests_podman_would_break_become_shell_lines(test: list[str], sent: list[str]) -> None:
    assert health_test(test) == sent


def test_the_healthcheck_document_keeps_its_timings() -> None:
    doc = {"test": ["CMD", "a", "b c"], "interval": 1, "timeout": 2, "retries": 3, "start_period": 4}
    assert healthcheck(doc) == {**doc, "test": ["CMD-SHELL", "a 'b c'"]}
    assert healthcheck(None) is None


def _info(cid: str, state: str = "running", status: str = "Up 3 seconds") -> ContainerInfo:
    return records.container_info({"Id": cid, "Names": [f"/{cid}"], "State": state, "Status": status})


def _details(health: str | None) -> ContainerDetails:
    return ContainerDetails("x", "x", {}, ContainerState("running", True, None, "", health, None), (), None)


def test_health_comes_from_docker_s_list_and_from_an_inspect_on_podman() -> None:
    assert _info("a", status="Up 3 seconds (healthy)").health == "healthy"
    assert _info("a", status="Up 1 second (health: starting)").health == "starting"
    assert _info("a", status="Up 9 seconds (unhealthy)").health == "unhealthy"
    listed = [_info("a"), _info("b"), _info("c", state="exited", status="Exited (0)"), _info("d")]
    asked: list[str] = []

    def inspect(cid: str) -> ContainerDetails | None:
        asked.append(cid)
        return {"a": _details("healthy"), "b": _details(None)}.get(cid)  # "d" is gone meanwhile

    healths = [c.health for c in with_health(listed, inspect)]
    assert healths == ["healthy", None, None, None]
    assert asked == ["a", "b", "d"]  # only running containers are asked


def _labelled(project: str, instance: str) -> dict[str, str]:
    return {L.PROJECT: project, L.INSTANCE: instance}


def test_what_the_engine_lists_is_checked_against_every_label_of_the_filter() -> None:
    """Podman before 4.7 ORs several volume label filters (containers/podman#19219): asked for
    project a's default instance, it also answers project b's volumes of instance `default`."""
    answer = {
        "Volumes": [
            {"Name": "a-default-data", "Labels": _labelled("a", "default")},
            {"Name": "b-default-data", "Labels": _labelled("b", "default")},
            {"Name": "a-t2-data", "Labels": _labelled("a", "t2")},
            {"Name": "unlabelled", "Labels": None},
        ]
    }
    selector = L.selector("a", "default")
    assert [v.name for v in records.volume_list(answer, selector)] == ["a-default-data"]
    assert [v.name for v in records.volume_list(answer, L.selector("a"))] == ["a-default-data", "a-t2-data"]
    assert [v.name for v in records.volume_list(answer, [])] == [v["Name"] for v in answer["Volumes"]]
    assert records.volume_list(None, selector) == []
    networks = [{"Id": "1", "Name": "b-default", "Labels": _labelled("b", "default")}]
    assert records.network_list(networks, selector) == []
    containers = [{"Id": "1", "Names": ["/b-default-web"], "Labels": _labelled("b", "default")}]
    assert records.container_list(containers, selector) == []


def test_a_bare_key_filter_needs_the_key_and_a_value_filter_the_exact_value() -> None:
    assert L.carries({L.PROJECT: "a"}, [L.PROJECT])
    assert not L.carries({}, [L.PROJECT])
    assert not L.carries({L.PROJECT: "ab"}, [f"{L.PROJECT}=a"])
    assert L.carries({L.PROJECT: "a=b"}, [f"{L.PROJECT}=a=b"])  # a value may hold "="


def test_a_push_s_digest_is_read_from_podman_s_status_line_too() -> None:
    digest = "sha256:" + "ab" * 32
    docker_aux = records.message({"aux": {"Tag": "v1", "Digest": digest, "Size": 528}})
    podman_line = records.message({"status": f"v1: digest: {digest} size: 528"})
    assert docker_aux.aux["Digest"] == podman_line.aux["Digest"] == digest
    assert records.message({"status": "Pushing", "progressDetail": {}}).aux == {}


def test_of_several_local_digests_the_one_the_registry_names_is_recorded() -> None:
    """Podman keeps every digest an image was built or pushed as; Docker one per repository."""
    from devenv.engine.records import ImageInfo
    from devenv.errors import RegistryUnreachable
    from devenv.registry.pull import _repo_digest
    from devenv.registry.reference import ImageRef

    built, pushed = "sha256:" + "1c" * 32, "sha256:" + "8d" * 32
    ref = ImageRef("127.0.0.1:5555", "busybox", "test-podman", None)
    podman = ImageInfo("sha256:ace0", (f"{ref.name}@{built}", f"{ref.name}@{pushed}", f"other@{built}"), {})
    asked: list[ImageRef] = []

    def registry(asked_ref: ImageRef) -> str:
        asked.append(asked_ref)
        return pushed

    assert _repo_digest(podman, ref, registry) == pushed and asked == [ref]

    def offline(_: ImageRef) -> str:
        raise RegistryUnreachable("registry 127.0.0.1:5555 is unreachable")

    assert _repo_digest(podman, ref, offline) == built  # the first, as before
    docker = ImageInfo("sha256:ace0", (f"{ref.name}@{pushed}",), {})
    assert _repo_digest(docker, ref, offline) == pushed  # one digest: no question asked
    assert _repo_digest(ImageInfo("sha256:ace0", (), {}), ref, offline) is None


def test_a_podman_image_built_and_pushed_records_the_digest_the_registry_names() -> None:
    """Podman 4 lists only the digest it built an image as, not the one it pushed it as (seen on
    the CI's Podman 4.3: built, pushed, inspected at once). Its one digest is then checked with
    the registry: the tag's manifest, if its config is this image's, gives the digest."""
    from devenv.engine.records import ImageInfo
    from devenv.errors import RegistryUnreachable
    from devenv.registry.pull import _repo_digest
    from devenv.registry.reference import ImageRef

    built, pushed, newer = "sha256:" + "1c" * 32, "sha256:" + "8d" * 32, "sha256:" + "9e" * 32
    ref = ImageRef("127.0.0.1:5555", "busybox", "test-podman", None)
    image = ImageInfo("sha256:ace0", (f"{ref.name}@{built}",), {})
    configs = {pushed: "sha256:ace0", newer: "sha256:beef"}  # the registry's manifests' configs

    def holds(_: ImageRef, digest: str, config: str) -> bool:
        return configs[digest] == config

    assert _repo_digest(image, ref, lambda _: pushed, podman=lambda: True, holds=holds) == pushed
    # The tag moved on to another image: this one's own digest stays (the tag is stale here).
    assert _repo_digest(image, ref, lambda _: newer, podman=lambda: True, holds=holds) == built

    def offline(_: ImageRef) -> str:
        raise RegistryUnreachable("registry 127.0.0.1:5555 is unreachable")

    assert _repo_digest(image, ref, offline, podman=lambda: True, holds=holds) == built
    # Docker lists the digest it pushed as: its one digest is taken without a question.
    assert _repo_digest(image, ref, offline, podman=lambda: False, holds=holds) == built


def test_only_the_manifest_whose_config_is_the_image_holds_it() -> None:
    import json

    from devenv.registry.reference import ImageRef
    from devenv.registry.resolve import manifest_has_config

    class Registry:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def manifest(self, repository: str, reference: str) -> tuple[bytes, str, str]:
            return self.body, "application/vnd.oci.image.manifest.v1+json", reference

    ref = ImageRef("127.0.0.1:5555", "busybox", "test-podman", None)
    image = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:ace0"}, "layers": []}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": "sha256:ace0"}]}).encode()
    assert manifest_has_config(ref, "sha256:8d", "sha256:ace0", Registry(image))  # type: ignore[arg-type]
    assert manifest_has_config(ref, "sha256:8d", "ace0", Registry(image))  # type: ignore[arg-type]
    assert not manifest_has_config(ref, "sha256:8d", "sha256:beef", Registry(image))  # type: ignore[arg-type]
    assert not manifest_has_config(ref, "sha256:8d", "sha256:ace0", Registry(index))  # type: ignore[arg-type]
    assert not manifest_has_config(ref, "sha256:8d", "sha256:ace0", Registry(b"[]"))  # type: ignore[arg-type]


class _Api:
    """docker-py's create_network, failing as Podman does when a host interface goes away."""

    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0

    def create_network(self, name: str, **_: object) -> None:
        import docker.errors
        import requests

        self.calls += 1
        if self.calls <= self.failures:
            answer = requests.Response()
            answer.status_code = 500
            raise docker.errors.APIError(
                "500 Server Error", response=answer, explanation="route ip+net: no such network interface"
            )


def test_a_network_create_that_raced_an_interface_going_away_is_tried_again() -> None:
    from devenv.engine.docker_engine import DockerEngine
    from devenv.engine.errors import EngineRefused
    from devenv.engine.podman import NETWORK_TRIES

    api = _Api(failures=NETWORK_TRIES - 1)
    DockerEngine(api, "unix:///x").create_network("p-default", {})  # type: ignore[arg-type]
    assert api.calls == NETWORK_TRIES
    always = _Api(failures=NETWORK_TRIES)
    with pytest.raises(EngineRefused, match="no such network interface"):
        DockerEngine(always, "unix:///x").create_network("p-default", {})  # type: ignore[arg-type]
    assert always.calls == NETWORK_TRIES


def test_the_digest_the_registry_confirmed_is_asked_for_once_per_image_and_repository(own_state_dir) -> None:
    """Podman's no-op `up` would ask the registry every time (and wait out an unreachable one's
    connect deadline): a confirmed answer is kept under the cache folder."""
    from devenv.engine.records import ImageInfo
    from devenv.errors import RegistryUnreachable
    from devenv.registry.pull import _repo_digest
    from devenv.registry.reference import ImageRef

    built, pushed = "sha256:" + "1c" * 32, "sha256:" + "8d" * 32
    ref = ImageRef("127.0.0.1:5555", "busybox", "test-podman", None)
    image = ImageInfo("sha256:" + "ac" * 32, (f"{ref.name}@{built}",), {})
    asked: list[str] = []

    def registry(asked_ref: ImageRef) -> str:
        asked.append(asked_ref.name)
        return pushed

    def offline(asked_ref: ImageRef) -> str:
        asked.append(asked_ref.name)
        raise RegistryUnreachable("registry 127.0.0.1:5555 is unreachable")

    def holds(_: ImageRef, digest: str, config: str) -> bool:
        return digest == pushed and config == image.id

    assert _repo_digest(image, ref, offline, podman=lambda: True, holds=holds) == built  # not kept
    assert _repo_digest(image, ref, registry, podman=lambda: True, holds=holds) == pushed
    assert _repo_digest(image, ref, offline, podman=lambda: True, holds=holds) == pushed  # kept
    assert asked == [ref.name, ref.name]
    other = ImageRef("127.0.0.1:5555", "mirror/busybox", "test-podman", None)
    mirrored = ImageInfo(image.id, (f"{other.name}@{built}",), {})
    assert _repo_digest(mirrored, other, offline, podman=lambda: True, holds=holds) == built  # its own question
    assert asked[-1] == other.name
    kept = list((own_state_dir / "cache" / "pushed-digests").iterdir())
    assert len(kept) == 1 and kept[0].read_text() == pushed + "\n"
    kept[0].write_text("not a digest")  # a damaged memo is a question again, not an answer
    assert _repo_digest(image, ref, offline, podman=lambda: True, holds=holds) == built


def test_an_unreachable_registry_is_not_asked_twice_for_the_local_image_s_digest(monkeypatch) -> None:
    """`--pull always` with the registry down runs the local copy; which digest it has is not
    asked of the registry again (that would wait out the connect deadline a second time)."""
    from devenv.engine.records import ImageInfo
    from devenv.errors import RegistryUnreachable
    from devenv.registry import pull, resolve
    from devenv.registry.reference import ImageRef

    ref = ImageRef("127.0.0.1:5555", "busybox", "test-podman", None)
    built = "sha256:" + "1c" * 32
    asked: list[str] = []

    def unreachable(asked_ref: ImageRef, *args: object, **kwargs: object) -> str:
        asked.append(str(asked_ref))
        raise RegistryUnreachable("registry 127.0.0.1:5555 is unreachable (connection timed out)")

    class Podman:
        def inspect_image(self, reference: str) -> ImageInfo:
            return ImageInfo("sha256:" + "ac" * 32, (f"{ref.name}@{built}",), {})

        def is_podman(self) -> bool:
            return True

    monkeypatch.setattr(resolve, "resolve_digest", unreachable)
    ensured = pull.ensure_image(Podman(), ref, policy="always")  # type: ignore[arg-type]
    assert ensured.digest == built and ensured.warning and len(asked) == 1

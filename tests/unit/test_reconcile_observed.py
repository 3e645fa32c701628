"""The observed snapshot: three list calls, the instance's own volumes told apart from the
engine's others by their labels, and an inspect only for a container whose env changed."""

from __future__ import annotations

from devenv.engine import labels as L
from devenv.engine.records import ContainerDetails, ContainerInfo, ContainerState, NetworkInfo, VolumeInfo
from devenv.reconcile.observed import observe, with_env
from tests.unit.test_reconcile_causes import desired, running

OWN = L.base_labels("shop", "default")


class Reads:
    """The engine port's reads, answering from lists; counts what it is asked."""

    host = "unix:///fake.sock"

    def __init__(self, containers: list[ContainerInfo], env: dict[str, tuple[str, ...]]) -> None:
        self._containers = containers
        self._env = env
        self.asked: list[str] = []

    def containers(self, labels, *, all: bool = True) -> list[ContainerInfo]:
        self.asked.append("containers")
        return self._containers

    def networks(self, labels) -> list[NetworkInfo]:
        self.asked.append("networks")
        return [NetworkInfo("n1", "shop-default", dict(OWN))]

    def volumes(self, labels) -> list[VolumeInfo]:
        self.asked.append(f"volumes {list(labels)}")
        return [VolumeInfo("shop-default-pgdata", dict(OWN)), VolumeInfo("pgdata", {})]

    def inspect_container(self, container_id: str) -> ContainerDetails:
        self.asked.append(f"inspect {container_id}")
        state = ContainerState("running", True, None, "", None, None)
        return ContainerDetails(container_id, container_id, {}, state, (), None, self._env[container_id])


def test_one_snapshot_and_an_inspect_only_where_the_env_changed() -> None:
    before = desired()
    after = desired(env={"DATABASE_URL": "postgres://db/other", "SECRET": "s3cr3t-value"})
    reads = Reads(
        [running(s) for s in before.specs],
        {"id-web": ("DATABASE_URL=postgres://db/shop", "SECRET=s3cr3t-value", "PATH=/bin")},
    )
    snapshot = observe(reads, "shop", "default")
    assert reads.asked == ["containers", "networks", "volumes []"]
    assert [v.name for v in snapshot.volumes] == ["shop-default-pgdata"]  # the instance's own
    assert snapshot.volume_names == {"shop-default-pgdata", "pgdata"}  # an external one is seen too
    read = with_env(reads, snapshot, after.specs)
    assert reads.asked[3:] == ["inspect id-web"]  # db is unchanged: not inspected
    assert read.env["id-web"]["DATABASE_URL"] == "postgres://db/shop"
    assert with_env(reads, snapshot, before.specs).env == {}  # nothing changed, nothing read


def test_down_lists_only_its_own_volumes() -> None:
    reads = Reads([], {})
    observe(reads, "shop", "default", every_volume=False)
    assert reads.asked[-1] == f"volumes {L.selector('shop', 'default')}"

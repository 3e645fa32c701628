"""`down`'s network removal: Docker lets go of a removed container's endpoint a moment after the
removal answers, so a network emptied by many removals at once may still have "active
endpoints"; devenv asks again until they are gone. One that stays is a container attached by
hand (an error naming it) or, with none attached, Docker's own stale endpoint (the network is
left, said, and the rest of `down` still done). A stand-in engine and an injected clock."""

from __future__ import annotations

import pytest

from devenv.errors import EngineError
from devenv.ops.down import DownResult
from devenv.reconcile.plan import NETWORK, REMOVE, VOLUME, Action, Plan
from devenv.reconcile.teardown import ENDPOINTS_GONE_S, apply_teardown
from tests.unit.test_health_checks_run import Clock

BUSY = "removing the network: network p-default id 643b has active endpoints"


class Engine:
    def __init__(self, busy_answers: int, attached: tuple[str, ...] = ()) -> None:
        self.busy_answers = busy_answers
        self.attached = list(attached)
        self.asked = 0
        self.removed: list[str] = []
        self.volumes_removed: list[str] = []

    def network_containers(self, network_id: str) -> list[str]:
        return self.attached

    def remove_volume(self, name: str) -> None:
        self.volumes_removed.append(name)

    def remove_network(self, network_id: str) -> None:
        self.asked += 1
        if self.asked <= self.busy_answers:
            raise EngineError(BUSY, "check the engine with `devenv doctor`")
        self.removed.append(network_id)


PLAN = Plan((), (), (Action(REMOVE, "p-default", "n1", "devenv down", NETWORK),))


def test_a_network_whose_endpoints_are_still_going_is_removed_when_they_are_gone() -> None:
    engine, clock = Engine(busy_answers=3), Clock()
    apply_teardown(engine, PLAN, lambda service: None, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert engine.removed == ["n1"] and engine.asked == 4


def test_a_container_attached_by_hand_fails_naming_it() -> None:
    engine, clock = Engine(busy_answers=10**6, attached=("debug-shell",)), Clock()
    with pytest.raises(EngineError) as caught:
        apply_teardown(engine, PLAN, lambda service: None, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert "network p-default still has containers devenv did not create attached: debug-shell" in caught.value.message
    assert "docker network disconnect p-default CONTAINER" in (caught.value.hint or "")
    assert clock.now == pytest.approx(ENDPOINTS_GONE_S, abs=0.2)
    assert engine.removed == []


def test_an_endpoint_with_no_container_leaves_the_network_and_finishes_the_rest() -> None:
    plan = Plan(
        (),
        (),
        (Action(REMOVE, "p-default", "n1", "devenv down", NETWORK),),
        (Action(REMOVE, "p-default-data", None, "devenv down --volumes", VOLUME),),
    )
    engine, clock = Engine(busy_answers=10**6), Clock()
    said: list[tuple[str, str]] = []
    left = apply_teardown(engine, plan, lambda s: None, lambda *m: said.append(m), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert [a.name for a in left] == ["p-default"]
    assert engine.volumes_removed == ["p-default-data"]  # the rest of the teardown still ran
    assert ("p-default", "network removed") not in said
    assert clock.now == pytest.approx(ENDPOINTS_GONE_S, abs=0.2)


def test_down_result_lists_a_left_network_apart() -> None:
    result = DownResult(PLAN, None, ["p-default"])
    assert result.networks == [] and result.left_networks == ["p-default"]
    assert DownResult(PLAN).networks == ["p-default"]


def test_a_left_network_is_said_the_same_by_down_and_by_up() -> None:
    # `down` prints these; `up` adds them to its warnings when its cleanup of dead test runs left one.
    result = DownResult(PLAN, left_networks=["p-default"])
    assert result.networks == []
    (warning,) = result.left_network_warnings()
    assert warning.startswith("network p-default is left: Docker still counts an endpoint on it")
    assert "restarting the Docker daemon frees it" in warning
    assert DownResult(PLAN).left_network_warnings() == []


def test_a_network_left_before_is_asked_once_not_waited_for() -> None:
    engine, clock = Engine(busy_answers=10**6), Clock()
    left = apply_teardown(engine, PLAN, lambda s: None, clock=clock, sleep=clock.sleep, stuck={"n1"})  # type: ignore[arg-type]
    assert [a.id for a in left] == ["n1"]
    assert engine.asked == 1 and clock.now == 0


def test_down_notes_the_network_it_left_and_forgets_it_once_removed(monkeypatch) -> None:
    # remove_instance as `down` runs it, with a short wait: the first down waits and leaves the
    # network, the second asks once; after a daemon restart the removal works and the note goes.
    from devenv.engine.records import NetworkInfo
    from devenv.ops import left_networks
    from devenv.ops.down import remove_instance
    from devenv.reconcile import teardown
    from devenv.reconcile.observed import Snapshot

    monkeypatch.setattr(teardown, "ENDPOINTS_GONE_S", 0.3)
    monkeypatch.setattr(teardown, "POLL_S", 0.05)
    observed = Snapshot((), (NetworkInfo("n1", "p-default", {}),), ())
    engine = Engine(busy_answers=10**6)
    first = remove_instance(engine, "p", "default", volumes=False, timeouts={}, observed=observed)  # type: ignore[arg-type]
    assert first.left_networks == ["p-default"] and engine.asked > 2
    assert left_networks.known() == {"n1"}
    engine.asked = 0
    again = remove_instance(engine, "p", "default", volumes=False, timeouts={}, observed=observed)  # type: ignore[arg-type]
    assert again.left_networks == ["p-default"] and engine.asked == 1
    engine.busy_answers = 0  # the daemon restarted: the endpoint is gone
    last = remove_instance(engine, "p", "default", volumes=False, timeouts={}, observed=observed)  # type: ignore[arg-type]
    assert last.networks == ["p-default"] and engine.removed == ["n1"]
    assert left_networks.known() == set()


def test_the_note_keeps_the_newest_ids_only() -> None:
    from devenv.ops import left_networks

    left_networks.note([f"n{i}" for i in range(left_networks.KEPT + 5)], [])
    noted = left_networks.known()
    assert len(noted) == left_networks.KEPT and "n0" not in noted and f"n{left_networks.KEPT + 4}" in noted

"""`down`'s network removal: Docker lets go of a removed container's endpoint a moment after the
removal answers, so a network emptied by many removals at once may still have "active
endpoints"; devenv asks again until they are gone, and gives the engine's error for one that
stays. A stand-in engine and an injected clock (no sleeping)."""

from __future__ import annotations

import pytest

from devenv.errors import EngineError
from devenv.reconcile.plan import NETWORK, REMOVE, Action, Plan
from devenv.reconcile.teardown import ENDPOINTS_GONE_S, apply_teardown
from tests.unit.test_health_checks_run import Clock

BUSY = "removing the network: network p-default id 643b has active endpoints"


class Engine:
    def __init__(self, busy_answers: int) -> None:
        self.busy_answers = busy_answers
        self.asked = 0
        self.removed: list[str] = []

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


def test_an_endpoint_that_stays_fails_with_the_engine_s_message() -> None:
    engine, clock = Engine(busy_answers=10**6), Clock()
    with pytest.raises(EngineError, match="has active endpoints"):
        apply_teardown(engine, PLAN, lambda service: None, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert clock.now == pytest.approx(ENDPOINTS_GONE_S, abs=0.2)

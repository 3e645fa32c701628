"""The planner is pure: desired specs + observed containers → actions (the containers' part;
networks, volumes and causes: test_reconcile_causes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.config.model import Project, Service
from devenv.config.order import CycleError, waves_of
from devenv.reconcile.desired import ResolvedService, container_spec
from devenv.reconcile.observed import Observed
from devenv.reconcile.plan import CREATE, KEEP, RECREATE, REMOVE, START, Plan, containers_plan
from devenv.reconcile.ports import PortAllocator


def plan(desired, observed, **kwargs) -> Plan:
    return Plan(*containers_plan(desired, observed, **kwargs))


def make_specs(**overrides):
    services = {
        "db": Service(name="db", image="db:1"),
        "web": Service(name="web", image="web:1", depends_on=("db",), command=("serve",)),
        "worker": Service(name="worker", image="w:1", depends_on=("db",)),
    }
    services.update(overrides)
    project = Project(
        name="shop",
        root=Path("/src/shop"),
        config_file=Path("/src/shop/devenv.toml"),
        services=tuple(services.values()),
    )
    resolved = ResolvedService("sha256:img", "reg/x:1", "sha256:d", {"A": "1"}, "pub", "full")
    return [container_spec(project, s, "default", resolved, shim_dir=None) for s in project.services]


def observed_for(specs, running=True, **changed_hash):
    return [
        Observed(f"id-{s.service}", s.name, s.service, changed_hash.get(s.service, s.config_hash), running)
        for s in specs
    ]


def kinds(the_plan):
    return {a.service: a.kind for wave in the_plan.waves for a in wave}


def test_everything_created_in_dependency_waves() -> None:
    specs = make_specs()
    result = plan(specs, [])
    assert [[a.service for a in wave] for wave in result.waves] == [["db"], ["web", "worker"]]
    assert set(kinds(result).values()) == {CREATE}
    assert not result.is_noop


def test_unchanged_running_stack_is_a_noop() -> None:
    specs = make_specs()
    result = plan(specs, observed_for(specs))
    assert result.is_noop and set(kinds(result).values()) == {KEEP}


def test_changed_service_alone_is_recreated() -> None:
    specs = make_specs()
    before = observed_for(specs)
    after = make_specs(web=Service(name="web", image="web:1", depends_on=("db",), command=("serve", "--v2")))
    result = plan(after, before)
    assert kinds(result) == {"db": KEEP, "web": RECREATE, "worker": KEEP}
    assert [a.service for a in result.changes] == ["web"]


def test_stopped_container_is_started_not_recreated() -> None:
    specs = make_specs()
    result = plan(specs, observed_for(specs, running=False))
    assert set(kinds(result).values()) == {START}


def test_orphan_removed_on_full_up_but_not_on_partial() -> None:
    specs = make_specs()
    extra = [*observed_for(specs), Observed("id-old", "shop-default-old", "old", "h", True)]
    assert [(a.service, a.kind) for a in plan(specs, extra).removals] == [("old", REMOVE)]
    assert plan(specs, extra, selected=["web"]).removals == ()


def test_selection_pulls_in_dependencies_only() -> None:
    result = plan(make_specs(), [], selected=["web"])
    assert kinds(result) == {"db": CREATE, "web": CREATE}


def test_duplicate_container_for_a_service_is_removed() -> None:
    specs = make_specs()
    obs = [*observed_for(specs), Observed("id-dup", "other-name", "db", specs[0].config_hash, False)]
    assert [a.container_id for a in plan(specs, obs).removals] == ["id-dup"]


def test_force_recreate() -> None:
    specs = make_specs()
    assert kinds(plan(specs, observed_for(specs), force_recreate=["db"]))["db"] == RECREATE


def test_config_hash_ignores_nothing_that_matters() -> None:
    base = make_specs()[1]
    changed_env = container_spec(
        Project(name="shop", root=Path("/src/shop"), config_file=Path("/x"), services=()),
        Service(name="web", image="web:1", depends_on=("db",), command=("serve",)),
        "default",
        ResolvedService("sha256:img", "reg/x:1", "sha256:d", {"A": "2"}, "pub", "full2"),
        shim_dir=None,
    )
    assert base.config_hash != changed_env.config_hash
    assert make_specs()[1].config_hash == base.config_hash  # stable across runs


def test_config_hash_is_the_one_containers_already_carry() -> None:
    """The labels that explain a hash are not in it: a container made by the devenv before
    them is up to date, not recreated (the value is what that devenv computed)."""
    spec = container_spec(
        Project(name="shop", root=Path("/src/shop"), config_file=Path("/src/shop/devenv.toml"), services=()),
        Service(name="web", image="web:1", command=("serve",)),
        "default",
        ResolvedService("sha256:img", "reg/x:1", "sha256:d", {"A": "1"}, "pub", "full"),
        shim_dir=None,
    )
    assert spec.config_hash == "fc65d92755320a43"


def test_cycle_detected() -> None:
    with pytest.raises(CycleError) as caught:
        waves_of({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert caught.value.cycle == ["a", "b", "c", "a"]


def test_ports_take_next_free_unless_strict() -> None:
    taken = {8000, 8001}
    allocator = PortAllocator(lambda ip, port, proto: port not in taken)
    assert allocator.allocate("127.0.0.1", 8000, "tcp", strict=False) == 8002
    assert allocator.allocate("127.0.0.1", 8000, "tcp", strict=False) == 8003  # 8002 now reserved
    assert allocator.allocate("127.0.0.1", 8000, "tcp", strict=True) is None
    assert allocator.allocate("127.0.0.1", 9000, "udp", strict=True) == 9000
    assert allocator.allocate("127.0.0.1", 0, "tcp", strict=False) == 0

"""The whole plan, pure: containers, the network and volumes as typed actions, each with its
cause (what `up --dry-run` prints), and `down`'s teardown plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

from devenv.config.model import Project, Service, VolumeDecl, VolumeMount
from devenv.engine import labels as L
from devenv.engine.records import ContainerInfo, ContainerSpec, NetworkInfo, VolumeInfo
from devenv.errors import DevenvError
from devenv.reconcile.desired import Desired, ResolvedService, desired_state
from devenv.reconcile.observed import Snapshot
from devenv.reconcile.plan import (
    BUILD,
    CREATE,
    IMAGE,
    INSTANCE,
    KEEP,
    NETWORK,
    PULL,
    RECREATE,
    REMOVE,
    START,
    VOLUME,
    Action,
    plan,
    teardown_plan,
)

DIGEST_A = "sha256:" + "ab" * 32
DIGEST_B = "sha256:" + "cd" * 32


def project(*services: Service, volumes: tuple[VolumeDecl, ...] = ()) -> Project:
    return Project(
        name="shop",
        root=Path("/src/shop"),
        config_file=Path("/src/shop/devenv.toml"),
        services=services,
        volumes=volumes,
    )


def resolved(
    env: Optional[dict[str, str]] = None, digest: str = DIGEST_A, full: str = "full"
) -> ResolvedService:
    env = {"DATABASE_URL": "postgres://db/shop", "SECRET": "s3cr3t-value"} if env is None else env
    return ResolvedService(
        f"reg/x@{digest}", "reg/x:1", digest, env, "pub-" + full, full, "sha256:id-" + digest[-4:]
    )


WEB = Service(name="web", image="x:1", command=("serve",), depends_on=("db",))
DB = Service(name="db", image="x:1", volumes=(VolumeMount("pgdata", "/var/lib/postgresql/data"),))


def desired(
    web: Service = WEB, env: Optional[dict[str, str]] = None, digest: str = DIGEST_A, **kw: object
) -> Desired:
    proj = project(DB, web, volumes=(VolumeDecl("pgdata"),))
    found = {"db": resolved(), "web": resolved(env, digest, full=json.dumps(env, sort_keys=True))}
    return desired_state(proj, list(proj.services), "default", found, **kw)


def running(spec: ContainerSpec, *, state: str = "running") -> ContainerInfo:
    return ContainerInfo(
        f"id-{spec.service}", spec.name, spec.service, "default", state, "", dict(spec.labels), ()
    )


def snapshot(
    *specs: ContainerSpec,
    network: bool = True,
    volumes: tuple[str, ...] = ("shop-default-pgdata",),
    **env: dict,
) -> Snapshot:
    infos = tuple(running(s) for s in specs)
    return Snapshot(
        infos,
        (NetworkInfo("net-id", "shop-default", {}),) if network else (),
        tuple(VolumeInfo(v, {}) for v in volumes),
        frozenset(volumes),
        {f"id-{k}": v for k, v in env.items()},
    )


def described(the_plan) -> list[str]:
    return [a.describe() for a in the_plan.steps()]


def test_a_cold_stack_creates_network_volume_and_containers_with_their_causes() -> None:
    assert described(plan(desired(), snapshot(network=False, volumes=()))) == [
        "create network shop-default: missing",
        "create volume shop-default-pgdata: missing",
        "create db: not created yet",
        "create web: not created yet",
    ]


def test_an_up_to_date_stack_keeps_everything() -> None:
    wanted = desired()
    the_plan = plan(wanted, snapshot(*wanted.specs))
    assert the_plan.is_noop
    assert described(the_plan) == [
        "keep network shop-default: exists",
        "keep volume shop-default-pgdata: exists",
        "keep db: up to date",
        "keep web: up to date",
    ]


def test_a_missing_network_alone_is_not_a_noop() -> None:
    wanted = desired()
    the_plan = plan(wanted, snapshot(*wanted.specs, network=False))
    assert not the_plan.is_noop and the_plan.changes == []


def test_a_stopped_container_is_started() -> None:
    wanted = desired()
    observed = snapshot(*wanted.specs)
    observed = observed._replace(infos=(observed.infos[0]._replace(state="exited"), observed.infos[1]))
    assert "start db: stopped" in described(plan(wanted, observed))


def test_the_image_digest_change_is_named_before_and_after() -> None:
    before = desired()
    after = desired(digest=DIGEST_B)
    action = _web(plan(after, snapshot(*before.specs)))
    assert action.kind == RECREATE
    assert action.describe() == "recreate web: image digest changed sha256:abababababab…→sha256:cdcdcdcdcdcd…"


def test_the_env_change_names_the_variables_never_their_values() -> None:
    old_env = {"DATABASE_URL": "postgres://db/shop", "SECRET": "s3cr3t-value", "GONE": "1"}
    new_env = {"DATABASE_URL": "postgres://db/other", "SECRET": "n3w-s3cr3t", "ADDED": "2"}
    before, after = desired(env=old_env), desired(env=new_env)
    container_env = {**old_env, "PATH": "/bin"}  # as inspect shows it: the image's env too
    action = _web(plan(after, snapshot(*before.specs, web=container_env)))
    assert action.cause == "env changed (DATABASE_URL, SECRET, +ADDED, -GONE)"
    text = json.dumps(plan(after, snapshot(*before.specs, web=container_env)).to_dict())
    for value in ("postgres://db/other", "s3cr3t-value", "n3w-s3cr3t", "postgres://db/shop"):
        assert value not in text


def test_an_env_change_without_the_container_env_names_added_and_dropped_keys() -> None:
    before = desired(env={"A": "1", "B": "2"})
    after = desired(env={"A": "1", "C": "3"})
    assert _web(plan(after, snapshot(*before.specs))).cause == "env changed (+C, -B)"


def test_a_command_change_is_said() -> None:
    before = desired()
    after = desired(web=WEB._replace(command=("serve", "--v2")))
    assert _web(plan(after, snapshot(*before.specs))).describe() == "recreate web: command changed"


def test_a_profile_change_is_said() -> None:
    before = desired(profile="dev")
    after = desired(profile="staging")
    assert "profile changed dev→staging" in _web(plan(after, snapshot(*before.specs))).cause


def test_a_target_change_is_said_and_prod_has_no_label() -> None:
    from devenv.envvars.targets import for_target

    def mirroring(target: str) -> Desired:
        proj = project(DB, WEB._replace(env="prod"), volumes=(VolumeDecl("pgdata"),))
        spec = proj.env._replace(targets=(("staging", ("staging.env",)),))
        proj = proj._replace(env=for_target(spec, target))
        found = {"db": resolved(), "web": resolved()}
        return desired_state(proj, list(proj.services), "default", found)

    prod, staging = mirroring("prod"), mirroring("staging")
    assert L.TARGET not in prod.specs[1].labels  # `up` and `up --target prod`: one stack
    assert staging.specs[1].labels[L.TARGET] == "staging"
    assert L.TARGET not in staging.specs[0].labels  # db: an env of its own, not the target's
    assert "target changed prod→staging" in _web(plan(staging, snapshot(*prod.specs))).cause
    assert "target changed staging→prod" in _web(plan(prod, snapshot(*staging.specs))).cause


def test_a_container_from_before_the_parts_label_gets_what_its_labels_tell() -> None:
    before = desired()
    old_labels = {k: v for k, v in before.specs[1].labels.items() if k not in (L.CONFIG_PARTS, L.ENV_KEYS)}
    old = before.specs[1]._replace(labels={**old_labels, L.CONFIG_HASH: "0" * 16})
    cause = _web(plan(before, snapshot(before.specs[0], old))).cause
    assert cause == "configuration changed"
    changed_env = desired(env={"X": "1"})
    assert _web(plan(changed_env, snapshot(before.specs[0], old))).cause == "env changed"


def test_forced_renamed_orphaned_and_duplicate_containers() -> None:
    wanted = desired()
    observed = snapshot(*wanted.specs)
    orphan = ContainerInfo("id-old", "shop-default-old", "old", "default", "running", "", {}, ())
    duplicate = running(wanted.specs[0])._replace(id="id-dup", name="other-name", state="exited")
    observed = observed._replace(infos=(*observed.infos, orphan, duplicate))
    steps = described(plan(wanted, observed, force_recreate=["web"]))
    assert "remove old: no longer in devenv.toml" in steps
    assert "remove db: duplicate container" in steps
    assert "recreate web: recreate requested (--force-recreate)" in steps
    renamed = running(wanted.specs[1])._replace(name="by-hand")
    assert _web(plan(wanted, observed._replace(infos=(observed.infos[0], renamed)))).cause == (
        "container was renamed (by-hand)"
    )


def test_external_volumes_are_kept_or_the_plan_refuses() -> None:
    proj = project(DB, volumes=(VolumeDecl("pgdata", external=True),))
    wanted = desired_state(proj, list(proj.services), "default", {"db": resolved()})
    assert wanted.volumes[0].name == "pgdata" and wanted.volumes[0].external
    kept = plan(wanted, snapshot(volumes=("pgdata",)))
    assert kept.volumes == (Action(KEEP, "pgdata", None, "external, exists", VOLUME),)
    with pytest.raises(DevenvError, match='external volume "pgdata" does not exist'):
        plan(wanted, snapshot(volumes=()))


def test_a_partial_up_plans_only_the_volumes_its_services_mount() -> None:
    wanted = desired()
    proj = project(DB, WEB, volumes=(VolumeDecl("pgdata"),))
    alone = desired_state(proj, [WEB], "default", {"web": resolved()})
    assert plan(alone, snapshot(volumes=())).volumes == ()
    assert plan(wanted, snapshot(volumes=()), selected=["web"]).volumes[0].kind == CREATE  # db comes along


def test_pending_pulls_and_builds_come_first_and_are_changes() -> None:
    wanted = desired()
    pending = [
        Action(PULL, "reg/x@sha256:cd", None, "not on this machine (service db)", IMAGE),
        Action(BUILD, "shop-web:dev", None, "its build inputs changed (service web)", IMAGE),
    ]
    the_plan = plan(wanted, snapshot(*wanted.specs), images=pending)
    assert not the_plan.is_noop
    assert described(the_plan)[:2] == [
        "pull image reg/x@sha256:cd: not on this machine (service db)",
        "build image shop-web:dev: its build inputs changed (service web)",
    ]


def test_dead_test_runs_are_removed_before_anything_else() -> None:
    wanted = desired()
    dead = [Action(REMOVE, "test-1a2b3c4d", None, "a `devenv test` run whose devenv died", INSTANCE)]
    the_plan = plan(wanted, snapshot(*wanted.specs), leftovers=dead)
    assert not the_plan.is_noop
    assert described(the_plan)[0] == "remove instance test-1a2b3c4d: a `devenv test` run whose devenv died"


def test_the_json_document_is_versioned_and_lists_every_action() -> None:
    wanted = desired()
    doc = json.loads(json.dumps(plan(wanted, snapshot(*wanted.specs, network=False)).to_dict()))
    assert doc["version"] == 1 and doc["changes"] == 1
    assert doc["actions"][0] == {
        "action": CREATE,
        "object": NETWORK,
        "name": "shop-default",
        "id": None,
        "cause": "missing",
    }
    assert {a["action"] for a in doc["actions"][1:]} == {KEEP}


def test_teardown_removes_containers_and_network_and_keeps_volumes_unless_asked() -> None:
    wanted = desired()
    observed = snapshot(*wanted.specs)
    kept = teardown_plan(observed, volumes=False)
    assert described(kept) == [
        "remove db: devenv down",
        "remove web: devenv down",
        "remove network shop-default: devenv down",
        "keep volume shop-default-pgdata: named volumes stay (remove them with --volumes)",
    ]
    assert kept.network[0].id == "net-id"
    gone = teardown_plan(observed, volumes=True)
    assert gone.volumes == (Action(REMOVE, "shop-default-pgdata", None, "--volumes", VOLUME),)
    assert {a.kind for a in gone.steps()} == {REMOVE}


def test_start_and_keep_are_the_only_kinds_of_an_existing_stack() -> None:
    wanted = desired()
    assert {a.kind for a in plan(wanted, snapshot(*wanted.specs)).steps()} <= {KEEP, START}


def _web(the_plan) -> Action:
    return next(a for w in the_plan.waves for a in w if a.service == "web")

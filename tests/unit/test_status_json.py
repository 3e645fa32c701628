"""`status --json` is a published document (devenv.status/v1): its keys, their order, their values.

The status rows are plain classes whose `to_dict` spells the document out (it was `asdict`), so
this pins it: a field added to a class without its key here, or keys reordered, fails."""

from __future__ import annotations

import json

from devenv.ops.instance import OtherFolder
from devenv.ops.status import OtherInstance, ServiceStatus, StackStatus


def test_status_document_keys_order_and_values() -> None:
    rows = [
        ServiceStatus(
            "db",
            "running",
            "healthy",
            "0123456789ab",
            "reg/db:1",
            "sha256:d",
            "e1",
            urls=["http://127.0.0.1:5432"],
            ports=["127.0.0.1:5432->5432/tcp"],
            security=["privileged"],
            target="staging",
        ),
        ServiceStatus("web", "not created", None, None, None, None, None),
    ]
    status = StackStatus(
        "shop",
        "qa",
        rows,
        project_dir="/src/shop",
        instance_source="worktree",
        worktree="wt",
        created_from=OtherFolder("/src/x", False),
        others=[OtherInstance("test-1", ["/src/a"], True, 2, 1)],
        volumes=["shop-qa-data"],
    )
    expected = {
        "project": "shop",
        "instance": "qa",
        "instance_source": "worktree",
        "worktree": "wt",
        "project_dir": "/src/shop",
        "created_from": {"path": "/src/x", "live": False},
        "services": [
            {
                "service": "db",
                "state": "running",
                "exit_code": None,
                "health": "healthy",
                "container": "0123456789ab",
                "image": "reg/db:1",
                "digest": "sha256:d",
                "env_hash": "e1",
                "target": "staging",
                "urls": ["http://127.0.0.1:5432"],
                "ports": ["127.0.0.1:5432->5432/tcp"],
                "security": ["privileged"],
            },
            {
                "service": "web",
                "state": "not created",
                "exit_code": None,
                "health": None,
                "container": None,
                "image": None,
                "digest": None,
                "env_hash": None,
                "target": None,
                "urls": [],
                "ports": [],
                "security": [],
            },
        ],
        "volumes": ["shop-qa-data"],
        "other_instances": [
            {"instance": "test-1", "created_from": ["/src/a"], "folder_gone": True, "containers": 2, "running": 1}
        ],
    }
    # Compared as text: dict equality would not see the keys' order.
    assert json.dumps(status.to_dict(), indent=2) == json.dumps(expected, indent=2)


def test_status_defaults() -> None:
    doc = StackStatus("shop", "default", []).to_dict()
    assert (doc["instance_source"], doc["worktree"], doc["created_from"]) == ("option", None, None)
    assert (doc["project_dir"], doc["volumes"], doc["other_instances"]) == ("", [], [])


def test_an_exited_container_carries_its_exit_code() -> None:
    from devenv.engine.records import container_info

    exited = container_info({"Id": "c1", "Names": ["/x"], "State": "exited", "Status": "Exited (137) 2 seconds ago"})
    running = container_info({"Id": "c2", "Names": ["/y"], "State": "running", "Status": "Up 3 seconds (healthy)"})
    assert (exited.exit_code, running.exit_code) == (137, None)

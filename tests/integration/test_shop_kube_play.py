"""examples/shop (production's env from its Kustomize overlay) exported with `devenv export k8s
--push` and run by `podman kube play`: the release image built from the commit, the exported
ConfigMaps, and a Secret of this machine's values. The shop serves its products from PostgreSQL
and the web container's env is exactly what `devenv env show web` lists.

Kube play ignores a Service and names each pod after its Deployment (`db-pod-0` on Podman 4.3),
so `db` resolves only as what docs/export.md tells a user to do: a network of the stack's own,
the db Deployment played on it with the alias `db`. And, as the export's header says, the data
disk is the user's to give (a hostPath here) and the published port is 8000 unless a hostPort
says otherwise (a free one here)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import free_port
from tests.integration.kube_podman import Podman, podman_cli, secret_keys
from tests.integration.real_stack import catalog_names, commit, wait_for

pytestmark = [pytest.mark.engine, pytest.mark.podman]


@pytest.fixture
def podman() -> Iterator[Podman]:
    yield from podman_cli()


def products(port: int) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/products", timeout=5) as answer:
        return [p["name"] for p in json.load(answer)]


def with_data_and_port(deployment: dict[str, Any], data: Path, port: int) -> dict[str, Any]:
    """The web Deployment as a user completes it for kube play: the data disk, a host port."""
    pod = deployment["spec"]["template"]["spec"]
    pod.setdefault("volumes", []).append({"name": "catalog", "hostPath": {"path": str(data), "type": "Directory"}})
    web = pod["containers"][0]
    web.setdefault("volumeMounts", []).append({"name": "catalog", "mountPath": "/data", "readOnly": True})
    web["ports"][0]["hostPort"] = port
    return deployment


def test_kube_play_of_the_exported_shop_serves_from_postgresql_with_env_shows_env(shop, podman, tmp_path):
    commit(shop.root)
    shown = {v["key"]: v for v in json.loads(shop.ok("env", "show", "web", "--json").out)["variables"]}
    assert shown["WEB_CONCURRENCY"]["source"] == "deploy/overlays/prod/deployment-patch.yaml:14"
    out = tmp_path / "k8s"
    shop.ok("export", "k8s", "--push", "-o", str(out), timeout=900)
    manifests = {p.name: p.read_text() for p in sorted(out.iterdir())}
    assert not any(shop.password in text for text in manifests.values())  # secrets only by name

    local = {
        "DB_USER": "shop_test",
        "DB_PASSWORD": shop.password,
        "DATABASE_URL": f"postgresql://shop_test:{shop.password}@db:5432/shop",
    }
    needed = secret_keys(manifests)
    assert {name: sorted(keys) for name, keys in needed.items()} == {f"{shop.name}-secrets": sorted(local)}
    podman.secret(f"{shop.name}-secrets", local)

    port = free_port()
    # kube play has no Services (the network alias stands for db's): its PVC, ConfigMap, Deployment
    db = [t for n, t in manifests.items() if (n.endswith("-db.yaml") and not n.startswith("service-")) or n.startswith("pvc-")]
    web = [manifests["configmap-web.yaml"], yaml.safe_dump(
        with_data_and_port(yaml.safe_load(manifests["deployment-web.yaml"]), shop.root / "data", port)
    )]  # fmt: skip
    (tmp_path / "db.yaml").write_text("---\n".join(db))
    (tmp_path / "web.yaml").write_text("---\n".join(web))
    network = f"{shop.name}-kube"
    podman("network", "create", network)
    podman.play(tmp_path / "db.yaml", network=f"{network}:alias=db")  # `db`, as on devenv's network
    podman.play(tmp_path / "web.yaml", network=network)

    try:
        wait_for(lambda: products(port) == catalog_names(), "the shop serves its seeded products", timeout=180)
    except AssertionError as err:
        raise AssertionError(f"{err}\nweb's log:\n{podman.logs('web')}") from None
    inside = podman.env_of("web")
    expected = {k: local.get(k, v["value"]) if v["secret"] else v["value"] for k, v in shown.items()}
    assert {k: inside.get(k) for k in expected} == expected
    assert inside["DB_HOST"] == "db" and inside["WEB_CONCURRENCY"] == "4"  # the dev profile, the prod patch

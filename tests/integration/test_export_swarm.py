"""examples/shop exported with `devenv export compose --for swarm --push` and deployed with
`docker stack deploy` on a real single-node Swarm: the release images (the committed code inside:
the shop's built and pushed, the included notify's as its published stack pins it) are pinned,
the secrets are Swarm secrets the file only names, and the published port serves /products from
PostgreSQL. The swarm runs on a private engine of its own
(tests/integration/swarm.py): joining one resets the DNS of every container already on an engine,
so a stack running on the suite's engine meanwhile must still resolve its names afterwards."""

from __future__ import annotations

import re
import time
import urllib.request
import uuid

import pytest
import yaml

from tests.integration.real_stack import catalog_names, commit, post_product, wait_for
from tests.integration.swarm import docker, remove_stack, service_env, single_node_swarm

pytestmark = pytest.mark.engine


def web_port(shop) -> int:
    found = re.search(r'ports = \["(\d+):8000"\]', (shop.root / "devenv.toml").read_text())
    assert found, "the shop's web service publishes port 8000"
    return int(found.group(1))


def products(port: int) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/products", timeout=5) as answer:
        return [p["name"] for p in yaml.safe_load(answer.read())]


def resolves(container: str, name: str) -> bool:
    """Whether the engine's DNS answers `name` in `container` (busybox nslookup: an answer
    section after the server's own address, or `** server can't find`)."""
    out = docker("exec", container, "nslookup", name, check=False)
    return "answer:" in out and "Address" in out.split("answer:", 1)[1]


def test_the_exported_shop_serves_from_a_swarm(shop, real_catalog, busybox_image):
    port = web_port(shop)  # each shop copy publishes a free port of its own
    commit(shop.root)
    exported = shop.ok("export", "compose", "--for", "swarm", "--push", "-o", ".", timeout=900)
    stack_file = shop.root / "docker-stack.yml"
    text = stack_file.read_text()
    assert shop.password not in text and "shop_test" not in text  # secrets only by name
    doc = yaml.safe_load(text)
    web, db = doc["services"]["web"], doc["services"]["db"]
    assert web["image"].startswith(f"{real_catalog}/{shop.name}-web@sha256:")  # the release image
    assert doc["services"]["mail"]["image"].startswith(f"{real_catalog}/notify-mail@sha256:")  # as published
    assert "@sha256:" in db["image"]
    assert "pushed" in exported.err
    assert web["ports"] == [{"target": 8000, "published": port, "protocol": "tcp", "mode": "host"}]
    secrets = [f"{shop.name}_DB_USER", f"{shop.name}_DB_PASSWORD"]
    assert sorted(doc["secrets"]) == sorted(secrets)
    again = shop.ok("export", "compose", "--for", "swarm")  # no --push: found in the registry for HEAD
    assert yaml.safe_load(again.out)["services"]["web"]["image"] == web["image"]
    assert "uncommitted changes" in again.err  # docker-stack.yml itself is new: not in the image

    stack = shop.name
    # Two containers on the suite's engine that find each other by name, as a developer's stack does.
    neighbours = f"{shop.name}-neighbours"
    docker("network", "create", neighbours)
    try:
        docker("run", "-d", "--name", f"{neighbours}-a", "--network", neighbours, "--network-alias", "peer",
               busybox_image, "sleep", "100000")  # fmt: skip
        assert resolves(f"{neighbours}-a", "peer")
        window = time.monotonic()
        with single_node_swarm() as swarm:
            try:
                swarm("secret", "create", secrets[0], "-", input="shop_test")
                swarm("secret", "create", secrets[1], "-", input=shop.password)
                started = time.monotonic()
                swarm("stack", "deploy", "-c", str(stack_file), stack)
                served = wait_for(lambda: products(port), "the stack serves /products", timeout=300)
                print(f"\nswarm: docker stack deploy -> /products served in {time.monotonic() - started:.1f} s")
                assert served[: len(catalog_names())] == catalog_names()  # seeded into PostgreSQL
                name = f"swarm order {uuid.uuid4().hex[:6]}"
                post_product(f"http://127.0.0.1:{port}", name, 9.5)
                assert products(port)[-1] == name  # written to the database and read back
                order = urllib.request.Request(
                    f"http://127.0.0.1:{port}/orders", method="POST", headers={"Content-Type": "application/json"},
                    data=b'{"product_id": 1, "email": "swarm@example.com"}',
                )  # fmt: skip
                with urllib.request.urlopen(order, timeout=10) as answer:
                    assert yaml.safe_load(answer.read())["confirmation"] == "sent"  # web reached notify's mail
                for service in ("web", "db"):
                    env = service_env(swarm, f"{stack}_{service}")
                    assert not [e for e in env if shop.password in e], "a secret value in the service spec"
            finally:
                remove_stack(swarm, stack, volumes=[f"{stack}_dbdata", f"{stack}_notify-mail"], secrets=secrets)
        print(f"swarm: its private engine ran {time.monotonic() - window:.1f} s (start to stop)")
        # The suite's engine never joined: no swarm there, and its containers still find each other.
        assert docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip() == "inactive"
        assert resolves(f"{neighbours}-a", "peer"), "names lost on the suite's engine"
        # and its default bridge is still there (a dockerd with --bridge=none deletes docker0)
        assert docker("run", "--rm", busybox_image, "echo", "ok").strip() == "ok"
    finally:
        docker("rm", "-f", f"{neighbours}-a", check=False)
        docker("network", "rm", neighbours, check=False)


def test_the_k8s_export_of_a_service_that_builds_needs_its_release_image(shop, real_catalog, tmp_path):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    commit(shop.root)
    refused = shop.run("export", "k8s")
    assert refused.code == 1 and "service web builds its image" in refused.err and "--push" in refused.err
    out = tmp_path / "k8s"
    shop.ok("export", "k8s", "--push", "-o", str(out), timeout=900)
    deployment = yaml.safe_load((out / "deployment-web.yaml").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith(f"{real_catalog}/{shop.name}-web@sha256:")
    for path in out.iterdir():
        assert shop.password not in path.read_text()
        kubernetes_validate.validate(yaml.safe_load(path.read_text()), "1.30", strict=True)

"""examples/shop on the real engine and registry, with the real catalog: a Flask app on
PostgreSQL 15, production's env from Kubernetes manifests, a data disk, code reloaded in place,
and the team's e-mail service (examples/notify) included beside it: as published to the team
registry, or linked to a checkout of it (`devenv link`) whose edits are served."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path

import pytest

from tests.integration.as_user import UserDevenv
from tests.integration.real_stack import catalog_names, wait_for
from tests.integration.watcher import Watcher

pytestmark = pytest.mark.engine


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.podman
def test_the_shop_serves_seeded_products_and_a_py_save_is_served_in_place(shop, docker_client) -> None:
    shop.ok("up", "-d")
    assert shop.product_names()[: len(catalog_names())] == catalog_names()
    assert "<h1>Welcome to the shop</h1>" in shop.get("/")
    container = shop.service("web")["container"]

    with Watcher(shop.root, shop.env()) as watch:
        page = shop.root / "shop" / "page.py"
        original = page.read_text()
        # The first restart asks the supervisor through an exec; the later ones signal it through
        # the engine and fork from the preloading parent: every one serves the edit.
        for n, headline in enumerate(("Fresh beans today", "Cold brew on tap", "Closed on Sunday"), 1):
            page.write_text(original.replace("Welcome to the shop", headline))
            wait_for(lambda h=headline: f"<h1>{h}</h1>" in shop.get("/"), f"the headline {headline!r} is served")
            wait_for(lambda n=n: watch.text.count("web   reloaded in") >= n, f"restart {n} is reported")
    err = watch.text
    assert watch.returncode == 0, err
    assert err.count("web   reloaded in") == 3, err  # the restart action: the process, not the container
    assert shop.service("web")["container"] == container
    details = docker_client.api.inspect_container(container)
    assert details["RestartCount"] == 0
    assert "/.devenv/pywarm.py" in details["Args"]  # watch.preload: the Python supervisor


def test_rows_survive_down_and_up_and_down_volumes_never_touches_the_data_disk(shop) -> None:
    data = tree_digest(shop.root / "data")
    shop.ok("up", "-d")
    added = [shop.add(f"kept {i}", 2.5 + i)["name"] for i in range(3)]
    down = shop.ok("down")
    assert "kept" in down.err and "dbdata" in down.err  # says the volume stays
    shop.ok("up", "-d")
    assert shop.product_names()[-3:] == added
    assert shop.product_names()[: len(catalog_names())] == catalog_names()  # seeded once, not twice

    gone = shop.ok("down", "--volumes")
    assert "dbdata volume removed" in gone.err
    shop.ok("up", "-d")
    assert shop.product_names() == catalog_names()  # a new database, seeded from the data disk
    assert tree_digest(shop.root / "data") == data


def test_two_instances_side_by_side_have_their_own_database_and_ports(shop) -> None:
    shop.ok("up", "-d")
    shop.ok("up", "-d", "--instance", "qa")
    assert shop.url() != shop.url("qa")
    shop.add("only in qa", 1, instance="qa")
    assert "only in qa" in shop.product_names("qa")
    assert "only in qa" not in shop.product_names()
    volumes = {s["service"]: s for s in shop.status("qa")["services"]}
    assert volumes["db"]["container"] != shop.service("db")["container"]
    shop.ok("down", "--instance", "qa", "--volumes")
    assert shop.product_names() == catalog_names()  # the default instance is untouched


@pytest.mark.podman
def test_devenv_test_passes_the_example_tests_exit_code_through_and_leaves_nothing(
    shop, docker_client
) -> None:
    passed = shop.run("test", "-s", "web", "--", "python3", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert passed.code == 0, str(passed)
    assert "8 passed" in passed.out  # two of them read an order's e-mail back from notify's API
    (shop.root / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")
    failed = shop.run("test", "-s", "web", "--", "python3", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert failed.code == 1, str(failed)
    assert "1 failed, 8 passed" in failed.out
    label = f"dev.devenv.project={shop.name}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    assert docker_client.networks.list(filters={"label": label}) == []
    assert docker_client.volumes.list(filters={"label": label}) == []


def test_files_the_app_writes_belong_to_the_host_user_and_postgres_keeps_its_own(shop, tmp_path) -> None:
    user = UserDevenv(shop.root, tmp_path, shop.env())
    try:
        up = user.run("up", "-d", timeout=300)
        assert up.returncode == 0, up.stderr
        wrote = user.run("exec", "web", "--", "python3", "-c", "open('/app/uploaded.txt', 'w').write('x')")
        assert wrote.returncode == 0, wrote.stderr
        made = (user.root / "uploaded.txt").stat()
        assert (made.st_uid, made.st_gid) == (user.user.pw_uid, user.user.pw_gid)
        owner = user.run("exec", "db", "--", "sh", "-c", 'stat -c %U "$PGDATA" "$PGDATA/postmaster.pid"')
        assert owner.returncode == 0, owner.stderr
        assert owner.stdout.split() == ["postgres", "postgres"]
    finally:
        user.run("down", "--volumes", timeout=300)


def test_env_show_and_the_container_env_agree_with_the_url_kubernetes_would_build(shop) -> None:
    shop.ok("up", "-d")
    shown = json.loads(shop.ok("env", "show", "web", "--json").out)
    variables = {v["key"]: v for v in shown["variables"]}
    real = dict(
        line.split("=", 1) for line in shop.ok("exec", "web", "--", "env").out.splitlines() if "=" in line
    )
    for key, var in variables.items():
        if not var["secret"]:
            assert real[key] == var["value"], key
    assert variables["DATABASE_URL"]["secret"] and variables["DATABASE_URL"]["value"] == "***"
    assert real["DATABASE_URL"] == f"postgresql://shop_test:{shop.password}@db:5432/shop"
    assert real["DB_HOST"] == "db"  # the dev profile's one change to where prod points
    db_env = dict(
        line.split("=", 1) for line in shop.ok("exec", "db", "--", "env").out.splitlines() if "=" in line
    )
    assert (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"], db_env["POSTGRES_DB"]) == (
        "shop_test",
        shop.password,
        "shop",
    )
    assert shop.password not in shop.ok("env", "show", "db").out


@pytest.mark.podman
def test_an_order_is_mailed_through_the_included_notify_whose_volume_down_keeps(shop, docker_client) -> None:
    shop.ok("up", "-d")
    services = {s["service"]: s for s in shop.status()["services"]}
    assert sorted(services) == ["db", "mail", "web"]
    assert (services["mail"]["include"], services["mail"]["source"]) == ("notify", "image")  # as released
    assert "include" not in services["web"]

    product = shop.get("/products")[0]
    placed = shop.order(product["id"], "ann@example.com", quantity=3)
    assert placed["confirmation"] == "sent"
    [mail] = shop.mails("ann@example.com")
    assert mail["subject"] == f"Your order {placed['id']}: {product['name']}"
    assert mail["from"] == "orders@shop.example.com" and mail["to"] == ["ann@example.com"]
    # notify runs with its own prod env (its ConfigMap), under the shop's labels and network.
    env = dict(line.split("=", 1) for line in shop.ok("exec", "mail", "--", "env").out.splitlines() if "=" in line)
    assert (env["SMTP_PORT"], env["MAIL_DB"]) == ("25", "/var/lib/notify/mail.sqlite3")
    assert "DATABASE_URL" not in env

    label = f"dev.devenv.project={shop.name}"
    volumes = sorted(v.name for v in docker_client.volumes.list(filters={"label": label}))
    assert volumes == [f"{shop.name}-default-dbdata", f"{shop.name}-default-notify-mail"]
    down = shop.ok("down")
    assert "notify-mail" in down.err and "kept" in down.err
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    shop.ok("up", "-d")
    assert [m["id"] for m in shop.mails("ann@example.com")] == [mail["id"]]  # kept on notify's volume

    shop.ok("down", "--volumes")
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    assert docker_client.networks.list(filters={"label": label}) == []
    assert docker_client.volumes.list(filters={"label": label}) == []


def health(shop) -> dict:  # type: ignore[no-untyped-def]
    with urllib.request.urlopen(shop.service("mail")["urls"][0] + "/health", timeout=5) as answer:
        return dict(json.load(answer))


def test_notify_linked_to_a_checkout_runs_from_source_an_edit_is_served_and_unlink_goes_back(shop) -> None:
    """A developer working on notify beside the shop: `devenv link notify ../notify` runs it from
    the checkout (mounted and watched: a save is served), the shop still reaches it as `mail`;
    `devenv unlink notify` puts the published one back."""
    checkout = shop.link_notify()
    shop.ok("up", "-d")
    assert shop.service("mail")["source"] == "link"
    product = shop.get("/products")[0]
    placed = shop.order(product["id"], "bo@example.com")
    [mail] = shop.mails("bo@example.com")  # the shop reaches the linked notify as `mail`
    assert mail["subject"] == f"Your order {placed['id']}: {product['name']}"

    api = checkout / "notify" / "api.py"
    assert 'self.reply(200, {"status": "ok"})' in api.read_text()
    with Watcher(shop.root, shop.env(), service="mail"):
        edited = api.read_text().replace('{"status": "ok"}', '{"status": "ok", "from": "the checkout"}')
        api.write_text(edited)
        wait_for(lambda: health(shop).get("from") == "the checkout", "notify's edit is served")
    assert "from source" in shop.ok("status").out

    shop.ok("unlink", "notify")
    shop.ok("up", "-d")
    assert shop.service("mail")["source"] == "image"
    assert health(shop) == {"status": "ok"}  # the published notify, not the checkout's edit
    shop.ok("down", "--volumes")

"""The real stack: examples/shop (Flask on PostgreSQL 15, the catalog's images, with
examples/notify's `mail` included as released: notify is published once to the registry, as the
quick start publishes it), each measure against raw docker doing the same work, in the same run
(median of N rounds).

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python3 benchmarks/bench_shop.py [--rounds 5]

  cold up         `devenv up -d` of web+db+mail from nothing to healthy, vs the docker CLI:
                  network, volumes, `docker run` db and mail, wait for their health checks,
                  `docker run` web, wait for its health (same images, env, mounts, health
                  commands) — target <= 1.05x
  edit -> served  a save of shop/page.py until GET / serves it, under `devenv watch` (restart
                  in place), vs `docker restart -t 0` of the same container until it serves
                  the edit — target <= 0.3x
  test round trip `devenv test -s web -- true` vs the docker sequence it stands for (network,
                  volumes, db and mail, health, web, health, exec, remove all) — target <= 1.2x
  quickstart      `bash scripts/quickstart.sh` run again on this machine (nothing to build)

    python3 benchmarks/bench_shop.py --edit-only [--rounds 7] [--instance speedbench]

  edit only       a copy of the shop as its own instance: edit -> served stage by stage (event,
                  decision, signal, fork, app ready, served; benchmarks/edit_breakdown.py),
                  rounds alternating with a save under the quiet window alone and `docker
                  restart` of the same container; the watcher's idle CPU. Target: <= 80 ms.

The catalog is built and pushed first as the quick start does (a no-op when the registry has it).
Prints a table and a JSON line; exits 0 (a report, not a gate).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Optional

from installed import installed_devenv

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHOP = REPO / "examples" / "shop"


def run(cmd: list[str], cwd: Path, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True, **kw)


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    run(cmd, cwd, env)
    return time.perf_counter() - start


def sh(script: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(["bash", "-ec", script], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def fetch(url: str) -> str:
    """The page, or "" while it is not served (refused, or cut off as the app restarts)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return str(answer.read().decode())
    except (OSError, http.client.HTTPException):  # IncompleteRead: the old process stopped mid-answer
        return ""


def until_served(url: str, text: str, start: float, timeout: float = 60) -> float:
    while text not in fetch(url):
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"{url} did not serve {text!r} within {timeout} s")
        time.sleep(0.01)
    return time.perf_counter() - start


def ensure_catalog(env: dict[str, str], registry: str) -> None:
    run(["bash", "scripts/debian-base.sh", registry], REPO, env)
    branch = subprocess.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or "main"  # fmt: skip
    run([sys.executable, "-m", "devenv", "-q", "images", "build", "--push"], REPO,
        dict(env, DEVENV_REGISTRY=registry, DEVENV_DEFAULT_BRANCH=branch), timeout=1800)  # fmt: skip


def make_project(root: Path, name: str, registry: str, env: dict[str, str], devenv: list[str]) -> None:
    """A copy of the shop including a notify published for this run (as the quick start does)."""
    from tests.integration.real_stack import publish_notify

    notify = publish_notify(root.parent / "notify-release", registry, root.parent / "notify-state")
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".devenv", "devenv.lock", "__pycache__"))
    toml = root / "devenv.toml"
    toml.write_text(toml.read_text().replace('name = "shop"', f'name = "{name}"')
                    .replace('registry = "127.0.0.1:5555"', f'registry = "{registry}"')
                    .replace('stack = "notify:latest"', f'stack = "{notify}"'))  # fmt: skip
    (root / ".devenv").mkdir()
    (root / ".devenv" / "secrets.env").write_text(f"DB_USER=bench\nDB_PASSWORD={uuid.uuid4().hex}\n")
    run([*devenv, "lock"], root, env)


def health_flags(config: dict[str, Any]) -> list[str]:
    test = config["Healthcheck"]["Test"]
    cmd = test[1] if test[0] == "CMD-SHELL" else shlex.join(test[1:])
    return ["--health-cmd", cmd, "--health-interval", f"{config['Healthcheck']['Interval'] // 1_000_000}ms",
            "--health-retries", str(config["Healthcheck"]["Retries"])]  # fmt: skip


def raw_scripts(client: Any, devenv_ids: dict[str, str], root: Path, raw: str, work: Path) -> tuple[str, str]:
    """(up, down) docker CLI scripts doing what devenv's `up -d` did: same images, env, mounts,
    user, health commands. The web command runs without devenv's supervisor."""
    parts = {}
    for service, cid in devenv_ids.items():
        info = client.api.inspect_container(cid)
        env_file = work / f"{service}.env"
        env_file.write_text("".join(f"{e}\n" for e in info["Config"]["Env"]))
        env_file.chmod(0o600)
        parts[service] = (info, env_file)
    db, db_env = parts["db"]
    mail, mail_env = parts["mail"]
    web, web_env = parts["web"]
    wait = "until [ \"$(docker inspect -f '{{{{.State.Health.Status}}}}' {0})\" = healthy ]; do sleep 0.1; done"
    up = "; ".join([
        f"docker network create {raw} >/dev/null",
        f"docker volume create {raw}-dbdata >/dev/null",
        f"docker volume create {raw}-notify-mail >/dev/null",
        shlex.join(["docker", "run", "-d", "--name", f"{raw}-db", "--network", raw, "--network-alias", "db",
                    "--init", "--env-file", str(db_env), "-v", f"{raw}-dbdata:/var/lib/postgresql/data",
                    *health_flags(db["Config"]), db["Image"]]) + " >/dev/null",
        shlex.join(["docker", "run", "-d", "--name", f"{raw}-mail", "--network", raw, "--network-alias", "mail",
                    "--init", "--env-file", str(mail_env), "-w", "/app",  # its release image holds the code
                    "-v", f"{raw}-notify-mail:/var/lib/notify", "-p", "127.0.0.1::8025",
                    *health_flags(mail["Config"]), mail["Image"], "python3", "-m", "notify"]) + " >/dev/null",
        wait.format(f"{raw}-db"),
        wait.format(f"{raw}-mail"),
        shlex.join(["docker", "run", "-d", "--name", f"{raw}-web", "--network", raw, "--network-alias", "web",
                    "--init", "--env-file", str(web_env), "--user", web["Config"]["User"], "-w", "/app",
                    "-v", f"{root}:/app", "-v", f"{root / 'data'}:/data:ro", "-p", "127.0.0.1::8000",
                    *health_flags(web["Config"]), web["Image"], "python3", "-m", "shop"]) + " >/dev/null",
        wait.format(f"{raw}-web"),
    ])  # fmt: skip
    down = (f"docker rm -f {raw}-web {raw}-db {raw}-mail >/dev/null; docker network rm {raw} >/dev/null; "
            f"docker volume rm {raw}-dbdata {raw}-notify-mail >/dev/null")  # fmt: skip
    return up, down


def web_url(devenv: list[str], root: Path, env: dict[str, str]) -> str:
    status = json.loads(run([*devenv, "status", "--json"], root, env).stdout)
    return str(next(s for s in status["services"] if s["service"] == "web")["urls"][0])


def set_headline(root: Path, text: str) -> None:
    (root / "shop" / "page.py").write_text(f'"""Benchmark edit."""\n\nHEADLINE = "{text}"\n')


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def edit_only(rounds: int, instance: str) -> int:
    """A copy of the shop as instance `instance`: edit -> served by stage, vs docker restart."""
    import docker
    from edit_breakdown import cpu_idle_percent, measure

    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    env = dict(os.environ, NO_COLOR="1", DEVENV_INSTANCE=instance)
    os.environ["DEVENV_INSTANCE"] = instance
    devenv = [sys.executable, "-m", "devenv"]
    client = docker.from_env(version="1.41")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "shop"
        make_project(root, "bench" + uuid.uuid4().hex[:6], registry, env, devenv)
        try:
            run([*devenv, "up", "-d"], root, env, timeout=900)
            url = web_url(devenv, root, env) + "/"
            result = measure(root, instance, client, rounds, lambda text: set_headline(root, text), url)
            result["watcher_idle_cpu_percent"] = cpu_idle_percent()
        finally:
            subprocess.run([*devenv, "down", "--volumes"], cwd=root, env=env, capture_output=True)
    per_round = result.pop("per_round")
    print(f"{'stage (ms since save)':<24} median   (rounds: {rounds}, cores: {os.cpu_count()})")
    for stage, value in result["stages_ms_since_save"].items():
        print(f"  {stage:<22} {value:>6.1f}")
    ratio = round(result["devenv_edit_served_ms"] / result["docker_restart_served_ms"], 2)
    print(f"docker restart -> served {result['docker_restart_served_ms']:>6.1f}   devenv/docker {ratio:.2f}x")
    print(f"quiet window only -> served {result['quiet_window_only_served_ms']:>6.1f} "
          f"(stages {result['quiet_window_only_stages_ms']})")  # fmt: skip
    print(f"reloads {result['reloads']} for {3 * rounds} saves; watcher idle CPU "
          f"{result['watcher_idle_cpu_percent']} %")  # fmt: skip
    print(json.dumps({"bench": "shop-edit", **result, "ratio": ratio, "per_round": per_round}))
    return 0


def main() -> int:
    import docker

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-quickstart", action="store_true", help="skip timing scripts/quickstart.sh")
    parser.add_argument("--edit-only", action="store_true", help="only edit -> served, stage by stage")
    parser.add_argument("--instance", default="speedbench", help="the benchmark stack's instance")
    args = parser.parse_args()
    if args.edit_only:
        return edit_only(args.rounds, args.instance)
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    env = dict(os.environ, NO_COLOR="1")
    ensure_catalog(env, registry)
    devenv, _, installed = installed_devenv()
    client = docker.from_env(version="1.41")
    res: dict[str, list[float]] = {k: [] for k in (
        "raw_cold_up", "devenv_cold_up", "devenv_edit_served", "docker_restart_served",
        "raw_test_round_trip", "devenv_test_round_trip", "quickstart_again")}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = work / "shop"
        name = "bench" + uuid.uuid4().hex[:6]
        env["DEVENV_STATE_DIR"] = str(work / "state")
        make_project(root, name, registry, env, devenv)
        run([*devenv, "up", "-d"], root, env, timeout=900)  # builds the web image once
        ids = {s: c.id for s in ("web", "db", "mail") for c in client.containers.list(
            filters={"label": [f"dev.devenv.project={name}", f"dev.devenv.service={s}"]})}  # fmt: skip
        raw = "rs" + uuid.uuid4().hex[:6]
        raw_up, raw_down = raw_scripts(client, ids, root, raw, work)
        run([*devenv, "down", "--volumes"], root, env)
        test_seq = raw_up + f"; docker exec {raw}-web true; " + raw_down
        watcher: Optional[subprocess.Popen[str]] = None
        try:
            for _ in range(args.rounds):
                res["raw_cold_up"].append(sh(raw_up, env))
                sh(raw_down, env)
                res["devenv_cold_up"].append(timed([*devenv, "up", "-d"], root, env))
                run([*devenv, "down", "--volumes"], root, env)
                res["raw_test_round_trip"].append(sh(test_seq, env))
                res["devenv_test_round_trip"].append(timed([*devenv, "test", "-s", "web", "--", "true"], root, env))

            run([*devenv, "up", "-d"], root, env)
            url = web_url(devenv, root, env)
            watcher = subprocess.Popen([*devenv, "watch", "web"], cwd=root, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True)  # fmt: skip
            assert watcher.stderr is not None
            while "watching web" not in watcher.stderr.readline():
                pass
            for i in range(args.rounds):
                start = time.perf_counter()
                set_headline(root, f"devenv edit {i}")
                res["devenv_edit_served"].append(until_served(url + "/", f"devenv edit {i}", start))
            watcher.terminate()
            watcher.wait(timeout=30)
            container = client.containers.list(filters={"label": [
                f"dev.devenv.project={name}", "dev.devenv.service=web"]})[0].id  # fmt: skip
            for i in range(args.rounds):
                set_headline(root, f"docker edit {i}")
                start = time.perf_counter()
                subprocess.run(["docker", "restart", "-t", "0", container], check=True, capture_output=True)
                res["docker_restart_served"].append(until_served(url + "/", f"docker edit {i}", start))
        finally:
            if watcher is not None and watcher.poll() is None:  # a failed round leaves no watcher behind
                watcher.terminate()
                watcher.wait(timeout=30)
            subprocess.run(["bash", "-c", raw_down], env=env, capture_output=True)
            subprocess.run([*devenv, "down", "--volumes"], cwd=root, env=env, capture_output=True)
    if not args.no_quickstart:
        for _ in range(2):  # the first may still build what this checkout changed
            start = time.perf_counter()
            subprocess.run(["bash", "scripts/quickstart.sh"], cwd=REPO, check=True, capture_output=True)
            res["quickstart_again"].append(time.perf_counter() - start)
        res["quickstart_again"] = res["quickstart_again"][-1:]
    med = {k: median_ms(v) for k, v in res.items() if v}
    ratios = {
        "cold_up_vs_raw": round(med["devenv_cold_up"] / med["raw_cold_up"], 2),
        "edit_served_vs_docker_restart": round(med["devenv_edit_served"] / med["docker_restart_served"], 2),
        "test_round_trip_vs_raw": round(med["devenv_test_round_trip"] / med["raw_test_round_trip"], 2),
    }
    print(f"devenv: {installed}")
    print(f"{'measure':<26} {'median ms':>10}   (rounds: {args.rounds}, cores: {os.cpu_count()})")
    for key, value in med.items():
        print(f"{key:<26} {value:>10.1f}")
    for key, value in ratios.items():
        print(f"{key:<30} {value:>6.2f}x")
    print(json.dumps({"bench": "shop", "devenv": installed, "median_ms": med, "ratios": ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

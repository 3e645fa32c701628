"""Inside a restart of examples/shop's web service: what the supervisor and the app spend, timed
from within the running container (the watcher's own stages are bench_shop.py --edit-only's).

    DOCKER_HOST=... python3 benchmarks/restart_probe.py [--project-dir examples/shop] [--trials 9]

Needs the shop running (`devenv up -d` in it). Copies one probe script into its web container
and runs it with the container's Python; the service restarts several times (its data stays).
Prints, as medians of the trials:

  supervisor   SIGHUP → "stopping" written → the old process reaped → the new one "running"
  fork         one fork of a parent holding the shop's packages (as pywarm's, after gc.freeze)
  stop         SIGTERM → reaped, for an idle fork and for one that started the app
  app          importing shop.*, one PostgreSQL connection (by name, by address, TCP alone),
               create_app() (its connection, migrate, seed check), the first GET / and the second

A report, not a gate: exits 0 when it could measure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

PROBE = r'''
import gc, json, os, re, signal, socket, statistics, sys, time
sys.path.insert(0, os.getcwd())
TRIALS = int(sys.argv[1])
STATUS = os.environ.get("DEVENV_STATUS", "/tmp/.devenv-supervise")
out = {}

def med(xs):
    return round(statistics.median(xs), 2)

def status():
    fields = open(STATUS).read().split()
    return fields if len(fields) == 5 else None

# 1. The supervisor (PID 1 here): HUP -> stopping -> old reaped -> new running.
rows = []
for _ in range(TRIALS):
    s = None
    while s is None or s[2] != "running":
        s = status()
        time.sleep(0.01)
    spid, gen, old = int(s[0]), s[1], s[3]
    t0 = time.perf_counter()
    os.kill(spid, signal.SIGHUP)
    stopping = gone = None
    while True:
        time.sleep(0.0002)  # yield: the supervisor and the app need these cores
        now = time.perf_counter()
        try:
            n = status()
        except OSError:
            continue
        if stopping is None and n and n[2] == "stopping":
            stopping = now
        if gone is None and not os.path.exists(f"/proc/{old}/stat"):
            gone = now
        if n and n[1] != gen and n[2] != "stopping":
            rows.append(((stopping or now) - t0, (gone or now) - t0, now - t0))
            break
    time.sleep(1.5)  # the app starts and settles before the next trial
out["supervisor_ms"] = {k: med([r[i] * 1000 for r in rows]) for i, k in enumerate(("stopping", "old_reaped", "new_running"))}

# 2. and 3. A parent holding the shop's packages (pywarm imports what the app imported).
import flask, psycopg2, psycopg2.pool, jinja2, werkzeug.serving, smtplib, email.message, csv, decimal, logging
logging.disable(logging.CRITICAL)
gc.freeze()
forks = []
for _ in range(TRIALS * 2):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    forks.append((time.perf_counter() - t0) * 1000)
    os.waitpid(pid, 0)
    time.sleep(0.02)
out["fork_ms"] = med(forks)

def stop_trial(started):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        if started:
            from shop.app import create_app
            app = create_app()
            server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
            app.test_client().get("/")
        os.write(w, b"x")
        time.sleep(100)
        os._exit(0)
    os.read(r, 1)
    time.sleep(0.2)
    t0 = time.perf_counter()
    os.killpg(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    return (time.perf_counter() - t0) * 1000

out["stop_ms"] = {"idle_fork": med([stop_trial(False) for _ in range(TRIALS)]),
                  "app_started": med([stop_trial(True) for _ in range(TRIALS)])}

# 4. The app's own start, step by step, each in a fresh fork of this parent.
def app_trial():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        url = os.environ["DATABASE_URL"]
        host = re.search(r"@([^:/]+)", url).group(1)
        t0 = time.perf_counter()
        from shop import app as shop_app
        t1 = time.perf_counter()
        psycopg2.connect(url).close()
        t2 = time.perf_counter()
        address = socket.getaddrinfo(host, 5432)[0][4][0]
        t3 = time.perf_counter()
        psycopg2.connect(url.replace("@" + host, "@" + address)).close()
        t4 = time.perf_counter()
        socket.create_connection((address, 5432)).close()
        t5 = time.perf_counter()
        app = shop_app.create_app()
        t6 = time.perf_counter()
        client = app.test_client()
        client.get("/")
        t7 = time.perf_counter()
        client.get("/")
        t8 = time.perf_counter()
        ms = lambda a, b: (b - a) * 1000
        os.write(w, json.dumps([ms(t0, t1), ms(t1, t2), ms(t3, t4), ms(t4, t5), ms(t5, t6), ms(t6, t7), ms(t7, t8)]).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    return json.loads(os.read(r, 4096))

steps = [app_trial() for _ in range(TRIALS)]
names = ("import_shop", "pg_connect_by_name", "pg_connect_by_address", "tcp_connect", "create_app", "first_get", "second_get")
out["app_ms"] = {k: med([s[i] for s in steps]) for i, k in enumerate(names)}
print(json.dumps(out))
'''


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project-dir", default=str(Path(__file__).resolve().parent.parent / "examples" / "shop"))
    parser.add_argument("--trials", type=int, default=9)
    args = parser.parse_args()
    status = subprocess.run(
        [sys.executable, "-m", "devenv", "--project-dir", args.project_dir, "status", "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    if status.returncode != 0:
        print(f"error: the shop is not running here ({status.stderr.strip()}): `devenv up -d` in it first")
        return 2
    web = next((s for s in json.loads(status.stdout)["services"] if s["service"] == "web"), None)
    if not web or not web.get("container"):
        print("error: the shop's web service has no container: `devenv up -d` in it first")
        return 2
    container = web["container"]
    probe = subprocess.run(
        ["docker", "exec", "-i", "-w", "/app", container, "python3", "-", str(args.trials)],
        input=PROBE, capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        print(f"error: the probe failed in {container}: {probe.stderr.strip()[-2000:]}")
        return 2
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    print(f"restart of the shop's web service, medians of {args.trials} trials (ms):")
    for group, values in found.items():
        shown = ", ".join(f"{k} {v}" for k, v in values.items()) if isinstance(values, dict) else values
        print(f"  {group:<14} {shown}")
    print(json.dumps({"bench": "restart-probe", "trials": args.trials, **found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

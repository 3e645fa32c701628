"""`devenv ui` benchmark on the real engine, in Debian's headless Chromium (Selenium):

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python3 benchmarks/bench_ui.py [--rounds 5]

A 20-service stack (busybox) plus one service that floods its log on a signal.
Targets (issue 23):
  first meaningful paint   the 20 services drawn, from navigation start: p50 <= 300 ms
  idle CPU                 of the server with the page open, nothing happening: ~0 % (report)
  log flood                10,000 lines/s for 10 s: the server's event-loop lag (the latency of
                           a small request during the flood), the page's main-thread lag, and
                           the server's RSS (bounded: it must not grow with the lines)
Prints a table and a JSON line; exits 1 if paint or idle CPU misses its target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import DevenvProject, remove_project_objects  # noqa: E402
from tests.integration.ui_support import start_ui, stop_ui  # noqa: E402

SERVICES = 20
FLOOD_S = 10
PER_TENTH = 1000  # lines every 0.1 s: 10,000 lines/s
FLOOD = (
    "while [ ! -e /tmp/go ]; do sleep 0.2; done; i=0; "
    f"while [ $i -lt {FLOOD_S * 10} ]; do seq 1 {PER_TENTH} | sed \\\"s/^/flood $i line /\\\"; sleep 0.1; i=$((i+1)); done; "
    "exec sleep 100000"
)


def stack(image: str) -> str:
    parts = []
    for n in range(SERVICES):
        parts.append(
            f'[services.svc{n:02d}]\nimage = "{image}"\ncommand = ["sleep", "100000"]\nsupervise = false\n'
        )
    parts.append(f'[services.flood]\nimage = "{image}"\ncommand = ["sh", "-c", "{FLOOD}"]\nsupervise = false\n')
    return "\n".join(parts)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def latency_ms(port: int, cookie: str) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/static/style.css", headers={"Host": f"127.0.0.1:{port}", "Cookie": cookie})
    conn.getresponse().read()
    conn.close()
    return (time.perf_counter() - started) * 1000


def browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)


def first_paint(driver, url: str) -> float:  # type: ignore[no-untyped-def]
    driver.get(url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mark = driver.execute_script(
            "const m = performance.getEntriesByName('devenv:first-state')[0];"
            "return m && document.querySelectorAll('div.instance tr[data-service]').length >= arguments[0] ? m.startTime : null",
            SERVICES,
        )
        if mark is not None:
            return float(mark)
        time.sleep(0.05)
    raise SystemExit("the page never drew the services")


PAGE_LAG = """
window.__lag = 0; window.__long = [0, 0];
new PerformanceObserver((list) => { for (const e of list.getEntries()) { window.__long[0]++; window.__long[1] += e.duration; } })
  .observe({ type: "longtask" });
let last = performance.now();
setInterval(() => { const now = performance.now(); window.__lag = Math.max(window.__lag, now - last - 50); last = now; }, 50);
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import docker

    client = docker.from_env()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    image = f"{registry}/busybox:test"
    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    (tmp / "proj").mkdir()
    project = DevenvProject(tmp / "proj", tmp / "state")
    project.write(stack(image))
    result: dict[str, object] = {"bench": "ui", "services": SERVICES}
    try:
        project.ok("up", "-d", timeout=600)
        board = start_ui(project)
        driver = browser()
        try:
            paints = [first_paint(driver, board.url if i == 0 else board.base + "/") for i in range(args.rounds)]
            result["first_paint_ms_p50"] = round(statistics.median(paints), 1)
            result["first_paint_ms"] = [round(p, 1) for p in paints]

            time.sleep(2)  # the page is open and settled; nothing happens on the stack
            before = cpu_seconds(board.process.pid)
            time.sleep(10)
            result["idle_cpu_percent"] = round((cpu_seconds(board.process.pid) - before) / 10 * 100, 2)

            cookie = f"devenv_ui_{board.port}={board.token}"
            idle_lat = [latency_ms(board.port, cookie) for _ in range(20)]
            rss_before = rss_mb(board.process.pid)
            driver.execute_script(PAGE_LAG)
            time.sleep(3)
            result["page_lag_ms_max_idle"] = round(float(driver.execute_script("return window.__lag")), 1)
            driver.execute_script("window.__lag = 0; window.__long = [0, 0]")
            (flood,) = client.containers.list(
                filters={"label": [f"dev.devenv.project={project.name}", "dev.devenv.service=flood"]}
            )
            flood.exec_run(["touch", "/tmp/go"])
            lat, rss = [], []
            cpu0, started = cpu_seconds(board.process.pid), time.monotonic()
            while time.monotonic() - started < FLOOD_S + 2:
                lat.append(latency_ms(board.port, cookie))
                rss.append(rss_mb(board.process.pid))
                time.sleep(0.1)
            result["flood_cpu_percent"] = round((cpu_seconds(board.process.pid) - cpu0) / (time.monotonic() - started) * 100, 1)
            result["loop_lag_ms_idle_p50"] = round(statistics.median(idle_lat), 1)
            result["loop_lag_ms_flood_p50"] = round(statistics.median(lat), 1)
            result["loop_lag_ms_flood_max"] = round(max(lat), 1)
            result["page_lag_ms_max"] = round(float(driver.execute_script("return window.__lag")), 1)
            count, total = driver.execute_script("return window.__long")
            result["page_long_tasks"] = int(count)  # tasks over 50 ms on the page's main thread
            result["page_long_task_ms_total"] = round(float(total), 1)
            result["page_log_lines"] = driver.execute_script("return document.querySelectorAll('#log-lines div.l').length")
            result["rss_mb_before"] = round(rss_before, 1)
            result["rss_mb_peak"] = round(max(rss), 1)
            time.sleep(3)
            result["rss_mb_after"] = round(rss_mb(board.process.pid), 1)
        finally:
            driver.quit()
            stop_ui(board)
    finally:
        remove_project_objects(client, project.name)
        shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key.ljust(width)}  {value}")
    print(json.dumps(result))
    ok = float(result["first_paint_ms_p50"]) <= 300 and float(result["idle_cpu_percent"]) <= 1.0  # type: ignore[arg-type]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

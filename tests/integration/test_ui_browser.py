"""`devenv ui` in a real headless Chromium (Debian's, through chromium-driver and Selenium):
what a developer sees and clicks. Every network answer the page received is read back from
Chrome's performance log; the secret is in none. Under CI=true a missing browser fails."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import pytest

from tests.integration.ui_support import (
    DOCS_IMAGES,
    SECRET,
    dashboard,
    headless_chromium,
    screenshots_wanted,
    start_watch,
    wait_for,
)

__all__ = ["dashboard"]
pytestmark = pytest.mark.engine

@pytest.fixture(scope="module")
def browser(dashboard) -> Iterator[object]:
    driver = headless_chromium()
    try:
        driver.get(dashboard.url)
        yield driver
    finally:
        driver.quit()


def text_of(driver, css: str) -> str:  # type: ignore[no-untyped-def]
    """The text of the first match, read in one script (a push may draw the table anew between
    two WebDriver calls)."""
    return str(driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", css))


def cell(driver, service: str, css: str) -> str:  # type: ignore[no-untyped-def]
    return text_of(driver, f'div.instance tr[data-service="{service}"] {css}')


def click(driver, css: str) -> None:  # type: ignore[no-untyped-def]
    """A real click; found again if a push replaced the element in between."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def clicked() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
        except StaleElementReferenceException:
            return False
        return True

    wait_for(clicked, f"a click on {css}")


def received(driver) -> list[str]:  # type: ignore[no-untyped-def]
    """Every body the page got: each response's (as Chrome kept it) and each server-sent event."""
    bodies = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.eventSourceMessageReceived":
            bodies.append(params["data"])
        elif message["method"] == "Network.loadingFinished":
            try:
                body = driver.execute_cdp_cmd("Network.getResponseBody", {"requestId": params["requestId"]})
            except Exception:  # an answer Chrome no longer holds (the event stream itself)
                continue
            bodies.append(body["body"])
    return bodies


def test_the_page_lists_the_services_and_their_health(browser, dashboard) -> None:
    wait_for(lambda: cell(browser, "web", "td.health") == "healthy", "web healthy on the page")
    assert "running" in cell(browser, "web", ".pill.state")
    assert cell(browser, "web", "td.restarts") == "0" and "httpd" in cell(browser, "web", "td.cmd")
    assert cell(browser, "worker", ".pill.state") == "running"
    assert "127.0.0.1:" in cell(browser, "web", "td.ports")
    assert "busybox" in cell(browser, "web", "td.image")
    assert browser.title == f"devenv · {dashboard.project.name}"
    assert "token=" not in browser.current_url  # moved into the cookie, out of the history


def test_a_crashed_service_is_red_with_its_log_lines(browser) -> None:
    from selenium.webdriver.common.by import By

    wait_for(lambda: "exited (3)" in cell(browser, "crasher", ".pill.state"), "the crasher's exit")
    classes = browser.execute_script("return document.querySelector('tr[data-service=\"crasher\"]').className")
    assert "bad" in classes.split()
    last_lines = 'tr[data-detail="crasher"] pre.last-lines'
    wait_for(lambda: "fatal: cannot reach the queue" in text_of(browser, last_lines), "the crasher's log lines")
    color = browser.find_element(By.CSS_SELECTOR, 'tr[data-service="crasher"] .pill.state').value_of_css_property(
        "background-color"
    )
    assert color == "rgba(207, 34, 46, 1)"  # var(--bad)
    if screenshots_wanted():
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(DOCS_IMAGES / "ui-overview.png"))


def test_env_shows_the_provenance_and_never_the_secret(browser) -> None:
    click(browser, 'tr[data-service="worker"] button[data-action="env"]')

    def env_row(key: str) -> list[str]:
        return list(
            browser.execute_script(
                "return [...document.querySelectorAll(`#env tr[data-key='${arguments[0]}'] td`)].map((c) => c.innerText)",
                key,
            )
        )

    assert wait_for(lambda: env_row("DATABASE_URL"), "the env table") == [
        "DATABASE_URL",
        "postgres://app@db:5432/app",
        ".env.production:1",
    ]
    _, value, source = env_row("DB_PASSWORD")
    assert value == "***" and source.startswith("secrets file .devenv/secrets.env")
    # The worker logs its password: the log pane shows the line, masked.
    wait_for(lambda: "connecting with ***" in text_of(browser, "#log-lines"), "the masked log line")
    if screenshots_wanted():
        browser.execute_script("document.getElementById('env').scrollIntoView()")
        browser.save_screenshot(str(DOCS_IMAGES / "ui-env.png"))
    bodies = received(browser)
    assert any('"DATABASE_URL"' in b and ".env.production:1" in b for b in bodies)  # the env answer was read
    assert any("connecting with ***" in b for b in bodies)  # so were the pushed log lines
    assert not [b[:200] for b in bodies if SECRET in b]
    assert SECRET not in browser.page_source


def test_restart_from_the_page_restarts_the_container(browser, dashboard, docker_client) -> None:
    (container,) = docker_client.containers.list(
        filters={"label": [f"dev.devenv.project={dashboard.project.name}", "dev.devenv.service=worker"]}
    )
    started = container.attrs["State"]["StartedAt"]
    click(browser, 'tr[data-service="worker"] button[data-action="restart"]')
    wait_for(lambda: text_of(browser, "#result") == "restarted worker", "the action's result")
    container.reload()
    assert container.attrs["State"]["StartedAt"] != started
    # The page learns it from the engine's events: the uptime starts again.
    wait_for(lambda: cell(browser, "worker", "td.uptime").endswith("s") and "m" not in cell(browser, "worker", "td.uptime"), "a fresh uptime")


def test_a_save_shows_the_reload_with_its_time(browser, dashboard) -> None:
    """The watcher (a `devenv watch` beside the dashboard) writes its reloads to the instance's
    journal; the page shows each as it happens: when, which service, the action, the files that
    triggered it (by name) and the milliseconds until the process ran again."""
    watcher = start_watch(dashboard.project, "web")
    try:
        (dashboard.project.root / "site" / "index.html").write_text("v2\n")
        first = 'tr[data-reload="web"]'
        wait_for(lambda: text_of(browser, first), "the reload on the page")
        cells = browser.execute_script(
            "return [...document.querySelector(arguments[0]).cells].map((c) => c.innerText)", first
        )
        _, service, action, files, served = cells
        assert (service, action, files) == ("web", "restart", "site/index.html")  # which file, not how many
        assert served.endswith(" ms") and int(served[:-3]) > 0
        if screenshots_wanted():
            browser.execute_script("document.getElementById('reloads').scrollIntoView()")
            browser.save_screenshot(str(DOCS_IMAGES / "ui-reloads.png"))
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.communicate(timeout=30)

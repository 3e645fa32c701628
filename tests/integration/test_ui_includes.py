"""`devenv ui` in a real headless Chromium on a product that includes another repository's
stack: an included service is marked with its include, and with whether it runs as released
(the pinned commit) or from source (`devenv link`); the mark follows a link and an unlink."""

from __future__ import annotations

import pytest

from tests.integration.test_includes import notify_repo, shop
from tests.integration.ui_support import headless_chromium, start_ui, stop_ui, wait_for

pytestmark = pytest.mark.engine


def mark(driver, service: str) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """(include, source, text) of a service's include mark; empty when it has none."""
    found = driver.execute_script(
        "const m = document.querySelector(`div.instance tr[data-service='${arguments[0]}'] span.include`);"
        "return m ? [m.dataset.include, m.dataset.source, m.innerText] : ['', '', ''];",
        service,
    )
    return (str(found[0]), str(found[1]), str(found[2]))


def test_included_services_show_their_include_and_whether_they_run_from_source(
    project, registry, busybox_image, tmp_path
) -> None:
    project.registry = registry
    src, bare = notify_repo(tmp_path, registry)
    shop(project, f'git = "file://{bare}"\nref = "v1"')
    project.ok("up", "-d")
    board = start_ui(project)
    driver = headless_chromium()
    try:
        driver.get(board.url)
        wait_for(lambda: mark(driver, "mail")[0], "the include mark of mail")
        assert mark(driver, "mail") == ("notify", "git", "include notify · released (pinned commit)")
        assert mark(driver, "web") == ("", "", "")  # the product's own service has none

        project.ok("link", "notify", str(src))
        project.ok("up", "-d")  # mail is recreated from the checkout: the page hears the engine
        wait_for(lambda: mark(driver, "mail")[1] == "link", "mail marked as linked")
        assert mark(driver, "mail") == ("notify", "link", "include notify · from source (link)")

        project.ok("unlink", "notify")
        project.ok("up", "-d")
        wait_for(lambda: mark(driver, "mail")[1] == "git", "mail back on the pinned commit")
    finally:
        driver.quit()
        stop_ui(board)

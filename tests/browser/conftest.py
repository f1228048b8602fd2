"""Browser-test fixtures: the app on a free localhost port, headless Chromium, and axe-core.

Chromium is ``CHROMIUM_PATH`` or Debian's ``/usr/bin/chromium``; CSRF protection is on, as in
production. A script error on any page fails the test. Every page a test opens is scanned with
axe-core (vendored from npm in ``vendor/axe-core``) once it has loaded, and the test fails on
any violation. Map tiles are never fetched: requests to other hosts are refused, so tests check
markers, not pictures.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: Runs axe on each page once it has loaded and reports to the test (``__axeReport``).
_AXE_ON_LOAD = """
(() => {
  if (window.top !== window) { return; }
  window.__axeDone = false;
  window.addEventListener("load", () => {
    window.axe.run(document, { resultTypes: ["violations"] }).then((result) => {
      const found = result.violations.map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
      }));
      window.__axeReport(location.pathname + location.search, found);
      window.__axeDone = true;
    });
  });
})();
"""


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and (os.path.isfile(candidate) or shutil.which(candidate)):
            return candidate
    return None


@pytest.fixture
def live_server(app):
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.config["WTF_CSRF_ENABLED"] = False


class AxeScans:
    """What axe found on each page a test opened: ``(path, [violation, ...])``."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, list[dict]]] = []

    def report(self, path: str, violations: list[dict]) -> None:
        self.pages.append((path, violations))

    def violations(self) -> list[tuple[str, dict]]:
        return [(path, v) for path, found in self.pages for v in found]


@pytest.fixture
def axe_scans() -> AxeScans:
    return AxeScans()


@pytest.fixture
def browser_page(axe_scans):
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "Chromium not found: set CHROMIUM_PATH or install Debian's chromium "
            "(/usr/bin/chromium)."
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed.")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(15_000)
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if urlsplit(route.request.url).hostname in ("127.0.0.1", None)
                    else route.abort()
                ),
            )
            script_errors: list[str] = []
            page.on("pageerror", lambda error: script_errors.append(str(error)))
            page.expose_function("__axeReport", axe_scans.report)
            page.add_init_script(path=str(AXE))
            page.add_init_script(script=_AXE_ON_LOAD)
            yield page
            _scanned(page)  # the last page's scan too
            assert axe_scans.pages, "axe scanned no page"
            assert axe_scans.violations() == []
            assert script_errors == []
        finally:
            browser.close()


def _scanned(page) -> None:
    """Wait until axe has scanned the page now shown (its report is then in ``axe_scans``)."""
    page.wait_for_function("() => window.__axeDone === true")


@pytest.fixture
def scanned():
    """``scanned(page)`` waits until axe has scanned the page now shown."""
    return _scanned

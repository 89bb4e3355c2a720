"""Fixtures for the widget tests: a virtual board, and for ``browser`` tests JupyterLab + Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.widgets.lab import CHROMIUM_ARGS, LabServer, artifact, notebook_page, require_chromium

BROWSER_NOTEBOOKS = ["live_dashboard.ipynb", "slice_preview.ipynb"]


@pytest.fixture
def board() -> Iterator[Any]:
    """A virtual Uno with the starter kit, on a real pty."""
    from labkit import Board

    with Board.connect("sim") as virtual:
        yield virtual


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on a free localhost port, serving copies of the notebooks under test."""
    require_chromium()
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"), BROWSER_NOTEBOOKS, {"LABKIT_BOARD": "sim"})
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(lab_server: LabServer) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

    One per module: Playwright's sync API keeps an asyncio loop marked as running
    in this thread while it is open, which would break the tests that run an
    event loop of their own.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(require_chromium()), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def dashboard(chromium: Any, lab_server: LabServer) -> Iterator[Any]:
    """live_dashboard.ipynb, every cell run, in a Chromium page."""
    yield from notebook_page(chromium, lab_server, "live_dashboard.ipynb")


@pytest.fixture(scope="module")
def slicer(chromium: Any, lab_server: LabServer) -> Iterator[Any]:
    """slice_preview.ipynb, every cell run, in a Chromium page."""
    yield from notebook_page(chromium, lab_server, "slice_preview.ipynb")


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    # A failed browser test leaves a picture of the whole page in test-artifacts/browser/.
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for name in ("dashboard", "slicer"):
            if name in request.fixturenames:
                page = request.getfixturevalue(name)
                page.screenshot(path=str(artifact(f"{request.node.name}-FAILED.png")), full_page=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Lets the page fixture see whether the test body failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

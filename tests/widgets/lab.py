"""A real JupyterLab server and a real Chromium, for the browser tests.

The server runs on a free localhost port with a random token, in a scratch
folder holding copies of the notebooks under test (so JupyterLab's autosave
never touches the repository), with its own settings, workspaces and runtime
folders (so a developer's JupyterLab set-up changes nothing).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.support import absent

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Waits in the browser are on real conditions; this only bounds a hang. Generous: on a fresh
# clone the notebook's kernel first compiles the slicer's Numba kernels, on 2 busy cores.
LONG_MS = 180_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAB_SETTINGS = {
    # JupyterLab would otherwise ask about news and fetch update notices on first start.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Every cell stays in the page, also when scrolled out of view, so locators find them.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def require_chromium() -> Path:
    """Debian's Chromium, or a skip (a failure under CI or ``LABKIT_REQUIRE_BROWSER=1``)."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"{CHROMIUM} is missing (make test installs the Debian package chromium)"
    if os.environ.get("LABKIT_REQUIRE_BROWSER") == "1":
        import pytest

        pytest.fail(f"{reason}; LABKIT_REQUIRE_BROWSER=1 makes that a failure")
    absent(reason)
    return CHROMIUM


def free_port() -> int:
    """A localhost port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LabServer:
    """``jupyter lab`` in a scratch folder; ``url(path)`` gives an address with the token."""

    def __init__(self, scratch: Path, notebooks: list[str], env: dict[str, str]) -> None:
        self.root = scratch / "root"
        self.root.mkdir(parents=True)
        for name in notebooks:
            shutil.copy(NOTEBOOKS / name, self.root / name)
        settings = scratch / "settings"
        for relative, values in LAB_SETTINGS.items():
            path = settings / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = scratch / "jupyterlab.log"
        full_env = {
            **os.environ,
            **env,
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(scratch / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
            "JUPYTER_CONFIG_DIR": str(scratch / "config"),
        }
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if os.geteuid() == 0:  # CI containers run as root; JupyterLab refuses that unless told
            command.append("--allow-root")
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=self.root, env=full_env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def url(self, path: str) -> str:
        """``http://127.0.0.1:PORT/<path>?token=...``."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        """Call the server's REST API; the decoded JSON answer."""
        request = urllib.request.Request(self.url(f"api/{path}"), method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Block until the server answers; fail with its log when it dies or takes too long."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_path.read_text()}")
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer in {timeout_s} s:\n{self.log_path.read_text()}")

    def shutdown_kernels(self) -> None:
        """Stop every kernel the server started (so no kernel outlives the tests)."""
        kernels = self.api("kernels")
        assert isinstance(kernels, list)
        for kernel in kernels:
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> None:
        """Stop the kernels, then the server; idempotent."""
        if self.process.poll() is None:
            try:
                self.shutdown_kernels()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def artifact(name: str) -> Path:
    """A path in test-artifacts/browser/ (git-ignored), where the screenshots go."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def open_and_run_all(page: Any, server: LabServer, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab, wait for its kernel, then Run > Run All Cells."""
    page.goto(server.url(f"lab/tree/{notebook}"))
    page.wait_for_selector(".jp-NotebookPanel", timeout=LONG_MS)
    # The status bar names the kernel's state; "Idle" means the kernel is up and connected.
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=LONG_MS)
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout_s:g} s still not true: {what}")
        time.sleep(0.1)


def notebook_page(chromium: Any, server: LabServer, notebook: str) -> Iterator[Any]:
    """A page with ``notebook`` open and run; afterwards its kernel is stopped."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    try:
        open_and_run_all(page, server, notebook)
        yield page
    finally:
        context.close()
        server.shutdown_kernels()


def picture(element: Any) -> np.ndarray:
    """What ``element`` looks like on screen, as an ``(h, w, 3)`` int array."""
    return np.asarray(Image.open(io.BytesIO(element.screenshot())).convert("RGB")).astype(int)


def differs(a: np.ndarray, b: np.ndarray, pixels: int = 200) -> bool:
    """Whether two screenshots differ in more than ``pixels`` pixels."""
    return a.shape != b.shape or int((np.abs(a - b).max(axis=2) > 30).sum()) > pixels

"""A pytest plugin, loaded beside nbval, that records what happened to every notebook cell.

nbval turns each code cell into a pytest item and reports a mismatch, an
exception or a timeout as a failure with a message. This plugin reads the
outcome where it is born (the item and its exception, before pytest's xfail
handling rewrites it), with the reference and the actual outputs, and writes
one JSON line per cell to ``--labkit-results``.

Once the notebook is collected its file is deleted: it holds the expected
outputs and lies in the kernel's working folder, where student code could read it.

It also watches the kernel while a cell runs: nbval would wait the whole cell
timeout for a reply from a kernel that has already exited (``os._exit()``);
here the death is noticed within a fraction of a second.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from queue import Empty
from typing import Any

import pytest

# A cell's outputs in the feedback are cut to this many characters.
MAX_TEXT = 4000
POLL_SECONDS = 0.2


class KernelDied(RuntimeError):
    """The kernel process exited while a cell was running."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("labkit").addoption("--labkit-results", help="write each cell's outcome here (JSON lines)")


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("labkit_results")
    if target:
        config.pluginmanager.register(_Recorder(Path(target)), "labkit-recorder")


def render(outputs: Any) -> str:
    """A cell's outputs as the text a student would read (images named, not shown)."""
    parts = []
    for out in outputs or []:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data:
                text = data["text/plain"]
                parts.append((text if isinstance(text, str) else "".join(text)) + "\n")
            else:
                parts.append(f"[{', '.join(sorted(data))}]\n")
        elif kind == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    text = "".join(parts)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"\n... ({len(text) - MAX_TEXT} more characters)"


def _error_line(outputs: Any) -> str:
    for out in outputs or []:
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"[:300]
    return ""


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "passed"
    if isinstance(exc, KernelDied):
        return "died"
    message = str(exc)
    if message.startswith("Kernel dead"):
        return "notrun"
    if message.startswith("Cell outputs differ"):
        return "failed"
    if message.startswith("Timeout"):
        return "timeout"
    return "error"


def _await_reply_watching(kernel: Any, msg_id: str, timeout: float | None = None) -> None:
    # nbval's RunningKernel.await_reply, polling in short slices to notice a dead kernel.
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if not kernel.is_alive():
            raise KernelDied("the kernel stopped")
        left = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
        if left <= 0:
            raise Empty
        try:
            msg = kernel.get_message(stream="shell", timeout=left)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            if msg["content"]["status"] == "aborted":
                raise RuntimeError("Kernel aborted execution request")
            return


class _Recorder:
    def __init__(self, target: Path) -> None:
        self.target = target
        self.records: dict[int, dict[str, Any]] = {}
        self.kernels: list[Any] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # The notebook holds the expected outputs (hidden checks too) and sits in the
        # kernel's working folder; once read, remove it so the code under test cannot.
        for path in {item.path for item in session.items}:
            path.unlink(missing_ok=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        kernel = getattr(item.parent, "kernel", None)
        if kernel is not None and kernel not in self.kernels:
            kernel.await_reply = lambda msg_id, timeout=None: _await_reply_watching(kernel, msg_id, timeout)
            self.kernels.append(kernel)

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        cell_num = getattr(item, "cell_num", None)
        if cell_num is None or call.when == "teardown":
            return
        exc = call.excinfo.value if call.excinfo else None
        if call.when == "setup" and exc is None:
            return
        cell = getattr(item, "cell", {})
        actual = getattr(item, "test_outputs", None)
        outcome = _outcome(exc)
        if call.when == "setup":
            outcome = "notrun"
        self.records[cell_num] = {
            "cell": cell_num,
            "outcome": outcome,
            "error": _error_line(actual) or ("" if exc is None else f"{type(exc).__name__}: {exc}"[:300]),
            "expected": render(cell.get("outputs")),
            "actual": render(actual),
        }

    def pytest_sessionfinish(self) -> None:
        for kernel in self.kernels:
            # nbval only stops a live kernel; a dead one still holds its channels.
            if hasattr(kernel, "km") and not kernel.is_alive():
                kernel.kc.stop_channels()
                kernel.km.cleanup_resources()
        lines = [json.dumps(r) for _, r in sorted(self.records.items())]
        self.target.write_text("".join(line + "\n" for line in lines))

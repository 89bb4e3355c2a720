"""The hardware weeks also run on a board that is not the virtual one, skipping what needs its world.

A ``VirtualBoard`` started here stands in for a student's Arduino: ``LABKIT_BOARD``
names its pty like a real serial port, so ``Board.connect()`` in the notebook
opens it as a real board (no ``board.sim``). Every cell must still run, and each
check that needs the simulated world must say that it is skipped.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from labkit.sim import VirtualBoard

ROOT = Path(__file__).resolve().parents[2]
HARDWARE_WEEKS = [p for p in sorted((ROOT / "curriculum").glob("*.ipynb")) if "Board.connect()" in p.read_text()]
SKIPPED = "skipped on a real board"


def test_the_hardware_weeks_are_found() -> None:
    assert len(HARDWARE_WEEKS) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("assignment", HARDWARE_WEEKS, ids=lambda p: p.stem)
def test_runs_on_a_real_port_and_skips_world_checks(
    assignment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.read(assignment, as_version=4)
    with VirtualBoard(seed=0) as stand_in:
        monkeypatch.setenv("LABKIT_BOARD", stand_in.port)
        NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = [c for c in notebook.cells if "check" in c.metadata.get("tags", [])]
    printed = ["".join(o.get("text", "") for o in c.outputs) for c in checks]
    assert any("on_virtual_board()" in c.source for c in checks), "no check needs the simulated world?"
    for check, text in zip(checks, printed, strict=True):
        if "on_virtual_board()" in check.source:
            assert SKIPPED in text, f"{check.id} needs the virtual board but did not say it is skipped: {text!r}"
        else:
            assert "board.sim" not in check.source, f"{check.id} uses the virtual board without asking on_virtual_board()"

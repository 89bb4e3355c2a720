"""Every reference solution scores full marks and every untouched release scores zero.

The real thing, as an instructor runs it: ``release`` writes the student
version, then ``grade`` (two kernels at once, on the virtual board) grades the
instructor's own notebook (student "reference") beside the untouched release
(student "release"). One week goes through the ``labkit`` command itself; the
others call the same engine in-process to spare a CLI start per week.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from labkit.grading import grade, release

ROOT = Path(__file__).resolve().parents[2]
CURRICULUM = ROOT / "curriculum"
NOTEBOOKS = sorted(CURRICULUM.glob("*.ipynb"))
TIMEOUT_S = 60


def submissions(assignment: Path, folder: Path) -> list[Path]:
    """The reference (the instructor's notebook, copied) and the untouched student release."""
    (folder / "reference").mkdir()
    reference = Path(shutil.copy(assignment, folder / "reference"))
    return [reference, release(assignment, folder / "release")]


def assert_full_marks_and_zero(gradebook: Path) -> None:
    rows = defaultdict(list)
    with gradebook.open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["student"]].append(row)
    assert set(rows) == {"reference", "release"}
    unpassed = [(r["check"], r["status"], r["message"]) for r in rows["reference"] if r["status"] != "passed"]
    assert not unpassed, f"the reference solution fails checks: {unpassed}"
    assert all(float(r["points"]) == float(r["max_points"]) > 0 for r in rows["reference"])
    on_stub = [r["check"] for r in rows["release"] if r["status"] == "passed" or float(r["points"]) > 0]
    assert not on_stub, f"checks that pass on the untouched release (each is a defect): {on_stub}"
    assert len(rows["release"]) == len(rows["reference"]) >= 3


@pytest.mark.slow
@pytest.mark.parametrize("assignment", NOTEBOOKS[1:], ids=lambda p: p.stem)
def test_reference_scores_full_marks_and_release_scores_zero(assignment: Path, tmp_path: Path) -> None:
    gradebook = tmp_path / "gradebook.csv"
    grade(assignment, submissions(assignment, tmp_path), gradebook, jobs=2, timeout=TIMEOUT_S)
    assert_full_marks_and_zero(gradebook)


@pytest.mark.slow
def test_the_labkit_commands_grade_the_first_week(tmp_path: Path) -> None:
    assignment = NOTEBOOKS[0]
    (tmp_path / "reference").mkdir()
    shutil.copy(assignment, tmp_path / "reference")
    gradebook = tmp_path / "gradebook.csv"
    for args in (
        ["release", str(assignment), "--out", str(tmp_path / "release")],
        ["grade", str(assignment), str(tmp_path / "reference" / assignment.name),
         str(tmp_path / "release" / assignment.name), "--out", str(gradebook), "--jobs", "2",
         "--timeout", str(TIMEOUT_S)],
    ):
        done = subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"labkit {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    assert_full_marks_and_zero(gradebook)


# A plausible mistake in one answer cell, and the checks that must catch it (and only them).
MISTAKES = [
    (
        "00_lab_notebook", "fit-type", {"fit-type-hidden"},
        "def fit_type(hole, hole_tol, shaft, shaft_tol):\n"
        "    if shaft + shaft_tol < hole - hole_tol:\n"
        "        return 'clearance'\n"
        "    if shaft - shaft_tol > hole + hole_tol:\n"
        "        return 'interference'\n"
        "    return 'transition'\n",
    ),
    (
        "04_embedded_programming", "blinker", {"blinker"},
        "class Blinker:\n"
        "    def __init__(self, led, interval):\n"
        "        self.led, self.interval, self.last = led, interval, None\n\n"
        "    def update(self, now):\n"
        "        if self.last is None:\n"
        "            self.led.on()\n"
        "            self.last = now\n"
        "        elif now - self.last >= self.interval:\n"
        "            self.led.toggle()\n"
        "            self.last = now\n",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("week", "cell_id", "caught_by", "answer"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_plausible_mistake_loses_exactly_its_checks(
    week: str, cell_id: str, caught_by: set[str], answer: str, tmp_path: Path
) -> None:
    assignment = CURRICULUM / f"{week}.ipynb"
    notebook = nbformat.read(assignment, as_version=4)
    cell = next(c for c in notebook.cells if c.get("id") == cell_id)
    cell.source = answer
    submission = tmp_path / "mistaken.ipynb"
    nbformat.write(notebook, submission)
    gradebook = tmp_path / "gradebook.csv"
    grade(assignment, [submission], gradebook, timeout=TIMEOUT_S)
    with gradebook.open(newline="") as handle:
        failed = {row["check"] for row in csv.DictReader(handle) if row["status"] != "passed"}
    assert failed == caught_by

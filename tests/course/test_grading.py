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

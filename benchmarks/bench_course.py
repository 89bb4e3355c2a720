"""How long grading the whole curriculum takes: every week's reference solution, as `labkit grade` does it.

Measured in one run, side by side:
- labkit, the whole curriculum, two weeks at a time (``grade(..., jobs=1)`` in two threads: the
  machine has 2 cores), repeated; the target is under 3 minutes;
- labkit and bare ``pytest --nbval-lax`` (nbval alone, no merging, no points) on each week, one
  at a time, so the per-notebook overhead of grading shows.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from labkit.grading import grade

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "curriculum").glob("*.ipynb"))
REPEATS = 3
TARGET_S = 180.0


def grade_reference(assignment: Path) -> float:
    """Seconds to grade the instructor's own notebook as a submission; fails unless it earns full marks."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "reference")
        folder.mkdir()
        submission = shutil.copy(assignment, folder)
        start = time.perf_counter()
        summary = grade(assignment, [submission], Path(tmp, "gradebook.csv"), jobs=1, timeout=60)
        seconds = time.perf_counter() - start
        book = Path(tmp, "gradebook.csv").read_text().splitlines()[1:]
    if any(",passed," not in row for row in book):
        raise AssertionError(f"{assignment.name}: the reference does not earn full marks: {summary}")
    return seconds


def bare_nbval(assignment: Path) -> float:
    """Seconds for nbval alone to run the same notebook (outputs not compared)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = shutil.copy(assignment, tmp)
        Path(tmp, "pytest.ini").write_text("[pytest]\n")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "--nbval-lax", copy, "-q", "-p", "no:cacheprovider",
             "--rootdir", tmp, "-c", str(Path(tmp, "pytest.ini"))],
            cwd=tmp, env={**os.environ, "LABKIT_BOARD": "sim"}, capture_output=True, check=True,
        )
        return time.perf_counter() - start


def whole_curriculum() -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(grade_reference, NOTEBOOKS))
    return time.perf_counter() - start


def run() -> str:
    load_before = os.getloadavg()[0]
    totals = [whole_curriculum() for _ in range(REPEATS)]
    rows = []
    for notebook in NOTEBOOKS:
        labkit_s, nbval_s = grade_reference(notebook), bare_nbval(notebook)
        rows.append(f"| `{notebook.stem}` | {labkit_s:.1f} | {nbval_s:.1f} | {labkit_s / nbval_s:.2f} |")
    load_after = os.getloadavg()[0]
    median = statistics.median(totals)
    verdict = "meets" if median < TARGET_S else "MISSES"
    return "\n".join([
        "## Course: grading the curriculum",
        "",
        f"Grading every week's reference solution ({len(NOTEBOOKS)} notebooks, all checks passing, on the",
        "virtual board), two notebooks at a time on this 2-core machine, as `labkit grade` does it:",
        f"**median {median:.0f} s** over {REPEATS} runs ({', '.join(f'{t:.0f}' for t in totals)} s);",
        f"this {verdict} the target of under {TARGET_S:.0f} s. The machine was shared: load average",
        f"{load_before:.1f} at the start and {load_after:.1f} at the end (2 cores), so these are upper bounds.",
        "",
        "Each week alone, one at a time: labkit's grading (merge, one kernel, nbval, score) beside bare",
        "`pytest --nbval-lax` running the same notebook (nbval only, nothing scored).",
        "",
        "| notebook | labkit grade (s) | bare nbval (s) | ratio |",
        "| --- | ---: | ---: | ---: |",
        *rows,
    ])


if __name__ == "__main__":
    print(run())

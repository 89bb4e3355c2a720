"""The gradebook: a CSV file that grows one student at a time and survives a killed grader.

Columns: ``student,assignment,check,points,max_points,status,message``. Each
student's rows are appended in one ``write`` on a file opened for appending,
then synced, so a grader killed halfway leaves whole students only; a torn
last line (a crash inside the write) is cut off when the file is opened again.

>>> import tempfile, pathlib
>>> from labkit.grading.results import CheckResult, SubmissionResult
>>> book = Gradebook(pathlib.Path(tempfile.mkdtemp()) / "gradebook.csv")
>>> book.append(SubmissionResult("ann", "week04", "ann.ipynb",
...     [CheckResult("ann", "week04", "check 1", 2.0, 2.0, "passed", "")]))
>>> book.graded("week04", 1)
{'ann'}
>>> summarize(book.rows(), "week04").mean
2.0
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import tempfile
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from labkit.errors import GradingError
from labkit.grading.results import COLUMNS, SubmissionResult

__all__ = ["Gradebook", "Summary", "summarize"]


def _csv_text(rows: list[dict[str, str]], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


class Gradebook:
    """A gradebook CSV file; created with its header on the first append."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._repair()

    def _repair(self) -> None:
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if header != ",".join(COLUMNS):
            raise GradingError(f"{self.path} is not a labkit gradebook (its first line is {header[:80]!r}); choose another --out")
        if not data.endswith(b"\n"):
            with open(self.path, "r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def rows(self) -> list[dict[str, str]]:
        """Every row, as dicts keyed by column."""
        if not self.path.is_file():
            return []
        with open(self.path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def graded(self, assignment: str, checks: int) -> set[str]:
        """Students with all ``checks`` rows of ``assignment`` already in the book."""
        counts = Counter(r["student"] for r in self.rows() if r["assignment"] == assignment)
        return {student for student, n in counts.items() if n >= checks}

    def append(self, result: SubmissionResult) -> None:
        """Add one student's rows, all at once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            new = os.fstat(fd).st_size == 0
            os.write(fd, _csv_text([c.row() for c in result.checks], header=new).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def forget(self, assignment: str, students: Collection[str]) -> None:
        """Drop the rows of ``students`` for ``assignment`` (before grading them again)."""
        rows = self.rows()
        keep = [r for r in rows if not (r["assignment"] == assignment and r["student"] in students)]
        if len(keep) == len(rows):
            return
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".gradebook-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_csv_text(keep, header=True))
        os.replace(temp, self.path)


@dataclass(frozen=True)
class Summary:
    """A class at a glance: how many students, mean and median points, the checks most often failed."""

    assignment: str
    students: int
    max_points: float
    mean: float
    median: float
    most_failed: list[tuple[str, int]]

    def __str__(self) -> str:
        lines = [
            f"{self.assignment}: {self.students} students, mean {self.mean:.2f}/{self.max_points:g}, median {self.median:g}"
        ]
        for check, failures in self.most_failed:
            lines.append(f"  {check}: not passed by {failures} of {self.students}")
        return "\n".join(lines)


def summarize(rows: list[dict[str, str]], assignment: str, top: int = 3) -> Summary:
    """The summary of ``assignment``'s rows in a gradebook.

    >>> summarize(Gradebook("gradebook.csv").rows(), "week04").median  # doctest: +SKIP
    6.0
    """
    mine = [r for r in rows if r["assignment"] == assignment]
    scores: dict[str, float] = {}
    maxima: dict[str, float] = {}
    for r in mine:
        scores[r["student"]] = scores.get(r["student"], 0.0) + float(r["points"])
        maxima[r["check"]] = float(r["max_points"])
    failures = Counter(r["check"] for r in mine if r["status"] != "passed")
    values = list(scores.values())
    return Summary(
        assignment=assignment,
        students=len(scores),
        max_points=sum(maxima.values()),
        mean=statistics.fmean(values) if values else 0.0,
        median=statistics.median(values) if values else 0.0,
        most_failed=failures.most_common(top),
    )

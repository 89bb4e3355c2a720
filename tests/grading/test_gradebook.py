"""The gradebook file: appends whole students, survives a torn write, refuses other CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from labkit.errors import GradingError
from labkit.grading import CheckResult, Gradebook, SubmissionResult, feedback_page, summarize


def _result(student: str, *statuses: str, message: str = "") -> SubmissionResult:
    checks = [
        CheckResult(student, "week04", f"check {n}", 1.0 if s == "passed" else 0.0, 1.0, s, message)
        for n, s in enumerate(statuses, start=1)
    ]
    return SubmissionResult(student, "week04", f"{student}.ipynb", checks)


def test_rows_with_awkward_messages_stay_one_row_each(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "book.csv")
    book.append(_result("ann", "failed", "error", message='expected "1,2"\nbut got \'3\''))
    with open(tmp_path / "book.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["student", "assignment", "check", "points", "max_points", "status", "message"]
    assert len(rows) == 3 and rows[1][6] == "expected \"1,2\" but got '3'"


def test_a_torn_last_line_is_cut_off_and_the_student_graded_again(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    book = Gradebook(path)
    book.append(_result("ann", "passed", "passed"))
    book.append(_result("bob", "passed", "failed"))
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])  # a crash inside bob's write
    book = Gradebook(path)
    assert book.graded("week04", 2) == {"ann"}
    assert path.read_bytes().endswith(b"\n")
    assert [r["student"] for r in book.rows()] == ["ann", "ann", "bob"]
    book.forget("week04", {"bob"})  # what grade() does before grading bob again
    book.append(_result("bob", "passed", "failed"))
    assert len(book.rows()) == 4 and {r["student"] for r in book.rows()} == {"ann", "bob"}


def test_forget_drops_one_assignment_of_some_students(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "book.csv")
    for name in ("ann", "bob"):
        book.append(_result(name, "passed"))
    other = SubmissionResult("ann", "week05", "ann.ipynb", [CheckResult("ann", "week05", "c", 0, 1, "failed", "")])
    book.append(other)
    book.forget("week04", {"ann"})
    assert sorted((r["student"], r["assignment"]) for r in book.rows()) == [("ann", "week05"), ("bob", "week04")]


def test_another_csv_is_not_taken_for_a_gradebook(tmp_path: Path) -> None:
    path = tmp_path / "marks.csv"
    path.write_text("name,mark\nann,3\n")
    with pytest.raises(GradingError, match="not a labkit gradebook"):
        Gradebook(path)
    assert path.read_text() == "name,mark\nann,3\n"


def test_summary_mean_median_and_most_failed(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "book.csv")
    book.append(_result("ann", "passed", "passed", "passed"))
    book.append(_result("bob", "passed", "failed", "timeout"))
    book.append(_result("cho", "missing", "failed", "passed"))
    summary = summarize(book.rows(), "week04")
    assert (summary.students, summary.max_points, summary.median) == (3, 3.0, 1.0)
    assert summary.mean == pytest.approx(5 / 3)
    assert summary.most_failed[0] == ("check 2", 2)
    assert sorted(summary.most_failed[1:]) == [("check 1", 1), ("check 3", 1)]


def test_feedback_escapes_student_output(tmp_path: Path) -> None:
    result = _result("ann", "failed")
    check = result.checks[0]
    evil = SubmissionResult("ann", "week04", "ann.ipynb", [
        CheckResult("ann", "week04", check.check, 0, 1, "failed", "differs", "", "<b>1</b>", "<script>alert(1)</script>"),
    ])
    page = feedback_page(evil)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;1&lt;/b&gt;" in page

"""Grading a whole class for real: every submission runs in its own kernel.

One class of deliberately troublesome submissions is graded once (two at a
time); the tests below read its gradebook and feedback pages.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from labkit.errors import SubmissionError
from labkit.grading import Summary, grade
from tests.grading.conftest import AREA, SHOUT
from tests.grading.notebooks import answer, code, make_assignment, write_json, write_text

TIMEOUT = 3.0


@dataclass
class Graded:
    folder: Path
    book: Path
    feedback: Path
    summary: Summary
    seconds: float
    rows: dict[tuple[str, str], dict[str, str]]

    def statuses(self, student: str) -> dict[str, str]:
        return {check: row["status"] for (who, check), row in self.rows.items() if who == student}

    def message(self, student: str, check: str) -> str:
        return self.rows[(student, check)]["message"]


def _read(book: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(book, newline="") as f:
        rows = list(csv.DictReader(f))
    keyed = {(r["student"], r["check"]): r for r in rows}
    assert len(keyed) == len(rows), "a student was graded twice"
    return keyed


def _submissions(week04: Path, subs: Path) -> list[Path]:
    wrong = make_assignment(subs / "other", "week05", [code("x = 1", "solution"), code("print(x)", "check")])
    huge = answer(week04, subs / "kim.ipynb", {1: 'print("y" * 3_000_000)\ndef area(w, h):\n    print("x" * 3_000_000)\n    return w * h'})
    notebook = nbformat.read(str(huge), as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("y" * 3_000_000))
    nbformat.write(notebook, str(huge))
    return [
        answer(week04, subs / "ann.ipynb"),
        answer(week04, subs / "bob.ipynb", {1: "def area(w, h):\n    return w * h + 1"}),
        answer(week04, subs / "cho.ipynb", {1: "def area(w, h):\n    return round(w * h, 12)"}),
        answer(week04, subs / "dan.ipynb", {1: "def area(w, h):\n    return w * hh", 2: "x = 1 / 0"}),
        answer(week04, subs / "eve.ipynb", {2: "while True:\n    pass"}),
        answer(week04, subs / "fay.ipynb", {2: "import os\nos._exit(3)"}),
        write_text(subs / "gus.ipynb", "this is my homework, I wrote it in a text editor"),
        write_json(subs / "hal.ipynb", {"hello": "world"}),
        write_text(subs / "ivy.ipynb", ""),
        wrong.rename(subs / "jon.ipynb"),
        huge,
        answer(week04, subs / "lea.ipynb", {1: "def area(w, h):\n    return w * h + 1"}, edit_checks="print(13)"),
        answer(week04, subs / "mo.ipynb", drop_checks=True),
        answer(week04, subs / "ned.ipynb", {2: None}),
        answer(week04, subs / "oli.ipynb", {1: f'import os\nopen("junk.txt", "w").write("x")\nos.chdir("/")\n{AREA}'}),
        answer(week04, subs / "pat" / "week04.ipynb", {2: SHOUT.replace("upper", "lower")}),
        answer(week04, subs / "qui.ipynb", {1: PEEK + AREA}),
        answer(week04, subs / "rex.ipynb", {2: "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"}),
        answer(week04, subs / "sam.ipynb", {2: STUBBORN}),
    ]


# An endless loop that ignores the interrupt: the kernel has to be killed.
STUBBORN = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"


# A student looking for the notebook being graded, to read the expected outputs.
PEEK = 'import glob\nassert not glob.glob("**/*.ipynb", recursive=True), "found the notebook"\n'



@pytest.fixture(scope="module")
def graded(week04: Path, tmp_path_factory: pytest.TempPathFactory) -> Graded:
    folder = tmp_path_factory.mktemp("class")
    submissions = _submissions(week04, folder / "subs")
    book, feedback = folder / "gradebook.csv", folder / "feedback"
    start = time.monotonic()
    summary = grade(week04, submissions, book, feedback=feedback, jobs=2, timeout=TIMEOUT)
    return Graded(folder, book, feedback, summary, time.monotonic() - start, _read(book))


ALL = {"area", "area of a strip", "shout", "hidden shout", "folder", "timing"}


def test_every_submission_gets_a_row_per_check(graded: Graded) -> None:
    students = {s for s, _ in graded.rows}
    assert students == {"ann", "bob", "cho", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lea", "mo", "ned", "oli", "pat", "qui", "rex", "sam"}
    for student in students:
        assert set(graded.statuses(student)) == ALL
    assert {r["status"] for r in graded.rows.values()} <= {"passed", "failed", "error", "timeout", "missing"}
    assert all("\n" not in r["message"] for r in graded.rows.values())


def test_the_instructors_own_solution_earns_every_point(graded: Graded) -> None:
    assert set(graded.statuses("ann").values()) == {"passed"}
    assert sum(float(r["points"]) for (s, _), r in graded.rows.items() if s == "ann") == 7


def test_points_follow_the_checks(graded: Graded) -> None:
    assert graded.rows[("ann", "area")]["points"] == "2" and graded.rows[("ann", "area")]["max_points"] == "2"
    assert graded.rows[("bob", "area")]["points"] == "0"


def test_wrong_output_fails_with_expected_and_actual(graded: Graded) -> None:
    assert graded.statuses("bob") == {**dict.fromkeys(ALL, "passed"), "area": "failed", "area of a strip": "failed"}
    assert graded.message("bob", "area") == "the output differs: expected '12' but got '13'"


def test_float_noise_in_the_last_digits_is_forgiven(graded: Graded) -> None:
    # round(0.1 * 3, 12) prints 0.3 where the reference printed 0.30000000000000004
    assert set(graded.statuses("cho").values()) == {"passed"}


def test_an_assignment_ships_its_own_sanitizer(graded: Graded) -> None:
    # "took <random> ms" would differ on every run without the assignment's pattern.
    assert graded.rows[("ann", "timing")]["status"] == "passed"


def test_exceptions_are_errors_that_name_the_answer_cell(graded: Graded) -> None:
    statuses = graded.statuses("dan")
    assert statuses["area"] == statuses["shout"] == "error"
    assert "NameError" in graded.message("dan", "area")
    assert graded.message("dan", "shout") == "your answer cell 2 raised ZeroDivisionError: division by zero"
    assert statuses["folder"] == "passed"


def test_an_endless_loop_costs_its_checks_only(graded: Graded) -> None:
    statuses = graded.statuses("eve")
    assert statuses["shout"] == statuses["hidden shout"] == "timeout"
    assert "your answer cell 2 ran longer than 3 s" in graded.message("eve", "shout")
    assert statuses["area"] == statuses["folder"] == statuses["timing"] == "passed"


def test_a_loop_that_ignores_the_interrupt_costs_the_checks_after_it(graded: Graded) -> None:
    statuses = graded.statuses("sam")
    assert statuses["area"] == statuses["area of a strip"] == "passed"
    assert {statuses[c] for c in ("shout", "hidden shout", "folder", "timing")} == {"timeout"}
    assert "your answer cell 2 ran longer than 3 s" in graded.message("sam", "timing")
    assert graded.message("sam", "timing").endswith("this check could not run")


def test_a_student_ending_python_is_recorded_not_fatal(graded: Graded) -> None:
    statuses = graded.statuses("fay")
    assert statuses["area"] == statuses["area of a strip"] == "passed"
    assert statuses["shout"] == "error"
    assert "Python stopped while running your answer cell 2" in graded.message("fay", "shout")
    assert statuses["folder"] == "error" and "not run" in graded.message("fay", "folder")


@pytest.mark.parametrize(
    ("student", "status", "words"),
    [
        ("gus", "error", "not valid JSON"),
        ("hal", "error", "not a Jupyter notebook"),
        ("ivy", "missing", "is empty"),
        ("jon", "missing", "none of the answer cells of week04"),
    ],
)
def test_unusable_files_get_rows_with_a_reason(graded: Graded, student: str, status: str, words: str) -> None:
    assert set(graded.statuses(student).values()) == {status}
    assert words in graded.message(student, "area")
    assert graded.message(student, "area").startswith(f"{student}.ipynb: ")


def test_huge_outputs_are_cut_short(graded: Graded) -> None:
    assert graded.rows[("kim", "area")]["status"] == "failed"
    assert len(graded.message("kim", "area")) < 300
    assert graded.rows[("kim", "shout")]["status"] == "passed"
    assert "more characters" in graded.message("kim", "area") or "…" in graded.message("kim", "area")
    assert (graded.feedback / "kim.html").stat().st_size < 100_000


def test_edited_or_deleted_checks_change_nothing(graded: Graded) -> None:
    assert graded.statuses("lea") == graded.statuses("bob")
    assert set(graded.statuses("mo").values()) == {"passed"}


def test_a_deleted_answer_cell_is_missing(graded: Graded) -> None:
    statuses = graded.statuses("ned")
    assert statuses["shout"] == statuses["hidden shout"] == "missing"
    assert "your answer cell 2 is not in your notebook" in graded.message("ned", "shout")
    assert statuses["area"] == "passed"


def test_writing_files_and_changing_directory_stay_in_the_students_folder(graded: Graded, week04: Path) -> None:
    assert set(graded.statuses("oli").values()) == {"passed"}
    assert not (week04.parent / "junk.txt").exists()
    assert not (graded.folder / "subs" / "junk.txt").exists()


def test_the_graded_notebook_is_gone_before_student_code_runs(graded: Graded) -> None:
    assert set(graded.statuses("qui").values()) == {"passed"}


def test_killing_the_grading_process_costs_that_student_only(graded: Graded) -> None:
    # rex's kernel kills the pool worker running it: the pool is rebuilt, the other
    # submission in flight is graded again, rex is tried once more and then recorded.
    assert set(graded.statuses("rex").values()) == {"error"}
    assert "the grader failed on this notebook (its grading process died)" in graded.message("rex", "area")
    for student in ("ann", "cho", "mo", "oli", "qui"):
        assert set(graded.statuses(student).values()) == {"passed"}, student


def test_a_submission_named_like_the_assignment_belongs_to_its_folder(graded: Graded) -> None:
    assert graded.statuses("pat")["shout"] == "failed"
    assert graded.statuses("pat")["hidden shout"] == "failed"


def test_the_summary_counts_the_class(graded: Graded) -> None:
    scores = {}
    for (student, _), row in graded.rows.items():
        scores[student] = scores.get(student, 0.0) + float(row["points"])
    assert graded.summary.students == 19
    assert graded.summary.max_points == 7
    assert graded.summary.mean == pytest.approx(sum(scores.values()) / 19)
    assert graded.summary.median == sorted(scores.values())[9]
    assert graded.summary.most_failed[0][1] >= graded.summary.most_failed[-1][1] > 0
    assert "19 students" in str(graded.summary)


def test_feedback_pages_show_expected_and_actual_with_the_hint(graded: Graded) -> None:
    pages = sorted(p.stem for p in graded.feedback.glob("*.html"))
    assert len(pages) == 19
    page = (graded.feedback / "bob.html").read_text()
    assert "width times height" in page and "Expected" in page and "<pre>12\n</pre>" in page and "<pre>13\n</pre>" in page
    assert "<script" not in page and "http" not in page
    assert "width times height" not in (graded.feedback / "ann.html").read_text()


def test_a_rerun_skips_graded_students_unless_forced(graded: Graded, week04: Path) -> None:
    before = graded.book.read_bytes()
    subs = graded.folder / "subs"
    summary = grade(week04, [subs / "ann.ipynb", subs / "bob.ipynb"], graded.book, jobs=2, timeout=TIMEOUT)
    assert graded.book.read_bytes() == before
    assert summary == graded.summary
    better = answer(week04, graded.folder / "redo" / "bob.ipynb")
    grade(week04, [better], graded.book, timeout=TIMEOUT, force=True)
    after = _read(graded.book)
    assert set(r["status"] for (s, _), r in after.items() if s == "bob") == {"passed"}
    assert len(after) == len(graded.rows)


def test_two_submissions_of_one_student_are_refused(graded: Graded, week04: Path) -> None:
    subs = graded.folder / "subs"
    twin = answer(week04, graded.folder / "ann" / "week04.ipynb")
    with pytest.raises(SubmissionError, match="both for student 'ann'"):
        grade(week04, [subs / "ann.ipynb", twin], graded.folder / "other.csv")


def test_a_broken_instructions_cell_is_not_blamed_on_the_student(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "readings.txt").write_text("3 4 5\n")
    cells = [
        code("readings = [float(x) for x in open('readings.txt').read().split()]"),
        code("def total(values):\n    return sum(values)", "solution"),
        code("print(total(readings))", "check", points=2),
    ]
    assignment = make_assignment(folder, "week06", cells)
    (folder / "readings.txt").unlink()  # the instructor forgot to ship the data file
    book = tmp_path / "gradebook.csv"
    grade(assignment, [answer(assignment, tmp_path / "uma.ipynb")], book, timeout=TIMEOUT)
    (row,) = _read(book).values()
    assert row["status"] == "error"
    assert "an instructions cell (not one of your answers) raised FileNotFoundError" in row["message"]

"""Reading, validating, merging and releasing assignments (no grading kernel needed)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from labkit.errors import AssignmentError, SubmissionError
from labkit.grading import SANITIZERS, load_assignment, release, student_name
from labkit.grading.notebook import STUB, merge, read_submission
from tests.grading.notebooks import write_json, write_text


def test_an_assignment_lists_its_checks_points_and_hints(week04: Path) -> None:
    assignment = load_assignment(week04)
    assert [c.name for c in assignment.checks] == ["area", "area of a strip", "shout", "hidden shout", "folder", "timing"]
    assert assignment.max_points == 7
    assert [c.hidden for c in assignment.checks].count(True) == 1
    assert assignment.checks[0].hint == "width times height"
    assert len(assignment.solution_ids) == 2
    assert assignment.sanitizers == ((r"took \d+ ms", "took N ms"),)
    assert len(assignment.visible().checks) == 5


def _edit(week04: Path, tmp_path: Path, change) -> Path:
    notebook = nbformat.read(str(week04), as_version=4)
    change(notebook)
    return write_json(tmp_path / "broken.ipynb", notebook)


def _tagged(notebook, tag: str):
    return [c for c in notebook.cells if tag in c.metadata.get("tags", [])]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda nb: [c.metadata.update(tags=[]) for c in _tagged(nb, "check") + _tagged(nb, "hidden")], "no cell tagged 'check'"),
        (lambda nb: [c.metadata.update(tags=[]) for c in _tagged(nb, "solution")], "no cell tagged 'solution'"),
        (lambda nb: _tagged(nb, "check")[0].update(execution_count=None, outputs=[]), "never run"),
        (lambda nb: _tagged(nb, "check")[0].metadata["labkit"].update(points="two"), "points must be a number"),
        (lambda nb: _tagged(nb, "check")[0].metadata["labkit"].update(points=-1), "points must be a number"),
        (lambda nb: nb.metadata["labkit"].update(sanitize=[{"regex": "(", "replace": ""}]), "is broken"),
        (lambda nb: nb.cells[2].update(id=nb.cells[1].id), "used twice"),
        (lambda nb: _tagged(nb, "check")[1].metadata["labkit"].update(name="area"), "same labkit.name"),
    ],
)
def test_a_malformed_assignment_is_refused_with_the_reason(week04: Path, tmp_path: Path, change, words: str) -> None:
    with pytest.raises(AssignmentError, match=words):
        load_assignment(_edit(week04, tmp_path, change))


def test_an_assignment_without_cell_ids_says_how_to_fix_it(week04: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(str(week04), as_version=4)
    notebook.nbformat_minor = 4
    for cell in notebook.cells:
        del cell["id"]
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(notebook, version=4))
    with pytest.raises(AssignmentError, match="JupyterLab 3"):
        load_assignment(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [("", "is empty"), ("   \n", "is empty"), ("{not json", "not valid JSON"), ('{"cells": 3}', "not a Jupyter notebook"),
     ("[1, 2]", "not a Jupyter notebook"), ('{"cells": [{"cell_type": "nonsense"}], "nbformat": 4}', "not a readable")],
)
def test_unusable_submissions_are_explained(tmp_path: Path, content: str, words: str) -> None:
    path = write_text(tmp_path / "ann.ipynb", content)
    with pytest.raises(SubmissionError, match=words):
        read_submission(path)


def test_a_binary_submission_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "ann.ipynb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(SubmissionError, match="not valid JSON"):
        read_submission(path)


def test_student_names_come_from_the_file_or_its_folder() -> None:
    assert student_name("subs/alice/week04.ipynb", "course/week04.ipynb") == "alice"
    assert student_name("subs/bob.ipynb", "course/week04.ipynb") == "bob"
    assert student_name("subs/bob/bob-week04.ipynb", "week04.ipynb") == "bob-week04"


def test_merge_takes_only_solutions_from_the_submission(week04: Path, tmp_path: Path) -> None:
    assignment = load_assignment(week04)
    student = nbformat.read(str(week04), as_version=4)
    solutions = _tagged(student, "solution")
    solutions[0].source = "def area(w, h):\n    return 0"
    student.cells.remove(solutions[1])
    for cell in _tagged(student, "check"):
        cell.source = "print('cheat')"
    merged, plan = merge(assignment, student, tmp_path)
    sources = [c.source for c in merged.cells]
    assert "def area(w, h):\n    return 0" in sources
    assert STUB in sources
    assert "print('cheat')" not in sources and "print(area(3, 4))" in sources
    assert [p.present for p in plan if p.role == "solution"] == [True, False]
    assert sum(p.role == "check" for p in plan) == 6
    compared = [c for c in merged.cells if "nbval-ignore-output" not in c.metadata.get("tags", [])]
    assert len(compared) == 6 and all(c.outputs for c in compared)


def test_release_stubs_solutions_drops_hidden_checks_and_keeps_ids(week04: Path, tmp_path: Path) -> None:
    target = release(week04, tmp_path / "out")
    original = nbformat.read(str(week04), as_version=4)
    released = nbformat.read(str(target), as_version=4)
    hidden = {c.id for c in _tagged(original, "hidden")}
    assert [c.id for c in released.cells] == [c.id for c in original.cells if c.id not in hidden]
    for cell in _tagged(released, "solution"):
        assert cell.source == STUB and cell.outputs == [] and cell.execution_count is None
    assert "write your code here" in STUB
    for cell in _tagged(released, "check"):
        assert cell.metadata["labkit"]["expected"] == cell.outputs != []
    assert "hidden shout" not in target.read_text()
    assert [c.name for c in load_assignment(target).checks] == ["area", "area of a strip", "shout", "folder", "timing"]


def test_release_refuses_to_overwrite_the_instructors_notebook(week04: Path) -> None:
    with pytest.raises(AssignmentError, match="overwrite"):
        release(week04, week04.parent)


def test_sanitizers_forgive_float_noise_only() -> None:
    def clean(text: str) -> str:
        for regex, replacement in SANITIZERS:
            text = re.sub(regex, replacement, text)
        return text

    assert clean(str(0.1 + 0.2)) == clean("0.3")
    assert clean(str(0.7 * 3)) == clean("2.1")
    assert clean("2.9999999999999996") == "3.0"
    assert clean("<Foo object at 0x7f2a3b4c5d60>") == "<Foo object at 0xADDRESS>"
    for different in (("3.14159", "3.14160"), ("12.5", "12.6"), ("1.002", "1.003"), ("0.25", "0.2500001")):
        assert clean(different[0]) != clean(different[1])


def test_a_sanitizer_that_is_not_a_list_of_pairs_is_refused(week04: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(str(week04), as_version=4)
    notebook.metadata["labkit"]["sanitize"] = ["took"]
    path = write_json(tmp_path / "w.ipynb", notebook)
    with pytest.raises(AssignmentError, match="regex"):
        load_assignment(path)

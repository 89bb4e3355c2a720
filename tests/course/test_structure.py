"""The curriculum's shape: every week listed in course.toml, authored as DESIGN.md says."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from labkit.grading.notebook import load_assignment

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CURRICULUM = ROOT / "curriculum"
COURSE = tomllib.loads((CURRICULUM / "course.toml").read_text())
NOTEBOOKS = sorted(CURRICULUM.glob("*.ipynb"))


def tags(cell: nbformat.NotebookNode) -> set[str]:
    return set(cell.metadata.get("tags", []))


def test_course_lists_exactly_the_notebooks_in_the_folder() -> None:
    listed = [week["notebook"] for week in COURSE["weeks"]]
    assert sorted(listed) == [p.name for p in NOTEBOOKS]
    assert len(listed) >= 10
    assert listed[0] == "00_lab_notebook.ipynb", "labkit lab opens 00_lab_notebook.ipynb first"


@pytest.mark.parametrize("week", COURSE["weeks"], ids=lambda w: w["notebook"])
def test_course_points_match_the_notebook(week: dict) -> None:
    assignment = load_assignment(CURRICULUM / week["notebook"])
    assert week["points"] == assignment.max_points
    assert isinstance(week["week"], int) and week["title"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_a_complete_assignment(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assignment = load_assignment(path)
    assert len(assignment.checks) >= 3
    assert any(check.hidden for check in assignment.checks)
    assert all(check.hint for check in assignment.checks), "every check gives a hint"
    assert all(check.points > 0 for check in assignment.checks)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and "Learning goals" in first.source
    for cell in notebook.cells:
        if "solution" in tags(cell):
            stub = cell.metadata["labkit"]["stub"]
            assert "NotImplementedError" in stub, f"{cell.id}: the stub must fail its checks"
        if cell.cell_type == "code" and "solution" not in tags(cell):
            assert not any(o.output_type == "error" for o in cell.outputs), f"{cell.id} stored an error"


def test_first_notebook_says_what_to_click_first() -> None:
    text = (CURRICULUM / "00_lab_notebook.ipynb").read_text()
    assert "What to click first" in text and "Shift + Enter" in text

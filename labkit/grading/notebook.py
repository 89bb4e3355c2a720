"""Reading assignments and submissions, and merging them into the notebook that is graded.

An assignment is the instructor's notebook (format: see ``labkit.grading``).
A submission contributes only the source of its ``solution`` cells, matched by
cell id; everything else, checks included, comes from the instructor.

>>> from labkit.grading.notebook import student_name
>>> student_name("class/alice/week04.ipynb", "week04.ipynb")
'alice'
>>> student_name("class/bob.ipynb", "week04.ipynb")
'bob'
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labkit.errors import AssignmentError, SubmissionError

__all__ = [
    "STUB",
    "Assignment",
    "Check",
    "MergedCell",
    "copy_assignment_files",
    "load_assignment",
    "merge",
    "read_submission",
    "student_name",
]

TAG_SOLUTION = "solution"
TAG_CHECK = "check"
TAG_HIDDEN = "hidden"
# nbval's own tag: the cell runs, its output is not compared.
TAG_IGNORE_OUTPUT = "nbval-ignore-output"

STUB = '# write your code here\nraise NotImplementedError("write your code here")\n'

# Bigger than any honest notebook; reading it would only cost the grader memory.
MAX_SUBMISSION_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    """One graded cell of an assignment: its id, name, points and hint."""

    cell_id: str
    name: str
    points: float
    hint: str
    hidden: bool


@dataclass(frozen=True)
class Assignment:
    """An instructor's notebook, validated: its checks and its answer (``solution``) cells.

    >>> from labkit.grading import load_assignment   # doctest: +SKIP
    >>> load_assignment("curriculum/week04.ipynb").max_points   # doctest: +SKIP
    10.0
    """

    path: Path
    notebook: NotebookNode
    checks: tuple[Check, ...]
    solution_ids: tuple[str, ...]
    sanitizers: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        """The assignment's name: the notebook's file stem (``week04``)."""
        return self.path.stem

    @property
    def max_points(self) -> float:
        """The points of every check, hidden ones included."""
        return sum(c.points for c in self.checks)

    def visible(self) -> Assignment:
        """The same assignment without its hidden checks (what a student can check)."""
        return Assignment(
            self.path,
            self.notebook,
            tuple(c for c in self.checks if not c.hidden),
            self.solution_ids,
            self.sanitizers,
        )


@dataclass(frozen=True)
class MergedCell:
    """One code cell of the merged notebook and where it came from.

    ``role`` is ``check``, ``solution``, ``setup`` (an instructor's code cell)
    or ``reset`` (labkit's own cell putting the working folder back before a
    check). ``answer`` numbers the solution cells from 1; ``present`` says
    whether the submission had that answer cell.
    """

    role: str
    cell_id: str
    answer: int = 0
    present: bool = True


def copy_assignment_files(assignment: Assignment, target: Path, exclude: Sequence[str | Path] = ()) -> None:
    """Copy the files beside the assignment (data, images, modules) into ``target``:
    everything in its folder and below except notebooks, hidden files,
    ``__pycache__`` and the paths in ``exclude``.

    >>> copy_assignment_files(load_assignment("week04.ipynb"), Path("/tmp/work"))  # doctest: +SKIP
    """
    source = assignment.path.resolve().parent
    skipped = {Path(e).resolve() for e in exclude} | {target.resolve()}

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {
            n
            for n in names
            if n.startswith(".") or n == "__pycache__" or n.endswith(".ipynb") or Path(folder, n).resolve() in skipped
        }

    shutil.copytree(source, target, ignore=ignore, symlinks=True, dirs_exist_ok=True)


def _tags(cell: NotebookNode) -> set[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return set(tags) if isinstance(tags, list) else set()


def _labkit_meta(cell: NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("labkit", {})
    return meta if isinstance(meta, dict) else {}


def _read_notebook(path: Path, error: type[AssignmentError] | type[SubmissionError], who: str) -> NotebookNode:
    name = path.name
    try:
        text = path.read_bytes()
    except FileNotFoundError as exc:
        raise error(f"{name}: no such file") from exc
    except OSError as exc:
        raise error(f"{name}: cannot be read ({exc.strerror})") from exc
    if len(text) > MAX_SUBMISSION_BYTES:
        raise error(
            f"{name}: {who} is {len(text) // 2**20} MB, too big to grade; "
            "clear the outputs (Edit > Clear Outputs of All Cells), save, and hand it in again"
        )
    if not text.strip():
        raise error(f"{name}: {who} is empty (was it saved before handing in?)")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise error(
            f"{name}: {who} is not a notebook: it is not valid JSON{where}; "
            "hand in the .ipynb file saved by Jupyter, not a copy of its text"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise error(f"{name}: {who} is JSON but not a Jupyter notebook (it has no list of cells)")
    ids = [str(c["id"]) for c in data["cells"] if isinstance(c, dict) and c.get("id")]
    if error is AssignmentError and len(set(ids)) != len(ids):
        # nbformat would quietly give the copy a new random id, so answers would stop matching.
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise error(f"{name}: cell id {twice[0]!r} is used twice; give each cell its own id")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises a zoo of errors for odd JSON
        raise error(f"{name}: {who} is not a readable Jupyter notebook ({exc})") from exc


def _number(value: object, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise AssignmentError(f"{where}: {what} must be a number >= 0, not {value!r}")
    return float(value)


def load_assignment(path: str | Path) -> Assignment:
    """Read and validate an instructor's notebook.

    Raises ``AssignmentError`` naming the cell when the notebook cannot be
    graded: no checks, no solution cells, cells without ids, a check that was
    never run (so it has no reference output), bad points or sanitizers.

    >>> load_assignment("curriculum/week04.ipynb").name   # doctest: +SKIP
    'week04'
    """
    path = Path(path)
    notebook = _read_notebook(path, AssignmentError, "the assignment")
    checks: list[Check] = []
    solutions: list[str] = []
    for number, cell in enumerate(notebook.cells, start=1):
        tags = _tags(cell)
        cell_id = cell.get("id")
        where = f"{path.name}, cell {number}"
        if not cell_id:
            raise AssignmentError(
                f"{where} has no cell id (notebook format 4.5+ is needed); "
                "open and save the notebook in JupyterLab 3 or newer"
            )
        graded = tags & {TAG_CHECK, TAG_HIDDEN}
        if not graded and TAG_SOLUTION not in tags:
            continue
        if cell.cell_type != "code":
            raise AssignmentError(f"{where} is tagged {sorted(tags)} but is not a code cell")
        if graded and TAG_SOLUTION in tags:
            raise AssignmentError(f"{where} is tagged both 'solution' and 'check'; split it in two cells")
        if TAG_SOLUTION in tags:
            solutions.append(cell_id)
            continue
        meta = _labkit_meta(cell)
        if "expected" not in meta and cell.get("execution_count") is None:
            raise AssignmentError(
                f"{where} is a check that was never run, so it has no expected output; "
                "run the whole notebook and save it"
            )
        hint = meta.get("hint", "")
        if not isinstance(hint, str):
            raise AssignmentError(f"{where}: labkit.hint must be text, not {hint!r}")
        name = meta.get("name", f"check {len(checks) + 1}")
        checks.append(
            Check(
                cell_id=cell_id,
                name=str(name),
                points=_number(meta.get("points", 1), "labkit.points", where),
                hint=hint,
                hidden=TAG_HIDDEN in tags,
            )
        )
    if not checks:
        raise AssignmentError(f"{path.name} has no cell tagged 'check': nothing to grade")
    if not solutions:
        raise AssignmentError(f"{path.name} has no cell tagged 'solution': nothing for students to write")
    if len({c.name for c in checks}) != len(checks):
        raise AssignmentError(f"{path.name}: two checks have the same labkit.name")
    return Assignment(path, notebook, tuple(checks), tuple(solutions), _sanitizers(notebook, path))


def _sanitizers(notebook: NotebookNode, path: Path) -> tuple[tuple[str, str], ...]:
    entries = notebook.metadata.get("labkit", {}).get("sanitize", [])
    result = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if not (isinstance(entry, dict) and isinstance(entry.get("regex"), str) and isinstance(entry.get("replace"), str)):
            raise AssignmentError(f"{path.name}: labkit.sanitize entries are {{'regex': ..., 'replace': ...}}, not {entry!r}")
        if "\n" in entry["regex"] + entry["replace"]:
            raise AssignmentError(f"{path.name}: a sanitizer pattern must fit on one line: {entry!r}")
        try:
            re.compile(entry["regex"])
        except re.error as exc:
            raise AssignmentError(f"{path.name}: sanitizer regex {entry['regex']!r} is broken: {exc}") from exc
        result.append((entry["regex"], entry["replace"]))
    return tuple(result)


def read_submission(path: str | Path) -> NotebookNode:
    """Read a student's notebook, or raise ``SubmissionError`` saying what is wrong with the file.

    >>> read_submission("class/alice.ipynb").nbformat   # doctest: +SKIP
    4
    """
    return _read_notebook(Path(path), SubmissionError, "this file")


def student_name(submission: str | Path, assignment: str | Path) -> str:
    """The student a submission belongs to: the file's stem, or its folder's name
    when the file is named like the assignment (``alice/week04.ipynb``)."""
    submission, assignment = Path(submission), Path(assignment)
    if submission.stem == assignment.stem:
        return submission.resolve().parent.name
    return submission.stem


def merge(assignment: Assignment, submission: NotebookNode, workdir: Path) -> tuple[NotebookNode, list[MergedCell]]:
    """The notebook to grade, and the origin of each of its code cells.

    Instructor's cells as written, the submission's source in each solution
    cell (the stub where the submission lacks that cell id), outputs compared
    on check cells only, and before each check a cell that returns to
    ``workdir`` so a student's ``os.chdir`` cannot break the checks.

    >>> merged, plan = merge(load_assignment("week04.ipynb"), read_submission("ann.ipynb"), Path("/tmp/w"))  # doctest: +SKIP
    >>> [cell.role for cell in plan]  # doctest: +SKIP
    ['setup', 'solution', 'reset', 'check']
    """
    answers = {
        cell.get("id"): cell.source
        for cell in submission.cells
        if cell.cell_type == "code" and cell.get("id") in assignment.solution_ids
    }
    checks = {c.cell_id for c in assignment.checks}
    merged = nbformat.v4.new_notebook(metadata=copy.deepcopy(assignment.notebook.metadata))
    plan: list[MergedCell] = []
    answer = 0
    reset = f"__import__('os').chdir({str(workdir)!r})"
    for cell in assignment.notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = _tags(cell)
        if cell.id in checks:
            merged.cells.append(_unchecked(nbformat.v4.new_code_cell(reset)))
            plan.append(MergedCell("reset", ""))
            graded = copy.deepcopy(cell)
            expected = _labkit_meta(cell).get("expected")
            if expected is not None:
                graded.outputs = [nbformat.from_dict(o) for o in expected]
                graded.execution_count = graded.execution_count or 1
            merged.cells.append(graded)
            plan.append(MergedCell("check", cell.id))
        elif TAG_SOLUTION in tags:
            answer += 1
            present = cell.id in answers
            source = answers[cell.id] if present else _labkit_meta(cell).get("stub", STUB)
            merged.cells.append(_unchecked(nbformat.v4.new_code_cell(source)))
            plan.append(MergedCell("solution", cell.id, answer, present))
        elif TAG_HIDDEN not in tags:
            merged.cells.append(_unchecked(nbformat.v4.new_code_cell(cell.source)))
            plan.append(MergedCell("setup", cell.id))
    return merged, plan


def _unchecked(cell: NotebookNode) -> NotebookNode:
    cell.metadata["tags"] = [TAG_IGNORE_OUTPUT]
    return cell

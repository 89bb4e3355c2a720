"""``labkit release``: the student version of an assignment, with the files beside it.

Solution cells become a stub that fails its checks, hidden checks go, the
outputs of solution cells are cleared, and every cell keeps its id (grading
matches answers by id). Each visible check keeps its output for the student to
see, and a copy of it in its metadata (``labkit.expected``) with its name, so a
student who re-runs and saves the notebook does not overwrite what
``labkit check`` compares against.

>>> from labkit.grading import release
>>> release("curriculum/week04.ipynb", "release/")   # doctest: +SKIP
PosixPath('release/week04.ipynb')
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from labkit.errors import AssignmentError
from labkit.grading.notebook import (
    STUB,
    TAG_HIDDEN,
    TAG_SOLUTION,
    copy_assignment_files,
    load_assignment,
)

__all__ = ["release"]


def release(assignment: str | Path, out_dir: str | Path) -> Path:
    """Write the student version of ``assignment`` into ``out_dir``; returns its path."""
    loaded = load_assignment(assignment)
    out = Path(out_dir)
    target = out / loaded.path.name
    if target.resolve() == loaded.path.resolve():
        raise AssignmentError(f"releasing into {out} would overwrite the instructor's notebook; choose another --out")
    checks = {c.cell_id: c for c in loaded.checks}
    notebook = copy.deepcopy(loaded.notebook)
    kept = []
    for cell in notebook.cells:
        check = checks.get(cell.get("id"))
        if TAG_HIDDEN in cell.metadata.get("tags", []):
            continue
        if TAG_SOLUTION in cell.metadata.get("tags", []):
            cell.source = cell.metadata.get("labkit", {}).get("stub", STUB)
            cell.outputs = []
            cell.execution_count = None
        elif check is not None:
            meta = cell.metadata.setdefault("labkit", {})
            meta.setdefault("expected", copy.deepcopy(cell.outputs))
            meta["name"] = check.name
        kept.append(cell)
    notebook.cells = kept
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(target))
    copy_assignment_files(loaded, out)
    return target

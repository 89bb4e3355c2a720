"""Graded notebooks on pytest + nbval: release an assignment, let students check, grade a class.

nbval re-runs a notebook and compares each cell's output with the stored one.
labkit keeps nbval as the comparison engine and adds points, hidden checks,
answer cells that cannot touch the checks, a gradebook and feedback pages.

Writing an assignment (the instructor's notebook)
-------------------------------------------------
One notebook, saved by JupyterLab 3+ (cells need ids), **run top to bottom and
saved with its outputs**: the stored output of each check is its reference.
Tag cells (JupyterLab: the gear icon > Cell Tags):

``solution``
    The student's part. In the release it becomes a stub that fails:
    ``raise NotImplementedError("write your code here")`` (or your own text:
    ``{"labkit": {"stub": "def area(w, h):\\n    ..."}}`` in the cell's metadata).
    When grading, only these cells come from the student, matched by cell id;
    cells a student adds or edits elsewhere are ignored.
``check``
    A graded cell. It earns its points when its output equals the stored
    output, after sanitizing (see below); an exception, a timeout or other
    output earns 0. A check may print nothing and just ``assert``: then it
    passes when it runs without an exception. Metadata (optional)::

        {"labkit": {"points": 2, "hint": "area = width * height", "name": "area"}}

    ``points`` defaults to 1; ``hint`` is shown on a failure in the feedback
    page and the self-check; ``name`` is the ``check`` column of the gradebook
    (default ``check 1``, ``check 2``... in notebook order).
``hidden``
    A check the students do not get (tag it ``hidden``, with or without
    ``check``): removed from the release, graded like any check.

Any other cell (markdown, imports, setup, demos) is instructions, kept as
written and run when grading, with its output never compared. Keep checks
deterministic: print rounded numbers (``print(f"{x:.2f}")``), sort what has
no order; hardware exercises run on the virtual board (the grading kernel has
``LABKIT_BOARD=sim``), whose world a check cell sets before reading a sensor.
nbval's own tags work on checks, e.g. ``raises-exception`` for a check whose
reference output is an error. nbval compares text; images (``image/png``) and
widget views are not compared, so a check about a plot prints numbers.

The kernel's working folder is a copy of the assignment's folder (its data
files, without notebooks), so relative paths work; before each check labkit
puts the working folder back, in case a student's code changed directory.
``labkit release`` copies the same files beside the student version, and
stores each visible check's output in its metadata (``labkit.expected``),
which the self-check compares against.

Numbers that vary in the last digits
------------------------------------
Before comparing, labkit applies ``labkit.grading.sanitizers.SANITIZERS``
(float noise such as ``0.30000000000000004`` becomes ``0.3``, ``0.2999999999999998``
becomes ``0.3``, memory addresses ``0x7f...`` become ``0xADDRESS``): digits
after a run of five zeros or nines are noise. Regexes cannot round in general
(``3.14159`` vs ``3.1416`` differ, a carry past the units digit as in
``9.9999999`` is not handled), so print rounded values. An assignment adds its own regex/replacement pairs in the notebook's metadata
(Edit > Notebook Metadata); they run after labkit's::

    {"labkit": {"sanitize": [{"regex": "took \\\\d+ ms", "replace": "took N ms"}]}}

Statuses
--------
Each check of each student gets one gradebook row
(``student,assignment,check,points,max_points,status,message``) with status
``passed``, ``failed`` (other output), ``error`` (an exception, Python
stopped, or a file that is not a notebook), ``timeout`` (a cell ran longer
than ``--timeout``) or ``missing`` (an answer cell, or the whole work, is not
in the submission), and a message a student understands.

>>> from labkit.grading import load_assignment, release, grade, check
>>> release("curriculum/week04.ipynb", "to_students/")                      # doctest: +SKIP
>>> print(grade("curriculum/week04.ipynb", ["subs/ann.ipynb"], "book.csv"))  # doctest: +SKIP
week04: 1 students, mean 8.00/10, median 8
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.grading.classroom import grade
    from labkit.grading.feedback import feedback_page, write_feedback
    from labkit.grading.gradebook import Gradebook, Summary, summarize
    from labkit.grading.notebook import Assignment, Check, load_assignment, student_name
    from labkit.grading.results import COLUMNS, STATUSES, CheckResult, SubmissionResult
    from labkit.grading.runner import grade_submission, grading_environment
    from labkit.grading.sanitizers import SANITIZERS
    from labkit.grading.selfcheck import check, find_notebook
    from labkit.grading.student_version import release

# Each public name and its module: imported on first use, so that `labkit --help`
# (which imports labkit.grading.cli) does not pay for nbformat and pytest.
_HOMES = {
    "grade": "classroom",
    "feedback_page": "feedback",
    "write_feedback": "feedback",
    "Gradebook": "gradebook",
    "Summary": "gradebook",
    "summarize": "gradebook",
    "Assignment": "notebook",
    "Check": "notebook",
    "load_assignment": "notebook",
    "student_name": "notebook",
    "release": "student_version",
    "COLUMNS": "results",
    "STATUSES": "results",
    "CheckResult": "results",
    "SubmissionResult": "results",
    "grade_submission": "runner",
    "grading_environment": "runner",
    "SANITIZERS": "sanitizers",
    "check": "selfcheck",
    "find_notebook": "selfcheck",
}

__all__ = [
    "COLUMNS",
    "SANITIZERS",
    "STATUSES",
    "Assignment",
    "Check",
    "CheckResult",
    "Gradebook",
    "SubmissionResult",
    "Summary",
    "check",
    "feedback_page",
    "find_notebook",
    "grade",
    "grade_submission",
    "grading_environment",
    "load_assignment",
    "release",
    "student_name",
    "summarize",
    "write_feedback",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"labkit.grading.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'labkit.grading' has no attribute {name!r}")

"""A student's self-check: the visible checks of their own notebook, graded by the same engine.

From a terminal, ``labkit check week04.ipynb``; from a cell of the notebook
itself, ``labkit.grading.check()``, which finds the notebook the kernel was
opened for (JupyterLab and VS Code say so; otherwise the only notebook in the
current folder) and grades the copy saved on disk, so save first. The expected
outputs come from the release (``labkit.expected`` in each check's metadata),
so re-running a check and saving does not change what it is compared with.

>>> import labkit.grading
>>> labkit.grading.check()     # doctest: +SKIP
week04: 3/4 points (/home/ann/week04.ipynb)
  ok       check 1 (2/2)
  FAILED   check 2 (0/1)
           the output differs: expected '0.3' but got '1.3'
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from labkit.errors import GradingError
from labkit.grading.results import SubmissionResult
from labkit.grading.runner import grade_submission

__all__ = ["check", "find_notebook"]


def _ipython_namespace() -> dict | None:
    """The user namespace of the IPython kernel or shell we run in, if any."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return None if shell is None else shell.user_ns


def find_notebook() -> Path:
    """The notebook the running kernel belongs to, or ``GradingError`` asking for its path."""
    namespace = _ipython_namespace() or {}
    for candidate in (os.environ.get("JPY_SESSION_NAME"), namespace.get("__vsc_ipynb_file__")):
        if candidate and candidate.endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    here = sorted(Path.cwd().glob("*.ipynb"))
    if len(here) == 1:
        return here[0]
    raise GradingError(
        f"cannot tell which notebook to check ({len(here)} notebooks in {Path.cwd()}); "
        'name it: check("week04.ipynb")'
    )


def check(notebook: str | Path | None = None, *, timeout: float = 30.0) -> SubmissionResult:
    """Grade the visible checks of a saved notebook (this one when ``notebook`` is None).

    Printing the result lists the score and what failed; in a notebook it
    shows as the same page as the instructor's feedback.
    """
    if os.environ.get("LABKIT_GRADING") == "1":
        raise GradingError("check() does nothing while the notebook is being graded; remove the call from your answer")
    path = Path(notebook) if notebook is not None else find_notebook()
    # Inside a kernel pytest gets a process of its own; from a terminal it runs right here.
    in_process = _ipython_namespace() is None
    return grade_submission(path, path, timeout=timeout, include_hidden=False, student=path.stem, in_process=in_process)

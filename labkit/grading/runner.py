"""Grading one submission: a pure task, paths in and results out.

The merged notebook (see ``labkit.grading.notebook.merge``) is written into a
fresh temporary working folder, a copy of the assignment's folder without its
notebooks, and run by ``pytest --nbval`` with labkit's recording plugin, in
its own kernel started in that folder with ``LABKIT_BOARD=sim`` (hardware
exercises run on the virtual board). The folder is deleted afterwards.

pytest runs in a child process (``in_process=False``), or, in the grader's own
pool workers, inside the worker (``in_process=True``): the worker is a process
of its own that runs nothing but the grading, student code stays in the
kernel, and the second of imports per submission is saved.

>>> from labkit.grading import grade_submission
>>> result = grade_submission("week04.ipynb", "class/alice.ipynb", timeout=10)  # doctest: +SKIP
>>> result.score, result.max_points   # doctest: +SKIP
(8.0, 10.0)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from labkit.errors import SubmissionError
from labkit.grading.notebook import (
    Assignment,
    copy_assignment_files,
    load_assignment,
    merge,
    read_submission,
    student_name,
)
from labkit.grading.results import SubmissionResult
from labkit.grading.sanitizers import write_sanitizer_file
from labkit.grading.scoring import score, unusable

__all__ = ["grade_submission", "grading_environment"]

KERNEL_STARTUP_SECONDS = 60


def grading_environment(board: str = "sim") -> dict[str, str]:
    """Environment variables set for the grading kernel, on top of the grader's own.

    >>> grading_environment()["LABKIT_BOARD"]
    'sim'
    """
    return {
        "LABKIT_BOARD": board,
        # Tells labkit.grading.check() it runs inside a grading, not a student's session.
        "LABKIT_GRADING": "1",
        # Sets and dicts of strings print in the same order on every run.
        "PYTHONHASHSEED": "0",
        # Only nbval and labkit's plugin: other installed plugins, and the grader's own
        # pytest settings, stay out of the way.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_ADDOPTS": "",
        "PYTEST_PLUGINS": "",
    }


def _run_pytest(args: list[str], env: Mapping[str, str], in_process: bool) -> int:
    if not in_process:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return done.returncode
    import pytest

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    # pytest's report, and anything a kernel started now writes to its inherited
    # stdout and stderr, must not reach the grader's terminal.
    sys.stdout.flush()
    sys.stderr.flush()
    kept = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        return int(pytest.main(args))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, original in zip((1, 2), kept, strict=True):
            os.dup2(original, fd)
            os.close(original)
        os.close(devnull)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _read_records(path: Path) -> dict[int, dict[str, Any]]:
    if not path.is_file():
        return {}
    records = (json.loads(line) for line in path.read_text().splitlines() if line)
    return {r["cell"]: r for r in records}


def grade_submission(
    assignment: str | Path | Assignment,
    submission: str | Path,
    *,
    timeout: float = 30.0,
    student: str | None = None,
    include_hidden: bool = True,
    board: str = "sim",
    exclude: Sequence[str] = (),
    in_process: bool = False,
) -> SubmissionResult:
    """Grade one submission against an assignment; never raises for a bad submission.

    ``timeout`` is per cell, in seconds. ``include_hidden=False`` grades the
    visible checks only (the student's self-check). ``exclude`` lists folders
    and files not to copy from the assignment's folder (other students' work).
    """
    if not isinstance(assignment, Assignment):
        assignment = load_assignment(assignment)
    if not include_hidden:
        assignment = assignment.visible()
    submission = Path(submission)
    student = student or student_name(submission, assignment.path)
    result = SubmissionResult(student, assignment.name, str(submission))
    try:
        notebook = read_submission(submission)
    except SubmissionError as exc:
        empty = submission.is_file() and not submission.read_bytes().strip()
        result.checks.extend(unusable(assignment, student, "missing" if empty else "error", str(exc)))
        return result
    if not {cell.get("id") for cell in notebook.cells} & set(assignment.solution_ids):
        message = (
            f"{submission.name}: this notebook has none of the answer cells of {assignment.name}: is it the right "
            f"assignment? (work in the notebook released for {assignment.name}, do not copy cells into a new one)"
        )
        result.checks.extend(unusable(assignment, student, "missing", message))
        return result
    with tempfile.TemporaryDirectory(prefix="labkit-grade-", ignore_cleanup_errors=True) as tmp:
        root = Path(tmp)
        work = root / "work"
        copy_assignment_files(assignment, work, exclude)
        merged, plan = merge(assignment, notebook, work)
        target = work / f"{assignment.name}.ipynb"
        target.write_text(json.dumps(merged, ensure_ascii=False))
        (root / "pytest.ini").write_text("[pytest]\n")
        results = root / "cells.jsonl"
        args = [
            str(target),
            "--nbval",
            "--nbval-current-env",
            f"--nbval-cell-timeout={timeout}",
            f"--nbval-kernel-startup-timeout={KERNEL_STARTUP_SECONDS}",
            f"--nbval-sanitize-with={write_sanitizer_file(root / 'sanitize.cfg', assignment.sanitizers)}",
            f"--labkit-results={results}",
            f"--rootdir={root}",
            "-c", str(root / "pytest.ini"),
            "-p", "nbval.plugin",
            "-p", "labkit.grading._hooks",
            "-p", "no:cacheprovider",
            # Its full garbage collection at the end costs a warm worker half a second per notebook.
            "-p", "no:unraisableexception",
            "-q",
        ]
        _run_pytest(args, grading_environment(board), in_process)
        result.checks.extend(score(assignment, student, plan, _read_records(results), timeout))
    return result

"""From what happened to each cell of the merged notebook to a status and a message per check.

A check that passes earns its points. One that does not is explained by the
first thing that went wrong in the cells since the previous check (a missing
answer cell, an endless loop, an exception, Python stopping, an instructions
cell that raised: named as not the student's), or else by the
check's own outcome: its output differs (``failed``), it raised (``error``),
it ran too long (``timeout``).

>>> from labkit.grading.scoring import short
>>> short("Area: 12.0\\n")
"'Area: 12.0'"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labkit.grading.notebook import Assignment, MergedCell
from labkit.grading.results import CheckResult

__all__ = ["score", "short", "unusable"]


def short(text: str, width: int = 60) -> str:
    """Output text on one line for a message: quoted, newlines shown, long text cut."""
    text = text.rstrip("\n").replace("\n", "⏎ ")
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _answer_trouble(cell: MergedCell, record: Mapping[str, Any], timeout: float) -> tuple[str, str] | None:
    """(status, message) when an answer cell explains a check's failure, else None."""
    name = f"your answer cell {cell.answer}"
    if not cell.present:
        return "missing", f"{name} is not in your notebook (cell id {cell.cell_id!r} was not found)"
    outcome = record.get("outcome")
    if outcome == "timeout":
        return "timeout", f"{name} ran longer than {timeout:g} s and was stopped (an endless loop?)"
    if outcome == "died":
        return "error", f"Python stopped while running {name} (exit(), os._exit() or a crash)"
    if outcome == "error":
        return "error", f"{name} raised {record.get('error')}"
    return None


def _trouble(cell: MergedCell, record: Mapping[str, Any], timeout: float) -> tuple[str, str] | None:
    """(status, message) when a cell before a check explains its failure, else None.

    An instructions cell that raises is named as such, so that a broken set-up
    (a missing data file, a board that did not answer) is not blamed on the student.
    """
    if cell.role == "solution":
        return _answer_trouble(cell, record, timeout)
    if record.get("outcome") == "error":
        return "error", (
            f"an instructions cell (not one of your answers) raised {record.get('error')}; "
            "if your code is not involved, tell your instructor"
        )
    return None


def _own(record: Mapping[str, Any], timeout: float, stopper: tuple[str, str]) -> tuple[str, str]:
    outcome = record.get("outcome", "notrun")
    if outcome == "failed":
        return "failed", f"the output differs: expected {short(record['expected'])} but got {short(record['actual'])}"
    if outcome == "error":
        return "error", f"this check raised {record.get('error')}"
    if outcome == "timeout":
        return "timeout", f"this check ran longer than {timeout:g} s and was stopped"
    if outcome == "died":
        return "error", "Python stopped while running this check"
    status, why = stopper
    return status, f"not run: {why}"


def score(assignment: Assignment, student: str, plan: list[MergedCell], records: Mapping[int, Mapping[str, Any]], timeout: float) -> list[CheckResult]:
    """One ``CheckResult`` per check of ``assignment`` from the per-cell ``records``."""
    checks = {c.cell_id: c for c in assignment.checks}
    results = []
    since_check: list[tuple[MergedCell, Mapping[str, Any]]] = []
    since_pass: list[tuple[MergedCell, Mapping[str, Any]]] = []
    # Why cells stopped running, for the checks after a dead kernel.
    stopper = ("error", "the grader could not start Python for this notebook")
    stopped = False
    for number, cell in enumerate(plan):
        record = records.get(number, {})
        if cell.role != "check":
            since_check.append((cell, record))
            since_pass.append((cell, record))
        if record.get("outcome") in ("died", "timeout") and not stopped:
            stopped = True
            where = f"your answer cell {cell.answer}" if cell.role == "solution" else "an earlier cell"
            if record["outcome"] == "timeout":
                stopper = ("timeout", f"{where} ran longer than {timeout:g} s and could not be stopped")
            else:
                stopper = ("error", f"Python stopped in {where}")
        if cell.role != "check":
            continue
        check = checks[cell.cell_id]
        outcome = record.get("outcome")
        if outcome == "passed":
            status, message = "passed", ""
        else:
            # A wrong output is the check's own news; an exception may come from any
            # answer since the last check that passed (a name never defined, say).
            suspects = since_check if outcome == "failed" else since_pass
            troubles = (_trouble(c, r, timeout) for c, r in suspects)
            found = next((t for t in troubles if t), None)
            status, message = found or _own(record, timeout, stopper)
            if found and outcome in (None, "notrun"):
                message += "; this check could not run"
        results.append(
            CheckResult(
                student=student,
                assignment=assignment.name,
                check=check.name,
                points=check.points if status == "passed" else 0.0,
                max_points=check.points,
                status=status,
                message=message,
                hint=check.hint,
                expected=record.get("expected", ""),
                actual=record.get("actual", ""),
            )
        )
        since_check = []
        if outcome == "passed":
            since_pass = []
    return results


def unusable(assignment: Assignment, student: str, status: str, message: str) -> list[CheckResult]:
    """The rows of a submission that could not be run at all: every check 0 with ``message``."""
    return [
        CheckResult(student, assignment.name, c.name, 0.0, c.points, status, message, c.hint)
        for c in assignment.checks
    ]

"""What grading produces: one ``CheckResult`` per check, gathered in a ``SubmissionResult``.

>>> r = CheckResult("alice", "week04", "area", 0.0, 2.0, "failed", "expected '12' but got '13'")
>>> r.row()["status"]
'failed'
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["COLUMNS", "STATUSES", "CheckResult", "SubmissionResult"]

COLUMNS = ("student", "assignment", "check", "points", "max_points", "status", "message")
STATUSES = ("passed", "failed", "error", "timeout", "missing")


def _points(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class CheckResult:
    """The grade of one check for one student, with what the feedback page shows."""

    student: str
    assignment: str
    check: str
    points: float
    max_points: float
    status: str
    message: str
    hint: str = ""
    expected: str = ""
    actual: str = ""

    def row(self) -> dict[str, str]:
        """The gradebook row (``COLUMNS``), one line of text per field."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "check": self.check,
            "points": _points(self.points),
            "max_points": _points(self.max_points),
            "status": self.status,
            "message": " ".join(self.message.split()),
        }


@dataclass(frozen=True)
class SubmissionResult:
    """Every check of one submission; ``str()`` is the report a student reads.

    >>> result = SubmissionResult("alice", "week04", "alice.ipynb")
    >>> result.score, result.max_points
    (0.0, 0.0)
    """

    student: str
    assignment: str
    submission: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Points earned."""
        return sum((c.points for c in self.checks), 0.0)

    @property
    def max_points(self) -> float:
        """Points possible."""
        return sum((c.max_points for c in self.checks), 0.0)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that did not pass."""
        return [c for c in self.checks if c.status != "passed"]

    def __str__(self) -> str:
        lines = [f"{self.assignment}: {_points(self.score)}/{_points(self.max_points)} points ({self.submission})"]
        for c in self.checks:
            mark = f"{'ok' if c.status == 'passed' else c.status.upper():8}"
            lines.append(f"  {mark} {c.check} ({_points(c.points)}/{_points(c.max_points)})")
            if c.status != "passed":
                lines.append(f"           {c.message}")
                if c.hint:
                    lines.append(f"           hint: {c.hint}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from labkit.grading.feedback import feedback_body

        return feedback_body(self)

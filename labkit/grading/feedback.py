"""Feedback pages: one self-contained HTML file per student (no scripts, no outside links).

Each check shows its points and status; a check that did not pass shows the
message, the instructor's hint, and the expected and the actual output side
by side.

>>> from labkit.grading.results import CheckResult, SubmissionResult
>>> r = SubmissionResult("ann", "week04", "ann.ipynb",
...     [CheckResult("ann", "week04", "area", 0.0, 2.0, "failed", "differs", "w*h", "12\\n", "13\\n")])
>>> "w*h" in feedback_page(r)
True
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from labkit.grading.results import CheckResult, SubmissionResult

__all__ = ["feedback_body", "feedback_page", "write_feedback"]

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } .score { font-size: 1.2rem; }
section { border: 1px solid #ddd; border-left: 6px solid #c33; border-radius: 4px; margin: 1rem 0; padding: .5rem 1rem; }
section.passed { border-left-color: #2a2; }
.status { font-weight: bold; text-transform: uppercase; }
.hint { background: #fff8dc; padding: .3rem .6rem; border-radius: 4px; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; white-space: pre-wrap; margin: .2rem 0; }
"""


def _points(value: float) -> str:
    return f"{value:g}"


def _check_html(c: CheckResult) -> str:
    head = (
        f"<h2>{escape(c.check)} <span class='status'>{escape(c.status)}</span> "
        f"{_points(c.points)}/{_points(c.max_points)}</h2>"
    )
    if c.status == "passed":
        return f"<section class='passed'>{head}</section>"
    parts = [f"<section class='{escape(c.status)}'>", head, f"<p>{escape(c.message)}</p>"]
    if c.hint:
        parts.append(f"<p class='hint'>Hint: {escape(c.hint)}</p>")
    if c.expected or c.actual:
        parts.append(
            "<div class='sides'>"
            f"<div><b>Expected</b><pre>{escape(c.expected)}</pre></div>"
            f"<div><b>Your output</b><pre>{escape(c.actual)}</pre></div>"
            "</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def feedback_body(result: SubmissionResult) -> str:
    """The feedback as an HTML fragment (also how a result shows in a notebook)."""
    score = f"{_points(result.score)}/{_points(result.max_points)}"
    checks = "\n".join(_check_html(c) for c in result.checks)
    return (
        f"<h1>{escape(result.assignment)}: {escape(result.student)}</h1>"
        f"<p class='score'>Score: <b>{score}</b> points</p>\n{checks}"
    )


def feedback_page(result: SubmissionResult) -> str:
    """A whole HTML page for one student."""
    title = escape(f"{result.assignment}: {result.student}")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body>{feedback_body(result)}</body></html>\n"
    )


def write_feedback(result: SubmissionResult, folder: str | Path) -> Path:
    """Write ``<folder>/<student>.html``; returns its path.

    >>> write_feedback(SubmissionResult("ann", "week04", "ann.ipynb"), "feedback/")  # doctest: +SKIP
    PosixPath('feedback/ann.html')
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", result.student).strip(".") or "student"
    path = folder / f"{safe}.html"
    path.write_text(feedback_page(result), encoding="utf-8")
    return path

"""``labkit release``, ``labkit check`` and ``labkit grade``.

>>> from labkit.cli import main
>>> main(["grade", "week04.ipynb", "subs/ann.ipynb", "--out", "book.csv"])   # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def _release(args: argparse.Namespace) -> int:
    from labkit.grading import load_assignment, release

    target = release(args.assignment, args.out)
    released = load_assignment(target)
    original = load_assignment(args.assignment)
    hidden = len(original.checks) - len(released.checks)
    print(
        f"wrote {target}: {len(released.solution_ids)} answer cells to write, "
        f"{len(released.checks)} checks ({hidden} hidden checks left out)"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from labkit.grading import check

    result = check(args.notebook, timeout=args.timeout)
    print(result)
    return 0 if not result.failed else 1


def _grade(args: argparse.Namespace) -> int:
    from labkit.grading import grade

    summary = grade(
        args.assignment,
        args.submissions,
        args.out,
        feedback=args.feedback,
        jobs=args.jobs,
        timeout=args.timeout,
        force=args.force,
        scheduler=args.scheduler,
        progress=True,
    )
    print(summary)
    print(f"gradebook: {args.out}" + (f"; feedback pages in {args.feedback}" if args.feedback else ""))
    return 0


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _jobs(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``labkit release``, ``labkit check`` and ``labkit grade``."""
    release = subparsers.add_parser(
        "release",
        help="write the student version of an assignment",
        description="Write the student version of an instructor's notebook: solution cells become "
        "a stub, hidden checks are left out, cell ids are kept.",
    )
    release.add_argument("assignment", type=Path, help="the instructor's notebook")
    release.add_argument("--out", type=Path, required=True, help="folder for the student version")
    release.set_defaults(func=_release)

    check = subparsers.add_parser(
        "check",
        help="a student's self-check: the visible checks, a score, what failed",
        description="Run your saved notebook with its visible checks and say what passes. "
        "Exits 0 when every check passes, 1 otherwise.",
    )
    check.add_argument("notebook", type=Path, help="your saved notebook")
    check.add_argument("--timeout", type=_positive, default=30.0, help="seconds per cell (default 30)")
    check.set_defaults(func=_check)

    grade = subparsers.add_parser(
        "grade",
        help="grade a class into a gradebook CSV",
        description="Grade submissions with the instructor's checks (hidden ones too), each in its own "
        "kernel and working folder. Student code runs as your user: see the README on containers.",
    )
    grade.add_argument("assignment", type=Path, help="the instructor's notebook")
    grade.add_argument("submissions", type=Path, nargs="+", help="the students' notebooks")
    grade.add_argument("--out", type=Path, required=True, help="gradebook CSV, appended as results arrive")
    grade.add_argument("--feedback", type=Path, help="folder for one HTML feedback page per student")
    grade.add_argument("--jobs", type=_jobs, default=1, help="submissions graded at once (default 1)")
    grade.add_argument("--timeout", type=_positive, default=30.0, help="seconds per cell (default 30)")
    grade.add_argument("--force", action="store_true", help="grade again students already in the gradebook")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed scheduler")
    grade.set_defaults(func=_grade)

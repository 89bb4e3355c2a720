"""Grading a whole class: tasks to a pool (or a Dask cluster), rows to the gradebook as they come.

Each submission is one task (``grade_submission``: paths in, results out). By
default the tasks run in a local pool of ``jobs`` worker processes that each
grade one submission at a time; ``scheduler="tcp://HOST:PORT"`` sends the same
tasks to a Dask distributed cluster instead (the workers must see the same
paths). Every result is appended to the gradebook the moment it arrives, with
its feedback page; a re-run skips the students already in the gradebook unless
``force`` is given.

>>> from labkit.grading import grade
>>> summary = grade("week04.ipynb", ["class/alice.ipynb"], "gradebook.csv", jobs=2)  # doctest: +SKIP
>>> print(summary)   # doctest: +SKIP
week04: 1 students, mean 8.00/10, median 8
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from labkit.errors import GradingError, SubmissionError
from labkit.grading.feedback import write_feedback
from labkit.grading.gradebook import Gradebook, Summary, summarize
from labkit.grading.notebook import Assignment, load_assignment, student_name
from labkit.grading.results import SubmissionResult
from labkit.grading.runner import grade_submission
from labkit.grading.scoring import unusable

__all__ = ["grade"]

# A submission whose worker process died is tried once more in a fresh pool:
# the other submissions in flight at that moment were not at fault.
ATTEMPTS = 2


@dataclass(frozen=True)
class _Task:
    assignment: str
    submission: str
    student: str
    timeout: float
    board: str
    exclude: tuple[str, ...]

    def run(self, in_process: bool) -> SubmissionResult:
        return grade_submission(
            self.assignment,
            self.submission,
            timeout=self.timeout,
            student=self.student,
            board=self.board,
            exclude=self.exclude,
            in_process=in_process,
        )


def _warm_worker() -> None:
    # Pay for the heavy imports once per worker, not once per submission.
    import nbval.plugin  # noqa: F401
    import pytest  # noqa: F401


def _run_in_worker(task: _Task) -> SubmissionResult:
    return task.run(in_process=True)


def _crashed(assignment: Assignment, task: _Task, why: str) -> SubmissionResult:
    message = f"the grader failed on this notebook ({why}); ask your instructor"
    return SubmissionResult(task.student, assignment.name, task.submission, unusable(assignment, task.student, "error", message))


def _retrying(running: dict[Future[SubmissionResult], tuple[_Task, int]]) -> bool:
    return any(attempt > 1 for _, attempt in running.values())


def _local(assignment: Assignment, tasks: list[_Task], jobs: int) -> Iterator[SubmissionResult]:
    queue = [(task, 1) for task in reversed(tasks)]
    while queue:
        with ProcessPoolExecutor(min(jobs, len(queue)), mp_context=get_context("spawn"), initializer=_warm_worker) as pool:
            running: dict[Future[SubmissionResult], tuple[_Task, int]] = {}
            broken = False
            while (queue or running) and not broken:
                while queue and len(running) < jobs and not _retrying(running):
                    if queue[-1][1] > 1 and running:
                        break  # a retry runs alone, so that it cannot take an innocent one down again
                    task, attempt = queue.pop()
                    running[pool.submit(_run_in_worker, task)] = (task, attempt)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task, attempt = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if attempt < ATTEMPTS:
                            queue.append((task, attempt + 1))
                            continue
                        result = _crashed(assignment, task, "its grading process died")
                    except Exception as exc:
                        result = _crashed(assignment, task, f"{type(exc).__name__}: {exc}")
                    yield result
            # Tasks still in flight in a broken pool get another attempt too.
            for task, attempt in running.values():
                if attempt < ATTEMPTS:
                    queue.append((task, attempt + 1))
                else:
                    yield _crashed(assignment, task, "its grading process died")


def _cluster(assignment: Assignment, tasks: list[_Task], scheduler: str) -> Iterator[SubmissionResult]:
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(_Task.run, task, False, pure=False): task for task in tasks}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:
                result = _crashed(assignment, futures[future], f"{type(exc).__name__}: {exc}")
            yield result


def _progress(total: int, enabled: bool) -> tqdm:
    return tqdm(total=total, unit="notebook", desc="grading", file=sys.stderr, disable=not enabled)


def grade(
    assignment: str | Path,
    submissions: Sequence[str | Path],
    out: str | Path,
    *,
    feedback: str | Path | None = None,
    jobs: int = 1,
    timeout: float = 30.0,
    force: bool = False,
    scheduler: str | None = None,
    progress: bool = False,
    board: str = "sim",
) -> Summary:
    """Grade every submission into the gradebook ``out``; returns the class summary.

    ``timeout`` is per cell in seconds; ``jobs`` submissions are graded at
    once; ``feedback`` is a folder for one HTML page per student; ``force``
    grades again the students already in the gradebook (feedback pages are
    written for the students graded in this run only). The pool's workers are
    spawned processes, so a script calling ``grade`` does it under
    ``if __name__ == "__main__":`` (the ``labkit`` command and notebooks need nothing).

    >>> grade("week04.ipynb", ["subs/ann.ipynb", "subs/bob.ipynb"], "book.csv", jobs=2).students  # doctest: +SKIP
    2
    """
    if jobs < 1 or timeout <= 0:
        raise GradingError(f"jobs must be at least 1 and timeout more than 0 seconds, not jobs={jobs}, timeout={timeout}")
    loaded = load_assignment(assignment)
    paths = [Path(s) for s in submissions]
    names: dict[str, Path] = {}
    for path in paths:
        if not path.exists():
            raise SubmissionError(f"{path}: no such file")
        name = student_name(path, loaded.path)
        if name in names:
            raise SubmissionError(f"{names[name]} and {path} are both for student {name!r}; grade them separately")
        names[name] = path
    book = Gradebook(out)
    done = set() if force else book.graded(loaded.name, len(loaded.checks))
    # Whoever is graded now starts clean: forced, or cut short by a killed grader.
    book.forget(loaded.name, set(names) - done)
    home = loaded.path.resolve().parent
    outputs = [Path(out).resolve()] + ([Path(feedback).resolve()] if feedback else [])
    exclude = tuple(str(p) for p in {*(q.resolve().parent for q in paths), *outputs} if p != home and p.is_relative_to(home))
    tasks = [
        _Task(str(loaded.path), str(path), name, timeout, board, exclude)
        for name, path in names.items()
        if name not in done
    ]
    results = _cluster(loaded, tasks, scheduler) if scheduler else _local(loaded, tasks, jobs)
    with _progress(len(tasks), progress) as bar:
        for result in results:
            book.append(result)
            if feedback is not None:
                write_feedback(result, feedback)
            bar.update()
    return summarize(book.rows(), loaded.name)

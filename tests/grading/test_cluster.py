"""The same grading tasks on a Dask distributed cluster (``--scheduler tcp://HOST:PORT``)."""

from __future__ import annotations

import csv
from pathlib import Path

import distributed

from labkit.grading import grade
from tests.grading.notebooks import answer


def test_a_class_graded_on_a_dask_cluster(week04: Path, tmp_path: Path) -> None:
    subs = [
        answer(week04, tmp_path / "ann.ipynb"),
        answer(week04, tmp_path / "bob.ipynb", {1: "def area(w, h):\n    return w * h + 1"}),
        answer(week04, tmp_path / "fay.ipynb", {2: "import os\nos._exit(1)"}),
    ]
    book = tmp_path / "gradebook.csv"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        summary = grade(week04, subs, book, scheduler=cluster.scheduler_address, timeout=10, feedback=tmp_path / "fb")
    with open(book, newline="") as f:
        rows = list(csv.DictReader(f))
    points = {s: sum(float(r["points"]) for r in rows if r["student"] == s) for s in ("ann", "bob", "fay")}
    assert points == {"ann": 7, "bob": 4, "fay": 3}
    assert summary.students == 3
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == ["ann.html", "bob.html", "fay.html"]

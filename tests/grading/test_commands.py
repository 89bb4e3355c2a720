"""``labkit release``, ``labkit check`` and ``labkit grade`` as a user runs them, and the self-check API."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbclient
import nbformat
import pytest

from labkit.errors import GradingError
from labkit.grading import find_notebook
from tests.grading.conftest import AREA, SHOUT
from tests.grading.notebooks import answer, write_text


def labkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def released(week04: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release")
    result = labkit("release", str(week04), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "2 answer cells to write, 5 checks (1 hidden checks left out)" in result.stdout
    assert (out / "data.txt").read_text() == "hello\n"
    return out / "week04.ipynb"


def test_the_released_notebook_fails_its_checks_with_write_your_code_here(released: Path) -> None:
    result = labkit("check", str(released))
    assert result.returncode == 1
    assert "week04: 2/6 points" in result.stdout
    assert "your answer cell 1 raised NotImplementedError: write your code here" in result.stdout
    assert "hint: width times height" in result.stdout
    assert "hidden" not in result.stdout


def test_a_student_checks_their_work(released: Path, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("hello\n")
    done = answer(released, tmp_path / "week04.ipynb", {1: AREA, 2: SHOUT})
    result = labkit("check", str(done))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "week04: 6/6 points" in result.stdout


def test_saving_wrong_outputs_does_not_fool_the_self_check(released: Path, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("hello\n")
    wrong = answer(released, tmp_path / "week04.ipynb", {1: "def area(w, h):\n    return w + h", 2: SHOUT})
    notebook = nbformat.read(str(wrong), as_version=4)
    for cell in notebook.cells:
        if "check" in cell.metadata.get("tags", []):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="7\n")]
    nbformat.write(notebook, str(wrong))
    result = labkit("check", str(wrong))
    assert result.returncode == 1
    assert "the output differs: expected '12' but got '7'" in result.stdout


def test_check_from_inside_the_notebook(released: Path, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("hello\n")
    done = answer(released, tmp_path / "week04.ipynb", {1: AREA, 2: SHOUT})
    caller = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import labkit.grading\nresult = labkit.grading.check()\nprint(result.score, result.max_points)"),
    ])
    nbclient.NotebookClient(caller, timeout=120, resources={"metadata": {"path": str(done.parent)}}).execute()
    assert caller.cells[0].outputs[0]["text"] == "6.0 6.0\n"


def test_find_notebook_follows_jupyter_then_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(GradingError, match="0 notebooks"):
        find_notebook()
    only = write_text(tmp_path / "mine.ipynb", "{}")
    assert find_notebook() == Path("mine.ipynb").absolute() or find_notebook().name == only.name
    other = write_text(tmp_path / "sub" / "theirs.ipynb", "{}")
    write_text(tmp_path / "second.ipynb", "{}")
    with pytest.raises(GradingError, match="name it"):
        find_notebook()
    monkeypatch.setenv("JPY_SESSION_NAME", str(other))
    assert find_notebook() == other


def test_mistakes_are_one_line_errors(week04: Path, tmp_path: Path) -> None:
    broken = write_text(tmp_path / "broken.ipynb", "{oops")
    for args in (
        ("check", str(broken)),
        ("grade", str(tmp_path / "nope.ipynb"), str(broken), "--out", str(tmp_path / "b.csv")),
        ("grade", str(week04), str(tmp_path / "absent.ipynb"), "--out", str(tmp_path / "b.csv")),
        ("release", str(broken), "--out", str(tmp_path)),
    ):
        result = labkit(*args)
        assert result.returncode == 1, args
        assert result.stderr.startswith("labkit: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert labkit("grade", str(week04), str(broken), "--out", "b.csv", "--jobs", "0").returncode == 2


def _rows(book: Path) -> list[dict[str, str]]:
    with open(book, newline="") as f:
        return list(csv.DictReader(f))


def test_a_killed_grader_loses_nothing_and_resumes(week04: Path, tmp_path: Path) -> None:
    slow = "import time\ntime.sleep(0.5)\n" + AREA
    subs = [answer(week04, tmp_path / f"s{n}.ipynb", {1: slow}) for n in range(4)]
    book = tmp_path / "gradebook.csv"
    command = [sys.executable, "-m", "labkit", "grade", str(week04), *map(str, subs), "--out", str(book)]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (book.is_file() and len(_rows(book)) >= 6):
            time.sleep(0.1)
    finally:
        os.killpg(grader.pid, signal.SIGKILL)
        grader.wait()
    first = _rows(book)
    assert 6 <= len(first) < 24 and len(first) % 6 == 0
    result = labkit(*command[3:])
    assert result.returncode == 0, result.stderr
    assert "4 students" in result.stdout and "mean 7.00/7" in result.stdout
    assert "grading" in result.stderr and "100%" in result.stderr
    rows = _rows(book)
    assert rows[: len(first)] == first
    assert sorted((r["student"], r["check"]) for r in rows) == sorted({(r["student"], r["check"]) for r in rows})
    assert len(rows) == 24

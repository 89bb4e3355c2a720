"""The assignment most grading tests share, built once (an instructor runs and saves it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.grading.notebooks import code, make_assignment

AREA = "def area(w, h):\n    return w * h"
SHOUT = 'def shout(word):\n    return word.upper() + "!"'


@pytest.fixture(scope="session")
def week04(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``week04.ipynb`` beside its data file: 2 answer cells, 6 checks (one hidden), 7 points."""
    folder = tmp_path_factory.mktemp("course")
    (folder / "data.txt").write_text("hello\n")
    return make_assignment(
        folder,
        "week04",
        [
            code('import os\nDATA = open("data.txt").read().strip()'),
            code(AREA, "solution"),
            code("print(area(3, 4))", "check", points=2, hint="width times height", name="area"),
            code("print(area(0.1, 3))", "check", name="area of a strip"),
            code(SHOUT, "solution"),
            code("print(shout(DATA))", "check", name="shout"),
            code('print(shout("ok"))', "check", "hidden", name="hidden shout"),
            code('print(os.environ["LABKIT_BOARD"], open("data.txt").read().strip())', "check", name="folder"),
            code('import random\nprint(f"took {random.randint(1, 10**9)} ms")', "check", name="timing"),
        ],
        sanitize=[{"regex": r"took \d+ ms", "replace": "took N ms"}],
    )

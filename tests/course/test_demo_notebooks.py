"""Every demo notebook in notebooks/ runs top to bottom under ``pytest --nbval-lax`` on the virtual board.

Each runs on a copy in a temporary folder, so the files a notebook writes (a
CSV, a picture) stay out of the project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMOS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_required_demos_exist() -> None:
    names = {path.stem for path in DEMOS}
    assert {"quickstart", "live_dashboard", "slice_preview", "data_logging"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("notebook", DEMOS, ids=lambda p: p.stem)
def test_demo_runs_under_nbval_lax(notebook: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copy(notebook, tmp_path))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--nbval-lax", str(copy), "-q",
            "-p", "no:cacheprovider", "--nbval-cell-timeout=120",
            "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"),
        ],
        cwd=tmp_path,
        env={**os.environ, "LABKIT_BOARD": "sim"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{notebook.name} failed under nbval-lax:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"

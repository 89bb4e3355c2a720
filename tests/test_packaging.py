"""A wheel install works without the checkout: it carries the hardware profiles."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_install_finds_its_profiles(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("labkit-*.whl"))
    venv.create(tmp_path / "env", with_pip=False)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        # --ignore-installed: install into the prefix without uninstalling the labkit under test.
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-warn-script-location",
         "--ignore-installed", "--prefix", str(tmp_path / "env"), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    probe = (
        "import labkit.profiles as p; k = p.load_kit('starter'); "
        "print(p.profiles_dir()); print(p.load_board(k.board).pin('A0'))"
    )
    result = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    folder, a0 = result.stdout.split()
    assert Path(folder).is_relative_to(tmp_path / "env") and a0 == "14"

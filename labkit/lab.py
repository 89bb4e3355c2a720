"""``labkit lab``: open JupyterLab on the course, wired to a board.

>>> from labkit.lab import lab_environment
>>> lab_environment("sim")["LABKIT_BOARD"]
'sim'
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["lab_environment", "open_lab", "register"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def lab_environment(board: str) -> dict[str, str]:
    """The environment JupyterLab runs in: ``LABKIT_BOARD`` names the board."""
    env = dict(os.environ)
    env["LABKIT_BOARD"] = board
    return env


def open_lab(board: str = "sim", folder: Path | None = None, extra: list[str] | None = None) -> int:
    """Start JupyterLab on ``folder`` (the project's root: curriculum/ and notebooks/)."""
    folder = folder or PROJECT_ROOT
    start = "curriculum/00_lab_notebook.ipynb"
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder}"]
    if (folder / start).is_file():
        command.append(start)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Lab machines and containers often run as root; Jupyter refuses that unless told.
        command.append("--allow-root")
    command += extra or []
    return subprocess.call(command, env=lab_environment(board))


def _run(args: argparse.Namespace) -> int:
    return open_lab(args.board, Path(args.folder) if args.folder else None, args.jupyter_args)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``labkit lab``."""
    parser = subparsers.add_parser(
        "lab",
        help="open JupyterLab on the course (virtual board by default)",
        description="Open JupyterLab on the curriculum and demo notebooks. "
        "Notebooks call Board.connect(), which follows LABKIT_BOARD: "
        "'sim' for the virtual board, or a serial port such as /dev/ttyACM0.",
    )
    parser.add_argument("--board", default="sim", help="'sim' (default) or a serial port path")
    parser.add_argument("--folder", help="folder to open (default: the labkit project)")
    parser.add_argument("jupyter_args", nargs="*", help="extra arguments for jupyter lab")
    parser.set_defaults(func=_run)

"""``labkit lab``: open JupyterLab on the course, wired to a board.

Students get their own workspace (``~/labkit-course`` unless ``--workspace``
or ``LABKIT_WORKSPACE`` says otherwise): the *released* weekly notebooks (no
solutions, no hidden checks) and the demo notebooks, copied there the first
time and never overwritten afterwards, so their work survives a restart or an
update of labkit. Instructors open the checkout itself with ``--instructor``.

>>> from labkit.lab import lab_environment
>>> lab_environment("sim")["LABKIT_BOARD"]
'sim'
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["default_workspace", "lab_environment", "open_lab", "prepare_workspace", "register"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CURRICULUM = PROJECT_ROOT / "curriculum"
DEMOS = PROJECT_ROOT / "notebooks"
FIRST_NOTEBOOK = "00_lab_notebook.ipynb"


def lab_environment(board: str) -> dict[str, str]:
    """The environment JupyterLab runs in: ``LABKIT_BOARD`` names the board."""
    env = dict(os.environ)
    env["LABKIT_BOARD"] = board
    return env


def default_workspace() -> Path:
    """Where a student's copy of the course lives: ``LABKIT_WORKSPACE`` or ``~/labkit-course``."""
    return Path(os.environ.get("LABKIT_WORKSPACE") or Path.home() / "labkit-course")


def prepare_workspace(workspace: Path, curriculum: Path = CURRICULUM, demos: Path = DEMOS) -> list[Path]:
    """Put the student version of every week, and the demos, into ``workspace``.

    Only what is missing is written: a notebook the student already has is
    left exactly as it is. Returns the notebooks written this time.

    >>> import tempfile
    >>> written = prepare_workspace(Path(tempfile.mkdtemp()))
    >>> [p.name for p in written][:2]
    ['00_lab_notebook.ipynb', '01_cutting.ipynb']
    >>> prepare_workspace(written[0].parent)
    []
    """
    from labkit.grading import release

    workspace.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for assignment in sorted(curriculum.glob("[0-9]*.ipynb")):
        if (workspace / assignment.name).exists():
            continue
        # Release into a scratch folder first, so that files shipped beside an
        # assignment never overwrite a student's own files of the same name.
        with tempfile.TemporaryDirectory() as scratch:
            release(assignment, scratch)
            for item in sorted(Path(scratch).iterdir()):
                target = workspace / item.name
                if not target.exists():
                    shutil.move(str(item), target)
        written.append(workspace / assignment.name)
    (workspace / "demos").mkdir(exist_ok=True)
    for demo in sorted(demos.glob("*.ipynb")):
        target = workspace / "demos" / demo.name
        if not target.exists():
            shutil.copyfile(demo, target)
            written.append(target)
    return written


def open_lab(
    board: str = "sim",
    folder: Path | None = None,
    extra: list[str] | None = None,
) -> int:
    """Start JupyterLab on ``folder`` (opening the first week's notebook if it is there)."""
    folder = folder or default_workspace()
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder}"]
    for start in (FIRST_NOTEBOOK, f"curriculum/{FIRST_NOTEBOOK}"):
        if (folder / start).is_file():
            command.append(start)
            break
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Lab machines and containers often run as root; Jupyter refuses that unless told.
        command.append("--allow-root")
    command += extra or []
    # Jupyter resolves the notebook to open against its working folder.
    return subprocess.call(command, env=lab_environment(board), cwd=folder)


def _run(args: argparse.Namespace) -> int:
    if args.instructor:
        folder = PROJECT_ROOT
    else:
        folder = Path(args.workspace) if args.workspace else default_workspace()
        written = prepare_workspace(folder)
        if written:
            print(f"labkit: put {len(written)} notebooks into {folder}", file=sys.stderr)
    return open_lab(args.board, folder, args.jupyter_args)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``labkit lab``."""
    parser = subparsers.add_parser(
        "lab",
        help="open JupyterLab on the course (virtual board by default)",
        description="Open JupyterLab on the course. Students work in their own folder "
        "(default ~/labkit-course, or LABKIT_WORKSPACE) holding the student versions of "
        "the weekly notebooks and the demos, copied once and never overwritten. "
        "Notebooks call Board.connect(), which follows LABKIT_BOARD: "
        "'sim' for the virtual board, or a serial port such as /dev/ttyACM0.",
    )
    parser.add_argument("--board", default="sim", help="'sim' (default) or a serial port path")
    parser.add_argument("--workspace", help="the student's folder (default: ~/labkit-course)")
    parser.add_argument(
        "--instructor",
        action="store_true",
        help="open the checkout itself: the instructor notebooks with their solutions",
    )
    parser.add_argument("jupyter_args", nargs="*", help="extra arguments for jupyter lab (after --)")
    parser.set_defaults(func=_run)

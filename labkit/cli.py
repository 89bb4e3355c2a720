"""The ``labkit`` command: one entry point, a subcommand per job.

Each part of labkit registers its own subcommands (``register(subparsers)``
in its ``cli`` module), so this file only wires them together and turns a
user's mistake into one clear line instead of a traceback.

>>> from labkit.cli import main
>>> main(["--version"])  # doctest: +SKIP
labkit 0.1.0
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from labkit import __version__
from labkit.errors import LabkitError

__all__ = ["build_parser", "main", "run"]

# Modules that add subcommands; each defines register(subparsers).
COMMAND_MODULES = (
    "labkit.lab",
    "labkit.sim.cli",
    "labkit.hardware.cli",
    "labkit.grading.cli",
    "labkit.geometry.cli",
    "labkit.sim.avr.cli",
)

DESCRIPTION = """\
labkit: a toolkit for the maker-space classroom.

Drive an Arduino (or a virtual one) over Firmata, slice 3D models, and grade
notebook assignments. Run `labkit COMMAND --help` for the details of a command.
"""

EPILOG = """\
examples:
  labkit lab                          open the course in JupyterLab on the virtual board
  labkit sim                          run a virtual Arduino Uno and print its port
  labkit boards                       list serial ports and the Firmata boards on them
  labkit slice part.stl --png p.png   slice a model and draw its layers
  labkit grade week04.ipynb subs/*.ipynb --out gradebook.csv
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="labkit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"labkit {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``labkit`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LabkitError as exc:
        print(f"labkit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("labkit: interrupted", file=sys.stderr)
        return 130



def run() -> None:
    """The ``labkit`` program: :func:`main` on ``sys.argv``, then exit with its status."""
    status = main()
    # The interpreter's last garbage collection would walk every object Numba and the
    # other libraries made (a third of a second after `labkit slice`); the memory goes
    # back with the process anyway.
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()

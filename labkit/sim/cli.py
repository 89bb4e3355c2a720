"""``labkit sim``: run a virtual board until Ctrl-C and print its port.

>>> import argparse
>>> from labkit.sim.cli import register
>>> parser = argparse.ArgumentParser(prog="labkit")
>>> register(parser.add_subparsers())
>>> parser.parse_args(["sim", "--seed", "3"]).seed
3
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

__all__ = ["register", "run_sim"]


def run_sim(args: argparse.Namespace) -> int:
    """Start the board, print its port (and link), wait for Ctrl-C or SIGTERM, close it."""
    from labkit.sim import VirtualBoard

    board = VirtualBoard(
        profile=args.profile,
        kit=None if args.kit.lower() == "none" else args.kit,
        seed=args.seed,
        firmware=args.firmware,
        link=args.link,
        pace=not args.no_pace,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(board.port, flush=True)
        if args.link:
            print(f"linked at {args.link}", file=sys.stderr)
        print(
            f"virtual {board.profile.title} with the {args.kit} kit (seed {args.seed}); "
            "open the port above with any Firmata client. Ctrl-C stops it.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        board.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``labkit sim``."""
    parser = subparsers.add_parser(
        "sim",
        help="run a virtual Arduino on a pseudo-terminal until Ctrl-C; prints its port",
        description="Run a virtual board (StandardFirmata 2.5 on a pseudo-terminal) with a kit's "
        "parts simulated, until Ctrl-C. The first line printed is the port to open, e.g. "
        "with Board.connect(PORT) or pyfirmata2.Arduino(PORT).",
    )
    parser.add_argument("--profile", default="uno", help="board profile (default: uno)")
    parser.add_argument("--kit", default="starter", help="kit profile (default: starter; 'none': a bare board)")
    parser.add_argument("--link", help="also make a symlink to the port at this path")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise and bounce (default: 0)")
    parser.add_argument(
        "--firmware",
        help="run genuine firmware on a simulated AVR (e.g. StandardFirmata) instead of the emulation",
    )
    parser.add_argument(
        "--no-pace", action="store_true", help="send as fast as possible instead of at the baud rate"
    )
    parser.set_defaults(func=run_sim)

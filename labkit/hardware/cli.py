"""``labkit boards``: the serial ports there are, and which answer as Firmata boards.

>>> from labkit.cli import main
>>> main(["boards", "--no-probe"])  # doctest: +SKIP
PORT          USB ID     DESCRIPTION
/dev/ttyACM0  2341:0043  Arduino Uno
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _boards(args: argparse.Namespace) -> int:
    from labkit.hardware.ports import list_ports, probe_all, usb_ids

    listed = list_ports()
    known = usb_ids()
    rows = [
        (p.device, p.usb_id or "-", p.description + (" (a board's USB id)" if p.usb_id in known else ""))
        for p in listed
    ]
    rows += [(path, "-", "given with --port") for path in args.port if path not in {p.device for p in listed}]
    if not rows:
        print("no serial ports here; plug a board in, or run the virtual one: labkit sim")
        return 0
    header = ("PORT", "USB ID", "DESCRIPTION")
    if args.no_probe:
        _table([header, *rows])
        return 0
    results = probe_all([row[0] for row in rows], args.timeout)
    found = [str(r.firmware) if r.firmware else f"- ({r.problem})" for r in results]
    _table([(*header, "FIRMATA"), *((*row, answer) for row, answer in zip(rows, found, strict=True))])
    boards = sum(r.firmware is not None for r in results)
    print(f"\n{boards} Firmata board{'s' if boards != 1 else ''} found; connect with Board.connect(PORT)")
    return 0


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``labkit boards``."""
    parser = subparsers.add_parser(
        "boards",
        help="list serial ports and the Firmata boards on them",
        description="List the serial ports (pyserial) and ask each whether it is a Firmata "
        "board: its firmware's name and version. Opening an Uno's port resets it, so a real "
        "board needs about 2 s to answer.",
    )
    parser.add_argument(
        "--port", action="append", default=[], metavar="PATH",
        help="also probe this path (a virtual board's pty or its --link); repeatable",
    )
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each answer (default 3)")
    parser.add_argument("--no-probe", action="store_true", help="only list the ports; open none")
    parser.set_defaults(func=_boards)

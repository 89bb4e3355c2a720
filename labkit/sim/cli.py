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
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.sim import VirtualBoard

__all__ = ["CONTROL_HELP", "control", "register", "run_sim"]

CONTROL_HELP = """\
commands (one a line):
  light=0.8  temperature_c=25  knob=0.5  motion=1  bounce_ms=5  jitter_lsb=1   set the world
  press [BUTTON]   release [BUTTON]                                            press a button
  pin PIN          what a pin does (13, D13, A0)
  trace [N]        the last N pin changes (default 10): t_s pin value
  help             this text;  quit  stop the board"""

_QUANTITIES = ("light", "temperature_c", "knob", "motion", "bounce_ms", "jitter_lsb")


def control(board: VirtualBoard, line: str) -> str | None:
    """Carry out one command typed at ``labkit sim``; returns the reply (None: quit).

    >>> from labkit.sim import VirtualBoard
    >>> with VirtualBoard(noise_lsb=0) as vb:
    ...     print(control(vb, "knob=0.25"))
    ...     print(control(vb, "pin A2"))
    knob = 0.25
    A2: analog, level 0, duty 0, reads 256 (1.250 V)
    """
    from labkit.errors import LabkitError

    words = line.replace("=", " = ").split()
    if not words:
        return ""
    command = words[0].lower()
    try:
        if command in ("quit", "exit"):
            return None
        if command == "help":
            return CONTROL_HELP
        if len(words) == 3 and words[1] == "=" and command in _QUANTITIES:
            value: float | bool = words[2].lower() in ("1", "true", "yes", "on") if command == "motion" else float(words[2])
            setattr(board.world, command, value)
            return f"{command} = {getattr(board.world, command)}"
        if command in ("press", "release") and len(words) <= 2:
            name = words[1] if len(words) == 2 else "button"
            getattr(board.world, command)(name)
            return f"{name} {'pressed' if command == 'press' else 'released'}"
        if command == "pin" and len(words) == 2:
            return _describe_pin(board, words[1])
        if command == "trace" and len(words) <= 2:
            rows = board.trace()[-int(words[1] if len(words) == 2 else 10) :]
            return "\n".join(f"{t:.4f} {board.profile.label(int(p))} {v:g}" for t, p, v in rows) or "no changes yet"
    except (LabkitError, ValueError) as exc:
        return f"error: {exc}"
    return f"error: not a command: {line.strip()!r} (type help)"


def _describe_pin(board: VirtualBoard, spec: str) -> str:
    number = board.profile.pin(spec.upper() if spec[:1].isalpha() else int(spec))
    state = board.pin(number)
    text = f"{board.profile.label(number)}: {state.mode}, level {state.level}, duty {state.duty:.3g}"
    if state.mode == "analog":
        volts = board.world.analog_voltage(number)
        code = min(int(volts * (board.profile.adc_max + 1) / board.profile.vref), board.profile.adc_max)
        text += f", reads {code} ({volts:.3f} V)"
    if state.servo_angle is not None:
        text += f", servo at {state.servo_angle:.1f} deg"
    return text


def run_sim(args: argparse.Namespace) -> int:
    """Start the board, print its port (and link), serve until Ctrl-C, SIGTERM or ``quit``."""
    from labkit.sim import VirtualBoard

    board = VirtualBoard(
        profile=args.profile,
        kit=None if args.kit.lower() == "none" else args.kit,
        seed=args.seed,
        firmware=args.firmware,
        link=args.link,
        pace=not args.no_pace,
    )

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    interactive = args.control or (args.control is None and sys.stdin.isatty())
    try:
        print(board.port, flush=True)
        if args.link:
            print(f"linked at {args.link}", file=sys.stderr)
        print(
            f"virtual {board.profile.title} with the {args.kit} kit (seed {args.seed}); "
            "open the port above with any Firmata client. Ctrl-C stops it."
            + (" Type help for the commands that set its world." if interactive else ""),
            file=sys.stderr,
            flush=True,
        )
        if interactive:
            for line in sys.stdin:
                reply = control(board, line)
                if reply is None:
                    break
                if reply:
                    print(reply, flush=True)
        else:
            while True:
                time.sleep(0.5)
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
        description="Run a virtual board (StandardFirmata 2.5 on a pseudo-terminal) with a kit's\n"
        "parts simulated, until Ctrl-C. The first line printed is the port to open, e.g.\n"
        "with Board.connect(PORT) or pyfirmata2.Arduino(PORT). At a terminal it also reads\n"
        "commands that set the simulated world.\n\n" + CONTROL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.add_argument(
        "--control",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read commands that set the world from stdin (default: when stdin is a terminal)",
    )
    parser.set_defaults(func=run_sim)

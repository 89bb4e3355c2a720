"""``labkit sketch build|run``: students' Arduino sketches, compiled and run on a simulated Uno.

>>> import argparse
>>> from labkit.sim.avr.cli import register
>>> parser = argparse.ArgumentParser(prog="labkit")
>>> register(parser.add_subparsers())
>>> parser.parse_args(["sketch", "run", "blink.ino", "--adc", "A0=2.5"]).adc
[('A0', '2.5')]
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]

EXAMPLES = """\
examples:
  labkit sketch build blink.ino
  labkit sketch run blink.ino --seconds 2 --trace blink.csv
  labkit sketch run light.ino --adc A0=2.5 --pin 2=0
"""


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected PIN=VALUE (like A0=2.5 or 2=1), not {text!r}")
    return name, value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``labkit sketch build`` and ``labkit sketch run``."""
    parser = subparsers.add_parser(
        "sketch",
        help="compile and run an Arduino sketch on a simulated board",
        description="Compile an Arduino sketch (.ino) and run it on a simulated ATmega328P (simavr).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    build = verbs.add_parser("build", help="compile a sketch; errors as the compiler prints them")
    build.add_argument("sketch", metavar="SKETCH.ino")
    build.add_argument("--board", default="uno", help="board profile (default: uno)")
    build.set_defaults(func=_build)
    run = verbs.add_parser("run", help="run a sketch for some simulated seconds; Serial to stdout")
    run.add_argument("sketch", metavar="SKETCH.ino", help="a sketch, or a .hex file")
    run.add_argument("--board", default="uno", help="board profile (default: uno)")
    run.add_argument("--seconds", type=_float, default=1.0, help="simulated seconds to run (default: 1)")
    run.add_argument("--adc", type=_assignment, action="append", default=[], metavar="A0=VOLTS",
                     help="a voltage on an analog pin (repeatable)")
    run.add_argument("--pin", type=_assignment, action="append", default=[], metavar="2=LEVEL",
                     help="drive a digital input to 0 or 1 (repeatable)")
    run.add_argument("--trace", metavar="FILE.csv", help="write pin changes as CSV: t_s,pin,value")
    run.set_defaults(func=_run)


def _build(args: argparse.Namespace) -> int:
    from labkit.errors import SketchBuildError
    from labkit.sketch import build

    try:
        built = build(args.sketch, args.board)
    except SketchBuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    if built.warnings:
        print(built.warnings, file=sys.stderr)
    print(f"built {built.hex} ({built.flash_bytes} bytes of flash, {built.ram_bytes} bytes of RAM)")
    return 0


def _run(args: argparse.Namespace) -> int:
    from labkit.errors import SketchBuildError, ValueRangeError
    from labkit.sketch import run

    adc = {}
    for pin, volts in args.adc:
        try:
            adc[pin] = float(volts)
        except ValueError:
            raise ValueRangeError(f"--adc {pin}={volts}: the voltage must be a number") from None
    levels = {}
    for pin, level in args.pin:
        if level not in ("0", "1"):
            raise ValueRangeError(f"--pin {pin}={level}: the level must be 0 or 1")
        levels[pin] = int(level)
    try:
        result = run(args.sketch, args.board, args.seconds, adc, levels,
                     on_serial=lambda text: print(text, end="", flush=True))
    except SketchBuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.trace:
        result.to_csv(args.trace)
    print(f"\nran {result.seconds:g} simulated s in {result.wall_s:.2f} s ({result.speed:.1f}x real time); "
          f"{len(result.trace)} pin changes" + (f" written to {args.trace}" if args.trace else ""), file=sys.stderr)
    return 0

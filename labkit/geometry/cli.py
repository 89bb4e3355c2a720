"""``labkit slice MODEL``: slice a 3D model, print a summary, write the outputs.

Heavy imports happen inside the command so ``labkit --help`` stays quick.

>>> from labkit.cli import main
>>> main(["slice", "part.stl", "--layer-height", "0.2", "--json", "part.json"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.geometry.printability import Printability
    from labkit.geometry.slicing import SliceStack
    from labkit.geometry.toolpaths import Toolpaths

__all__ = ["register", "slice_command", "summary_json"]

EPILOG = """\
examples:
  labkit slice part.stl                         summary: layers, filament, print time, warnings
  labkit slice part.stl --layer-height 0.1 --png part.png --gcode part.gcode
  labkit slice bracket.stl --units in --json bracket.json
"""


def register(subparsers: Any) -> None:
    """Add ``labkit slice`` to the top-level parser."""
    parser = subparsers.add_parser(
        "slice",
        help="slice a 3D model (STL, OBJ, PLY, 3MF): summary, preview, G-code",
        description="Slice a 3D model into layers and toolpaths; print a summary and write the outputs asked for.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="the model file (STL, OBJ, PLY or 3MF)")
    parser.add_argument("--layer-height", type=float, default=0.2, metavar="H", help="layer height in mm (default 0.2)")
    parser.add_argument("--units", choices=("mm", "cm", "m", "in"), default="mm", help="units of the file (default mm)")
    parser.add_argument("--nozzle", type=float, default=0.4, metavar="D", help="nozzle diameter in mm (default 0.4)")
    parser.add_argument("--perimeters", type=int, default=2, metavar="N", help="loops around each outline (default 2)")
    parser.add_argument("--infill", type=float, default=0.2, metavar="F", help="infill density 0-1 (default 0.2)")
    parser.add_argument("--png", type=Path, metavar="F", help="write a preview picture (layer, stack, overhangs)")
    parser.add_argument("--layer", type=int, metavar="N", help="the layer shown in --png (default: the middle one)")
    parser.add_argument("--gcode", type=Path, metavar="F", help="write Marlin G-code")
    parser.add_argument("--json", type=Path, metavar="F", help="write the per-layer summary as JSON")
    parser.set_defaults(func=slice_command)


def slice_command(args: argparse.Namespace) -> int:
    """Run ``labkit slice``; errors surface as ``LabkitError`` (one line, exit 1)."""
    # Numba's start-up (these imports, the first kernel call in read_mesh) makes objects that
    # live to the end; the garbage collector would walk them over and over (0.1 s a slice), so
    # it waits until they are frozen out of its way.
    gc.disable()
    try:
        from tqdm import tqdm

        from labkit.errors import SliceSettingsError
        from labkit.geometry import _kernels
        from labkit.geometry.mesh import read_mesh
        from labkit.geometry.slicing import SliceWarning, slice_arrays
        from labkit.geometry.toolpaths import PrintSettings, plan_toolpaths

        _kernels.skip_blas_check()
        settings = PrintSettings(nozzle=args.nozzle, perimeters=args.perimeters, infill=args.infill)
        vertices, faces = read_mesh(args.model, args.units)
    finally:
        gc.freeze()
        gc.enable()
    name = Path(args.model).name
    # Only on a terminal: a bar redrawn into a log or a pipe is noise around the one-line errors.
    quiet = not sys.stderr.isatty()
    with tqdm(total=1, delay=1.0, file=sys.stderr, desc=f"slicing {name}", unit="step", leave=False, disable=quiet) as bar:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SliceWarning)
            stack = slice_arrays(vertices, faces, args.layer_height, model=name)
        bar.total = 1 + len(stack.layers)
        bar.update()
        paths = plan_toolpaths(stack, settings=settings, progress=bar.update)
    if args.layer is not None and not 0 <= args.layer < len(stack.layers):
        raise SliceSettingsError(f"--layer {args.layer}: the part has layers 0 to {len(stack.layers) - 1}")
    report = stack.printability(nozzle=args.nozzle)
    print(summary_table(stack, paths, report))
    if args.json:
        args.json.write_text(json.dumps(summary_json(stack, paths), indent=1))
        print(f"wrote {args.json}")
    if args.gcode:
        paths.to_gcode(args.gcode)
        print(f"wrote {args.gcode}")
    if args.png:
        stack.preview(args.png, layer=args.layer, paths=paths)
        print(f"wrote {args.png}")
    return 0


def summary_json(stack: SliceStack, paths: Toolpaths) -> dict[str, Any]:
    """The ``--json`` document (DESIGN.md): per-layer ``loops`` is the number of closed loops.

    >>> summary_json(stack, paths)["layers"][0]                         # doctest: +SKIP
    {'z': 0.1, 'loops': 1, 'area_mm2': 400.0, 'perimeter_mm': 80.0}
    """
    return {
        "model": stack.model,
        "triangles": stack.triangles,
        "layer_height": stack.layer_height,
        "slice_seconds": round(stack.slice_seconds, 6),
        "filament_mm": round(paths.filament_mm, 3),
        "print_time_s": round(paths.print_time_s, 1),
        "layers": [
            {
                "z": round(layer.z, 6),
                "loops": len(layer.loops),
                "area_mm2": round(layer.area, 6),
                "perimeter_mm": round(layer.perimeter, 6),
            }
            for layer in stack.layers
        ],
    }


def summary_table(stack: SliceStack, paths: Toolpaths, report: Printability) -> str:
    """The human summary printed by ``labkit slice``."""
    loops = sum(len(layer.loops) for layer in stack.layers)
    holes = sum(int((layer.outer != range(len(layer.loops))).sum()) for layer in stack.layers)
    minutes = paths.print_time_s / 60
    problems = list(dict.fromkeys(stack.warnings + report.warnings))
    rows = [
        ("model", stack.model),
        ("triangles", f"{stack.triangles:,}"),
        ("layers", f"{len(stack.layers)} x {stack.layer_height:g} mm"),
        ("loops", f"{loops:,} ({holes:,} holes)"),
        ("filament", f"{paths.filament_mm / 1000:.2f} m"),
        ("print time", f"{int(minutes // 60)} h {minutes % 60:.0f} min (estimate)"),
        ("slicing took", f"{stack.slice_seconds:.3f} s"),
        ("warnings", problems[0] if problems else "none"),
    ]
    rows += [("", p) for p in problems[1:]]
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)

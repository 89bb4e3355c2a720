"""Slicing for 3D printing: mesh -> layers -> toolpaths -> preview and G-code.

>>> from labkit.geometry import slice_mesh, plan_toolpaths
>>> stack = slice_mesh("part.stl", layer_height=0.2)          # doctest: +SKIP
>>> layer = stack.layers[10]                                   # doctest: +SKIP
>>> layer.z, len(layer.loops), layer.area, layer.perimeter     # doctest: +SKIP
>>> paths = plan_toolpaths(stack, perimeters=2, infill=0.2, nozzle=0.4)   # doctest: +SKIP
>>> paths.filament_mm, paths.print_time_s                      # doctest: +SKIP
>>> paths.to_gcode("part.gcode")                               # doctest: +SKIP
>>> stack.preview("layers.png", paths=paths)                   # doctest: +SKIP

Names are imported on first use, so ``labkit --help`` (which loads this
package's CLI module) does not pay for Numba, trimesh or matplotlib. The
Numba kernels compile once per machine and are cached beside ``_kernels.py``
(or under ``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.geometry.mesh import UNITS, load_mesh
    from labkit.geometry.preview import draw_layer, draw_overhangs, draw_stack, preview
    from labkit.geometry.printability import Printability, check_printability
    from labkit.geometry.slicing import Layer, SliceStack, SliceWarning, slice_mesh
    from labkit.geometry.toolpaths import LayerPaths, PrintSettings, Toolpaths, plan_toolpaths

_MODULE_OF = {
    "UNITS": "mesh",
    "load_mesh": "mesh",
    "draw_layer": "preview",
    "draw_overhangs": "preview",
    "draw_stack": "preview",
    "preview": "preview",
    "Printability": "printability",
    "check_printability": "printability",
    "Layer": "slicing",
    "SliceStack": "slicing",
    "SliceWarning": "slicing",
    "slice_mesh": "slicing",
    "LayerPaths": "toolpaths",
    "PrintSettings": "toolpaths",
    "Toolpaths": "toolpaths",
    "plan_toolpaths": "toolpaths",
}

__all__ = [
    "UNITS",
    "Layer",
    "LayerPaths",
    "PrintSettings",
    "Printability",
    "SliceStack",
    "SliceWarning",
    "Toolpaths",
    "check_printability",
    "draw_layer",
    "draw_overhangs",
    "draw_stack",
    "load_mesh",
    "plan_toolpaths",
    "preview",
    "slice_mesh",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'labkit.geometry' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"labkit.geometry.{_MODULE_OF[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

"""Slicing for 3D printing: mesh -> layers -> toolpaths -> preview and G-code.

>>> from labkit.geometry import slice_mesh, plan_toolpaths
>>> stack = slice_mesh("part.stl", layer_height=0.2)          # doctest: +SKIP
>>> layer = stack.layers[10]                                   # doctest: +SKIP
>>> layer.z, len(layer.loops), layer.area, layer.perimeter     # doctest: +SKIP
>>> paths = plan_toolpaths(stack, perimeters=2, infill=0.2, nozzle=0.4)   # doctest: +SKIP
>>> paths.filament_mm, paths.print_time_s                      # doctest: +SKIP
>>> paths.to_gcode("part.gcode")                               # doctest: +SKIP
>>> stack.preview("layers.png", paths=paths)                   # doctest: +SKIP

Heavy libraries (trimesh, shapely, pyclipper, matplotlib) are imported only
by the functions that need them. The Numba kernels compile once per machine
and are cached beside ``_kernels.py`` (or under ``NUMBA_CACHE_DIR``).
"""

from labkit.geometry.mesh import UNITS, load_mesh
from labkit.geometry.preview import draw_layer, draw_overhangs, draw_stack, preview
from labkit.geometry.printability import Printability, check_printability
from labkit.geometry.slicing import Layer, SliceStack, SliceWarning, slice_mesh
from labkit.geometry.toolpaths import LayerPaths, PrintSettings, Toolpaths, plan_toolpaths

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

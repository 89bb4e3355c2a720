"""From layer outlines to what the nozzle does: perimeters, infill, travel.

Outlines are simplified first (0.02 mm, shapely, all layers in one call),
then offset inwards with pyclipper for the perimeters; the region left
inside is filled with straight lines (rectilinear infill, turning 90 degrees
every layer) clipped by pyclipper. Filament length and print time follow.

>>> from labkit.geometry import slice_mesh, plan_toolpaths
>>> paths = plan_toolpaths(slice_mesh("part.stl"), perimeters=2, infill=0.2)   # doctest: +SKIP
>>> paths.filament_mm, paths.print_time_s                                         # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np

from labkit.errors import SliceSettingsError
from labkit.geometry._clipper import SCALE, from_clipper, to_clipper
from labkit.geometry.motion import path_time, segments_time
from labkit.geometry.printability import thin_regions
from labkit.geometry.slicing import Layer, SliceStack

__all__ = ["LayerPaths", "PrintSettings", "Toolpaths", "plan_toolpaths"]

@dataclass(frozen=True)
class PrintSettings:
    """Everything the planner and the time estimate assume, in mm, mm/s, mm/s^2.

    The defaults are a common 0.4 mm PLA profile (Marlin printer).

    >>> PrintSettings(nozzle=0.6).line_width
    0.675
    """

    nozzle: float = 0.4
    perimeters: int = 2
    infill: float = 0.2
    line_width: float | None = None
    filament_diameter: float = 1.75
    perimeter_speed: float = 40.0
    infill_speed: float = 60.0
    travel_speed: float = 150.0
    acceleration: float = 1000.0
    jerk: float = 10.0
    simplify: float = 0.02
    nozzle_temperature: int = 210
    bed_temperature: int = 60

    def __post_init__(self) -> None:
        if self.line_width is None:
            # PrusaSlicer's default extrusion width: 1.125 x nozzle.
            object.__setattr__(self, "line_width", round(1.125 * self.nozzle, 6))
        checks = {
            "nozzle": self.nozzle > 0,
            "perimeters": self.perimeters >= 0,
            "infill": 0 <= self.infill <= 1,
            "line_width": self.width > 0,
            "filament_diameter": self.filament_diameter > 0,
            "perimeter_speed": self.perimeter_speed > 0,
            "infill_speed": self.infill_speed > 0,
            "travel_speed": self.travel_speed > 0,
            "acceleration": self.acceleration > 0,
            "jerk": self.jerk > 0,
            "simplify": self.simplify >= 0,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            name = wrong[0]
            hint = "a fraction from 0 to 1" if name == "infill" else "a positive number"
            raise SliceSettingsError(f"{name} = {getattr(self, name)} cannot work: it must be {hint}")

    @property
    def width(self) -> float:
        """The extrusion width, mm."""
        return float(self.line_width or 0.0)


@dataclass(frozen=True)
class LayerPaths:
    """The moves of one layer.

    Attributes
    ----------
    z : float
        Nozzle height above the bed for this layer (the layer's top), mm; x
        and y stay where the model has them.
    perimeters : list of (n, 2) float64
        Closed loops (last point == first), innermost first within a layer.
    infill : (k, 2, 2) float64
        Infill lines, start and end point, in printing order.
    travel : (t, 2, 2) float64
        Moves without extrusion between the paths above, in printing order.
    lost_regions : int
        Outer outlines too thin for even one perimeter (narrower than the line width).
    """

    z: float
    perimeters: list[np.ndarray]
    infill: np.ndarray
    travel: np.ndarray
    lost_regions: int = 0

    @property
    def extruded_mm(self) -> float:
        """Length of the extruded paths in this layer, mm."""
        loops = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in self.perimeters)
        return loops + float(np.hypot(*(self.infill[:, 1] - self.infill[:, 0]).T).sum())


@dataclass
class Toolpaths:
    """Planned moves for every layer, with the filament and time they take.

    Attributes
    ----------
    layers : list of LayerPaths
    settings : PrintSettings
    layer_height : float
    filament_mm : float
        Length of filament pushed into the extruder, mm.
    print_time_s : float
        Estimated printing time (moves only; no heating or homing), s.
    time_by_kind : dict of str to float
        The same split into ``"perimeters"``, ``"infill"`` and ``"travel"``, s.

    >>> paths.to_gcode("part.gcode")                                 # doctest: +SKIP
    """

    layers: list[LayerPaths]
    settings: PrintSettings
    layer_height: float
    filament_mm: float = 0.0
    print_time_s: float = 0.0
    model: str = "mesh"
    time_by_kind: dict[str, float] = field(default_factory=dict)

    def to_gcode(self, path: str | Path) -> Path:
        """Write Marlin G-code with a comment before every layer; returns the path."""
        from labkit.geometry.gcode import write_gcode

        return write_gcode(self, Path(path))

    def __repr__(self) -> str:
        return (
            f"<Toolpaths {self.model}: {len(self.layers)} layers, {self.filament_mm / 1000:.2f} m filament, "
            f"{self.print_time_s / 60:.1f} min>"
        )


def plan_toolpaths(
    stack: SliceStack,
    perimeters: int = 2,
    infill: float = 0.2,
    nozzle: float = 0.4,
    *,
    settings: PrintSettings | None = None,
    progress: Callable[[int], object] | None = None,
) -> Toolpaths:
    """Plan perimeters, infill and travel for every layer of ``stack``.

    Parameters
    ----------
    stack : SliceStack
        From :func:`slice_mesh`.
    perimeters : int
        Loops around every outline.
    infill : float
        Density of the rectilinear infill, 0 (hollow) to 1 (solid).
    nozzle : float
        Nozzle diameter, mm; the line width is 1.125x that unless ``settings`` says.
    settings : PrintSettings, optional
        Speeds, accelerations, widths...; overrides the three arguments above.
    progress : callable, optional
        Called with 1 after each layer (a tqdm ``update`` fits).

    >>> import trimesh
    >>> from labkit.geometry import slice_mesh
    >>> paths = plan_toolpaths(slice_mesh(trimesh.creation.box((20, 20, 2))), perimeters=2, infill=0.2)
    >>> len(paths.layers), len(paths.layers[0].perimeters), paths.filament_mm > 0
    (10, 2, True)
    """
    import shapely

    if settings is None:
        settings = PrintSettings(nozzle=nozzle, perimeters=perimeters, infill=infill)
    rings = _simplified_rings(stack.layers, settings.simplify, shapely)
    layers = []
    # pyclipper releases the GIL while it offsets and clips, so layers planned in threads
    # run on every core; map keeps the layer order.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        planned = pool.map(_plan_layer, stack.layers, rings, repeat(stack.layer_height), repeat(settings))
        for layer_paths in planned:
            layers.append(layer_paths)
            if progress is not None:
                progress(1)
    extruded = sum(p.extruded_mm for p in layers)
    h = stack.layer_height
    w = settings.width
    # A squashed line: a rectangle with round ends (PrusaSlicer's flow model).
    section = (w - h) * h + math.pi * h * h / 4 if w > h else math.pi * w * w / 4
    filament_area = math.pi * settings.filament_diameter**2 / 4
    times = _print_times(layers, settings)
    return Toolpaths(
        layers=layers,
        settings=settings,
        layer_height=h,
        filament_mm=extruded * section / filament_area,
        print_time_s=sum(times.values()),
        model=stack.model,
        time_by_kind=times,
    )


def _simplified_rings(layers: list[Layer], tolerance: float, shapely) -> list[list[np.ndarray]]:
    """Every layer's loops simplified (Douglas-Peucker) in one vectorised call, loop order kept."""
    loops = [loop for layer in layers for loop in layer.loops]
    if not loops:
        return [[] for _ in layers]
    points = np.concatenate(loops)
    ring_of = np.repeat(np.arange(len(loops)), [len(loop) for loop in loops])
    rings = shapely.linearrings(points, indices=ring_of)
    if tolerance > 0:
        rings = shapely.simplify(rings, tolerance, preserve_topology=False)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    bounds = np.searchsorted(index, np.arange(len(loops) + 1))
    simplified = [coords[bounds[i] : bounds[i + 1]] for i in range(len(loops))]
    out, i = [], 0
    for layer in layers:
        out.append(simplified[i : i + len(layer.loops)])
        i += len(layer.loops)
    return out


def _plan_layer(layer: Layer, rings: list[np.ndarray], layer_height: float, s: PrintSettings) -> LayerPaths:
    import pyclipper

    w = s.width
    top = (layer.index + 1) * layer_height
    # Union first: overlapping bodies, and any self-crossing the simplification made,
    # must become one clean region before it is offset.
    union = pyclipper.Pyclipper()
    outlines = to_clipper(rings)
    if outlines:
        union.AddPaths(outlines, pyclipper.PT_SUBJECT, True)
    loops = union.Execute(pyclipper.CT_UNION, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO) if outlines else []
    offset = pyclipper.PyclipperOffset()
    offset.AddPaths(loops, pyclipper.JT_MITER, pyclipper.ET_CLOSEDPOLYGON)
    shells: list[np.ndarray] = []
    for i in range(s.perimeters):
        shells.extend(from_clipper(offset.Execute(-(w / 2 + i * w) * SCALE), closed=True))
    lost = thin_regions(layer, rings, w)
    infill = np.empty((0, 2, 2))
    if s.infill > 0:
        # Infill overlaps the innermost perimeter by a quarter width so they bond.
        region = offset.Execute(-(s.perimeters * w - w / 4) * SCALE) if s.perimeters else loops
        angle = math.pi / 4 if layer.index % 2 == 0 else 3 * math.pi / 4
        points = np.concatenate(rings) if rings else np.zeros((1, 2))
        bounds = np.concatenate([points.min(axis=0), points.max(axis=0)])
        infill = _rectilinear(region, bounds, w / s.infill, angle)
    shells.reverse()
    travel = _travel(shells, infill)
    return LayerPaths(z=top, perimeters=shells, infill=infill, travel=travel, lost_regions=lost)


def _rectilinear(region: list, bounds: np.ndarray, spacing: float, angle: float) -> np.ndarray:
    """Parallel lines ``spacing`` mm apart at ``angle``, clipped to ``region``, in zigzag order.

    ``region`` is in pyclipper's integers; ``bounds`` (xmin, ymin, xmax, ymax) mm encloses it.
    Only the lines are built and rotated (two points each), so the region's many points
    go to pyclipper as they are.
    """
    import pyclipper

    if not region:
        return np.empty((0, 2, 2))
    along = np.array([math.cos(angle), math.sin(angle)])
    across = np.array([-along[1], along[0]])
    corners = np.array([[bounds[0], bounds[1]], [bounds[2], bounds[1]], [bounds[0], bounds[3]], [bounds[2], bounds[3]]])
    reach, level = corners @ along, corners @ across
    offsets = np.arange(math.floor(level.min() / spacing) * spacing + spacing / 2, level.max(), spacing)
    if len(offsets) == 0:
        return np.empty((0, 2, 2))
    lines = np.stack(
        [offsets[:, None] * across + (reach.min() - 1) * along, offsets[:, None] * across + (reach.max() + 1) * along],
        axis=1,
    )
    clipper = pyclipper.Pyclipper()
    clipper.AddPaths(region, pyclipper.PT_CLIP, True)
    clipper.AddPaths(np.round(lines * SCALE).astype(np.int64).tolist(), pyclipper.PT_SUBJECT, False)
    tree = clipper.Execute2(pyclipper.CT_INTERSECTION, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO)
    pieces = [p for p in pyclipper.OpenPathsFromPolyTree(tree) if len(p) == 2]
    if not pieces:
        return np.empty((0, 2, 2))
    seg = np.asarray(pieces, np.float64) / SCALE
    backwards = seg[:, 1] @ along < seg[:, 0] @ along
    seg[backwards] = seg[backwards, ::-1]
    row = np.round((seg[:, 0] @ across - offsets[0]) / spacing).astype(np.int64)
    order = np.lexsort((seg[:, 0] @ along, row))
    seg, row = seg[order], row[order]
    # Boustrophedon: every other row runs the other way, so travel stays short.
    seg[row % 2 == 1] = seg[row % 2 == 1, ::-1]
    return seg


def _travel(shells: list[np.ndarray], infill: np.ndarray) -> np.ndarray:
    starts = [p[0] for p in shells] + list(infill[:, 0])
    ends = [p[-1] for p in shells] + list(infill[:, 1])
    if len(starts) < 2:
        return np.empty((0, 2, 2))
    moves = np.stack([np.asarray(ends[:-1]), np.asarray(starts[1:])], axis=1)
    return moves[np.hypot(*(moves[:, 1] - moves[:, 0]).T) > 1e-9]


def _print_times(layers: list[LayerPaths], s: PrintSettings) -> dict[str, float]:
    perimeters = [p for layer in layers for p in layer.perimeters]
    infill = np.concatenate([layer.infill for layer in layers]) if layers else np.empty((0, 2, 2))
    travel = np.concatenate([layer.travel for layer in layers]) if layers else np.empty((0, 2, 2))
    return {
        "perimeters": path_time(perimeters, s.perimeter_speed, s.acceleration, s.jerk),
        "infill": segments_time(infill, s.infill_speed, s.acceleration, s.jerk),
        "travel": segments_time(travel, s.travel_speed, s.acceleration, s.jerk),
    }

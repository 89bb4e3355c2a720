"""From layer outlines to what the nozzle does: perimeters, infill, travel.

Outlines are simplified first (0.02 mm), then shrunk step by step with
shapely (GEOS) for the perimeters. The region left inside is solid near the
top and bottom surfaces (a few layers deep) and sparse elsewhere; both are
filled with straight lines (rectilinear infill, turning 90 degrees every
layer) clipped to them and joined into zigzags. Each layer prints island by
island, the nearest next. Groups of layers are planned in threads, since
GEOS releases the GIL. Filament length and print time follow.

>>> from labkit.geometry import slice_mesh, plan_toolpaths
>>> paths = plan_toolpaths(slice_mesh("part.stl"), perimeters=2, infill=0.2)   # doctest: +SKIP
>>> paths.filament_mm, paths.print_time_s                                         # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from labkit.errors import SliceSettingsError
from labkit.geometry.motion import path_length, path_time, segments_time
from labkit.geometry.regions import (
    by_layer,
    common_to_neighbours,
    in_threads,
    inset_chain,
    outline_polygons,
    polygon_rings,
)
from labkit.geometry.slicing import SliceStack

__all__ = ["LayerPaths", "PrintSettings", "Toolpaths", "plan_toolpaths"]

@dataclass(frozen=True)
class PrintSettings:
    """Everything the planner and the time estimate assume, in mm, mm/s, mm/s^2.

    The defaults are a common 0.4 mm PLA profile (Marlin printer): solid
    infill fills the ``bottom_layers`` above every downward surface and the
    ``top_layers`` below every upward one; travel longer than
    ``retract_min_travel`` pulls the filament back ``retract_length`` mm.

    >>> PrintSettings(nozzle=0.6).line_width
    0.675
    """

    nozzle: float = 0.4
    perimeters: int = 2
    infill: float = 0.2
    top_layers: int = 3
    bottom_layers: int = 3
    line_width: float | None = None
    filament_diameter: float = 1.75
    perimeter_speed: float = 40.0
    infill_speed: float = 60.0
    travel_speed: float = 150.0
    acceleration: float = 1000.0
    jerk: float = 10.0
    retract_length: float = 0.8
    retract_speed: float = 35.0
    retract_min_travel: float = 1.0
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
            "top_layers": self.top_layers >= 0,
            "bottom_layers": self.bottom_layers >= 0,
            "line_width": self.width > 0,
            "filament_diameter": self.filament_diameter > 0,
            "perimeter_speed": self.perimeter_speed > 0,
            "infill_speed": self.infill_speed > 0,
            "travel_speed": self.travel_speed > 0,
            "acceleration": self.acceleration > 0,
            "jerk": self.jerk > 0,
            "retract_length": self.retract_length >= 0,
            "retract_speed": self.retract_speed > 0,
            "retract_min_travel": self.retract_min_travel >= 0,
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
    paths : list of (kind, (n, 2) float64)
        Every extruded polyline in printing order, island by island (the
        nearest next): its perimeters, innermost first, as closed loops
        (last point == first), then its solid infill, then its sparse
        infill. Kinds are "perimeter", "solid infill" and "infill". Infill
        comes as zigzags of straight lines (points ``2i`` to ``2i + 1`` are
        line ``i``), a line's end joined to the next one's start where that
        runs inside the region; solid infill lines lie one width apart.
    travel : (t, 2, 2) float64
        Moves without extrusion, in printing order: from where the layer
        below ended, then between the paths.
    lost_regions : int
        Outer outlines too thin for even one perimeter (narrower than the line width).

    >>> layer = paths.layers[0]                                          # doctest: +SKIP
    >>> [kind for kind, _ in layer.paths]                                # doctest: +SKIP
    ['perimeter', 'perimeter', 'solid infill']
    """

    z: float
    paths: list[tuple[str, np.ndarray]]
    travel: np.ndarray
    lost_regions: int = 0

    @property
    def perimeters(self) -> list[np.ndarray]:
        """The perimeter loops, in printing order."""
        return [p for kind, p in self.paths if kind == "perimeter"]

    @property
    def solid_infill(self) -> list[np.ndarray]:
        """The solid infill zigzags, in printing order."""
        return [p for kind, p in self.paths if kind == "solid infill"]

    @property
    def infill(self) -> list[np.ndarray]:
        """The sparse infill zigzags, in printing order."""
        return [p for kind, p in self.paths if kind == "infill"]

    @property
    def extruded_mm(self) -> float:
        """Length of the extruded paths in this layer, mm."""
        return path_length([p for _, p in self.paths])


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
        The same split into ``"perimeters"``, ``"infill"`` (solid and sparse)
        and ``"travel"`` (with its retractions), s.

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
        Called with the number of layers just planned, as they finish (a tqdm ``update`` fits).

    >>> import trimesh
    >>> from labkit.geometry import slice_mesh
    >>> paths = plan_toolpaths(slice_mesh(trimesh.creation.box((20, 20, 2))), perimeters=2, infill=0.2)
    >>> len(paths.layers), len(paths.layers[0].perimeters), paths.filament_mm > 0
    (10, 2, True)
    """
    if settings is None:
        settings = PrintSettings(nozzle=nozzle, perimeters=perimeters, infill=infill)
    s = settings
    w = s.width
    n_layers = len(stack.layers)
    polygons, layer_of = outline_polygons(stack.layers, s.simplify)
    # The first step also finds the outlines too thin for any perimeter; the last
    # leaves the infill overlapping the innermost perimeter by a quarter width, so they bond.
    steps = [w / 2] + [w] * (s.perimeters - 1) + ([w / 4] if s.perimeters else [])
    first = np.searchsorted(layer_of, np.arange(n_layers + 1))

    def inset_layers(piece: slice) -> tuple[int, list[np.ndarray]]:
        return piece.stop - piece.start, inset_chain(polygons[first[piece.start] : first[piece.stop]], steps)

    layer_sizes = np.bincount(layer_of, weights=shapely.get_num_coordinates(polygons), minlength=n_layers)
    planned = []
    for done, part in in_threads(inset_layers, layer_sizes):
        planned.append(part)
        if progress is not None:
            progress(done)
    insets = [np.concatenate([part[i] for part in planned]) for i in range(len(steps))]
    inside = by_layer(insets[s.perimeters] if s.perimeters else polygons, layer_of, n_layers)
    solid, sparse = _skins(inside, s.bottom_layers, s.top_layers, layer_sizes)
    solid_lines = _lines_in(solid, w, layer_sizes, shortest=w)
    sparse_lines = _lines_in(sparse, w / s.infill, layer_sizes) if s.infill > 0 else [[] for _ in range(n_layers)]
    lost = np.bincount(layer_of[shapely.is_empty(insets[0])], minlength=n_layers)
    islands = _islands(
        [polygon_rings(insets[i]) for i in reversed(range(s.perimeters))], solid_lines, sparse_lines, polygons, first
    )
    layers: list[LayerPaths] = []
    nozzle_at: np.ndarray | None = None
    for k in range(n_layers):
        paths = _route(nozzle_at, islands[k])
        travel = _travel(nozzle_at, [p for _, p in paths])
        layers.append(LayerPaths(z=(k + 1) * stack.layer_height, paths=paths, travel=travel, lost_regions=int(lost[k])))
        nozzle_at = paths[-1][1][-1] if paths else nozzle_at
    extruded = path_length([p for layer in layers for _, p in layer.paths])
    h = stack.layer_height
    # A squashed line: a rectangle with round ends (PrusaSlicer's flow model).
    section = (w - h) * h + math.pi * h * h / 4 if w > h else math.pi * w * w / 4
    filament_area = math.pi * s.filament_diameter**2 / 4
    times = _print_times(layers, s)
    return Toolpaths(
        layers=layers,
        settings=s,
        layer_height=h,
        filament_mm=extruded * section / filament_area,
        print_time_s=sum(times.values()),
        model=stack.model,
        time_by_kind=times,
    )


def _skins(inside: np.ndarray, below: int, above: int, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each layer's region split into solid skin and sparse infill: ``(solid, sparse)``, per layer.

    A point stays sparse only where the ``below`` layers under it and the
    ``above`` layers over it are all filled there too; the rest is within
    reach of a top or bottom surface and must be solid.
    """
    if below == above == 0:
        return np.full(len(inside), shapely.Polygon()), inside
    sparse = common_to_neighbours(inside, below, above, sizes)
    solid = np.concatenate(list(in_threads(lambda piece: shapely.difference(inside[piece], sparse[piece]), sizes)))
    return solid, sparse


def _lines_in(regions: np.ndarray, spacing: float, sizes: np.ndarray, shortest: float = 0.0) -> list[list[np.ndarray]]:
    """Rectilinear infill ``spacing`` mm apart in each layer's region (see :func:`_rectilinear`)."""

    def fill(piece: slice) -> list[list[np.ndarray]]:
        return [_rectilinear(regions[k], spacing, k, shortest) for k in range(piece.start, piece.stop)]

    return [lines for part in in_threads(fill, sizes) for lines in part]


def _rectilinear(region: shapely.Geometry, spacing: float, index: int, shortest: float) -> list[np.ndarray]:
    """Parallel lines ``spacing`` mm apart clipped to ``region``, joined into zigzags.

    Lines run at 45 degrees on even layers and 135 on odd ones; pieces shorter
    than ``shortest`` (slivers along a sloped wall) are left out. Each line
    runs the other way from the one before (boustrophedon), and its end joins
    the next line's start when that is the next row, close by, and inside the
    region (PrusaSlicer anchors its infill along the outline the same way).
    The zigzags come in no particular order.
    """
    if shapely.is_empty(region):
        return []
    angle = math.pi / 4 if index % 2 == 0 else 3 * math.pi / 4
    along = np.array([math.cos(angle), math.sin(angle)])
    across = np.array([-along[1], along[0]])
    xmin, ymin, xmax, ymax = shapely.bounds(region)
    corners = np.array([[xmin, ymin], [xmax, ymin], [xmin, ymax], [xmax, ymax]])
    reach, level = corners @ along, corners @ across
    offsets = np.arange(math.floor(level.min() / spacing) * spacing + spacing / 2, level.max(), spacing)
    if len(offsets) == 0:
        return []
    ends = np.stack(
        [offsets[:, None] * across + (reach.min() - 1) * along, offsets[:, None] * across + (reach.max() + 1) * along],
        axis=1,
    )
    # Each part of the region clips only the lines across its bounding box: many small
    # overlays cost GEOS a third of one big one.
    parts = shapely.get_parts(region)
    box = shapely.bounds(parts)
    level = np.stack([box[:, [0, 1]], box[:, [2, 1]], box[:, [0, 3]], box[:, [2, 3]]], axis=1) @ across
    low, high = np.searchsorted(offsets, level.min(axis=1)), np.searchsorted(offsets, level.max(axis=1))
    count = high - low
    line = np.repeat(low - np.cumsum(count) + count, count) + np.arange(count.sum())
    crossed = count > 0
    bundles = shapely.multilinestrings(
        shapely.linestrings(ends[line]), indices=np.repeat(np.arange(crossed.sum()), count[crossed])
    )
    pieces = shapely.get_parts(shapely.intersection(bundles, parts[crossed]))
    pieces = pieces[shapely.get_type_id(pieces) == shapely.GeometryType.LINESTRING]
    # A clipped straight line is straight: its first and last points are the piece.
    seg = np.stack([shapely.get_coordinates(shapely.get_point(pieces, i)) for i in (0, -1)], axis=1)
    seg = seg[np.hypot(*(seg[:, 1] - seg[:, 0]).T) > max(shortest, 1e-9)]
    if len(seg) == 0:
        return []
    backwards = seg[:, 1] @ along < seg[:, 0] @ along
    seg[backwards] = seg[backwards, ::-1]
    row = np.round((seg[:, 0] @ across - offsets[0]) / spacing).astype(np.int64)
    order = np.lexsort((seg[:, 0] @ along, row))
    seg, row = seg[order], row[order]
    # Where a row is cut in several pieces (a hole, a fork), the k-th piece of each
    # row continues the k-th of the row before: strips of the region, each one zigzag.
    piece = np.arange(len(row)) - np.searchsorted(row, row)
    order = np.lexsort((row, piece))
    seg, row, piece = seg[order], row[order], piece[order]
    # Boustrophedon: every other row runs the other way.
    odd = row % 2 == 1
    seg[odd] = seg[odd, ::-1]
    gap_start, gap_end = seg[:-1, 1], seg[1:, 0]
    shapely.prepare(region)
    joined = (
        (np.diff(piece) == 0)
        & (np.diff(row) == 1)
        & (np.hypot(*(gap_end - gap_start).T) <= 3 * spacing)
        & shapely.dwithin(shapely.points((gap_start + gap_end) / 2), region, 1e-6)
    )
    return [run.reshape(-1, 2) for run in np.split(seg, np.flatnonzero(~joined) + 1)]


Island = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]


def _islands(
    loops_by_level: list[tuple[list[np.ndarray], np.ndarray]],
    solid: list[list[np.ndarray]],
    sparse: list[list[np.ndarray]],
    polygons: np.ndarray,
    first: np.ndarray,
) -> list[list[Island]]:
    """Per layer, per outline polygon (island): its perimeter loops (innermost first), solid and sparse zigzags.

    ``loops_by_level`` holds :func:`polygon_rings` of each inset, innermost
    first. A zigzag belongs to the island its start lies in; one in none of
    them (a rounding hair outside) goes to an island of its own.
    """
    n_layers = len(first) - 1
    loops: list[list[np.ndarray]] = [[] for _ in polygons]
    for rings, owner in loops_by_level:
        for ring, j in zip(rings, owner.tolist(), strict=True):
            loops[j].append(ring)
    fills = []
    strays: list[list[Island]] = [[] for _ in range(n_layers)]
    for zigzags in (solid, sparse):
        mine: list[list[np.ndarray]] = [[] for _ in polygons]
        starts = np.array([z[0] for layer in zigzags for z in layer]).reshape(-1, 2)
        layer = np.repeat(np.arange(n_layers), [len(layer) for layer in zigzags])
        owner = _island_at(starts, layer, polygons, first)
        flat = [z for layer in zigzags for z in layer]
        for z, j, k in zip(flat, owner.tolist(), layer.tolist(), strict=True):
            if j >= 0:
                mine[j].append(z)
            else:
                strays[k].append(([], [z], []) if zigzags is solid else ([], [], [z]))
        fills.append(mine)
    return [
        [(loops[j], fills[0][j], fills[1][j]) for j in range(first[k], first[k + 1])] + strays[k]
        for k in range(n_layers)
    ]


def _island_at(points: np.ndarray, layer: np.ndarray, polygons: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Index of the polygon of its own layer that each point lies in (or on), -1 for none."""
    owner = np.full(len(points), -1)
    count = first[layer + 1] - first[layer]
    point = np.repeat(np.arange(len(points)), count)
    candidate = np.repeat(first[layer] - np.cumsum(count) + count, count) + np.arange(len(point))
    box = shapely.bounds(polygons[candidate]) if len(candidate) else np.empty((0, 4))
    x, y = points[point, 0], points[point, 1]
    near = (box[:, 0] <= x) & (x <= box[:, 2]) & (box[:, 1] <= y) & (y <= box[:, 3])
    point, candidate = point[near], candidate[near]
    inside = shapely.intersects_xy(polygons[candidate], points[point, 0], points[point, 1])
    owner[point[inside]] = candidate[inside]
    return owner


def _route(nozzle: np.ndarray | None, islands: list[Island]) -> list[tuple[str, np.ndarray]]:
    """One layer's paths in printing order: island by island, the nearest next.

    Each island prints its perimeters (innermost first), then its solid and
    its sparse zigzags, each time the one nearest the nozzle.
    """
    todo = [island for island in islands if any(island)]
    entries = np.array([next(paths[0][0] for paths in island if paths) for island in todo]).reshape(-1, 2)
    out: list[tuple[str, np.ndarray]] = []
    while todo:
        i = 0 if nozzle is None else int(np.argmin(np.hypot(*(entries - nozzle).T)))
        loops, solid, sparse = todo.pop(i)
        entries = np.delete(entries, i, axis=0)
        for kind, paths in (("perimeter", loops), ("solid infill", solid), ("infill", sparse)):
            if kind != "perimeter":
                paths = _nearest_first(paths, nozzle)
            out += [(kind, p) for p in paths]
            nozzle = out[-1][1][-1] if out else nozzle
    return out


def _nearest_first(zigzags: list[np.ndarray], nozzle: np.ndarray | None) -> list[np.ndarray]:
    """``zigzags`` in printing order: each time the one with an end nearest the nozzle, from that end."""
    if len(zigzags) < 2 and (nozzle is None or not zigzags):
        return zigzags
    heads = np.array([z[0] for z in zigzags])
    tails = np.array([z[-1] for z in zigzags])
    here = heads[0] if nozzle is None else nozzle
    left = np.ones(len(zigzags), bool)
    out = []
    for _ in zigzags:
        to_head = np.where(left, np.hypot(*(heads - here).T), np.inf)
        to_tail = np.where(left, np.hypot(*(tails - here).T), np.inf)
        i, j = int(np.argmin(to_head)), int(np.argmin(to_tail))
        if to_head[i] <= to_tail[j]:
            out.append(zigzags[i])
            left[i], here = False, tails[i]
        else:
            out.append(zigzags[j][::-1])
            left[j], here = False, heads[j]
    return out


def _travel(nozzle: np.ndarray | None, paths: list[np.ndarray]) -> np.ndarray:
    """Moves from ``nozzle`` to the first path, then from each path's end to the next one's start."""
    starts = ([nozzle] if nozzle is not None else []) + [p[0] for p in paths]
    ends = ([nozzle] if nozzle is not None else []) + [p[-1] for p in paths]
    if len(starts) < 2:
        return np.empty((0, 2, 2))
    moves = np.stack([np.asarray(ends[:-1]), np.asarray(starts[1:])], axis=1)
    return moves[np.hypot(*(moves[:, 1] - moves[:, 0]).T) > 1e-9]


def _print_times(layers: list[LayerPaths], s: PrintSettings) -> dict[str, float]:
    perimeters = [p for layer in layers for p in layer.perimeters]
    infill = [p for layer in layers for p in layer.solid_infill + layer.infill]
    travel = np.concatenate([np.empty((0, 2, 2))] + [layer.travel for layer in layers])
    retractions = int((np.hypot(*(travel[:, 1] - travel[:, 0]).T) > s.retract_min_travel).sum())
    return {
        "perimeters": path_time(perimeters, s.perimeter_speed, s.acceleration, s.jerk),
        "infill": path_time(infill, s.infill_speed, s.acceleration, s.jerk),
        "travel": segments_time(travel, s.travel_speed, s.acceleration, s.jerk)
        + retractions * 2 * s.retract_length / s.retract_speed,
    }

"""Layer outlines as shapely polygons: simplified, repaired, shrunk.

The toolpath planner and the printability check both work on the regions a
layer's loops enclose. Every step here is one vectorised shapely call over
many polygons at once; GEOS releases the GIL inside those calls, so
:func:`in_threads` spreads them over the cores.

>>> import trimesh
>>> from labkit.geometry import slice_mesh
>>> polygons, layer_of = outline_polygons(slice_mesh(trimesh.creation.annulus(3, 6, 2), 0.5).layers)
>>> len(polygons), layer_of.tolist(), len(polygons[0].interiors)
(4, [0, 1, 2, 3], 1)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import shapely

from labkit.geometry.slicing import Layer

__all__ = [
    "by_layer",
    "common_to_neighbours",
    "in_threads",
    "inset_chain",
    "outline_polygons",
    "polygon_rings",
]

#: Mitre joins cut off beyond twice the offset distance, as in Clipper and PrusaSlicer.
MITRE_LIMIT = 2.0

T = TypeVar("T")


def in_threads(work: Callable[[slice], T], sizes: np.ndarray, chunks: int | None = None) -> Iterator[T]:
    """``work(piece)`` for contiguous slices of items, sized so each carries about the same ``sizes``.

    Results come in order, each as soon as it and those before it are done.
    Without more than one core, it all runs here in one call.

    >>> list(in_threads(lambda piece: piece, np.ones(4), chunks=2))
    [slice(0, 2, None), slice(2, 4, None)]
    """
    cores = os.cpu_count() or 1
    chunks = chunks or (1 if cores == 1 else 4 * cores)
    total = np.cumsum(sizes, dtype=np.float64)
    if len(total) == 0 or chunks == 1:
        yield work(slice(0, len(sizes)))
        return
    cuts = np.searchsorted(total, total[-1] * np.arange(1, chunks) / chunks, side="right")
    edges = np.unique(np.concatenate([[0], cuts, [len(sizes)]]))
    pieces = [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    with ThreadPoolExecutor(max_workers=min(cores, len(pieces))) as pool:
        yield from pool.map(work, pieces)


def outline_polygons(
    layers: Sequence[Layer], tolerance: float = 0.0, keep: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every outer loop with its holes as a shapely Polygon: ``(polygons, layer_of)``.

    Parameters
    ----------
    layers : sequence of Layer
        From a :class:`~labkit.geometry.SliceStack`.
    tolerance : float
        Douglas-Peucker simplification, mm (0 keeps every point). A loop
        simplified below three points is dropped, with the holes of an outer
        loop that goes.
    keep : (n_loops,) bool, optional
        Over all the layers' loops in order: build only the outer loops marked.

    ``layer_of[i]`` is the index in ``layers`` of ``polygons[i]``; polygons
    come layer by layer. Where a layer's polygons overlap (bodies that
    intersect) or cross themselves (a crossing the simplification made),
    the layer is replaced by its repaired union, as a slicer's union would.
    """
    counts = np.array([len(layer.loops) for layer in layers], np.int64)
    layer_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    owner = np.concatenate([layer.outer for layer in layers] or [np.zeros(0, np.int64)]) + np.repeat(layer_start, counts)
    wanted = np.ones(len(owner), bool) if keep is None else keep[owner]
    loops = [loop for layer in layers for loop in layer.loops]
    rings = np.full(len(owner), None, object)
    if wanted.any():
        rings[wanted] = _rings([loops[i] for i in np.flatnonzero(wanted)], tolerance)
    usable = wanted & (shapely.get_type_id(rings) == shapely.GeometryType.LINEARRING)
    usable &= shapely.get_num_coordinates(rings) >= 4
    usable &= usable[owner]
    is_shell = owner == np.arange(len(owner))
    order = np.lexsort((~is_shell, owner))
    order = order[usable[order]]
    if len(order) == 0:
        return np.empty(0, object), np.empty(0, np.int64)
    shells, polygon_of = np.unique(owner[order], return_inverse=True)
    polygons = shapely.polygons(rings[order], indices=polygon_of)
    return _repaired(polygons, np.repeat(np.arange(len(layers)), counts)[shells])


def _rings(loops: list[np.ndarray], tolerance: float) -> np.ndarray:
    """Loops as LinearRings, simplified in threads (GEOS releases the GIL)."""
    lengths = np.array([len(loop) for loop in loops])
    rings = shapely.linearrings(np.concatenate(loops), indices=np.repeat(np.arange(len(loops)), lengths))
    if tolerance <= 0:
        return rings
    return np.concatenate(
        list(in_threads(lambda piece: shapely.simplify(rings[piece], tolerance, preserve_topology=False), lengths))
    )


def _repaired(polygons: np.ndarray, layer_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layers whose polygons are not a valid MultiPolygon, replaced by their union (GEOS "structure" repair)."""
    layers, group = np.unique(layer_of, return_inverse=True)
    whole = shapely.multipolygons(polygons, indices=group)
    sizes = np.bincount(group, weights=shapely.get_num_coordinates(polygons))
    bad = np.flatnonzero(~np.concatenate(list(in_threads(lambda piece: shapely.is_valid(whole[piece]), sizes))))
    if len(bad) == 0:
        return polygons, layer_of
    fixed = shapely.make_valid(whole[bad], method="structure", keep_collapsed=False)
    parts, fixed_of = shapely.get_parts(fixed, return_index=True)
    is_polygon = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    kept = ~np.isin(group, bad)
    polygons = np.concatenate([polygons[kept], parts[is_polygon]])
    layer_of = np.concatenate([layer_of[kept], layers[bad][fixed_of[is_polygon]]])
    order = np.argsort(layer_of, kind="stable")
    return polygons[order], layer_of[order]


def inset_chain(polygons: np.ndarray, steps: Sequence[float]) -> list[np.ndarray]:
    """Successive inward offsets: ``out[0]`` is ``polygons`` shrunk by ``steps[0]`` mm, ``out[i]`` is ``out[i - 1]`` shrunk by ``steps[i]``.

    Mitre joins. Each result lines up with ``polygons``: a Polygon, a
    MultiPolygon (a part that shrank into pieces) or an empty geometry (a
    part narrower than twice the step).

    >>> square = shapely.box(0, 0, 10, 10)
    >>> [shapely.bounds(g).tolist() for [g] in inset_chain(np.array([square]), [1, 2])]
    [[1.0, 1.0, 9.0, 9.0], [3.0, 3.0, 7.0, 7.0]]
    """
    out = []
    current = polygons
    for step in steps:
        current = shapely.buffer(current, -step, join_style="mitre", mitre_limit=MITRE_LIMIT)
        out.append(current)
    return out


def by_layer(geometries: np.ndarray, layer_of: np.ndarray, n_layers: int) -> np.ndarray:
    """One (Multi)Polygon per layer gathering the polygonal parts of ``geometries`` (empty where none).

    >>> by_layer(np.array([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)]), np.array([1, 1]), 2).tolist()
    [<POLYGON EMPTY>, <MULTIPOLYGON (((1 0, 1 1, 0 1, 0 0, 1 0)), ((3 0, 3 1, 2 1, 2 0, 3 0)))>]
    """
    parts, part_of = shapely.get_parts(geometries, return_index=True)
    filled = ~shapely.is_empty(parts)
    parts, part_layer = parts[filled], layer_of[part_of[filled]]
    out = np.full(n_layers, shapely.Polygon(), object)
    layers, group = np.unique(part_layer, return_inverse=True)
    if len(parts):
        out[layers] = shapely.multipolygons(parts, indices=group)
    return out


def common_to_neighbours(regions: np.ndarray, below: int, above: int, sizes: np.ndarray) -> np.ndarray:
    """For each layer ``k``, what every region from ``k - below`` to ``k + above`` covers (none past the ends).

    Intersections of windows of doubling length, so a layer costs about
    log2(below + above + 1) overlays; ``sizes`` balances the layers over the threads.

    >>> square, wide = shapely.box(0, 0, 2, 2), shapely.box(0, 0, 4, 2)
    >>> [round(g.area) for g in common_to_neighbours(np.array([square, wide, wide, square]), 0, 1, np.ones(4))]
    [4, 8, 4, 0]
    """
    span = below + above + 1
    nothing = np.full(max(below, above), shapely.Polygon(), object)
    padded = np.concatenate([nothing[:below], regions, nothing[:above]])

    def windows(piece: slice) -> np.ndarray:
        common = padded[piece.start : piece.stop + span - 1]
        reach = 1
        while 2 * reach <= span:
            common = shapely.intersection(common[:-reach], common[reach:])
            reach *= 2
        if reach < span:
            common = shapely.intersection(common[: len(common) - (span - reach)], common[span - reach :])
        return common

    return np.concatenate(list(in_threads(windows, sizes)))


def polygon_rings(geometries: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The boundary loops of polygonal geometries: ``(loops, owner)``.

    Outer boundaries run counter-clockwise and holes clockwise; each loop is
    closed (n, 2) float64, and ``owner[i]`` is the index in ``geometries`` of
    the one loop ``i`` bounds.

    >>> loops, owner = polygon_rings(np.array([shapely.box(0, 0, 1, 1)]))
    >>> loops[0].tolist(), owner.tolist()
    ([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]], [0])
    """
    parts, part_of = shapely.get_parts(geometries, return_index=True)
    filled = ~shapely.is_empty(parts)
    parts = shapely.orient_polygons(parts[filled], exterior_cw=False)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, point_of = shapely.get_coordinates(rings, return_index=True)
    bounds = np.searchsorted(point_of, np.arange(len(rings) + 1))
    return [coords[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)], part_of[filled][ring_of]

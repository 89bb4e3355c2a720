"""Cutting a mesh into layers: closed, oriented, nested loops per layer.

All layers are cut in one pass (:mod:`labkit.geometry._kernels`): each face
is visited only for the planes it crosses, and the segments are chained into
loops through the mesh's shared edges, never by comparing rounded
coordinates. Planes sit at mid-layer, ``zmin + h/2 + i*h``.

>>> from labkit.geometry import slice_mesh
>>> stack = slice_mesh("part.stl", layer_height=0.2)       # doctest: +SKIP
>>> stack.layers[10].area                                    # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from labkit.errors import SliceSettingsError
from labkit.geometry import _kernels
from labkit.geometry.mesh import MeshSource, read_mesh

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from labkit.geometry.printability import Printability
    from labkit.geometry.toolpaths import Toolpaths

__all__ = ["Layer", "SliceStack", "SliceWarning", "slice_mesh"]

_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


class SliceWarning(UserWarning):
    """The mesh sliced, but something about it may spoil the print (open, non-manifold...)."""


@dataclass(frozen=True)
class Layer:
    """One layer of a :class:`SliceStack`.

    Attributes
    ----------
    index : int
        Position in the stack, 0 at the bed.
    z : float
        Height of the cutting plane (mid-layer), mm.
    loops : list of (n, 2) float64
        Closed outlines (last point == first): outer loops counter-clockwise,
        holes clockwise.
    outer : (len(loops),) int64
        For each loop, the index of the outer loop it belongs to (itself for
        an outer loop).
    open_chains : list of (n, 2) float64
        Pieces of outline that an open mesh left unclosed (not in ``loops``).
    area : float
        Material area, mm^2 (outer areas minus holes).
    perimeter : float
        Total length of all loops, mm.
    loop_areas : (len(loops),) float64
        Signed area of each loop, mm^2 (holes negative).
    loop_lengths : (len(loops),) float64
        Length of each loop, mm.

    >>> layer = stack.layers[0]                                  # doctest: +SKIP
    >>> [len(holes) for outer, holes in layer.polygons()]        # doctest: +SKIP
    """

    index: int
    z: float
    loops: list[np.ndarray]
    outer: np.ndarray
    open_chains: list[np.ndarray]
    area: float
    perimeter: float
    loop_areas: np.ndarray
    loop_lengths: np.ndarray

    def polygons(self) -> list[tuple[np.ndarray, list[np.ndarray]]]:
        """The layer as ``(outer loop, [its holes])`` pairs."""
        return [
            (loop, [self.loops[j] for j in np.flatnonzero(self.outer == i) if j != i])
            for i, loop in enumerate(self.loops)
            if self.outer[i] == i
        ]


@dataclass
class SliceStack:
    """The layers of a sliced model, with the mesh they came from.

    Attributes
    ----------
    layers : list of Layer
    layer_height : float
        mm.
    vertices : (n, 3) float64
        The mesh, in mm, as sliced.
    faces : (m, 3) int64
    model : str
        The file name, or ``"mesh"`` for an in-memory mesh.
    open_chains : int
        Outline pieces left open after gap closing, over all layers.
    closed_gaps : int
        Gaps in outlines that were bridged (at most ``max_gap`` mm each).
    non_manifold_edges : int
        Edges shared by more than two faces.
    open_edges : int
        Edges with a face on one side only (0 on a watertight mesh).
    flipped_edges : int
        Edges whose two faces run along it the same way: one of them is flipped.
    warnings : list of str
        What may spoil the print; each was also issued as a ``SliceWarning``.
    slice_seconds : float
        Wall time of the slicing itself (not the file loading).

    >>> stack = slice_mesh(trimesh.creation.box((10, 10, 4)), 0.2)   # doctest: +SKIP
    >>> len(stack.layers), stack.layers[0].area                      # doctest: +SKIP
    (20, 100.0)
    """

    layers: list[Layer]
    layer_height: float
    vertices: np.ndarray
    faces: np.ndarray
    model: str = "mesh"
    open_chains: int = 0
    closed_gaps: int = 0
    non_manifold_edges: int = 0
    open_edges: int = 0
    flipped_edges: int = 0
    warnings: list[str] = field(default_factory=list)
    slice_seconds: float = 0.0

    @property
    def triangles(self) -> int:
        """Number of triangles sliced."""
        return len(self.faces)

    @property
    def z(self) -> np.ndarray:
        """(n_layers,) float64: the cutting height of every layer."""
        return np.array([layer.z for layer in self.layers])

    def printability(self, nozzle: float = 0.4, max_overhang_deg: float = 45.0) -> Printability:
        """What may fail when printing this part; see :func:`labkit.geometry.check_printability`."""
        from labkit.geometry.printability import check_printability

        return check_printability(self, nozzle=nozzle, max_overhang_deg=max_overhang_deg)

    def preview(
        self, path: str | Path | None = None, layer: int | None = None, paths: Toolpaths | None = None
    ) -> Figure:
        """A matplotlib figure: one layer with its toolpaths, the stack, the overhang map.

        ``layer`` defaults to the middle layer; ``paths`` (from ``plan_toolpaths``)
        adds perimeters, infill and travel to the layer view. Saved to ``path``
        when given.

        >>> stack.preview("layers.png")                              # doctest: +SKIP
        """
        from labkit.geometry.preview import preview

        return preview(self, path, layer=layer, paths=paths)

    def __repr__(self) -> str:
        return (
            f"<SliceStack {self.model}: {len(self.layers)} layers of {self.layer_height} mm, "
            f"{self.triangles} triangles, {len(self.warnings)} warnings>"
        )


def slice_mesh(
    model: MeshSource,
    layer_height: float = 0.2,
    *,
    units: str = "mm",
    max_gap: float = 0.5,
) -> SliceStack:
    """Cut a model into layers.

    Parameters
    ----------
    model : str, path or trimesh.Trimesh
        The part (any format :func:`load_mesh` reads).
    layer_height : float
        mm; the planes lie at ``zmin + layer_height/2 + i*layer_height``.
    units : {"mm", "cm", "m", "in"}
        Units of the file's coordinates.
    max_gap : float
        An open mesh leaves outline pieces; ends closer than this (mm) are
        joined, as PrusaSlicer and CuraEngine do. The rest are reported in
        ``Layer.open_chains``.

    Raises ``MeshLoadError`` for an unreadable model, ``SliceSettingsError``
    for a layer height <= 0 or taller than the part. An open or non-manifold
    mesh still slices, with a ``SliceWarning``.

    >>> import trimesh
    >>> stack = slice_mesh(trimesh.creation.box((10, 10, 4)), layer_height=0.2)
    >>> len(stack.layers), round(stack.layers[0].area, 6)
    (20, 100.0)
    """
    name = Path(model).name if isinstance(model, (str, Path)) else "mesh"
    vertices, faces = read_mesh(model, units)
    return slice_arrays(vertices, faces, layer_height, max_gap=max_gap, model=name)


def slice_arrays(
    vertices: np.ndarray,
    faces: np.ndarray,
    layer_height: float,
    *,
    max_gap: float = 0.5,
    model: str = "mesh",
) -> SliceStack:
    """:func:`slice_mesh` for ``vertices (n, 3) float64`` mm and ``faces (m, 3) int64``."""
    started = time.perf_counter()
    z_low, z_high = float(vertices[:, 2].min()), float(vertices[:, 2].max())
    n_planes = _plane_count(layer_height, z_high - z_low)
    h = float(layer_height)
    z0 = z_low + h / 2

    # The kernels fill arrays allocated here, by NumPy, which gives them huge pages (see _kernels).
    twin, boundary, non_manifold, flipped = half_edge_twins(faces, len(vertices))
    level, base = np.empty(len(vertices), np.int32), np.empty(len(faces), np.int64)
    chunk_start = np.empty(65, np.int64)  # 64 chunks of faces
    _kernels.segment_bases(vertices, faces, z0, h, n_planes, level, base, chunk_start)
    n_seg = int(chunk_start[-1])
    if n_seg >= 1 << 30:  # the chase's marks need 2 * n_seg to fit an int32
        raise SliceSettingsError(
            f"layer height {layer_height} mm would cut {n_seg:,} segments, more than labkit can chain: "
            "use a larger layer height"
        )
    next_seg, seg_plane = np.empty(n_seg, np.int32), np.empty(n_seg, np.int32)
    n_ends = _kernels.link_segments(faces, level, twin, base, next_seg, seg_plane)
    # memory: at fine layers the segments dwarf the mesh, so each step frees what the next does not need
    del twin
    has_pred = np.empty(n_seg if n_ends else 0, bool)
    room, chain_plane, chain_closed = _kernels.chain_slots(next_seg, seg_plane, n_ends, has_pred)
    slot = next_seg  # now the place of each segment's point
    del next_seg, seg_plane, base, has_pred
    # The points set the peak when they outweigh the mesh (fine layers); only then is it
    # worth handing freed pages back, which the next slicing would fault in again.
    output_sets_peak = 16 * n_seg > vertices.nbytes + faces.nbytes
    if output_sets_peak:
        _return_freed_memory()
    points = np.empty((room[-1], 2))
    chain_start, chain_plane, chain_closed = _kernels.chain_points(
        vertices, faces, level, chunk_start, slot, room, chain_plane, chain_closed, z0, h, points
    )
    del slot
    if output_sets_peak:
        _return_freed_memory()
    points = points[: chain_start[-1]]

    open_pieces: list[list[np.ndarray]] = [[] for _ in range(n_planes)]
    closed_gaps = 0
    if not chain_closed.all():
        points, chain_start, chain_plane, open_pieces, closed_gaps = _close_gaps(
            points, chain_start, chain_plane, chain_closed, n_planes, max_gap
        )
        points, chain_start, chain_plane = _drop_degenerate(points, chain_start, chain_plane)
    loop_start, loop_plane = chain_start, chain_plane
    group_start = np.searchsorted(loop_plane, np.arange(n_planes + 1))
    outer, signed_area, length = _orient(
        points, loop_start, loop_plane, group_start, trust_winding=boundary == 0 and flipped == 0
    )

    layers = []
    for k in range(n_planes):
        lo, hi = group_start[k], group_start[k + 1]
        layers.append(
            Layer(
                index=k,
                z=z0 + k * h,
                loops=[points[loop_start[i] : loop_start[i + 1]] for i in range(lo, hi)],
                outer=outer[lo:hi] - lo,
                open_chains=open_pieces[k],
                area=float(signed_area[lo:hi].sum()),
                perimeter=float(length[lo:hi].sum()),
                loop_areas=signed_area[lo:hi],
                loop_lengths=length[lo:hi],
            )
        )
    n_open = sum(len(pieces) for pieces in open_pieces)
    stack = SliceStack(
        layers=layers,
        layer_height=h,
        vertices=vertices,
        faces=faces,
        model=model,
        open_chains=n_open,
        closed_gaps=closed_gaps,
        non_manifold_edges=non_manifold,
        open_edges=boundary,
        flipped_edges=flipped,
    )
    if boundary:
        stack.warnings.append(
            f"the mesh is not watertight ({boundary} open edges): {closed_gaps} gaps closed, "
            f"{n_open} outline pieces left open"
        )
    if non_manifold:
        stack.warnings.append(f"{non_manifold} non-manifold edges (shared by more than two faces)")
    if flipped:
        stack.warnings.append(f"{flipped} edges where a neighbouring face is flipped (its normal points inwards)")
    for message in stack.warnings:
        warnings.warn(f"{model}: {message}", SliceWarning, stacklevel=3)
    stack.slice_seconds = time.perf_counter() - started
    return stack


def half_edge_twins(faces: np.ndarray, n_vertices: int, packed: bool = True) -> tuple[np.ndarray, int, int, int]:
    """Each half-edge's opposite, from its edge's key in order: ``(twin, open, non-manifold, flipped)``.

    See :func:`labkit.geometry._kernels.pair_half_edges`. When the vertex pair and
    the half-edge number fit in 63 bits together (meshes up to about a million
    triangles) the keys carry the half-edge; otherwise (or with ``packed=False``)
    the half-edge numbers travel beside them, which costs more memory traffic.

    >>> tetrahedron = np.array([[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]])
    >>> twin, open_edges, non_manifold, flipped = half_edge_twins(tetrahedron, 4)
    >>> twin[:3].tolist(), open_edges, non_manifold, flipped
    ([11, 6, 3], 0, 0, 0)
    """
    n_half = 3 * len(faces)
    vertex_bits = max(1, int(n_vertices - 1).bit_length())
    index_bits = n_half.bit_length()
    if not packed or 2 * vertex_bits + 1 + index_bits >= 63:
        index_bits = 0
    half = np.empty(n_half if index_bits == 0 else 0, np.int32)
    keys, twin = np.empty(n_half, np.int64), np.empty(n_half, np.int32)
    counts = _kernels.pair_half_edges(
        faces, vertex_bits, index_bits, keys, np.empty_like(keys), np.empty(3 << vertex_bits | 2, np.int32),
        half, np.empty_like(half), twin,
    )  # fmt: skip
    return twin, *counts


def _return_freed_memory() -> None:
    """Give the heap's free pages back to the system before the output is allocated.

    glibc keeps the arrays just freed (sized like the segments) in its heap
    when anything was allocated above them, so the points of a fine slicing
    would otherwise come on top of them and raise the peak by a third.
    """
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _plane_count(layer_height: float, height: float) -> int:
    if not np.isfinite(layer_height) or layer_height <= 0:
        raise SliceSettingsError(f"layer height must be a positive number of mm, not {layer_height}")
    if height <= 0:
        raise SliceSettingsError("the part is flat (zero height): there is nothing to slice")
    if layer_height > height:
        raise SliceSettingsError(
            f"layer height {layer_height} mm is taller than the part ({height:.4g} mm): "
            "use a smaller layer height (0.1-0.3 mm is usual)"
        )
    n = int(np.ceil((height - layer_height / 2) / layer_height))
    if n > 200_000:
        raise SliceSettingsError(
            f"layer height {layer_height} mm would make {n} layers: is the model in the units you think?"
        )
    return max(n, 1)


def _close_gaps(
    points: np.ndarray,
    chain_start: np.ndarray,
    chain_plane: np.ndarray,
    chain_closed: np.ndarray,
    n_planes: int,
    max_gap: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[np.ndarray]], int]:
    """Join open chains end to start (nearest first) within ``max_gap`` mm.

    Returns the closed loops (the old ones and the newly closed) as
    ``points, loop_start, loop_plane``, the pieces still open per plane and
    the number of gaps bridged.
    """
    pieces: dict[int, list[np.ndarray]] = {}
    for c in np.flatnonzero(~chain_closed):
        pieces.setdefault(int(chain_plane[c]), []).append(points[chain_start[c] : chain_start[c + 1]])
    open_pieces: list[list[np.ndarray]] = [[] for _ in range(n_planes)]
    new_loops: list[tuple[int, np.ndarray]] = []
    bridged = 0
    for k, chains in pieces.items():
        while chains:
            chain = chains.pop()
            while True:
                starts = np.array([c[0] for c in chains] + [chain[0]])
                gaps = np.hypot(*(starts - chain[-1]).T)
                j = int(np.argmin(gaps))
                if gaps[j] > max_gap:
                    open_pieces[k].append(chain)
                    break
                bridged += 1
                if j == len(chains):
                    new_loops.append((k, np.vstack([chain, chain[:1]])))
                    break
                chain = np.vstack([chain, chains.pop(j)])
    closed = np.flatnonzero(chain_closed)
    loops = [points[chain_start[c] : chain_start[c + 1]] for c in closed] + [loop for _, loop in new_loops]
    planes = np.concatenate([chain_plane[closed], np.array([k for k, _ in new_loops], np.int64)])
    return *_pack(loops, planes), open_pieces, bridged


def _pack(loops: Sequence[np.ndarray], planes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loops as one point array ordered by plane: ``points, loop_start, loop_plane``."""
    order = np.argsort(planes, kind="stable")
    ordered = [loops[i] for i in order]
    loop_start = np.zeros(len(ordered) + 1, np.int64)
    np.cumsum([len(loop) for loop in ordered], out=loop_start[1:])
    points = np.concatenate(ordered) if ordered else np.empty((0, 2))
    return points, loop_start, planes[order]


def _drop_degenerate(
    points: np.ndarray, loop_start: np.ndarray, loop_plane: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remove loops of fewer than three distinct points (gaps closed on a speck)."""
    keep = np.diff(loop_start) >= 4
    if keep.all():
        return points, loop_start, loop_plane
    kept = np.flatnonzero(keep)
    return _pack([points[loop_start[i] : loop_start[i + 1]] for i in kept], loop_plane[kept])


def _orient(
    points: np.ndarray,
    loop_start: np.ndarray,
    loop_plane: np.ndarray,
    group_start: np.ndarray,
    trust_winding: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orient each layer's loops, outer CCW and holes CW (in place), and give each hole its outer.

    A closed, consistently wound mesh already yields that orientation, even
    where bodies overlap (which nesting alone would get wrong); only a mesh
    turned inside out reverses a whole layer. Otherwise (open or flipped
    faces) the nesting depth decides: even depth is outer, odd is a hole.
    Returns ``(outer, signed_area, length)`` per loop; ``outer[i]`` is the
    outer loop that loop ``i`` bounds (itself for an outer loop).
    """
    area, length, bbox = _kernels.loop_measures(points, loop_start)
    if trust_winding:
        layer_area = np.bincount(loop_plane, weights=area, minlength=len(group_start) - 1)
        flip = layer_area[loop_plane] < 0
        is_hole = (area < 0) != flip
        # Only a hole needs its enclosing loops, to find its outer.
        parent = _kernels.loop_parents(points, loop_start, group_start, np.abs(area), bbox, is_hole)
    else:
        every_loop = np.ones(len(area), bool)
        parent = _kernels.loop_parents(points, loop_start, group_start, np.abs(area), bbox, every_loop)
        depth = np.zeros(len(parent), np.int64)
        up = parent.copy()
        while (up >= 0).any():
            depth += up >= 0
            up = np.where(up >= 0, parent[up], -1)
        is_hole = depth % 2 == 1
        flip = np.where(is_hole, area > 0, area < 0)
    if flip.any():
        _kernels.reverse_loops(points, loop_start, flip)
        area[flip] *= -1
    # A hole belongs to the nearest enclosing outer loop.
    owner = parent.copy()
    inside_hole = (owner >= 0) & is_hole[np.maximum(owner, 0)]
    while inside_hole.any():
        owner = np.where(inside_hole, parent[np.maximum(owner, 0)], owner)
        inside_hole = (owner >= 0) & is_hole[np.maximum(owner, 0)]
    itself = np.arange(len(parent))
    outer = np.where(is_hole & (owner >= 0), owner, itself)
    return outer, area, length

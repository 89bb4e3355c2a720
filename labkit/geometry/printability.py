"""Will it print? Overhangs, holes in the mesh, features thinner than the nozzle.

>>> from labkit.geometry import slice_mesh, check_printability
>>> report = check_printability(slice_mesh("part.stl"), nozzle=0.4)     # doctest: +SKIP
>>> report.overhang_fraction, report.warnings                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from labkit.geometry.regions import inset_chain, outline_polygons, polygon_rings
from labkit.geometry.slicing import Layer, SliceStack

__all__ = ["Printability", "check_printability", "thin_outlines"]

@dataclass(frozen=True)
class Printability:
    """What may fail when printing a part.

    Attributes
    ----------
    overhang_faces : (m,) bool
        Faces (of ``stack.faces``) facing down more steeply than the limit,
        not counting those resting on the bed.
    overhang_deg : (m,) float64
        Each face's overhang angle from vertical (0 = wall, 90 = ceiling); 0
        for faces looking up.
    overhang_fraction : float
        Share of the surface area in ``overhang_faces``.
    overhang_layers : (k,) int64
        Indices of the layers where overhanging faces are.
    max_overhang_deg : float
        The limit used.
    watertight : bool
        Every edge joins exactly two faces wound alike.
    thin_outlines : dict of int to list of (n, 2) float64
        Layer index -> the outer outlines there narrower than the nozzle
        (closed loops), which will not print.
    nozzle : float
    """

    overhang_faces: np.ndarray
    overhang_deg: np.ndarray
    overhang_fraction: float
    overhang_layers: np.ndarray
    max_overhang_deg: float
    watertight: bool
    thin_outlines: dict[int, list[np.ndarray]]
    nozzle: float

    @property
    def thin_features(self) -> dict[int, int]:
        """Layer index -> how many outlines there are narrower than the nozzle."""
        return {k: len(loops) for k, loops in self.thin_outlines.items()}

    @property
    def warnings(self) -> list[str]:
        """One line per problem, for a summary."""
        out = []
        if self.overhang_fraction > 0:
            z = self.overhang_layers
            out.append(
                f"{self.overhang_fraction:.1%} of the surface overhangs more than {self.max_overhang_deg:g} degrees "
                f"(layers {z.min()}-{z.max()}): add supports or turn the part"
            )
        if not self.watertight:
            out.append("the mesh is not watertight: the slicer had to guess some outlines")
        if self.thin_features:
            n = sum(self.thin_features.values())
            out.append(
                f"{n} outlines on {len(self.thin_features)} layers are thinner than the {self.nozzle} mm nozzle "
                "and will not print"
            )
        return out


def check_printability(stack: SliceStack, nozzle: float = 0.4, max_overhang_deg: float = 45.0) -> Printability:
    """Overhangs, watertightness and too-thin outlines of a sliced part.

    >>> import trimesh
    >>> from labkit.geometry import slice_mesh
    >>> report = check_printability(slice_mesh(trimesh.creation.icosphere(3, radius=10)))
    >>> 0.1 < report.overhang_fraction < 0.2, report.watertight
    (True, True)
    """
    from labkit.geometry import _kernels

    normal_z, double_area, z_low, z_high = _kernels.face_slopes(stack.vertices, stack.faces)
    overhang_deg = np.degrees(np.arcsin(np.clip(-normal_z, 0.0, 1.0)))
    on_bed = z_high <= z_low.min() + stack.layer_height / 2
    overhang = (overhang_deg > max_overhang_deg) & ~on_bed & (double_area > 0)
    fraction = float(double_area[overhang].sum() / max(double_area.sum(), 1e-300))
    z = stack.z
    # A face overhangs on every layer it spans; report each layer once.
    first = np.clip(np.searchsorted(z, z_low[overhang]), 0, len(z) - 1)
    last = np.clip(np.searchsorted(z, z_high[overhang]), 0, len(z) - 1)
    marks = np.zeros(len(z) + 1, np.int64)
    np.add.at(marks, first, 1)
    np.add.at(marks, last + 1, -1)
    layers = np.flatnonzero(np.cumsum(marks[:-1]) > 0)
    thin = thin_outlines(stack.layers, nozzle)
    watertight = stack.open_edges == 0 and stack.flipped_edges == 0 and stack.non_manifold_edges == 0
    return Printability(
        overhang_faces=overhang,
        overhang_deg=overhang_deg,
        overhang_fraction=fraction,
        overhang_layers=layers,
        max_overhang_deg=max_overhang_deg,
        watertight=watertight,
        thin_outlines=thin,
        nozzle=nozzle,
    )


def thin_outlines(layers: Sequence[Layer], width: float) -> dict[int, list[np.ndarray]]:
    """Layer index -> the outer outlines whose region (with its holes) vanishes when shrunk by ``width / 2``.

    >>> import trimesh
    >>> from labkit.geometry import slice_mesh
    >>> thin = thin_outlines(slice_mesh(trimesh.creation.box((20, 0.3, 1)), 0.5).layers, 0.4)
    >>> {k: len(loops) for k, loops in thin.items()}
    {0: 1, 1: 1}
    """
    # A region that vanishes lies within width/2 of its outline, so its area is
    # at most perimeter * width / 2; only those few need the exact offset.
    suspects = np.concatenate(
        [
            np.bincount(layer.outer, weights=layer.loop_areas, minlength=len(layer.outer))
            <= np.bincount(layer.outer, weights=layer.loop_lengths, minlength=len(layer.outer)) * width / 2
            for layer in layers
        ]
        or [np.zeros(0, bool)]
    )
    polygons, layer_of = outline_polygons(layers, keep=suspects)
    [shrunk] = inset_chain(polygons, [width / 2])
    vanished = shapely.is_empty(shrunk)
    loops, owner = polygon_rings(shapely.polygons(shapely.get_exterior_ring(polygons[vanished])))
    out: dict[int, list[np.ndarray]] = {}
    for loop, k in zip(loops, layer_of[vanished][owner].tolist(), strict=True):
        out.setdefault(k, []).append(loop)
    return out

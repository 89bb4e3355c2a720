"""Pictures of a sliced part with matplotlib: a layer, the stack, the overhang map.

Each ``draw_*`` function draws into an Axes you give it, so notebooks and
widgets can place the views where they like; :func:`preview` puts all three
in one figure.

>>> from matplotlib.figure import Figure
>>> from labkit.geometry import draw_layer
>>> fig = Figure(); ax = fig.add_subplot()                        # doctest: +SKIP
>>> draw_layer(ax, stack, 10, paths)                               # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from mpl_toolkits.mplot3d.axes3d import Axes3D

    from labkit.geometry.printability import Printability
    from labkit.geometry.slicing import SliceStack
    from labkit.geometry.toolpaths import Toolpaths

__all__ = ["COLORS", "draw_layer", "draw_overhangs", "draw_stack", "preview"]

#: Colours of the layer view, by kind of line.
COLORS = {
    "outline": "black",
    "hole": "dimgray",
    "open": "red",
    "perimeter": "tab:blue",
    "solid infill": "tab:brown",
    "infill": "tab:orange",
    "travel": "tab:gray",
    "too thin": "tab:purple",
}


def draw_layer(
    ax: Axes, stack: SliceStack, index: int, paths: Toolpaths | None = None, report: Printability | None = None
) -> Axes:
    """Draw layer ``index`` of ``stack`` into the 2D ``ax``: outlines, and toolpaths if given.

    Outer outlines are black, holes grey, outline pieces an open mesh left
    unclosed red; with ``paths`` (from ``plan_toolpaths``) perimeters are
    blue, solid infill brown, sparse infill orange and travel dotted grey;
    with ``report`` (from ``check_printability``) outlines too thin for the
    nozzle are thick purple. Returns ``ax``.

    >>> from matplotlib.figure import Figure
    >>> import trimesh
    >>> from labkit.geometry import slice_mesh
    >>> stack = slice_mesh(trimesh.creation.annulus(r_min=3, r_max=6, height=2))
    >>> ax = draw_layer(Figure().add_subplot(), stack, 0)
    >>> ax.get_title()
    'layer 0 at z = -0.90 mm: 2 loops, 84.3 mm²'
    """
    from matplotlib.collections import LineCollection

    layer = stack.layers[index]
    is_outer = layer.outer == np.arange(len(layer.loops))
    groups = [
        ([loop for loop, o in zip(layer.loops, is_outer, strict=True) if o], "outline", 1.2, "-"),
        ([loop for loop, o in zip(layer.loops, is_outer, strict=True) if not o], "hole", 1.2, "-"),
        (layer.open_chains, "open", 1.5, "--"),
    ]
    if report is not None:
        groups.append((report.thin_outlines.get(index, []), "too thin", 2.5, "-"))
    if paths is not None:
        moves = paths.layers[index]
        groups += [
            (moves.perimeters, "perimeter", 0.8, "-"),
            (moves.solid_infill, "solid infill", 0.6, "-"),
            (moves.infill, "infill", 0.6, "-"),
            (list(moves.travel), "travel", 0.4, ":"),
        ]
    for lines, kind, width, style in groups:
        if len(lines):
            ax.add_collection(
                LineCollection(lines, colors=COLORS[kind], linewidths=width, linestyles=style, label=kind)
            )
    _frame(ax, stack)
    ax.set_title(f"layer {index} at z = {layer.z:.2f} mm: {len(layer.loops)} loops, {layer.area:.1f} mm²")
    if paths is not None or (report is not None and index in report.thin_outlines):
        ax.legend(loc="upper right", fontsize="small")
    return ax


def draw_stack(ax: Axes3D, stack: SliceStack, max_layers: int = 120) -> Axes3D:
    """Draw the part as a stack of outlines into the 3D ``ax`` (``projection="3d"``).

    At most ``max_layers`` evenly spaced layers are drawn, coloured by height.
    """
    from matplotlib import colormaps
    from mpl_toolkits.mplot3d.art3d import Line3DCollection

    step = max(1, len(stack.layers) // max_layers)
    shown = stack.layers[::step]
    cmap = colormaps["viridis"]
    span = max(stack.layers[-1].z - stack.layers[0].z, 1e-9)
    lines, colors = [], []
    for layer in shown:
        for loop in layer.loops:
            lines.append(np.column_stack([loop, np.full(len(loop), layer.z)]))
            colors.append(cmap((layer.z - stack.layers[0].z) / span))
    if lines:
        ax.add_collection(Line3DCollection(lines, colors=colors, linewidths=0.6))
    low, high = stack.vertices.min(axis=0), stack.vertices.max(axis=0)
    ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), zlim=(low[2], high[2]), xlabel="x mm", ylabel="y mm")
    extent = np.maximum(high - low, 1e-9)
    ax.set_box_aspect((float(extent[0]), float(extent[1]), float(extent[2])))
    ax.set_title(f"{len(stack.layers)} layers of {stack.layer_height} mm")
    return ax


def draw_overhangs(ax: Axes, stack: SliceStack, report: Printability | None = None) -> Axes:
    """Draw the overhang map into the 2D ``ax``: the part seen from below, faces by overhang angle.

    Faces beyond the limit are coloured (yellow to red by angle), the rest light grey.
    """
    from matplotlib.collections import PolyCollection

    if report is None:
        report = stack.printability()
    corners = stack.vertices[stack.faces]
    ok = ~report.overhang_faces
    ax.add_collection(PolyCollection(corners[ok, :, :2], facecolors="0.85", edgecolors="none"))
    if report.overhang_faces.any():
        hot = PolyCollection(corners[report.overhang_faces, :, :2], cmap="YlOrRd", edgecolors="none")
        hot.set_array(report.overhang_deg[report.overhang_faces])
        hot.set_clim(report.max_overhang_deg, 90)
        ax.add_collection(hot)
        ax.figure.colorbar(hot, ax=ax, label="overhang, degrees from vertical")
    _frame(ax, stack)
    ax.set_title(f"overhangs > {report.max_overhang_deg:g}°: {report.overhang_fraction:.1%} of the surface")
    return ax


def preview(
    stack: SliceStack,
    path: str | Path | None = None,
    layer: int | None = None,
    paths: Toolpaths | None = None,
) -> Figure:
    """One figure with a layer (its toolpaths, its outlines too thin to print), the stack and the overhang map.

    Saved to ``path`` if given.
    """
    from matplotlib.figure import Figure

    index = len(stack.layers) // 2 if layer is None else layer
    report = stack.printability(nozzle=paths.settings.nozzle if paths is not None else 0.4)
    fig = Figure(figsize=(16, 5.5), layout="constrained")
    draw_layer(fig.add_subplot(1, 3, 1), stack, index, paths, report)
    draw_stack(fig.add_subplot(1, 3, 2, projection="3d"), stack)  # type: ignore[arg-type]
    draw_overhangs(fig.add_subplot(1, 3, 3), stack, report)
    fig.suptitle(f"{stack.model}: {stack.triangles} triangles")
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _frame(ax: Axes, stack: SliceStack) -> None:
    low, high = stack.vertices[:, :2].min(axis=0), stack.vertices[:, :2].max(axis=0)
    pad = 0.03 * max(float((high - low).max()), 1e-9)
    ax.set_xlim(low[0] - pad, high[0] + pad)
    ax.set_ylim(low[1] - pad, high[1] + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x mm")
    ax.set_ylabel("y mm")

"""``LayerViewer``: a slider over the layers of a sliced part, with toolpaths and overhangs.

>>> import trimesh
>>> from labkit.geometry import slice_mesh
>>> from labkit.widgets import LayerViewer
>>> viewer = LayerViewer(slice_mesh(trimesh.creation.icosphere(2, radius=8), 0.5))
>>> viewer.show(3)
>>> viewer.index, viewer.png[:4]
(3, b'\\x89PNG')
>>> viewer.close()
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from labkit.errors import WidgetError
from labkit.geometry import draw_layer
from labkit.widgets._picture import agg_figure, canvas_png

if TYPE_CHECKING:
    from labkit.geometry import Layer, Printability, SliceStack, Toolpaths

__all__ = ["LayerViewer"]

WIDTH_PX = 620
HEIGHT_PX = 560
# Pictures kept, so dragging the slider back and forth does not draw them again.
CACHED_PICTURES = 64
OVERHANG_COLOR = (0.9, 0.1, 0.1, 0.35)


class LayerViewer:
    """A slider over ``stack``'s layers; each picture shows the layer, its toolpaths
    (when ``paths`` from ``plan_toolpaths`` is given) and, in red, the overhanging
    faces of the part that the layer prints on or over.

    ``printability`` (from ``stack.printability()``) is computed when not given.

    >>> import trimesh
    >>> from labkit.geometry import plan_toolpaths, slice_mesh
    >>> stack = slice_mesh(trimesh.creation.box((20, 10, 2)), layer_height=0.5)
    >>> viewer = LayerViewer(stack, plan_toolpaths(stack))
    >>> viewer           # in a notebook, this shows the slider and the picture
    <LayerViewer of mesh: layer 0 of 3>
    >>> viewer.caption
    'layer 0 of 3 · z = -0.75 mm · 1 outlines · 200.0 mm²'
    """

    def __init__(
        self,
        stack: SliceStack,
        paths: Toolpaths | None = None,
        printability: Printability | None = None,
    ) -> None:
        if not stack.layers:
            raise WidgetError("this stack has no layers to show: was the part flat or empty?")
        if paths is not None and len(paths.layers) != len(stack.layers):
            raise WidgetError(
                f"these toolpaths have {len(paths.layers)} layers but the stack has "
                f"{len(stack.layers)}: plan them from this stack"
            )
        self.stack = stack
        self.paths = paths
        self.printability = stack.printability() if printability is None else printability
        corners = stack.vertices[stack.faces[self.printability.overhang_faces]]
        self._overhang_xy = corners[:, :, :2]
        # A face belongs to the layers from the first plane at or above its lowest point to
        # the first at or above its highest (as Printability.overhang_layers counts them), so
        # a flat ceiling shows on the layer printed over it, in the air.
        self._overhang_layers = (
            np.searchsorted(stack.z, corners[:, :, 2].min(axis=1)),
            np.searchsorted(stack.z, corners[:, :, 2].max(axis=1)),
        )
        self._figure = agg_figure(WIDTH_PX, HEIGHT_PX)
        self._pictures: OrderedDict[int, bytes] = OrderedDict()
        self._slider = widgets.IntSlider(
            value=0, min=0, max=len(stack.layers) - 1, description="layer",
            continuous_update=True, layout=widgets.Layout(width=f"{WIDTH_PX}px"))
        self._image = widgets.Image(format="png", layout=widgets.Layout(width=f"{WIDTH_PX}px"))
        self._caption = widgets.Label()
        self._slider.observe(lambda change: self._draw(change["new"]), "value")
        self.widget = widgets.VBox([self._slider, self._caption, self._image])
        """The ipywidgets box a notebook shows."""
        self.widget.add_class("labkit-layer-viewer")
        self._draw(0)

    @property
    def index(self) -> int:
        """The layer shown."""
        return int(self._slider.value)

    @property
    def layer(self) -> Layer:
        """The ``Layer`` shown."""
        return self.stack.layers[self.index]

    @property
    def png(self) -> bytes:
        """The picture shown, as PNG bytes."""
        return bytes(self._image.value)

    @property
    def caption(self) -> str:
        """The line under the slider: height, outlines, area, overhangs."""
        return str(self._caption.value)

    def show(self, index: int) -> None:
        """Move the slider to layer ``index`` (0 is on the bed; -1 is the top)."""
        count = len(self.stack.layers)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -count <= index < count:
            raise WidgetError(f"no layer {index!r}: this stack has layers 0 to {count - 1}")
        self._slider.value = int(index) % count

    def overhangs_at(self, index: int) -> int:
        """How many overhanging faces cross layer ``index``."""
        return int(np.count_nonzero(self._crossing(index)))

    def close(self) -> None:
        """Remove the widget from the notebook; idempotent."""
        for widget in (self._slider, self._image, self._caption, self.widget):
            widget.close()

    def _crossing(self, index: int) -> np.ndarray:
        first, last = self._overhang_layers
        return (first <= index) & (index <= last)

    def _draw(self, index: int) -> None:
        picture = self._pictures.get(index)
        if picture is None:
            picture = self._render(index)
            self._pictures[index] = picture
            if len(self._pictures) > CACHED_PICTURES:
                self._pictures.popitem(last=False)
        else:
            self._pictures.move_to_end(index)
        layer = self.stack.layers[index]
        overhangs = self.overhangs_at(index)
        self._caption.value = (
            f"layer {index} of {len(self.stack.layers) - 1} · z = {layer.z:.2f} mm · "
            f"{len(layer.loops)} outlines · {layer.area:.1f} mm²"
            + (f" · {overhangs} overhanging faces" if overhangs else "")
        )
        self._image.value = picture

    def _render(self, index: int) -> bytes:
        from matplotlib.collections import PolyCollection

        self._figure.clear()
        axes = self._figure.add_subplot()
        crossing = self._crossing(index)
        if crossing.any():
            axes.add_collection(PolyCollection(self._overhang_xy[crossing], facecolors=OVERHANG_COLOR,
                                               edgecolors="none", label="overhang"))
        draw_layer(axes, self.stack, index, self.paths)
        self._figure.tight_layout()
        self._figure.canvas.draw()
        return canvas_png(self._figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<LayerViewer of {self.stack.model}: layer {self.index} of {len(self.stack.layers) - 1}>"

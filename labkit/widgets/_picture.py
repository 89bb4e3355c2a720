"""Matplotlib pictures for widgets: an off-screen Agg figure, encoded as PNG bytes.

No pyplot: a widget's figure must not be shown again by the notebook's inline
backend, nor stay in pyplot's global list of open figures.

>>> figure = agg_figure(200, 100)
>>> _ = figure.add_subplot().plot([0, 1], [0, 1])
>>> figure.canvas.draw()
>>> canvas_png(figure)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 80


def agg_figure(width_px: int, height_px: int) -> Figure:
    """A figure of ``width_px`` by ``height_px`` pixels on its own Agg canvas."""
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def canvas_png(figure: Figure) -> bytes:
    """The canvas as drawn so far, as PNG (it does not draw the figure again).

    The fastest zlib level: a live picture is sent ten times a second and thrown
    away; the bytes saved by stronger compression cost more CPU than they save.
    """
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    width, height = canvas.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    encoded = io.BytesIO()
    rgba.convert("RGB").save(encoded, format="png", compress_level=1)
    return encoded.getvalue()

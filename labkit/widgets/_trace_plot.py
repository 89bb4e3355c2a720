"""The Scope's picture: channels against "seconds ago", like an oscilloscope.

The axes stay still while the traces move, so the axes, ticks and legend are
drawn once into a background and each frame only restores it and draws the
lines (blitting): about 4 ms a frame instead of 20 for a full redraw. The
background is redrawn only when the time span or the value range changes.

>>> import numpy as np
>>> plot = TracePlot(["light"])
>>> t = np.linspace(0.0, 1.0, 101)
>>> png = plot.render([(t, 0.5 + 0.4 * np.sin(6 * t))], now_s=1.0, capacity=500)
>>> png[:4], plot.span_s
(b'\\x89PNG', 5.0)
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from labkit.widgets._picture import agg_figure, canvas_png

Series = tuple[np.ndarray, np.ndarray]

WIDTH_PX = 720
HEIGHT_PX = 260
DEFAULT_SPAN_S = 5.0


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50... that is >= ``x`` (``x`` > 0).

    >>> nice_ceiling(4.2), nice_ceiling(0.03), nice_ceiling(5.0)
    (5.0, 0.05, 5.0)
    """
    decade = 10.0 ** math.floor(math.log10(x))
    for step in (1.0, 2.0, 5.0, 10.0):
        # A relative tolerance, so 5.000000001 from a float division stays 5.
        if step * decade >= x * (1 - 1e-9):
            return step * decade
    raise AssertionError("unreachable: 10 * decade > x")


def span_for(series: list[Series], capacity: int) -> float | None:
    """Seconds a full window of the fastest channel covers, rounded up to a nice number.

    None until some channel has two samples.
    """
    spans = [
        capacity * float(np.median(np.diff(t)))
        for t, _ in series
        if len(t) >= 2 and t[-1] > t[0]
    ]
    return nice_ceiling(min(spans)) if spans else None


class TracePlot:
    """Up to eight named traces over the last ``span_s`` seconds; ``render`` gives PNG bytes."""

    def __init__(self, names: list[str]) -> None:
        self.figure = agg_figure(WIDTH_PX, HEIGHT_PX)
        self.figure.subplots_adjust(left=0.07, right=0.72, top=0.95, bottom=0.17)
        self.axes = self.figure.add_subplot()
        self.axes.set_xlabel("seconds ago")
        self.axes.grid(True, alpha=0.3)
        self.lines = [
            self.axes.plot([], [], drawstyle="steps-post", lw=1.3, label=name, animated=True)[0]
            for name in names
        ]
        # The legend is outside the axes so the traces never hide it (it sits in the background).
        self.axes.legend(handles=self.lines, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
        self.span_s = DEFAULT_SPAN_S
        self.value_range = (0.0, 1.0)
        self._background: object | None = None

    def render(self, series: list[Series], now_s: float, capacity: int) -> bytes:
        """Draw each channel's ``(times, values)`` as held steps up to ``now_s``; PNG bytes."""
        self._fit(series, capacity)
        canvas = self.figure.canvas
        assert isinstance(canvas, FigureCanvasAgg)
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self._background)
        for line, (times, values) in zip(self.lines, series, strict=True):
            if len(times):
                # Hold the last value until now: a button reports only when it changes.
                line.set_data(np.append(times, now_s) - now_s, np.append(values, values[-1]))
                self.axes.draw_artist(line)
        return canvas_png(self.figure)

    def _fit(self, series: list[Series], capacity: int) -> None:
        span = span_for(series, capacity) or self.span_s
        low, high = self.value_range
        present = [values for _, values in series if len(values)]
        if present:
            data_low = min(float(v.min()) for v in present)
            data_high = max(float(v.max()) for v in present)
            # Grow with room to spare, so noisy data does not redraw the axes every frame.
            room = 0.25 * (max(high, data_high) - min(low, data_low))
            low = data_low - room if data_low < low else low
            high = data_high + room if data_high > high else high
        if self._background is not None and (span, (low, high)) == (self.span_s, self.value_range):
            return
        self.span_s, self.value_range = span, (low, high)
        margin = 0.05 * (high - low or 1.0)
        self.axes.set_xlim(-span, 0.0)
        self.axes.set_ylim(low - margin, high + margin)
        self._background = None

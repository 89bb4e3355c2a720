"""``Scope``: a live plot of up to eight devices, like the Arduino serial plotter.

Two sides that never wait on each other:

- **Sampling** stays where the hardware layer delivers readings (its reader
  thread, through ``device.add_listener``): each reading is appended to the
  channel's ring buffer, nothing more. No widget is touched and nothing is
  printed from that thread.
- **Drawing** is one asyncio task on the kernel's event loop, 15 times a second
  by default: it copies the buffers, draws the new frame and sends it as one
  image update, so a Scope costs about 15 output messages a second whatever the
  sampling rate (Jupyter drops output above 1,000 messages a second).

Without a running event loop (a script, a test, the grader) nothing is
scheduled: ``step()`` draws one frame on demand.

>>> from labkit import Board
>>> from labkit.widgets import Scope
>>> board = Board.connect("sim")
>>> scope = Scope(board.light_sensor("A0"), board.temperature_sensor("A1"))
>>> scope                      # in a notebook, this shows the live plot
<Scope of LightSensor A0, TemperatureSensor A1: live, window 500>
>>> board.wait(0.3)
>>> scope.step()               # draw a frame now (the notebook's loop does it by itself)
True
>>> scope.pause()
>>> scope.columns, scope.to_numpy().shape[1]
(('time_s', 'LightSensor A0', 'TemperatureSensor A1'), 3)
>>> scope.stop(); board.close()
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from labkit.errors import WidgetError
from labkit.widgets._devices import Listener, check_readable, device_label, listen
from labkit.widgets._latest import LatestPerKey
from labkit.widgets._ring import SampleRing
from labkit.widgets._ticker import Ticker
from labkit.widgets._trace_plot import TracePlot

if TYPE_CHECKING:
    import pandas

__all__ = ["Scope"]

MAX_CHANNELS = 8
MAX_REDRAW_HZ = 30.0
STATUS_EVERY_S = 1.0
# A new Scope on a device closes the one before (a cell run again must not pile them up).
_SCOPES = LatestPerKey()


class Scope:
    """A live plot of ``devices`` (1 to 8): the last ``window`` readings of each.

    Parameters
    ----------
    *devices
        Devices with readings (a light sensor, a potentiometer, a button...).
    window
        Readings kept and drawn per channel (the serial plotter keeps 500).
    redraw_hz
        Frames a second (at most 30; 10 to 20 looks smooth).
    names
        Legend and column names; by default each device's kind and pin (``LightSensor A0``).

    Pause freezes the picture and the recording; ``to_csv``, ``to_numpy`` and
    ``to_pandas`` export what is kept, one row per reading of any channel. A
    device shows in one live Scope at a time: a new Scope on it closes the old
    one, so running a cell again replaces its plot instead of adding one.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     scope = Scope(board.potentiometer("A2"), window=200, names=["knob"])
    ...     board.wait(0.2)
    ...     scope.samples[0] > 3
    True
    """

    def __init__(
        self,
        *devices: Any,
        window: int = 500,
        redraw_hz: float = 15.0,
        names: list[str] | None = None,
    ) -> None:
        if not 1 <= len(devices) <= MAX_CHANNELS:
            raise WidgetError(
                f"a Scope shows 1 to {MAX_CHANNELS} devices, not {len(devices)}: "
                "make a second Scope for the others"
            )
        if not isinstance(window, int) or window < 2:
            raise WidgetError(f"window is how many readings to keep (2 or more), not {window!r}")
        if not 0 < redraw_hz <= MAX_REDRAW_HZ:
            raise WidgetError(
                f"redraw_hz must be above 0 and at most {MAX_REDRAW_HZ:g} "
                f"(frames a second), not {redraw_hz!r}"
            )
        for device in devices:
            check_readable(device)
        labels = list(names) if names is not None else [device_label(d) for d in devices]
        if len(labels) != len(devices):
            raise WidgetError(f"{len(labels)} names for {len(devices)} devices: give one name each")
        self.names: tuple[str, ...] = tuple(labels)
        """The channels' names, in the order the devices were given."""
        self.window = window
        self._devices = devices
        self._rings = [SampleRing(window) for _ in devices]
        self._plot = TracePlot(labels)
        self._t0 = time.monotonic()
        self._paused = False
        self._stopped = False
        self._closed = False
        self.redraws = 0
        """Frames drawn so far."""
        self.png = b""
        """The last frame, as PNG bytes (empty before the first)."""
        self._status_at = (self._t0, 0, [0] * len(devices))
        self._build_widgets()
        _SCOPES.claim(devices, self)
        self._unlisten = []
        for device, ring in zip(devices, self._rings, strict=True):
            self._unlisten.append(listen(device, self._recorder(ring)))
            # A button reports only when it changes: start every trace from where it is now
            # (a peek: an error of the student's callback stays for their own next call).
            with device.board.peek():
                ring.append(time.monotonic() - self._t0, float(device.value))
        self._ticker = Ticker(self.step, redraw_hz, on_error=self._failed)
        self._ticker.start()

    # -- what users and tests drive -------------------------------------------------------

    @property
    def paused(self) -> bool:
        """Whether the picture and the recording are frozen."""
        return self._paused

    @property
    def stopped(self) -> bool:
        """Whether ``stop()`` (or the Stop button) ended the recording for good."""
        return self._stopped

    @property
    def status(self) -> str:
        """The line beside the buttons: live, paused or stopped (and why), readings/s, frames/s."""
        return str(self._status.value)

    @property
    def samples(self) -> tuple[int, ...]:
        """Readings recorded per channel since the start (the window keeps the last ones)."""
        return tuple(ring.total for ring in self._rings)

    def pause(self) -> None:
        """Freeze the picture and stop recording; ``resume()`` continues."""
        self._paused = True
        self._pause_button.value = True
        self._show_status(force=True)

    def resume(self) -> None:
        """Record and draw again after ``pause()``."""
        if self._stopped:
            raise WidgetError("this Scope was stopped; make a new Scope to record again")
        self._paused = False
        self._pause_button.value = False
        self._show_status(force=True)

    def step(self) -> bool:
        """Draw one frame now from what the buffers hold; False when paused, stopped or empty.

        Once every device is closed (or their board is), the Scope stops by itself.
        """
        if self._paused or self._stopped:
            return False
        if all(device.closed for device in self._devices):
            self.stop()
            self._status.value = "stopped: its devices were closed (the data stays for export)"
            return False
        series = [ring.snapshot() for ring in self._rings]
        if not any(len(t) for t, _ in series):
            return False
        self.png = self._plot.render(series, time.monotonic() - self._t0, self.window)
        self._image.value = self.png
        self.redraws += 1
        self._show_status()
        return True

    def stop(self) -> None:
        """Stop recording and drawing for good (the data stays for export); idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._ticker.stop()
        for unlisten in self._unlisten:
            unlisten()
        self._pause_button.disabled = True
        self._stop_button.disabled = True
        self._show_status(force=True)

    def close(self) -> None:
        """Stop, and remove the widget from the notebook; idempotent."""
        if self._closed:
            return
        self.stop()
        self._closed = True
        for widget in (*self._controls.children, self._controls, self._image, self.widget):
            widget.close()

    def __enter__(self) -> Scope:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- export ---------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of the exported table: ``time_s`` then each channel."""
        return ("time_s", *self.names)

    def to_numpy(self) -> np.ndarray:
        """The kept readings as an ``(n, 1 + channels) float64`` array; column 0 is ``time_s``.

        One row per reading of any channel, in time order; the other channels hold
        their latest reading (as the plot's steps do). Rows start once every channel
        that has data has a reading.
        """
        series = [ring.snapshot() for ring in self._rings]
        present = [t for t, _ in series if len(t)]
        times = np.unique(np.concatenate(present)) if present else np.zeros(0)
        if present:
            times = times[times >= max(t[0] for t in present)]
        table = np.full((len(times), 1 + len(series)), np.nan)
        table[:, 0] = times
        for column, (t, values) in enumerate(series, start=1):
            latest = np.searchsorted(t, times, side="right") - 1
            known = latest >= 0
            table[known, column] = values[latest[known]]
        return table

    def to_csv(self, path: str | Path) -> Path:
        """Write the table of ``to_numpy()`` with a header row; returns the path."""
        path = Path(path)
        np.savetxt(path, self.to_numpy(), delimiter=",", fmt="%.6g",
                   header=",".join(self.columns), comments="")
        return path

    def to_pandas(self) -> pandas.DataFrame:
        """The table of ``to_numpy()`` as a pandas DataFrame (needs ``pip install pandas``)."""
        try:
            import pandas
        except ImportError as missing:
            raise ImportError(
                "Scope.to_pandas needs pandas: pip install pandas (or use scope.to_numpy())"
            ) from missing
        return pandas.DataFrame(self.to_numpy(), columns=list(self.columns))

    # -- the widget -----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self._image = widgets.Image(format="png", layout=widgets.Layout(width="720px"))
        self._pause_button = widgets.ToggleButton(description="Pause", icon="pause",
                                                  tooltip="freeze the picture and the recording")
        self._stop_button = widgets.Button(description="Stop", icon="stop",
                                           tooltip="stop recording for good (the data stays)")
        self._save_button = widgets.Button(description="Save CSV", icon="download",
                                           tooltip="write scope.csv in the notebook's folder")
        self._status = widgets.Label()
        self._note = widgets.Label()
        self._pause_button.observe(self._on_pause_toggled, "value")
        self._stop_button.on_click(lambda _: self.stop())
        self._save_button.on_click(self._on_save)
        self._controls = widgets.HBox([self._pause_button, self._stop_button, self._save_button,
                                       self._status, self._note])
        self.widget = widgets.VBox([self._image, self._controls])
        """The ipywidgets box a notebook shows."""
        self.widget.add_class("labkit-scope")
        self._show_status(force=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_pause_toggled(self, change: dict[str, Any]) -> None:
        if change["new"] and not self._paused:
            self.pause()
        elif not change["new"] and self._paused:
            self.resume()

    def _on_save(self, _: object) -> None:
        path = self.to_csv("scope.csv")
        self._note.value = f"saved {path} ({len(self.to_numpy())} rows)"

    def _recorder(self, ring: SampleRing) -> Listener:
        def record(t: float, value: float) -> None:
            if not self._paused:
                ring.append(t - self._t0, float(value))

        return record

    def _failed(self, error: BaseException) -> None:
        self.stop()
        self._status.value = f"stopped: {type(error).__name__}: {error}"

    def _show_status(self, force: bool = False) -> None:
        # Rates are refreshed once a second: a label update is one more message.
        now = time.monotonic()
        then, redraws, totals = self._status_at
        if not force and now - then < STATUS_EVERY_S:
            return
        state = self._state()
        elapsed = max(now - then, 1e-9)
        rates = [(ring.total - before) / elapsed for ring, before in zip(self._rings, totals, strict=True)]
        self._status_at = (now, self.redraws, [ring.total for ring in self._rings])
        if force:
            self._status.value = f"{state} · {len(self._rings)} channels · window {self.window}"
            return
        self._status.value = (
            f"{state} · {max(rates):.0f} readings/s per channel · "
            f"{(self.redraws - redraws) / elapsed:.0f} frames/s"
        )

    def _state(self) -> str:
        return "stopped" if self._stopped else "paused" if self._paused else "live"

    def __repr__(self) -> str:
        return f"<Scope of {', '.join(self.names)}: {self._state()}, window {self.window}>"

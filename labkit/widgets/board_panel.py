"""``BoardPanel``: every device open on a board, as controls and live readouts.

Outputs get controls (a toggle for an LED or buzzer, a slider for a PWM LED
or a servo, a colour picker for an RGB LED); inputs get readouts (a bar and
the reading for analog sensors, words for buttons). On the virtual board each
row also shows what the board itself sees on the pin, read back from the
simulation: proof that the bytes crossed the serial link.

The panel refreshes ten times a second as one asyncio task on the kernel's
loop; a refresh sends a message only for what changed. Devices opened or
closed later appear and disappear by themselves.

>>> from labkit import Board
>>> from labkit.widgets import BoardPanel
>>> board = Board.connect("sim")
>>> servo = board.servo(9)
>>> panel = BoardPanel(board)      # in a notebook, show it: put `panel` last in a cell
>>> panel.set(servo, 120)          # as if the slider was dragged to 120
>>> board.wait(0.3)                # the virtual servo turns at 300 degrees a second
>>> panel.refresh()                # the notebook's loop does it ten times a second
>>> panel.readout(servo)
'virtual board: D9 servo 120°'
>>> board.close()
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from labkit.errors import WidgetError
from labkit.widgets._latest import LatestPerKey
from labkit.widgets._rows import Row, row_for, set_if_changed
from labkit.widgets._ticker import Ticker

__all__ = ["BoardPanel"]

# A new panel for a board closes the one before (a cell run again must not pile them up).
_PANELS = LatestPerKey()


class BoardPanel:
    """Controls and readouts for every device open on ``board``, and how it is connected.

    ``set(device, value)`` moves a control as a user would; ``readout(device)``
    reads a row's words; ``refresh()`` updates everything now (the panel also
    does it ``refresh_hz`` times a second on the kernel's loop). A new panel
    for the same board closes this one.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     led = board.led(13)
    ...     panel = BoardPanel(board)
    ...     panel.set(led, True)
    ...     led.is_active
    True
    """

    def __init__(self, board: Any, refresh_hz: float = 10.0) -> None:
        self.board = board
        self._closed = False
        self._header = widgets.HTML()
        self._rows: dict[Any, Row] = {}
        self._others: dict[Any, widgets.Label] = {}
        self._list = widgets.VBox()
        self.widget = widgets.VBox([self._header, self._list])
        """The ipywidgets box a notebook shows."""
        self.widget.add_class("labkit-board-panel")
        self._ticker = Ticker(self.refresh, refresh_hz, on_error=self._failed)
        _PANELS.claim([board], self)
        self.refresh()
        self._ticker.start()

    @property
    def connection(self) -> str:
        """The header line: virtual or real, the port, the firmware, the sampling rate."""
        return str(self._header.value)

    def control(self, device: Any) -> widgets.Widget:
        """The widget that controls (or shows) ``device``."""
        return self._row(device).control

    def set(self, device: Any, value: Any) -> None:
        """Move ``device``'s control to ``value``, as a click or a drag would."""
        row = self._row(device)
        if not row.settable:
            raise WidgetError(f"{device!r} is an input: the panel shows it, it cannot set it")
        row.control.value = value

    def readout(self, device: Any) -> str:
        """The words a row shows: the reading of an input, and what the virtual board sees."""
        row = self._row(device)
        words = [w.value for w in _labels(row.widget) if w.value]
        return " · ".join(words)

    def refresh(self) -> None:
        """Bring the header and every row up to date, adding and removing rows as devices come and go."""
        board = self.board
        if self._closed:
            return
        if board.closed:
            self._ticker.stop()
            set_if_changed(self._header, "value", "<b>board closed</b>: connect again with Board.connect()")
            self._sync_rows(())
            return
        set_if_changed(self._header, "value", _describe(board))
        # A peek: an error of the student's callback stays for their own next call, not the panel's.
        with board.peek():
            self._sync_rows(board.devices)
            for row in self._rows.values():
                row.refresh()

    def close(self) -> None:
        """Stop refreshing and remove the panel from the notebook; the board stays open. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        self._sync_rows(())
        for widget in (self._header, self._list, self.widget):
            widget.close()

    def _row(self, device: Any) -> Row:
        row = self._rows.get(device)
        if row is None:
            raise WidgetError(f"{device!r} is not on this panel: is it open on this board?")
        return row

    def _sync_rows(self, devices: tuple[Any, ...]) -> None:
        for gone in [d for d in (*self._rows, *self._others) if d not in devices]:
            (self._rows.pop(gone) if gone in self._rows else self._others.pop(gone)).close()
        for device in devices:
            if device not in self._rows and device not in self._others:
                row = row_for(device)
                if row is None:
                    self._others[device] = widgets.Label(repr(device))
                else:
                    self._rows[device] = row
        children = tuple(
            self._rows[d].widget if d in self._rows else self._others[d] for d in devices
        )
        if children != self._list.children:
            self._list.children = children

    def _failed(self, error: BaseException) -> None:
        self._header.value = f"<b>stopped</b>: {type(error).__name__}: {error}"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        if self._closed:
            return "<BoardPanel closed>"
        return f"<BoardPanel of {self.board!r}: {len(self._rows)} rows>"


def _describe(board: Any) -> str:
    kind = "virtual" if board.sim is not None else "real"
    kit = f" with the {board.kit.title}" if board.kit is not None else ""
    interval = board.sampling_interval
    return (
        f"<b>{board.profile.title}</b> ({kind}){kit} on <code>{board.port}</code> · "
        f"{board.firmware} · sampling every {interval * 1000:.0f} ms ({1 / interval:.0f} Hz)"
    )


def _labels(widget: widgets.Widget) -> list[widgets.Label]:
    if isinstance(widget, widgets.Label):
        return [widget]
    return [label for child in getattr(widget, "children", ()) for label in _labels(child)]

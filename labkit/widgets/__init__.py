"""Widgets for the notebook: a board's panel, a live plot, a slider over a print's layers.

Built with ipywidgets and matplotlib; each one also works without a browser
(methods to set values, draw a frame, read the state) for tests and grading.

>>> from labkit import Board
>>> from labkit.widgets import BoardPanel, Scope
>>> board = Board.connect("sim")       # in a notebook: Board.connect()
>>> BoardPanel(board)                  # in a notebook, the panel shows here
<BoardPanel of <Board virtual Arduino Uno on ..., 0 devices>: 0 rows>
>>> Scope(board.light_sensor("A0"))    # and here the live plot
<Scope of LightSensor A0: live, window 500>
>>> board.close()
"""

from labkit.widgets.board_panel import BoardPanel
from labkit.widgets.layer_viewer import LayerViewer
from labkit.widgets.scope import Scope

__all__ = ["BoardPanel", "LayerViewer", "Scope"]

"""Widgets for the notebook: a board's panel, a live plot, a slider over a print's layers.

Built with ipywidgets and matplotlib; each one also works without a browser
(methods to set values, draw a frame, read the state) for tests and grading.

>>> from labkit import Board
>>> from labkit.widgets import BoardPanel, Scope
>>> board = Board.connect()                   # doctest: +SKIP
>>> BoardPanel(board)                         # doctest: +SKIP
>>> Scope(board.light_sensor("A0"))           # doctest: +SKIP
"""

from labkit.widgets.board_panel import BoardPanel
from labkit.widgets.layer_viewer import LayerViewer
from labkit.widgets.scope import Scope

__all__ = ["BoardPanel", "LayerViewer", "Scope"]

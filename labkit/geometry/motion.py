"""How long a printer takes to follow a path: feeds, accelerations, corners.

Each segment is a trapezoid: it enters at the speed its corner allows,
accelerates at ``accel`` towards ``feed``, and slows down for the next
corner. Corner speeds follow Marlin's classic jerk: a straight joint keeps
full speed, a sharp turn drops to about ``jerk``. There is no look-ahead
across segments too short to reach their corner speeds, so very dense paths
come out a little slow.

>>> import numpy as np
>>> from labkit.geometry.motion import path_time
>>> square = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], float)
>>> round(path_time([square], feed=40, accel=1000, jerk=10), 3)
1.104
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["path_length", "path_time", "segments_time"]


def path_time(
    paths: Sequence[np.ndarray], feed: float, accel: float, jerk: float
) -> float:
    """Seconds to follow every polyline in ``paths`` ((n, 2) float64 mm each).

    Parameters
    ----------
    paths : sequence of (n, 2) float64
        Polylines, each started and ended at rest (``jerk`` speed).
    feed : float
        Target speed, mm/s.
    accel : float
        mm/s^2.
    jerk : float
        The speed change Marlin allows without slowing down, mm/s.
    """
    step, is_move = _steps(paths)
    if len(step) == 0:
        return 0.0
    length = np.hypot(step[:, 0], step[:, 1])
    direction = step / np.maximum(length, 1e-12)[:, None]
    start_speed = np.minimum(jerk, feed)
    corner = np.full(len(step) + 1, start_speed)
    cos_turn = np.einsum("ij,ij->i", direction[:-1], direction[1:])
    # Marlin classic jerk: the velocity jump across the corner may be `jerk`.
    jump = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * cos_turn))
    inner = np.minimum(feed, jerk / np.maximum(jump, 1e-12))
    joined = is_move[:-1] & is_move[1:]
    corner[1:-1] = np.where(joined, inner, start_speed)
    v_in = corner[:-1][is_move]
    v_out = corner[1:][is_move]
    return float(_trapezoid_time(length[is_move], v_in, v_out, feed, accel).sum())


def path_length(paths: Sequence[np.ndarray]) -> float:
    """Total length of the polylines in ``paths`` ((n, 2) float64 mm each), mm.

    >>> path_length([np.array([[0, 0], [3, 4], [3, 0]], float), np.array([[9, 9], [9, 10]], float)])
    10.0
    """
    step, is_move = _steps(paths)
    return float(np.hypot(step[is_move, 0], step[is_move, 1]).sum())


def _steps(paths: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every step between consecutive points of all ``paths``, and which steps are moves within a path."""
    paths = [p for p in paths if len(p) >= 2]
    if not paths:
        return np.empty((0, 2)), np.empty(0, bool)
    points = np.concatenate(paths)
    ends = np.cumsum([len(p) for p in paths])
    step = np.diff(points, axis=0)
    # Steps that join one path to the next are not moves.
    is_move = np.ones(len(step), bool)
    is_move[ends[:-1] - 1] = False
    return step, is_move


def segments_time(segments: np.ndarray, feed: float, accel: float, jerk: float) -> float:
    """Seconds for separate straight moves ``segments`` ((k, 2, 2) mm), each from rest to rest.

    >>> round(segments_time(np.array([[[0, 0], [10, 0]]], float), 40, 1000, 10), 3)
    0.272
    """
    if len(segments) == 0:
        return 0.0
    length = np.hypot(*(segments[:, 1] - segments[:, 0]).T)
    rest = np.full(len(length), min(jerk, feed))
    return float(_trapezoid_time(length, rest, rest, feed, accel).sum())


def _trapezoid_time(length: np.ndarray, v_in: np.ndarray, v_out: np.ndarray, feed: float, accel: float) -> np.ndarray:
    """Time of each segment: accelerate from ``v_in``, cruise at ``feed``, brake to ``v_out``."""
    d_up = (feed**2 - v_in**2) / (2 * accel)
    d_down = (feed**2 - v_out**2) / (2 * accel)
    cruise = length - d_up - d_down
    full = (feed - v_in) / accel + (feed - v_out) / accel + np.maximum(cruise, 0) / feed
    # Too short to reach the feed: a triangle up to the peak speed it can reach.
    peak_sq = accel * length + (v_in**2 + v_out**2) / 2
    peak = np.sqrt(np.maximum(peak_sq, np.maximum(v_in, v_out) ** 2))
    short = np.where(
        peak_sq >= np.maximum(v_in, v_out) ** 2,
        (peak - v_in) / accel + (peak - v_out) / accel,
        2 * length / np.maximum(v_in + v_out, 1e-12),
    )
    return np.where(cruise >= 0, full, short)

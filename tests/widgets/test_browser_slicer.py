"""The layer viewer as a student meets it: JupyterLab in Chromium, slice_preview.ipynb run for real."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.widgets.lab import LONG_MS, artifact, differs, picture, wait_until

pytestmark = pytest.mark.browser


def test_the_layer_slider_changes_the_picture(slicer):
    viewer = slicer.locator(".labkit-layer-viewer")
    # The notebook's last cell moved the viewer to layer 20, in the stem.
    viewer.get_by_text(re.compile(r"^layer 20 of 69")).wait_for(timeout=LONG_MS)
    image = viewer.locator("img")
    stem = picture(image)
    viewer.locator(".noUi-handle").focus()
    slicer.keyboard.press("End")
    viewer.get_by_text(re.compile(r"^layer 69 of 69")).wait_for(timeout=LONG_MS)
    wait_until(lambda: differs(stem, picture(image)), timeout_s=30, what="the top layer is drawn")
    top = picture(image)
    for _ in range(19):
        slicer.keyboard.press("ArrowLeft")
    viewer.get_by_text(re.compile(r"^layer 50 of 69 .* overhanging faces$")).wait_for(timeout=LONG_MS)
    wait_until(lambda: differs(top, picture(image)), timeout_s=30, what="layer 50 is drawn")
    cap = picture(image)
    image.screenshot(path=str(artifact("layer-50.png")))
    # The cap's first layer is printed over air: drawn in red, unlike the top layer.
    assert reddish(cap) > 20 * max(reddish(top), 50)


def reddish(rgb: np.ndarray) -> int:
    """Pixels of the overhang colour (a light red) on screen."""
    red, green, blue = np.moveaxis(rgb, 2, 0)
    return int(((red > 220) & (np.abs(green - blue) < 20) & (green < red - 50)).sum())

"""LayerViewer on real sliced parts: the slider changes the picture, toolpaths and overhangs show."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh
from PIL import Image

from labkit.errors import WidgetError
from labkit.geometry import plan_toolpaths, slice_mesh
from labkit.widgets import LayerViewer
from tests.support import shared_mesh


@pytest.fixture(scope="module")
def sphere():
    # Its lower half overhangs more and more towards the bed; its upper half does not.
    return slice_mesh(trimesh.creation.icosphere(3, radius=10), layer_height=0.5)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def count_near(png: bytes, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    return int((np.abs(pixels(png) - np.array(rgb)).max(axis=2) <= tolerance).sum())


def count_orange(png: bytes) -> int:
    """Pixels of tab:orange (the infill), also where thin lines blend it with white."""
    red, green, blue = np.moveaxis(pixels(png), 2, 0)
    return int(((red > 200) & (green < red - 30) & (blue < green - 30)).sum())


def test_moving_the_slider_changes_the_picture_and_caption(sphere):
    viewer = LayerViewer(sphere)
    first = viewer.png
    viewer.show(20)
    assert viewer.index == 20
    assert viewer.layer is sphere.layers[20]
    assert viewer.png != first
    assert viewer.caption.startswith(f"layer 20 of {len(sphere.layers) - 1} · z = {sphere.layers[20].z:.2f} mm")
    # The slider is the same state: moving it (as the browser does) shows that layer.
    viewer.widget.children[0].value = 5
    assert viewer.index == 5 and "layer 5 of" in viewer.caption
    viewer.show(-1)
    assert viewer.index == len(sphere.layers) - 1


def test_overhangs_are_red_where_the_part_overhangs(sphere):
    viewer = LayerViewer(sphere)
    low, high = 3, len(sphere.layers) - 4
    assert viewer.overhangs_at(low) > 0
    assert viewer.overhangs_at(high) == 0
    red = (246, 174, 174)  # the overhang colour over the white background
    viewer.show(low)
    assert count_near(viewer.png, red, tolerance=12) > 50
    assert "overhanging faces" in viewer.caption
    viewer.show(high)
    assert count_near(viewer.png, red, tolerance=12) == 0
    assert "overhanging" not in viewer.caption


def test_toolpaths_show_when_given(sphere):
    index = len(sphere.layers) // 2
    plain, planned = LayerViewer(sphere), LayerViewer(sphere, plan_toolpaths(sphere, infill=0.3))
    plain.show(index)
    planned.show(index)
    assert count_orange(planned.png) > 100
    assert count_orange(plain.png) == 0


def test_a_real_part_from_the_shared_meshes():
    stack = slice_mesh(shared_mesh("featuretype.STL"), layer_height=0.3)
    viewer = LayerViewer(stack, plan_toolpaths(stack))
    pictures = set()
    for index in (0, len(stack.layers) // 2, len(stack.layers) - 1):
        viewer.show(index)
        pictures.add(viewer.png)
    assert len(pictures) == 3
    assert repr(viewer) == f"<LayerViewer of featuretype.STL: layer {len(stack.layers) - 1} of {len(stack.layers) - 1}>"


def test_pictures_are_kept_for_going_back(sphere):
    viewer = LayerViewer(sphere)
    viewer.show(7)
    seven = viewer.png
    viewer.show(8)
    viewer.show(7)
    assert viewer.png == seven


@pytest.mark.parametrize("index", [999, -999, "3", True, 2.0])
def test_a_layer_that_does_not_exist_is_a_clear_error(sphere, index):
    viewer = LayerViewer(sphere)
    with pytest.raises(WidgetError, match=rf"no layer .*layers 0 to {len(sphere.layers) - 1}"):
        viewer.show(index)


def test_toolpaths_of_another_stack_are_refused(sphere):
    other = slice_mesh(trimesh.creation.box((10, 10, 3)), layer_height=0.5)
    with pytest.raises(WidgetError, match="plan them from this stack"):
        LayerViewer(sphere, plan_toolpaths(other))

"""plan_toolpaths: perimeters, infill, travel, filament, time; G-code; printability; previews."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import trimesh
from matplotlib.figure import Figure

from labkit.errors import SliceSettingsError
from labkit.geometry import (
    PrintSettings,
    check_printability,
    draw_layer,
    draw_overhangs,
    draw_stack,
    plan_toolpaths,
    slice_mesh,
)
from labkit.geometry.motion import path_time, segments_time


@pytest.fixture(scope="module")
def plate():
    return slice_mesh(trimesh.creation.box((20, 20, 1)), 0.2)


def test_perimeters_are_inset_squares(plate) -> None:
    paths = plan_toolpaths(plate, perimeters=3, infill=0.0, nozzle=0.4)
    w = 0.45
    for layer in paths.layers:
        sides = sorted(np.ptp(loop[:, 0]) for loop in layer.perimeters)
        assert sides == pytest.approx([20 - 5 * w, 20 - 3 * w, 20 - w])
        assert all(np.array_equal(loop[0], loop[-1]) for loop in layer.perimeters)
        assert len(layer.infill) == 0
    assert paths.layers[0].z == pytest.approx(0.2) and paths.layers[-1].z == pytest.approx(1.0)


def lines_of(zigzags: list[np.ndarray]) -> np.ndarray:
    """The straight infill lines of zigzags, (k, 2, 2): points 2i and 2i + 1 of each."""
    return np.concatenate([z.reshape(-1, 2, 2) for z in zigzags] or [np.empty((0, 2, 2))])


def test_infill_lines_are_spaced_clipped_and_turn_every_layer(plate) -> None:
    paths = plan_toolpaths(plate, settings=PrintSettings(infill=0.25, top_layers=0, bottom_layers=0))
    w = 0.45
    inner = 10 - 2 * w + w / 4
    for index, layer in enumerate(paths.layers):
        lines = lines_of(layer.infill)
        assert len(lines) > 10
        assert np.abs(lines).max() <= inner + 1e-6
        direction = lines[:, 1] - lines[:, 0]
        slope = np.sign(direction[:, 0] * direction[:, 1])
        assert set(slope.tolist()) == ({1.0} if index % 2 == 0 else {-1.0})
        # distance between neighbouring parallel lines = width / density
        normal = np.array([-1, 1]) / math.sqrt(2) if index % 2 == 0 else np.array([1, 1]) / math.sqrt(2)
        offsets = np.unique(np.round(lines[:, 0] @ normal, 6))
        assert np.diff(offsets) == pytest.approx(w / 0.25, abs=1e-6)
        # a square's lines join into one zigzag along its edges, so nothing travels inside the infill
        assert len(layer.infill) == 1
        assert len(layer.travel) == (2 if index == 0 else 3)


def test_skins_fill_the_bottom_and_top_layers(plate) -> None:
    block = plan_toolpaths(slice_mesh(trimesh.creation.box((20, 20, 4)), 0.2))
    w = 0.45
    kinds = [(len(layer.solid_infill) > 0, len(layer.infill) > 0) for layer in block.layers]
    assert kinds == [(True, False)] * 3 + [(False, True)] * 14 + [(True, False)] * 3
    lines = lines_of(block.layers[0].solid_infill)
    normal = np.array([-1, 1]) / math.sqrt(2)
    assert np.diff(np.unique(np.round(lines[:, 0] @ normal, 6))) == pytest.approx(w, abs=1e-6)
    # solid lines cover the region inside the perimeters: their total length is its area / width
    inside = (20 - 4 * w + w / 2) ** 2
    assert np.hypot(*(lines[:, 1] - lines[:, 0]).T).sum() * w == pytest.approx(inside, rel=0.02)


def test_a_ledge_gets_a_skin_only_where_nothing_covers_it() -> None:
    base = trimesh.creation.box((20, 20, 2), trimesh.transformations.translation_matrix((0, 0, 1)))
    tower = trimesh.creation.box((10, 10, 2), trimesh.transformations.translation_matrix((0, 0, 3)))
    stack = slice_mesh(trimesh.boolean.union([base, tower], engine="manifold"), 0.2)
    layer = plan_toolpaths(stack).layers[8]  # two layers below the ledge at z = 2
    solid_mid = lines_of(layer.solid_infill).mean(axis=1)
    sparse_mid = lines_of(layer.infill).mean(axis=1)
    assert len(solid_mid) and len(sparse_mid)
    # solid lines run around the tower's footprint (they may cross it), sparse lines only inside it
    assert (np.abs(solid_mid).max(axis=1) > 5).mean() > 0.5
    assert (np.abs(sparse_mid).max(axis=1) < 5).all()


def test_filament_is_the_extruded_volume(plate) -> None:
    paths = plan_toolpaths(plate, perimeters=2, infill=0.2)
    h, w = 0.2, 0.45
    length = sum(layer.extruded_mm for layer in paths.layers)
    section = (w - h) * h + math.pi * h * h / 4
    assert paths.filament_mm == pytest.approx(length * section / (math.pi * 1.75**2 / 4))
    assert 0.3 * 20 * 20 * 1 < length * section < 20 * 20 * 1


def test_time_model_against_closed_form() -> None:
    # 100 mm from rest to rest at 50 mm/s, 500 mm/s^2, jerk 10 mm/s:
    # 0.08 s up, 0.08 s down (2.4 mm each), 95.2 mm cruising.
    line = np.array([[[0.0, 0.0], [100.0, 0.0]]])
    assert segments_time(line, 50, 500, 10) == pytest.approx(0.16 + 95.2 / 50)
    # A straight polyline cut in pieces costs the same as one move; a zigzag costs more.
    straight = np.column_stack([np.linspace(0, 100, 11), np.zeros(11)])
    assert path_time([straight], 50, 500, 10) == pytest.approx(0.16 + 95.2 / 50)
    zigzag = np.column_stack([np.linspace(0, 100, 11), np.tile([0, 10], 6)[:11]])
    assert path_time([zigzag], 50, 500, 10) > 1.2 * (0.16 + 95.2 / 50)


def test_print_time_adds_up(plate) -> None:
    paths = plan_toolpaths(plate)
    assert set(paths.time_by_kind) == {"perimeters", "infill", "travel"}
    assert paths.print_time_s == pytest.approx(sum(paths.time_by_kind.values()))
    slow = plan_toolpaths(plate, settings=PrintSettings(perimeter_speed=20, infill_speed=30))
    assert slow.print_time_s > 1.5 * paths.print_time_s - paths.time_by_kind["travel"]


@pytest.mark.parametrize("field,value", [("nozzle", 0), ("infill", 1.5), ("perimeters", -1), ("acceleration", 0)])
def test_bad_settings_are_refused(field: str, value: float) -> None:
    with pytest.raises(SliceSettingsError, match=field):
        PrintSettings(**{field: value})


def test_gcode_is_marlin_with_a_comment_per_layer(plate, tmp_path: Path) -> None:
    paths = plan_toolpaths(plate)
    text = paths.to_gcode(tmp_path / "plate.gcode").read_text()
    layers = re.findall(r"^;LAYER:(\d+) z=([\d.]+)", text, re.M)
    assert [int(i) for i, _ in layers] == list(range(5))
    assert [float(z) for _, z in layers] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert "M82" in text and "G28" in text and "M109" in text
    e = np.array([float(v) for v in re.findall(r"^G1 X\S+ Y\S+ E([\d.]+)", text, re.M)])
    assert (np.diff(e) >= 0).all()
    assert e[-1] == pytest.approx(paths.filament_mm, rel=1e-4)
    # every travel longer than 1 mm pulls the filament back 0.8 mm at 35 mm/s, and pushes it again
    travel = np.concatenate([layer.travel for layer in paths.layers])
    long_moves = int((np.hypot(*(travel[:, 1] - travel[:, 0]).T) > 1.0).sum())
    assert long_moves > 0
    assert len(re.findall(r"^G1 E\S+ F2100 ; retract", text, re.M)) == long_moves
    assert len(re.findall(r"^G1 E\S+ F2100 ; unretract", text, re.M)) == long_moves
    no_retraction = plan_toolpaths(plate, settings=PrintSettings(retract_length=0))
    retracting = paths.time_by_kind["travel"] - no_retraction.time_by_kind["travel"]
    assert retracting == pytest.approx(long_moves * 2 * 0.8 / 35)


def test_thin_walls_are_reported() -> None:
    wall = trimesh.creation.box((20, 0.3, 5))
    stack = slice_mesh(wall, 0.2)
    report = check_printability(stack, nozzle=0.4)
    assert report.thin_features == {i: 1 for i in range(len(stack.layers))}
    assert any("thinner than the 0.4 mm nozzle" in w for w in report.warnings)
    [outline] = report.thin_outlines[3]
    assert np.ptp(outline, axis=0) == pytest.approx([20, 0.3])
    ax = draw_layer(Figure().add_subplot(), stack, 3, report=report)
    assert "too thin" in [c.get_label() for c in ax.collections]
    assert plan_toolpaths(stack).layers[3].lost_regions == 1
    assert check_printability(slice_mesh(trimesh.creation.box((20, 2, 5)), 0.2)).thin_features == {}


def test_overhangs_of_a_sphere_and_a_t() -> None:
    sphere = slice_mesh(trimesh.creation.icosphere(4, radius=10), 0.2)
    report = sphere.printability()
    # the cap below 45 degrees is (1 - sin 45) / 2 of a sphere, less the faces on the bed
    assert report.overhang_fraction == pytest.approx((1 - math.sqrt(0.5)) / 2, abs=0.01)
    assert report.watertight
    stem = trimesh.creation.box((4, 4, 10), trimesh.transformations.translation_matrix((0, 0, 5)))
    arm = trimesh.creation.box((20, 4, 2), trimesh.transformations.translation_matrix((0, 0, 11)))
    tee = slice_mesh(trimesh.boolean.union([stem, arm], engine="manifold"), 0.5)
    t_report = tee.printability()
    z = tee.z[t_report.overhang_layers]
    assert z.tolist() == [10.25]  # the first layer of the arm, above its underside at z = 10
    assert t_report.overhang_fraction == pytest.approx(2 * 8 * 4 / tee_area(tee), rel=1e-6)


def tee_area(stack) -> float:
    corners = stack.vertices[stack.faces]
    return float(np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1).sum() / 2)


def test_draw_functions_fill_the_axes_they_are_given(tmp_path: Path) -> None:
    stack = slice_mesh(trimesh.creation.annulus(r_min=3, r_max=6, height=2), 0.2)
    paths = plan_toolpaths(stack)
    fig = Figure()
    ax = draw_layer(fig.add_subplot(1, 3, 1), stack, 4, paths)
    assert len(ax.collections) == 5  # outline, hole, perimeters, infill, travel
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"outline", "hole", "perimeter", "infill", "travel"}
    assert len(draw_stack(fig.add_subplot(1, 3, 2, projection="3d"), stack).collections) == 1
    assert len(draw_overhangs(fig.add_subplot(1, 3, 3), stack).collections) >= 1
    png = tmp_path / "preview.png"
    stack.preview(png, layer=2, paths=paths)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000

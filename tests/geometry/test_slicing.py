"""slice_mesh: areas equal trimesh's sections; loops closed, oriented, nested; dirty meshes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
import trimesh

from labkit.errors import SliceSettingsError
from labkit.geometry import SliceWarning, load_mesh, slice_mesh
from tests.geometry.conftest import SHARED, shifted, two
from tests.support import shared_mesh


def trimesh_areas(mesh: trimesh.Trimesh, z: np.ndarray) -> np.ndarray:
    """Material area of each section, from trimesh's own multiplane slicer."""
    sections = mesh.section_multiplane(plane_origin=[0, 0, 0], plane_normal=[0, 0, 1], heights=z)
    return np.array([0.0 if s is None else sum(p.area for p in s.polygons_full) for s in sections])


def assert_same_areas(mesh: trimesh.Trimesh, layer_height: float) -> None:
    stack = slice_mesh(mesh, layer_height)
    ours = np.array([layer.area for layer in stack.layers])
    theirs = trimesh_areas(mesh, stack.z)
    assert len(ours) > 0 and theirs.max() > 0
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9 * theirs.max())


@pytest.mark.parametrize("name", ["box", "tube", "torus", "sphere", "stepped"])
@pytest.mark.parametrize("layer_height", [0.2, 0.8])
def test_areas_match_trimesh_on_generated_parts(meshes, name: str, layer_height: float) -> None:
    assert_same_areas(meshes[name], layer_height)


@pytest.mark.parametrize("name,units", [(n, u) for n, u, watertight in SHARED if watertight])
def test_areas_match_trimesh_on_shared_meshes(name: str, units: str) -> None:
    mesh = load_mesh(shared_mesh(name), units=units)
    assert mesh.is_watertight
    assert_same_areas(mesh, 0.2)


def test_a_plane_through_a_horizontal_face_takes_the_section_above(meshes) -> None:
    stack = slice_mesh(meshes["stepped"], 0.8)  # planes at 0.4, 1.2, 2.0, 2.8, 3.6
    at_step = [layer for layer in stack.layers if layer.z == 2.0]
    assert len(at_step) == 1
    assert at_step[0].area == pytest.approx(100.0, rel=1e-12)
    assert [len(layer.loops) for layer in stack.layers] == [1] * 5
    assert_same_areas(meshes["stepped"], 0.8)


def test_the_xyz_cube_has_a_layer_exactly_on_the_floor_of_its_engraving() -> None:
    mesh = load_mesh(shared_mesh("20mm-xyz-cube.stl"))
    stack = slice_mesh(mesh, 0.2)
    corner_z = set(np.unique(mesh.vertices[:, 2]).tolist())
    assert any(layer.z in corner_z for layer in stack.layers)


def test_box_layers_are_one_ccw_rectangle(meshes) -> None:
    stack = slice_mesh(meshes["box"], 0.5)
    assert len(stack.layers) == 10
    for layer in stack.layers:
        (loop,) = layer.loops
        assert np.array_equal(loop[0], loop[-1])
        assert layer.loop_areas[0] == pytest.approx(200.0) and layer.area == pytest.approx(200.0)
        assert layer.perimeter == pytest.approx(60.0)
        assert loop[:, 0].min() == -10 and loop[:, 0].max() == 10
    assert stack.z[0] == pytest.approx(-2.25) and stack.z[-1] == pytest.approx(2.25)


def test_tube_has_an_outer_loop_and_a_clockwise_hole(meshes) -> None:
    layer = slice_mesh(meshes["tube"], 0.5).layers[3]
    assert len(layer.loops) == 2
    outer = int(np.argmax(layer.loop_areas))
    hole = 1 - outer
    assert layer.loop_areas[outer] > 0 > layer.loop_areas[hole]
    assert layer.outer.tolist() == [outer, outer]
    assert np.hypot(*layer.loops[hole][:-1].T).max() == pytest.approx(4.0)
    ((ring, holes),) = layer.polygons()
    assert ring is layer.loops[outer] and len(holes) == 1


def test_holes_go_to_their_own_outer_and_islands_are_outer_again(meshes) -> None:
    tube = meshes["tube"]
    small = trimesh.creation.annulus(r_min=1, r_max=2, height=6, sections=32)
    part = two(two(tube, shifted(tube, (30, 0, 0))), small)  # small tube sits in the first one's hole
    layer = slice_mesh(part, 0.5).layers[5]
    assert len(layer.loops) == 6
    centre_x = np.array([loop[:, 0].mean() for loop in layer.loops])
    radius = np.array([np.hypot(loop[0, 0] - cx, loop[0, 1]) for loop, cx in zip(layer.loops, centre_x, strict=True)])
    for i, (cx, r) in enumerate(zip(centre_x, radius, strict=True)):
        is_hole = round(r) in (4, 1)
        assert (layer.loop_areas[i] < 0) == is_hole
        owner = layer.outer[i]
        assert abs(centre_x[owner] - cx) < 0.5
        assert round(radius[owner]) == {8: 8, 4: 8, 2: 2, 1: 2}[round(r)]


def test_inverted_normals_still_give_ccw_outers(meshes) -> None:
    tube = meshes["tube"].copy()
    tube.invert()
    layer = slice_mesh(tube, 0.5).layers[2]
    assert sorted(np.sign(layer.loop_areas)) == [-1, 1]
    assert layer.area == pytest.approx(slice_mesh(meshes["tube"], 0.5).layers[2].area)


def test_torus_is_a_ring_at_every_height(meshes) -> None:
    stack = slice_mesh(meshes["torus"], 0.25)
    for layer in stack.layers:
        assert sorted(np.sign(layer.loop_areas)) == [-1, 1]
        assert layer.outer.tolist() == [int(np.argmax(layer.loop_areas))] * 2


def test_vertices_exactly_on_planes_make_no_degenerate_loops() -> None:
    # An octahedron whose equator vertices lie exactly on the plane z = 0.
    mesh = trimesh.Trimesh(
        vertices=[[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]],
        faces=[[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [1, 0, 5], [2, 1, 5], [3, 2, 5], [0, 3, 5]],
    )
    stack = slice_mesh(mesh, 0.4)  # planes at -0.8, -0.4, 0.0, 0.4, 0.8
    assert stack.z[2] == 0.0
    (loop,) = stack.layers[2].loops
    assert len(loop) == 5 and stack.layers[2].area == pytest.approx(2.0)
    np.testing.assert_allclose([layer.area for layer in stack.layers], trimesh_areas(mesh, stack.z), rtol=1e-12)


def test_open_mesh_slices_with_a_warning_and_reports_its_open_outlines(meshes) -> None:
    box = meshes["box"].copy()
    box.update_faces(np.arange(len(box.faces)) != int(np.argmax(box.face_normals[:, 0])))  # drop one side triangle
    with pytest.warns(SliceWarning, match="not watertight"):
        stack = slice_mesh(box, 0.5, max_gap=0.0)
    assert stack.open_edges == 3
    assert stack.open_chains > 0
    assert any(layer.open_chains for layer in stack.layers)
    with pytest.warns(SliceWarning):
        closed = slice_mesh(box, 0.5, max_gap=25.0)
    assert closed.open_chains == 0 and closed.closed_gaps > 0
    assert all(len(layer.loops) == 1 for layer in closed.layers)


def test_shared_open_bunny_slices_with_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stack = slice_mesh(shared_mesh("bunny_trimesh_decimated.ply"), 0.2, units="m")
    messages = [str(w.message) for w in caught if issubclass(w.category, SliceWarning)]
    assert any("not watertight" in m for m in messages) and any("non-manifold" in m for m in messages)
    assert stack.open_edges > 0 and stack.non_manifold_edges > 0 and len(stack.layers) > 100
    assert sum(len(layer.loops) for layer in stack.layers) > 0


def test_non_manifold_edges_are_counted_and_sliced(meshes) -> None:
    box = trimesh.creation.box((10, 10, 10))
    touching = two(box, shifted(box, (10, 10, 0)))  # the two boxes share one vertical edge
    touching.merge_vertices()
    with pytest.warns(SliceWarning, match="non-manifold"):
        stack = slice_mesh(touching, 1.0)
    assert stack.non_manifold_edges == 1
    assert stack.layers[4].area == pytest.approx(200.0)


def test_degenerate_faces_are_ignored(meshes) -> None:
    box = meshes["box"]
    dirty = trimesh.Trimesh(box.vertices, np.vstack([box.faces, [[0, 0, 1], [2, 3, 3]]]), process=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stack = slice_mesh(dirty, 0.5)
    assert [layer.area for layer in stack.layers] == pytest.approx([200.0] * 10)


@pytest.mark.parametrize("height", [0, -0.2, float("nan"), 6.0])
def test_impossible_layer_heights_are_refused(meshes, height: float) -> None:
    with pytest.raises(SliceSettingsError, match="layer height"):
        slice_mesh(meshes["box"], height)


def test_more_layers_at_finer_heights_same_volume(meshes) -> None:
    sphere = meshes["sphere"]
    for h in (0.2, 0.05):
        stack = slice_mesh(sphere, h)
        assert len(stack.layers) == round(20 / h)
        assert sum(layer.area for layer in stack.layers) * h == pytest.approx(sphere.volume, rel=2e-3)


def test_overlapping_bodies_keep_their_winding_and_print_as_one(meshes) -> None:
    from labkit.geometry import plan_toolpaths

    box = trimesh.creation.box((10, 10, 4))
    overlapping = two(box, shifted(box, (5, 5, 0)))  # two closed bodies, not merged
    layer = slice_mesh(overlapping, 0.5).layers[3]
    assert len(layer.loops) == 2 and (layer.loop_areas > 0).all()
    assert layer.outer.tolist() == [0, 1]
    shells = plan_toolpaths(slice_mesh(overlapping, 0.5), perimeters=1, infill=0).layers[3].perimeters
    (outline,) = shells  # pyclipper unions the two squares (nonzero fill)
    # inset by half a line width: the 15 mm outline shrinks, its two 5 mm notches only move
    assert shapely.Polygon(outline).area == pytest.approx((15 - 0.45) ** 2 - 2 * 5**2)


def test_a_flipped_face_is_reported_and_the_part_still_slices(meshes) -> None:
    tube = meshes["tube"].copy()
    faces = tube.faces.copy()
    faces[0] = faces[0, ::-1]
    tube = trimesh.Trimesh(tube.vertices, faces, process=False)
    with pytest.warns(SliceWarning, match="3 edges where a neighbouring face is flipped"):
        stack = slice_mesh(tube, 0.5, max_gap=0.5)
    assert stack.flipped_edges == 3 and stack.open_edges == 0
    reference = slice_mesh(meshes["tube"], 0.5)
    assert [layer.area for layer in stack.layers] == pytest.approx([layer.area for layer in reference.layers], rel=1e-3)


@pytest.mark.parametrize("name,units", [("bunny_trimesh_decimated.ply", "m"), ("cycloidal.ply", "in")])
def test_edge_pairing_is_the_same_with_half_edges_in_the_keys_or_beside_them(name: str, units: str) -> None:
    from labkit.geometry.mesh import read_mesh
    from labkit.geometry.slicing import half_edge_twins

    vertices, faces = read_mesh(shared_mesh(name), units)
    faces = np.vstack([faces, [[0, 0, 1]]])  # a degenerate face takes no part
    twin, *counts = half_edge_twins(faces, len(vertices))
    unpacked, *unpacked_counts = half_edge_twins(faces, len(vertices), packed=False)
    assert np.array_equal(twin, unpacked) and counts == unpacked_counts
    assert counts[0] + counts[1] > 0  # open or non-manifold edges occur in both
    paired = np.flatnonzero(twin >= 0)
    assert np.array_equal(twin[twin[paired]], paired)
    start, end = faces.reshape(-1), faces[:, [1, 2, 0]].reshape(-1)
    assert np.array_equal(start[paired], end[twin[paired]]) and np.array_equal(end[paired], start[twin[paired]])
    assert (twin[-3:] == -1).all()


@pytest.mark.parametrize("name,units", [("bunny_trimesh_decimated.ply", "m"), ("stanford_bunny_jerryazr.stl", "mm")])
def test_layers_are_the_same_whatever_the_number_of_threads(name: str, units: str) -> None:
    import numba

    from labkit.geometry.mesh import read_mesh
    from labkit.geometry.slicing import slice_arrays

    vertices, faces = read_mesh(shared_mesh(name), units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SliceWarning)
        threads = numba.get_num_threads()
        try:
            numba.set_num_threads(1)
            alone = slice_arrays(vertices, faces, 0.1)
        finally:
            numba.set_num_threads(threads)
        together = slice_arrays(vertices, faces, 0.1)
    for a, b in zip(alone.layers, together.layers, strict=True):
        assert len(a.loops) == len(b.loops) and a.area == b.area
        assert all(np.array_equal(p, q) for p, q in zip(a.loops, b.loops, strict=True))
        assert all(np.array_equal(p, q) for p, q in zip(a.open_chains, b.open_chains, strict=True))
        assert np.array_equal(a.outer, b.outer)

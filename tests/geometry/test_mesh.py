"""load_mesh: every format, units, the fast binary-STL path, and clear errors for bad files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh

from labkit.errors import MeshLoadError, SliceSettingsError
from labkit.geometry import load_mesh, slice_mesh
from labkit.geometry.mesh import merge_corners
from tests.geometry.conftest import SHARED
from tests.support import shared_mesh


@pytest.mark.parametrize("name,units,watertight", SHARED)
def test_shared_meshes_load_like_trimesh(name: str, units: str, watertight: bool) -> None:
    path = shared_mesh(name)
    ours = load_mesh(path, units=units)
    theirs = trimesh.load(path, force="mesh")
    scale = {"mm": 1.0, "in": 25.4}[units]
    assert len(ours.faces) == len(theirs.faces)
    assert len(ours.vertices) == len(theirs.vertices)
    np.testing.assert_allclose(ours.bounds, theirs.bounds * scale, rtol=1e-6)
    assert ours.area == pytest.approx(theirs.area * scale**2, rel=1e-6)
    assert ours.is_watertight == watertight


def test_the_binary_stl_fast_path_merges_exactly_like_trimesh(tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(5, radius=20)
    path = tmp_path / "sphere.stl"
    sphere.export(path)
    ours = load_mesh(path)
    theirs = trimesh.load(path)
    assert len(ours.vertices) == len(theirs.vertices) == len(sphere.vertices)
    assert ours.is_watertight and ours.volume == pytest.approx(theirs.volume, rel=1e-9)


def test_merge_treats_minus_zero_and_tiny_noise_as_the_same_corner() -> None:
    soup = np.array(
        [[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]], [[-0.0, 1e-10, 0], [0, 1, 0], [1, 0, 0]]], np.float32
    )
    vertices, faces = merge_corners(soup)
    assert len(vertices) == 3 and faces.tolist() == [[0, 1, 2], [0, 2, 1]]


@pytest.mark.parametrize("file_type", ["stl_ascii", "obj", "ply", "off"])
def test_other_formats_load_through_trimesh(tmp_path: Path, file_type: str) -> None:
    box = trimesh.creation.box((10, 20, 30))
    suffix = "stl" if file_type == "stl_ascii" else file_type
    path = tmp_path / f"box.{suffix}"
    box.export(path, file_type=file_type)
    mesh = load_mesh(path)
    assert len(mesh.faces) == 12 and mesh.is_watertight
    np.testing.assert_allclose(mesh.extents, [10, 20, 30])


@pytest.mark.parametrize("units,scale", [("mm", 1.0), ("cm", 10.0), ("in", 25.4)])
def test_units_scale_to_millimetres(tmp_path: Path, units: str, scale: float) -> None:
    path = tmp_path / "box.stl"
    trimesh.creation.box((1, 2, 3)).export(path)
    np.testing.assert_allclose(load_mesh(path, units=units).extents, np.array([1, 2, 3]) * scale)
    assert len(slice_mesh(path, 0.1, units=units).layers) == round(3 * scale / 0.1)


def binary_stl(triangles: np.ndarray, announced: int | None = None) -> bytes:
    n = len(triangles) if announced is None else announced
    records = b"".join(struct.pack("<12fH", 0, 0, 0, *t.ravel(), 0) for t in triangles)
    return b"\0" * 80 + struct.pack("<I", n) + records


TRIANGLE = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 1]]], np.float32)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.stl", b"", "is empty"),
        ("blank.obj", b"\n \n", "is empty"),
        ("truncated.stl", binary_stl(np.repeat(TRIANGLE, 10, axis=0))[:300], "truncated: its header announces 10"),
        ("noise.stl", bytes(np.random.default_rng(1).integers(0, 256, 1000, dtype=np.uint8)), "not an STL file"),
        ("zero.stl", binary_stl(TRIANGLE[:0]), "no triangles"),
        ("nan.stl", binary_stl(np.where(np.eye(3, dtype=bool)[None], np.nan, TRIANGLE).astype(np.float32)), "NaN"),
        ("text.obj", b"this is not a mesh\nv 1 2\nf 1 2 3\n", "OBJ|no triangles"),
        ("noise.3mf", b"PK\x03\x04 not really a zip", "could not be read as 3MF"),
        ("part.step", b"ISO-10303-21;", "unknown model format '.step'"),
    ],
)
def test_bad_files_raise_a_clear_mesh_load_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MeshLoadError, match=message) as caught:
        slice_mesh(path)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(MeshLoadError, match="no such file"):
        load_mesh(tmp_path / "nope.stl")
    with pytest.raises(MeshLoadError, match="is a folder"):
        load_mesh(tmp_path)


def test_unknown_units_and_flat_parts(tmp_path: Path) -> None:
    with pytest.raises(MeshLoadError, match="unknown units 'feet'"):
        load_mesh(trimesh.creation.box(), units="feet")
    flat = tmp_path / "flat.stl"
    flat.write_bytes(binary_stl(np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]], np.float32)))
    with pytest.raises(SliceSettingsError, match="flat"):
        slice_mesh(flat)

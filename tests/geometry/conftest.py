"""Meshes for the geometry tests: made with trimesh, or read from ../shared/meshes."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

# Shared meshes: (file, units, watertight after loading).
SHARED = [
    ("20mm-xyz-cube.stl", "mm", True),
    ("featuretype.STL", "in", True),
    ("idler_riser.STL", "in", True),
    ("stanford_bunny_jerryazr.stl", "mm", True),
    ("3DBenchy.3mf", "mm", False),
    ("cycloidal.ply", "in", False),
    ("bunny_trimesh_decimated.ply", "mm", False),
]


def stepped_box() -> trimesh.Trimesh:
    """A 20x20x2 slab with a 10x10x2 block on top: a horizontal face at z = 2."""
    base = trimesh.creation.box((20, 20, 2), trimesh.transformations.translation_matrix((0, 0, 1)))
    top = trimesh.creation.box((10, 10, 2), trimesh.transformations.translation_matrix((0, 0, 3)))
    return trimesh.boolean.union([base, top], engine="manifold")


def generated() -> dict[str, trimesh.Trimesh]:
    """Watertight parts with known sections."""
    torus = trimesh.creation.torus(major_radius=10, minor_radius=3, major_sections=48, minor_sections=24)
    torus.apply_translation((0, 0, 3))
    return {
        "box": trimesh.creation.box((20, 10, 5)),
        "tube": trimesh.creation.annulus(r_min=4, r_max=8, height=6, sections=48),
        "torus": torus,
        "sphere": trimesh.creation.icosphere(4, radius=10),
        "stepped": stepped_box(),
    }


@pytest.fixture(scope="session")
def meshes() -> dict[str, trimesh.Trimesh]:
    return generated()


def two(a: trimesh.Trimesh, b: trimesh.Trimesh) -> trimesh.Trimesh:
    """Two bodies in one mesh (no boolean: faces kept as they are)."""
    return trimesh.util.concatenate([a, b])


def shifted(mesh: trimesh.Trimesh, offset: tuple[float, float, float]) -> trimesh.Trimesh:
    out = mesh.copy()
    out.apply_translation(np.asarray(offset, float))
    return out

"""Numba kernels of the slicer: small, pure functions over plain arrays.

Nothing here knows about files, trimesh or layers; the public modules call
these with NumPy arrays and wrap the results. Each kernel is compiled for the
argument types it first sees and cached on disk (``cache=True``; Numba keeps
the cache in ``__pycache__`` beside this file, or under ``NUMBA_CACHE_DIR``
when that is set).

Kernels fill the large arrays they are given rather than allocate them:
NumPy asks the kernel for huge pages on large arrays and Numba does not, and
on a virtual machine the first touch of fresh 4 KiB pages costs more than
much of the slicing work (20 ms per 48 MB, against 3 ms with huge pages).

Conventions shared by the kernels:

* Half-edge ``3 * f + i`` of face ``f`` runs from ``faces[f, i]`` to
  ``faces[f, (i + 1) % 3]``.
* Plane ``k`` lies at ``z0 + k * h``, always computed by :func:`plane_z` so
  every face classifies a shared vertex the same way.
* A vertex counts as above a plane only when ``z > plane``. This symbolic
  perturbation makes vertices and whole faces lying exactly on a plane
  unambiguous: the section is the limit from just above the plane, which is
  also what trimesh's ``mesh_plane`` returns there.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_NO_EDGE = np.iinfo(np.int64).max


def skip_blas_check() -> None:
    """Load Numba's array maths without its BLAS probe, for a process that needs no linear algebra.

    Numba's first kernel (even one loaded from the cache) imports
    ``numba.np.arraymath``, which imports ``scipy.linalg`` only to see that a
    BLAS exists: 0.2-0.3 s of the ``labkit slice`` start-up. None of these
    kernels does linear algebra, so a one-shot command can skip it; Numba's
    ``np.dot`` and ``np.linalg`` then stay unavailable in that process, so a
    library import never calls this.
    """
    if "numba.np.arraymath" in sys.modules:
        return
    blocked = "scipy.linalg.cython_blas"
    sys.modules[blocked] = None  # type: ignore[assignment]  # makes the probe's import fail fast
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules[blocked]


@njit(cache=True, inline="always")
def plane_z(z0, h, k):
    return z0 + k * h


@njit(cache=True, inline="always")
def _quantized(coordinate, scale):
    return np.int64(np.round(np.float64(coordinate) * scale))


@njit(cache=True)
def merge_vertices(corners, scale, table, vertices, faces):
    """Unique corners of a triangle soup, by open addressing; returns how many, or -1.

    ``corners`` is (m, 3, 3) float32, the xyz of each triangle's corners (any
    strides: a view into STL records works). Corners are equal when their
    coordinates round to the same integer after multiplying by ``scale``
    (trimesh merges at ``scale = 1e8``, and so do we, so a mesh is
    watertight for both or for neither). Fills ``faces`` (m, 3) int64 with
    the new index of every corner and ``vertices[:n_unique]`` (float64) with
    the unique vertices, each as first seen. ``table`` (a power of two long,
    with more slots than there are corners) must come filled with -1.
    Returns -1 for a coordinate that is not finite.
    """
    size = table.shape[0]
    table_bits = 0
    while (1 << table_bits) < size:
        table_bits += 1
    shift = np.uint64(64 - table_bits)
    mask = np.uint64(size - 1)
    n_unique = 0
    # A batch of triangles first finds its corners' slots and reads them ahead (into
    # ``ahead``, never used: the read is what counts), then merges. The reads' cache misses
    # overlap instead of queueing behind the probe loop's unpredictable branches (-14%).
    batch = 32
    slots = np.empty(3 * batch, np.uint64)
    quantized = np.empty((3 * batch, 3), np.int64)
    ahead = np.empty(3 * batch, np.int64)
    m = corners.shape[0]
    for start in range(0, m, batch):
        end = min(m, start + batch)
        for t in range(start, end):
            for c in range(3):
                x = corners[t, c, 0]
                y = corners[t, c, 1]
                z = corners[t, c, 2]
                if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(z)):
                    return -1
                qx = _quantized(x, scale)
                qy = _quantized(y, scale)
                qz = _quantized(z, scale)
                key = np.uint64(qx) * np.uint64(0x100000001B3) ^ np.uint64(qy) * np.uint64(0xC2B2AE3D27D4EB4F) ^ np.uint64(qz)
                r = 3 * (t - start) + c
                slots[r] = ((key * _GOLDEN) >> shift) & mask
                quantized[r, 0] = qx
                quantized[r, 1] = qy
                quantized[r, 2] = qz
                ahead[r] = table[slots[r]]
        for t in range(start, end):
            for c in range(3):
                r = 3 * (t - start) + c
                slot = slots[r]
                j = table[slot]
                while True:
                    if j < 0:
                        table[slot] = n_unique
                        vertices[n_unique, 0] = corners[t, c, 0]
                        vertices[n_unique, 1] = corners[t, c, 1]
                        vertices[n_unique, 2] = corners[t, c, 2]
                        faces[t, c] = n_unique
                        n_unique += 1
                        break
                    if (
                        _quantized(vertices[j, 0], scale) == quantized[r, 0]
                        and _quantized(vertices[j, 1], scale) == quantized[r, 1]
                        and _quantized(vertices[j, 2], scale) == quantized[r, 2]
                    ):
                        faces[t, c] = j
                        break
                    slot = (slot + np.uint64(1)) & mask
                    j = table[slot]
    return n_unique


@njit(cache=True, inline="always")
def _degenerate(faces, f):
    return faces[f, 0] == faces[f, 1] or faces[f, 1] == faces[f, 2] or faces[f, 2] == faces[f, 0]


@njit(cache=True, inline="always")
def _kind(same, opposite):
    """An undirected edge with ``same`` + ``opposite`` faces as (open, crowded, flipped) flags."""
    if same + opposite == 1:
        return 1, 0, 0
    if same + opposite > 2:
        return 0, 1, 0
    if opposite == 0:
        return 0, 0, 1
    return 0, 0, 0


@njit(cache=True, inline="always")
def _edge_key(faces, f, i, vertex_bits, index_bits):
    """The sort key of half-edge ``3 * f + i``: its edge ``lower << vertex_bits | upper``, then its direction.

    The direction bit (0 from the lower vertex up, 1 down) sits below the
    edge, so a sorted run of one edge lists its up half-edges first. With
    ``index_bits > 0`` the half-edge's own number fills that many low bits.
    """
    a = np.int64(faces[f, i])
    b = np.int64(faces[f, (i + 1) % 3])
    key = (((min(a, b) << vertex_bits) | max(a, b)) * 2 + (a > b)) << index_bits
    return key | (3 * f + i) if index_bits > 0 else key


@njit(cache=True, inline="always")
def _sort_edge_keys(faces, vertex_bits, index_bits, keys, by_edge_end, counts, half, half_by_edge_end):
    """Fill ``keys`` (3m,) int64 with the half-edges' :func:`_edge_key`, sorted; degenerate faces' last.

    A least-significant-digit radix sort: first by the upper vertex and
    direction, then, stably, by the lower vertex, so each direction of an
    edge stays in half-edge order. Each pass is a count and a scatter over
    the half-edges, cheaper than a comparison sort of 3m keys. With
    ``index_bits == 0`` the half-edge numbers travel beside the keys, in
    ``half`` (3m,) int32 (else unused). ``by_edge_end`` (3m,) int64,
    ``half_by_edge_end`` (like ``half``) and ``counts`` (``3 * 2**vertex_bits
    + 2``,) int32 are scratch.
    """
    m = faces.shape[0]
    n_low = np.int64(1) << (vertex_bits + 1)
    counts[:] = 0
    by_low = counts[: n_low + 1]
    by_high = counts[n_low + 1 :]
    for f in range(m):
        if not _degenerate(faces, f):
            for i in range(3):
                key = _edge_key(faces, f, i, vertex_bits, index_bits)
                by_low[((key >> index_bits) & (n_low - 1)) + 1] += 1
                by_high[(key >> (index_bits + 1 + vertex_bits)) + 1] += 1
    for j in range(n_low):
        by_low[j + 1] += by_low[j]
    for j in range(by_high.shape[0] - 1):
        by_high[j + 1] += by_high[j]
    for f in range(m):
        if not _degenerate(faces, f):
            for i in range(3):
                key = _edge_key(faces, f, i, vertex_bits, index_bits)
                low = (key >> index_bits) & (n_low - 1)
                by_edge_end[by_low[low]] = key
                if index_bits == 0:
                    half_by_edge_end[by_low[low]] = 3 * f + i
                by_low[low] += 1
    n = by_low[n_low]
    keys[n:] = _NO_EDGE
    for j in range(n):
        key = by_edge_end[j]
        high = key >> (index_bits + 1 + vertex_bits)
        keys[by_high[high]] = key
        if index_bits == 0:
            half[by_high[high]] = half_by_edge_end[j]
        by_high[high] += 1


@njit(cache=True, inline="always")
def _sorted_half_edge(keys, half, index_bits, r):
    return keys[r] & ((np.int64(1) << index_bits) - 1) if index_bits > 0 else half[r]


@njit(cache=True, parallel=True)
def pair_half_edges(faces, vertex_bits, index_bits, keys, by_edge_end, counts, half, half_by_edge_end, twin):
    """Pair every half-edge with its opposite, and count the edges that are not manifold.

    The half-edges' keys are sorted by :func:`_sort_edge_keys` (its
    arguments are scratch here), so each edge's half-edges lie together,
    each direction in half-edge order. Half-edge ``a -> b`` pairs with
    ``b -> a``; on a non-manifold edge the j-th ``a -> b`` pairs with the
    j-th ``b -> a``, so the pairing stays one-to-one. Degenerate faces (a
    repeated vertex) take no part.

    Fills ``twin`` (3m,) int32, -1 on a boundary or where the neighbour is
    wound the same way. Returns ``(open_edges, crowded_edges,
    flipped_edges)``: the undirected edges with one face, with more than two
    faces, and with two faces wound alike.
    """
    _sort_edge_keys(faces, vertex_bits, index_bits, keys, by_edge_end, counts, half, half_by_edge_end)
    n = keys.shape[0]
    twin[:] = -1
    open_edges = 0
    crowded_edges = 0
    flipped_edges = 0
    n_chunks = 256
    # Each chunk settles the edges whose run of keys starts inside it.
    for c in prange(n_chunks):
        i = c * n // n_chunks
        end = (c + 1) * n // n_chunks
        while 0 < i < end and keys[i] >> (index_bits + 1) == keys[i - 1] >> (index_bits + 1):
            i += 1
        while i < end:
            key = keys[i]
            if key == _NO_EDGE:
                break
            edge = key >> (index_bits + 1)
            # Most edges are one up and one down half-edge: settled without counting the run.
            if (
                i + 2 < n
                and keys[i + 1] >> index_bits == edge * 2 + 1
                and keys[i + 2] >> (index_bits + 1) != edge
                and (key >> index_bits) & 1 == 0
            ):
                a = _sorted_half_edge(keys, half, index_bits, i)
                b = _sorted_half_edge(keys, half, index_bits, i + 1)
                twin[a] = b
                twin[b] = a
                i += 2
                continue
            first_down = i
            while first_down < n and keys[first_down] >> index_bits == edge * 2:
                first_down += 1
            j = first_down
            while j < n and keys[j] >> (index_bits + 1) == edge:
                j += 1
            up = first_down - i
            down = j - first_down
            for rank in range(min(up, down)):
                a = _sorted_half_edge(keys, half, index_bits, i + rank)
                b = _sorted_half_edge(keys, half, index_bits, first_down + rank)
                twin[a] = b
                twin[b] = a
            is_open, is_crowded, is_flipped = _kind(max(up, down), min(up, down))
            open_edges += is_open
            crowded_edges += is_crowded
            flipped_edges += is_flipped
            i = j
    return open_edges, crowded_edges, flipped_edges


@njit(cache=True, inline="always")
def _vertex_levels(vertices, z0, h, n_planes, level):
    """Fill ``level`` (n,) int32 with how many planes lie below each vertex: the ``k`` with ``plane_z(k) < z``.

    A vertex is above plane ``k`` exactly when ``k < level``, so every face
    sees a shared vertex on the same side, and a face crosses the planes
    from its lowest corner's level up to (not including) its highest's.
    """
    for v in prange(vertices.shape[0]):
        z = vertices[v, 2]
        k = max(0, min(n_planes, int(np.ceil((z - z0) / h))))
        while k > 0 and plane_z(z0, h, k - 1) >= z:
            k -= 1
        while k < n_planes and plane_z(z0, h, k) < z:
            k += 1
        level[v] = k


@njit(cache=True, inline="always")
def _corner_levels(faces, level, f):
    """The levels of face ``f``'s corners; all 0 (no plane crossed) for a degenerate face.

    The face crosses the planes ``range(min(levels), max(levels))``.
    """
    if _degenerate(faces, f):
        return np.int32(0), np.int32(0), np.int32(0)
    return level[faces[f, 0]], level[faces[f, 1]], level[faces[f, 2]]


@njit(cache=True, parallel=True)
def segment_bases(vertices, faces, z0, h, n_planes, level, base, chunk_start):
    """Fill ``level`` (see :func:`_vertex_levels`), then number the face-plane segments face by face.

    Segment ``base[f] + k`` (``base`` (m,) int64, filled) is face ``f`` cut
    by plane ``k``. The numbering is a prefix sum, done in the chunks of
    faces of :func:`_chunk`: each counts its segments (keeping each face's
    first plane and count in ``base``), then numbers them from the chunks
    before it. ``chunk_start`` (n_chunks + 1,) int64 gets the first segment
    of each chunk, then the total.
    """
    _vertex_levels(vertices, z0, h, n_planes, level)
    m = faces.shape[0]
    n_chunks = chunk_start.shape[0] - 1
    chunk_total = chunk_start
    chunk_total[0] = 0
    for c in prange(n_chunks):
        total = 0
        for f in _chunk(m, n_chunks, c):
            la, lb, lc = _corner_levels(faces, level, f)
            lo = min(la, min(lb, lc))
            count = max(la, max(lb, lc)) - lo
            base[f] = np.int64(lo) << 32 | count
            total += count
        chunk_total[c + 1] = total
    for c in range(n_chunks):
        chunk_total[c + 1] += chunk_total[c]
    for c in prange(n_chunks):
        offset = chunk_total[c]
        for f in _chunk(m, n_chunks, c):
            lo_count = base[f]
            base[f] = offset - (lo_count >> 32)
            offset += lo_count & 0xFFFFFFFF


@njit(cache=True, inline="always")
def _chunk(m, n_chunks, c):
    """The faces of chunk ``c`` when ``m`` faces are cut into ``n_chunks`` runs."""
    return range(c * m // n_chunks, (c + 1) * m // n_chunks)


# The local edges by which a plane's section enters and leaves a face, two bits for each
# pattern of corners above the plane (bit i set: corner i is above). Walking the face's
# boundary, the section enters by the edge going down through the plane (from an above
# corner i to a below corner i + 1) and leaves by the one going up, which keeps the solid
# on its left: outer loops come out counter-clockwise on a well-wound mesh.
_ENTER_EDGES = 0x2250
_LEAVE_EDGES = 0x588


@njit(cache=True, inline="always")
def _crossing_edges(la, lb, lc, k):
    """Local indices of the edges where plane ``k``'s section enters and leaves a face with corner levels ``la, lb, lc``."""
    above = (la > k) + 2 * (lb > k) + 4 * (lc > k)
    return (_ENTER_EDGES >> (2 * above)) & 3, (_LEAVE_EDGES >> (2 * above)) & 3


@njit(cache=True, inline="always")
def _edge_point(vertices, below, above, p):
    """Where the edge from vertex ``below`` (z <= p) to vertex ``above`` (z > p) meets the plane ``z = p``.

    Both faces of an edge name its ends in that order, so both get the same point, bit for bit.
    """
    t = (p - vertices[below, 2]) / (vertices[above, 2] - vertices[below, 2])
    x = vertices[below, 0] + t * (vertices[above, 0] - vertices[below, 0])
    y = vertices[below, 1] + t * (vertices[above, 1] - vertices[below, 1])
    return x, y


@njit(cache=True, parallel=True)
def link_segments(faces, level, twin, base, next_seg, seg_plane):
    """Link every face-plane segment to the one that continues it across the shared edge.

    Segments are numbered by :func:`segment_bases`. Fills ``next_seg`` (S,)
    int32 with the segment that follows (-1 where the mesh is open there)
    and ``seg_plane`` (S,) int32 with each segment's plane; returns how many
    segments have no follower. The face across the shared edge always
    crosses the same plane (it has the same two corners on either side of
    it), so its segment is simply ``base[g] + k``.
    """
    n_ends = 0
    for f in prange(faces.shape[0]):
        la, lb, lc = _corner_levels(faces, level, f)
        for k in range(min(la, min(lb, lc)), max(la, max(lb, lc))):
            s = base[f] + k
            seg_plane[s] = k
            g_half = twin[3 * f + _crossing_edges(la, lb, lc, k)[1]]
            if g_half >= 0:
                next_seg[s] = base[g_half // 3] + k
            else:
                next_seg[s] = -1
                n_ends += 1
    return n_ends


@njit(cache=True, parallel=True)
def chain_slots(next_seg, seg_plane, n_ends, has_pred):
    """Turn ``next_seg`` (S,) int32, in place, into where each segment's point goes; returns ``(room, chain_plane, chain_closed)``.

    Follows ``next_seg`` once to find the chains, in segment order: first
    the open ones (from a segment without predecessor; there are some only
    when ``n_ends > 0``), then the closed loops, numbering the segments in
    the order met. The chains are then laid out by plane, each with room for
    its segments plus a last point (the first again, or the open end), chain
    ``j`` from ``room[j]`` on, and the numbers become places in that layout
    (in parallel: each chain's segments were numbered in one run, so a
    chain moves as a whole). Afterwards ``next_seg[s]`` is the place of
    segment ``s``'s point, or ``-1 - place`` for the last segment of an open
    chain. The chase is the only serial part; :func:`chain_points` then
    computes every point in face order, which reads the mesh far more
    locally than chain order does.

    During the chase a segment met holds ``-2 - 2 * number`` (``-3 - 2 *
    number`` for an open chain's last), so one array both links the
    segments and marks them, and each step reads one cache line.
    ``has_pred`` (S,) bool is scratch, needed only when ``n_ends > 0``.
    """
    n_seg = next_seg.shape[0]
    if n_ends > 0:
        has_pred[:] = False
        for s in range(n_seg):
            if next_seg[s] >= 0:
                has_pred[next_seg[s]] = True
    # Chain arrays grow as needed rather than being sized like the segments.
    first = np.empty(1024, np.int64)
    plane = np.empty(1024, np.int32)
    n_chains = 0
    n_open = 0
    met = 0
    for sweep in range(0 if n_ends > 0 else 1, 2):
        closed = sweep == 1
        for s in range(n_seg):
            if next_seg[s] < -1 or (not closed and has_pred[s]):
                continue
            if n_chains + 1 == first.shape[0]:
                first = _grown(first)
                plane = _grown(plane)
            first[n_chains] = met
            plane[n_chains] = seg_plane[s]
            n_chains += 1
            t = s
            while True:
                following = next_seg[t]
                next_seg[t] = -2 - 2 * met
                met += 1
                if following < 0:
                    next_seg[t] -= 1  # the open end
                    break
                if next_seg[following] < -1:
                    break
                t = following
        if not closed:
            n_open = n_chains
    first[n_chains] = met
    by_plane = np.argsort(plane[:n_chains], kind="mergesort")
    room = np.zeros(n_chains + 1, np.int64)
    shift = np.empty(n_chains, np.int64)
    for j in range(n_chains):
        c = by_plane[j]
        room[j + 1] = room[j] + first[c + 1] - first[c] + 1
        shift[c] = room[j] - first[c]
    # The chain each block of 16 numbers starts in: a number's chain is then found with
    # hardly a step, and a branch that is hardly ever mispredicted.
    block_chain = np.empty((met + 15) >> 4, np.int32)
    c = 0
    for b in range(block_chain.shape[0]):
        while first[c + 1] <= b << 4:
            c += 1
        block_chain[b] = c
    for s in prange(n_seg):
        code = -2 - next_seg[s]
        number = code >> 1
        c = block_chain[number >> 4]
        while first[c + 1] <= number:
            c += 1
        place = number + shift[c]
        next_seg[s] = -1 - place if code & 1 else place
    return room, plane[by_plane], by_plane >= n_open


@njit(cache=True)
def _grown(a):
    out = np.empty(2 * a.shape[0], a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, parallel=True)
def chain_points(vertices, faces, level, chunk_start, slot, room, chain_plane, chain_closed, z0, h, points):
    """Write the points of the chains laid out by :func:`chain_slots` into ``points`` (room[-1], 2) float64.

    Returns ``(chain_start, chain_plane, chain_closed)`` of the chains kept:
    chain ``c`` is ``points[chain_start[c]:chain_start[c + 1]]``, sorted by
    plane; a closed chain repeats its first point at the end, an open one
    ends at the open edge. Each segment's point (where it enters its face)
    is computed face by face into its slot (in the chunks of
    :func:`segment_bases`, whose first segments ``chunk_start`` number the
    segments without the per-face ``base``); then each chain writes its
    repeated consecutive points (a vertex exactly on the plane) once, and
    closed chains left with fewer than three distinct points (a face
    grazing the plane) are dropped, the chains moved together over the
    gaps that left.
    """
    n_chains = room.shape[0] - 1
    n_chunks = chunk_start.shape[0] - 1
    for chunk in prange(n_chunks):
        s = chunk_start[chunk]
        for f in _chunk(faces.shape[0], n_chunks, chunk):
            la, lb, lc = _corner_levels(faces, level, f)
            for k in range(min(la, min(lb, lc)), max(la, max(lb, lc))):
                p = plane_z(z0, h, k)
                enter, leave = _crossing_edges(la, lb, lc, k)
                place = slot[s]
                s += 1
                if place < 0:
                    place = -1 - place
                    x, y = _edge_point(vertices, faces[f, leave], faces[f, (leave + 1) % 3], p)
                    points[place + 1, 0] = x
                    points[place + 1, 1] = y
                x, y = _edge_point(vertices, faces[f, (enter + 1) % 3], faces[f, enter], p)
                points[place, 0] = x
                points[place, 1] = y
    written = np.empty(n_chains, np.int64)
    for j in prange(n_chains):
        # In place, front to back: a point is only ever written over one already read.
        n = room[j]
        for i in range(room[j], room[j + 1] - 1):
            if n == room[j] or points[i, 0] != points[n - 1, 0] or points[i, 1] != points[n - 1, 1]:
                points[n, 0] = points[i, 0]
                points[n, 1] = points[i, 1]
                n += 1
        last = room[j] if chain_closed[j] else room[j + 1] - 1
        points[n, 0] = points[last, 0]
        points[n, 1] = points[last, 1]
        written[j] = n + 1 - room[j]
    chain_start = np.zeros(n_chains + 1, np.int64)
    kept_plane = np.empty(n_chains, np.int64)
    kept_closed = np.empty(n_chains, np.bool_)
    n_kept = 0
    for j in range(n_chains):
        if chain_closed[j] and written[j] < 4:
            continue
        start = chain_start[n_kept]
        # A move to the left, front to back, never overwrites a point it has yet to move.
        if start != room[j]:
            for i in range(written[j]):
                points[start + i, 0] = points[room[j] + i, 0]
                points[start + i, 1] = points[room[j] + i, 1]
        chain_start[n_kept + 1] = start + written[j]
        kept_plane[n_kept] = chain_plane[j]
        kept_closed[n_kept] = chain_closed[j]
        n_kept += 1
    return chain_start[: n_kept + 1].copy(), kept_plane[:n_kept].copy(), kept_closed[:n_kept].copy()


@njit(cache=True, parallel=True)
def loop_measures(points, loop_start):
    """Signed area (CCW positive), length and bounding box of each polyline.

    ``points[loop_start[i]:loop_start[i + 1]]`` is polyline ``i``; for a
    closed loop (last point == first) the area is the polygon's.
    Returns ``(area, length, bbox)`` with bbox (n, 4) as xmin, ymin, xmax, ymax.
    """
    n = loop_start.shape[0] - 1
    area = np.zeros(n)
    length = np.zeros(n)
    bbox = np.empty((n, 4))
    for i in prange(n):
        a = 0.0
        ell = 0.0
        x0 = points[loop_start[i], 0]
        y0 = points[loop_start[i], 1]
        xmin = x0
        xmax = x0
        ymin = y0
        ymax = y0
        for j in range(loop_start[i], loop_start[i + 1] - 1):
            xa = points[j, 0] - x0
            ya = points[j, 1] - y0
            xb = points[j + 1, 0] - x0
            yb = points[j + 1, 1] - y0
            a += xa * yb - xb * ya
            ell += np.sqrt((xb - xa) * (xb - xa) + (yb - ya) * (yb - ya))
            xmin = min(xmin, points[j + 1, 0])
            xmax = max(xmax, points[j + 1, 0])
            ymin = min(ymin, points[j + 1, 1])
            ymax = max(ymax, points[j + 1, 1])
        area[i] = 0.5 * a
        length[i] = ell
        bbox[i, 0] = xmin
        bbox[i, 1] = ymin
        bbox[i, 2] = xmax
        bbox[i, 3] = ymax
    return area, length, bbox


@njit(cache=True, inline="always")
def _inside(points, lo, hi, x, y):
    """Even-odd test of (x, y) against the closed loop ``points[lo:hi]``."""
    inside = False
    for j in range(lo, hi - 1):
        ya = points[j, 1]
        yb = points[j + 1, 1]
        if (ya > y) != (yb > y):
            xa = points[j, 0]
            xb = points[j + 1, 0]
            if x < xa + (y - ya) * (xb - xa) / (yb - ya):
                inside = not inside
    return inside


@njit(cache=True, parallel=True)
def loop_parents(points, loop_start, group_start, abs_area, bbox, wanted):
    """The smallest loop of the same layer enclosing each loop with ``wanted[i]``, or -1.

    Loops are numbered so that a layer's loops are contiguous:
    ``group_start[g]:group_start[g + 1]``. A loop's midpoint of its first
    segment is tested, so touching loops still nest correctly. Loops not
    wanted get -1 without a search.
    """
    n = loop_start.shape[0] - 1
    parent = np.full(n, -1, np.int64)
    for g in prange(group_start.shape[0] - 1):
        first = group_start[g]
        # Candidates from the smallest up (ties in loop order): the first that encloses is the answer.
        by_area = first + np.argsort(abs_area[first : group_start[g + 1]], kind="mergesort")
        for r in range(by_area.shape[0]):
            i = by_area[r]
            if not wanted[i]:
                continue
            lo = loop_start[i]
            x = 0.5 * (points[lo, 0] + points[lo + 1, 0])
            y = 0.5 * (points[lo, 1] + points[lo + 1, 1])
            for j in by_area[r + 1 :]:
                if abs_area[j] <= abs_area[i]:
                    continue
                if bbox[j, 0] > bbox[i, 0] or bbox[j, 1] > bbox[i, 1] or bbox[j, 2] < bbox[i, 2] or bbox[j, 3] < bbox[i, 3]:
                    continue
                if _inside(points, loop_start[j], loop_start[j + 1], x, y):
                    parent[i] = j
                    break
    return parent


@njit(cache=True, parallel=True)
def reverse_loops(points, loop_start, flip):
    """Reverse, in place, every loop ``i`` with ``flip[i]``."""
    for i in prange(loop_start.shape[0] - 1):
        if flip[i]:
            lo = loop_start[i]
            hi = loop_start[i + 1] - 1
            while lo < hi:
                for c in range(2):
                    points[lo, c], points[hi, c] = points[hi, c], points[lo, c]
                lo += 1
                hi -= 1


@njit(cache=True, parallel=True)
def face_slopes(vertices, faces):
    """Per face: z of the unit normal, twice the area, lowest and highest z; each (m,) float64.

    A degenerate face gets a normal z of 0 (a wall: never an overhang).
    """
    m = faces.shape[0]
    normal_z = np.empty(m)
    double_area = np.empty(m)
    z_low = np.empty(m)
    z_high = np.empty(m)
    for f in prange(m):
        a = faces[f, 0]
        b = faces[f, 1]
        c = faces[f, 2]
        ux = vertices[b, 0] - vertices[a, 0]
        uy = vertices[b, 1] - vertices[a, 1]
        uz = vertices[b, 2] - vertices[a, 2]
        vx = vertices[c, 0] - vertices[a, 0]
        vy = vertices[c, 1] - vertices[a, 1]
        vz = vertices[c, 2] - vertices[a, 2]
        nx = uy * vz - uz * vy
        ny = uz * vx - ux * vz
        nz = ux * vy - uy * vx
        length = np.sqrt(nx * nx + ny * ny + nz * nz)
        double_area[f] = length
        normal_z[f] = nz / length if length > 0 else 0.0
        z_low[f] = min(vertices[a, 2], min(vertices[b, 2], vertices[c, 2]))
        z_high[f] = max(vertices[a, 2], max(vertices[b, 2], vertices[c, 2]))
    return normal_z, double_area, z_low, z_high

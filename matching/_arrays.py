"""Small vectorised helpers shared by the engine's stages."""

from __future__ import annotations

import numpy as np

__all__ = ["expand", "has_repeats", "ranges"]


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts [2, 3]: owners [0, 0, 1, 1, 1] and ranks [0, 1, 0, 1, 2]."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, rank


def has_repeats(a: np.ndarray) -> bool:
    """Whether an integer array holds some value twice (by counting when the values span
    little more than the array, as person numbers do, else by ``np.unique``)."""
    a = np.asarray(a, dtype=np.int64)
    if a.size < 2:
        return False
    lo, hi = int(a.min()), int(a.max())
    if hi - lo < 4 * a.size:
        return bool(np.count_nonzero(np.bincount(a - lo)) < a.size)
    return bool(np.unique(a).size < a.size)


def ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(lo[i], hi[i])``."""
    owner, rank = expand(np.asarray(hi) - np.asarray(lo))
    out: np.ndarray = np.asarray(lo, dtype=np.int64)[owner] + rank
    return out

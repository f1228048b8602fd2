"""The score of a feasible pair and the distance it is based on.

A pair's score lies in ``(0, 1]`` and is the sum of four weighted parts::

    closeness = 0.40 * max(0, 1 - distance_km / max_km)    # 0 for a remote pair beyond reach
    urgency   = 0.25 * need.urgency                         # 0 .. 1 as given
    waiting   = 0.15 * h / (h + 48)                         # h = need.waiting_hours; half at 2 days
    fairness  = 0.20 / (1 + load / 5)                       # load = volunteer's tasks in 30 days

    score = round(closeness + urgency + waiting + fairness, 4), at least 0.0001

Scores are exact multiples of 0.0001 (held as integers internally), so the
solver's objective and any reference solver agree exactly. The fairness part
is what spreads work: a volunteer with 5 recent tasks loses 0.10 against one
with none, the same as being 25 % of their travel radius further away.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "SCORE_UNITS",
    "WEIGHTS",
    "chord_to_km",
    "closeness_part",
    "great_circle_km",
    "need_parts",
    "score_units",
    "unit_vectors",
    "volunteer_parts",
]

SCORE_UNITS = 10_000
WEIGHTS = {"closeness": 0.40, "urgency": 0.25, "waiting": 0.15, "fairness": 0.20}
WAITING_HALF_HOURS = 48.0
FAIRNESS_LOAD_SCALE = 5.0
EARTH_RADIUS_KM = 6371.0088


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape ``(k, 3)``; chords between them give distances."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return np.column_stack((c * np.cos(lo), c * np.sin(lo), np.sin(la)))


def chord_to_km(chord: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Great-circle km for a chord length on the unit sphere (into ``out`` when given, an
    array of float64 the shape of ``chord``, with no temporary arrays)."""
    if out is None:
        return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.asarray(chord) * 0.5, 1.0))
    np.multiply(chord, 0.5, out=out)
    np.minimum(out, 1.0, out=out)
    np.arcsin(out, out=out)
    out *= 2.0 * EARTH_RADIUS_KM  # the same product as above, value for value
    return out


def km_to_chord(km: np.ndarray | float) -> np.ndarray:
    """Chord length on the unit sphere for a great-circle distance (inverse of chord_to_km)."""
    ang = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(ang * 0.5)


def great_circle_km(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Distance in km between unit vectors ``p`` and ``q`` (rows paired)."""
    return chord_to_km(np.sqrt(np.sum((p - q) ** 2, axis=-1)))


def need_parts(urgency: np.ndarray, waiting_hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The urgency and waiting parts of every need's pairs."""
    h = np.asarray(waiting_hours, dtype=np.float64)
    return WEIGHTS["urgency"] * urgency, WEIGHTS["waiting"] * h / (h + WAITING_HALF_HOURS)


def volunteer_parts(load: np.ndarray) -> np.ndarray:
    """The fairness part of every volunteer's pairs."""
    return WEIGHTS["fairness"] / (1.0 + np.asarray(load, dtype=np.float64) / FAIRNESS_LOAD_SCALE)


def closeness_part(distance_km: np.ndarray, max_km: np.ndarray) -> np.ndarray:
    """The closeness part: full at distance 0, none at the volunteer's max_km or beyond."""
    d = np.asarray(distance_km, dtype=np.float64)
    mk = np.asarray(max_km, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel = np.where(mk > 0, 1.0 - d / np.where(mk > 0, mk, 1.0), np.where(d <= 0, 1.0, 0.0))
    return WEIGHTS["closeness"] * np.clip(rel, 0.0, 1.0)


def score_units(
    closeness: np.ndarray, need_total: np.ndarray, volunteer_total: np.ndarray
) -> np.ndarray:
    """Integer scores in units of 1/SCORE_UNITS, in ``[1, SCORE_UNITS]``."""
    s = np.rint((closeness + need_total + volunteer_total) * SCORE_UNITS)
    units: np.ndarray = np.clip(s, 1, SCORE_UNITS).astype(np.int32)
    return units

"""Optimal, capacity-aware matching of volunteers to needs.

A pure library (numpy, scipy and numba only). Parse an instance, list its
feasible pairs, or solve it::

    >>> from matching import parse_instance, solve
    >>> result = solve(parse_instance({"needs": [], "volunteers": []}))
    >>> result.to_dict()["stats"]["filled_slots"]
    0

The objective is lexicographic: fill as many volunteer slots as possible,
then maximise the total score; a need's volunteers are different people
(volunteer records may share a ``person``). The score of a pair is
documented in :mod:`matching._scoring`; the exact assignment, a min-cost
flow compiled with numba, in :mod:`matching._assign`.
``solve(instance, certify=True)`` also proves the result optimal on the
candidate graph, independently of the solver (:mod:`matching._certify`).

Optional time facts (dated needs, people's existing commitments, pauses and
weekly limits, see :func:`parse_instance`) add the time rules of
:mod:`matching._time`: no pair that clashes with a commitment, falls in a
pause or overflows a week, and the needs proposed to one person in one run
clash-free and within their limit, kept exact by a branch and bound over the
flow. :func:`pair_feasible` checks one pair; :mod:`matching.schedule` has the
clash and weekly-limit rules on plain schedules.
"""

from ._candidates import Candidates, candidates
from ._instance import Instance, InstanceError, TimeFacts, parse_instance
from ._scoring import SCORE_UNITS, WEIGHTS
from ._solve import REASON_CODES, Match, Result, Unmatched, solve
from ._time import pair_feasible

__all__ = [
    "REASON_CODES",
    "SCORE_UNITS",
    "WEIGHTS",
    "Candidates",
    "Instance",
    "InstanceError",
    "Match",
    "Result",
    "TimeFacts",
    "Unmatched",
    "candidates",
    "pair_feasible",
    "parse_instance",
    "solve",
]

"""Optimal, capacity-aware matching of volunteers to needs.

A pure library (numpy, scipy and numba only). Parse an instance, list its feasible
pairs, or solve it::

    >>> from matching import parse_instance, solve
    >>> result = solve(parse_instance({"needs": [], "volunteers": []}))
    >>> result.to_dict()["stats"]["filled_slots"]
    0

The objective is lexicographic: fill as many volunteer slots as possible,
then maximise the total score. The score of a pair is documented in
:mod:`matching._scoring`. ``solve(instance, certify=True)`` also proves the
result optimal on the candidate graph, independently of the solver
(:mod:`matching._certify`).
"""

from ._candidates import Candidates, candidates
from ._instance import Instance, InstanceError, parse_instance
from ._scoring import SCORE_UNITS, WEIGHTS
from ._solve import REASON_CODES, Match, Result, Unmatched, solve

__all__ = [
    "REASON_CODES",
    "SCORE_UNITS",
    "WEIGHTS",
    "Candidates",
    "Instance",
    "InstanceError",
    "Match",
    "Result",
    "Unmatched",
    "candidates",
    "parse_instance",
    "solve",
]

"""Property tests on small random instances against independent references.

References: candidates by brute force over all pairs (haversine distance,
minute-by-minute availability); the optimum by an integer program (scipy's
HiGHS ``milp``) on the b-matching with lexicographic weights.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from matching import SCORE_UNITS, candidates, parse_instance, solve

SKILLS = ["a", "b", "c"]
TIMES = ["08:00", "09:00", "09:30", "10:00", "10:17", "11:00", "12:00"]


@st.composite
def windows(draw, min_size):
    out = []
    for _ in range(draw(st.integers(min_size, 3))):
        day = draw(st.integers(0, 2))
        i = draw(st.integers(0, len(TIMES) - 2))
        j = draw(st.integers(i + 1, len(TIMES) - 1))
        out.append({"weekday": day, "start": TIMES[i], "end": TIMES[j]})
    return out


def coords(draw):
    return (51.5 + draw(st.floats(-0.05, 0.05)), -0.1 + draw(st.floats(-0.08, 0.08)))


@st.composite
def instances(draw, max_needs=6, max_vols=6):
    needs, vols = [], []
    for i in range(draw(st.integers(0, max_needs))):
        lat, lon = coords(draw)
        needs.append(
            {
                "id": f"n{i}",
                "lat": lat,
                "lon": lon,
                "skills": draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True)),
                "windows": draw(windows(1)),
                "volunteers_needed": draw(st.integers(1, 3)),
                "urgency": draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
                "remote_ok": draw(st.booleans()) and draw(st.booleans()),
                "waiting_hours": draw(st.sampled_from([0, 5, 48, 200])),
            }
        )
    for j in range(draw(st.integers(0, max_vols))):
        lat, lon = coords(draw)
        vols.append(
            {
                "id": f"v{j}",
                "lat": lat,
                "lon": lon,
                "skills": draw(st.lists(st.sampled_from(SKILLS), max_size=3, unique=True)),
                "max_km": draw(st.sampled_from([1.0, 3.0, 6.0, 12.0])),
                "capacity": draw(st.integers(1, 3)),
                "availability": draw(windows(0)),
                "load": draw(st.sampled_from([0, 0, 2, 10])),
            }
        )
    exclude = []
    if needs and vols:
        for _ in range(draw(st.integers(0, 3))):
            exclude.append([draw(st.sampled_from(needs))["id"], draw(st.sampled_from(vols))["id"]])
    return {"needs": needs, "volunteers": vols, "exclude": exclude}


def _minutes(ws):
    out = set()
    for w in ws:
        h1, m1 = map(int, w["start"].split(":"))
        h2, m2 = map(int, w["end"].split(":"))
        base = w["weekday"] * 1440
        out.update(range(base + h1 * 60 + m1, base + h2 * 60 + m2))
    return out


def _haversine(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def brute_candidates(data):
    """{(need, volunteer): score} by checking every pair directly."""
    excluded = {tuple(p) for p in data["exclude"]}
    out = {}
    for n in data["needs"]:
        need_min = _minutes(n["windows"])
        for v in data["volunteers"]:
            if not set(n["skills"]) <= set(v["skills"]):
                continue
            d = _haversine(n, v)
            if not n["remote_ok"] and d > v["max_km"]:
                continue
            if not need_min <= _minutes(v["availability"]):
                continue
            if (n["id"], v["id"]) in excluded:
                continue
            h = n.get("waiting_hours", 0)
            s = (
                0.4 * max(0.0, 1 - d / v["max_km"])
                + 0.25 * n["urgency"]
                + 0.15 * h / (h + 48)
                + 0.2 / (1 + v.get("load", 0) / 5)
            )
            out[(n["id"], v["id"])] = s
    return out


def reference_optimum(data, pairs):
    """(filled slots, total score units) by integer programming."""
    if not pairs:
        return 0, 0
    keys = sorted(pairs)
    nidx = {n["id"]: i for i, n in enumerate(data["needs"])}
    vidx = {v["id"]: j for j, v in enumerate(data["volunteers"])}
    units = np.array([pairs[k] for k in keys], dtype=float)
    big = (len(keys) + 1) * SCORE_UNITS
    e = np.arange(len(keys))
    rows_n = np.array([nidx[k[0]] for k in keys])
    rows_v = np.array([vidx[k[1]] for k in keys])
    a_n = coo_array((np.ones(len(keys)), (rows_n, e)), shape=(len(nidx), len(keys)))
    a_v = coo_array((np.ones(len(keys)), (rows_v, e)), shape=(len(vidx), len(keys)))
    dem = [n["volunteers_needed"] for n in data["needs"]]
    cap = [v["capacity"] for v in data["volunteers"]]
    res = milp(
        -(big + units),
        integrality=np.ones(len(keys)),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(a_n, 0, dem), LinearConstraint(a_v, 0, cap)],
    )
    x = np.rint(res.x).astype(bool)
    return int(x.sum()), int(units[x].sum())


FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(instances())
def test_candidates_equal_brute_force(data):
    inst = parse_instance(data)
    got = {(r["need"], r["volunteer"]): r["score"] for r in candidates(inst).records()}
    want = brute_candidates(data)
    assert set(got) == set(want)
    for k, s in want.items():
        assert abs(got[k] - s) <= 1.01 / SCORE_UNITS


@FAST
@given(instances(max_needs=7, max_vols=7))
def test_solution_feasible_and_optimal(data):
    inst = parse_instance(data)
    res = solve(inst)
    cand = {
        (r["need"], r["volunteer"]): round(r["score"] * SCORE_UNITS)
        for r in candidates(inst).records()
    }
    pairs = [(m.need, m.volunteer) for m in res.matches]
    assert len(set(pairs)) == len(pairs)
    assert all(p in cand for p in pairs)
    demand = {n["id"]: n["volunteers_needed"] for n in data["needs"]}
    cap = {v["id"]: v["capacity"] for v in data["volunteers"]}
    for nid, d in demand.items():
        assert sum(1 for p in pairs if p[0] == nid) <= d
    for vid, c in cap.items():
        assert sum(1 for p in pairs if p[1] == vid) <= c
    filled, units = reference_optimum(data, cand)
    assert res.stats["filled_slots"] == filled == len(pairs)
    assert round(res.stats["total_score"] * SCORE_UNITS) == units
    # every need with open slots is explained
    open_needs = {u.need: u for u in res.unmatched}
    for nid, d in demand.items():
        got = sum(1 for p in pairs if p[0] == nid)
        assert (nid in open_needs) == (got < d)
        if got < d:
            assert open_needs[nid].open_slots == d - got


@st.composite
def crowded(draw):
    """Many needs and volunteers on one spot: one large component for the assignment path."""
    k = draw(st.integers(3, 12))
    needs = [
        {
            "id": f"n{i}",
            "lat": 51.5,
            "lon": -0.1 + 0.001 * draw(st.integers(0, 9)),
            "skills": draw(st.lists(st.sampled_from(SKILLS[:2]), max_size=1)),
            "windows": [{"weekday": 0, "start": "09:00", "end": "10:00"}],
            "volunteers_needed": draw(st.integers(1, 3)),
            "urgency": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "remote_ok": False,
        }
        for i in range(k)
    ]
    vols = [
        {
            "id": f"v{j}",
            "lat": 51.5,
            "lon": -0.1 + 0.001 * draw(st.integers(0, 9)),
            "skills": draw(st.lists(st.sampled_from(SKILLS[:2]), max_size=2, unique=True)),
            "max_km": draw(st.sampled_from([0.3, 0.5, 1.0])),
            "capacity": draw(st.integers(1, 3)),
            "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
            "load": draw(st.integers(0, 6)),
        }
        for j in range(draw(st.integers(3, 12)))
    ]
    return {"needs": needs, "volunteers": vols, "exclude": []}


@FAST
@given(crowded())
def test_optimal_on_dense_components(data):
    inst = parse_instance(data)
    res = solve(inst)
    cand = {
        (r["need"], r["volunteer"]): round(r["score"] * SCORE_UNITS)
        for r in candidates(inst).records()
    }
    filled, units = reference_optimum(data, cand)
    assert (res.stats["filled_slots"], round(res.stats["total_score"] * SCORE_UNITS)) == (
        filled,
        units,
    )


def test_against_ortools():
    """Seeded cross-check with OR-Tools min-cost flow (a test dependency)."""
    from ortools.graph.python import min_cost_flow

    rng = np.random.default_rng(7)
    for _ in range(5):
        n, m = 40, 30
        needs = [
            {
                "id": f"n{i}",
                "lat": 51.5 + rng.uniform(-0.01, 0.01),
                "lon": -0.1 + rng.uniform(-0.01, 0.01),
                "skills": [],
                "windows": [{"weekday": 0, "start": "09:00", "end": "10:00"}],
                "volunteers_needed": int(rng.integers(1, 4)),
                "urgency": float(rng.uniform()),
                "remote_ok": False,
            }
            for i in range(n)
        ]
        vols = [
            {
                "id": f"v{j}",
                "lat": 51.5 + rng.uniform(-0.01, 0.01),
                "lon": -0.1 + rng.uniform(-0.01, 0.01),
                "skills": [],
                "max_km": float(rng.uniform(0.3, 1.5)),
                "capacity": int(rng.integers(1, 4)),
                "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
                "load": int(rng.integers(0, 8)),
            }
            for j in range(m)
        ]
        inst = parse_instance({"needs": needs, "volunteers": vols})
        c = candidates(inst)
        res = solve(inst)
        big = (len(c) + 1) * SCORE_UNITS
        f = min_cost_flow.SimpleMinCostFlow()
        src, snk = n + m, n + m + 1
        for i in range(n):
            f.add_arc_with_capacity_and_unit_cost(src, i, needs[i]["volunteers_needed"], 0)
        for j in range(m):
            f.add_arc_with_capacity_and_unit_cost(n + j, snk, vols[j]["capacity"], 0)
        for a, b, s in zip(
            c.need_index.tolist(), c.volunteer_index.tolist(), c.score_units.tolist()
        ):
            f.add_arc_with_capacity_and_unit_cost(a, n + b, 1, -(big + s))
        f.add_arc_with_capacity_and_unit_cost(src, snk, 10**6, 0)
        f.set_node_supply(src, 10**6)
        f.set_node_supply(snk, -(10**6))
        assert f.solve() == f.OPTIMAL
        cost = -f.optimal_cost()
        assert (cost // big, cost % big) == (
            res.stats["filled_slots"],
            round(res.stats["total_score"] * SCORE_UNITS),
        )


# --------------------------------------------------------------------------
# people with several volunteer records
# --------------------------------------------------------------------------

PEOPLE = ["ann", "bo", 7, 8]


@st.composite
def instances_with_people(draw):
    """As :func:`instances`, some volunteer records belonging to the same few people."""
    data = draw(instances(max_needs=6, max_vols=8))
    for v in data["volunteers"]:
        if draw(st.booleans()):
            v["person"] = draw(st.sampled_from(PEOPLE))
    return data


def person_of(data):
    return {v["id"]: v.get("person", ("own", v["id"])) for v in data["volunteers"]}


def reference_optimum_with_people(data, pairs):
    """(filled slots, total score units) by integer programming, one record per person a need."""
    if not pairs:
        return 0, 0
    keys = sorted(pairs)
    who = person_of(data)
    nidx = {n["id"]: i for i, n in enumerate(data["needs"])}
    vidx = {v["id"]: j for j, v in enumerate(data["volunteers"])}
    groups = {g: k for k, g in enumerate(sorted({(a, repr(who[b])) for a, b in keys}))}
    units = np.array([pairs[k] for k in keys], dtype=float)
    big = (len(keys) + 1) * SCORE_UNITS
    e = np.arange(len(keys))
    one = np.ones(len(keys))
    rows = [
        (np.array([nidx[k[0]] for k in keys]), len(nidx)),
        (np.array([vidx[k[1]] for k in keys]), len(vidx)),
        (np.array([groups[(a, repr(who[b]))] for a, b in keys]), len(groups)),
    ]
    dem = [n["volunteers_needed"] for n in data["needs"]]
    cap = [v["capacity"] for v in data["volunteers"]]
    constraints = [
        LinearConstraint(coo_array((one, (r, e)), shape=(size, len(keys))), 0, ub)
        for (r, size), ub in zip(rows, (dem, cap, np.ones(len(groups))))
    ]
    res = milp(-(big + units), integrality=one, bounds=Bounds(0, 1), constraints=constraints)
    x = np.rint(res.x).astype(bool)
    return int(x.sum()), int(units[x].sum())


def ortools_optimum_with_people(data, inst):
    """(filled slots, total score units) by OR-Tools' min-cost flow on the engine's candidates."""
    from test_matching_assign import ortools_reference  # same directory, on sys.path

    c = candidates(inst)
    return ortools_reference(
        c.need_index.astype(np.int64),
        c.volunteer_index.astype(np.int64),
        c.score_units.astype(np.int64),
        inst.volunteers_needed,
        inst.capacity,
        inst.volunteer_person,
    )


@FAST
@given(instances_with_people())
def test_people_solution_feasible_and_optimal(data):
    inst = parse_instance(data)
    res = solve(inst, certify=True)
    want = brute_candidates(data)
    cand = {
        (r["need"], r["volunteer"]): round(r["score"] * SCORE_UNITS)
        for r in candidates(inst).records()
    }
    assert set(cand) == set(want)
    pairs = [(m.need, m.volunteer) for m in res.matches]
    who = person_of(data)
    people = [(a, repr(who[b])) for a, b in pairs]
    assert len(set(people)) == len(people), "a need got one person twice"
    for nid in {n["id"] for n in data["needs"]}:
        d = next(n["volunteers_needed"] for n in data["needs"] if n["id"] == nid)
        assert sum(1 for p in pairs if p[0] == nid) <= d
    for v in data["volunteers"]:
        assert sum(1 for p in pairs if p[1] == v["id"]) <= v["capacity"]
    got = (res.stats["filled_slots"], round(res.stats["total_score"] * SCORE_UNITS))
    assert got == reference_optimum_with_people(data, cand)
    assert got == ortools_optimum_with_people(data, inst)
    assert res.stats["certified_optimal"] is True
    open_needs = {u.need: u for u in res.unmatched}
    for n in data["needs"]:
        filled = sum(1 for p in pairs if p[0] == n["id"])
        assert (n["id"] in open_needs) == (filled < n["volunteers_needed"])

"""Synthetic but realistic matching instances for the benchmarks.

People cluster around UK cities (weighted by metro population, a few per cent
scattered anywhere in Great Britain), skills have skewed frequencies with rare
ones (legal advice, DBS-checked childcare, BSL), availability mixes evening,
weekend, daytime and split blocks, needs ask for one or two windows on the
half hour. Seeded: the same arguments give the same instance.
"""

from __future__ import annotations

import numpy as np

from matching import Instance

# name, lat, lon, metro population (millions), spread (km)
CITIES = [
    ("London", 51.507, -0.128, 9.5, 14),
    ("Birmingham", 52.486, -1.890, 2.9, 9),
    ("Manchester", 53.480, -2.242, 2.8, 9),
    ("Leeds", 53.800, -1.549, 1.9, 7),
    ("Glasgow", 55.864, -4.252, 1.7, 7),
    ("Liverpool", 53.408, -2.991, 1.4, 6),
    ("Newcastle", 54.978, -1.617, 1.1, 6),
    ("Sheffield", 53.381, -1.470, 0.9, 5),
    ("Bristol", 51.454, -2.588, 0.7, 5),
    ("Nottingham", 52.954, -1.158, 0.8, 5),
    ("Leicester", 52.637, -1.135, 0.5, 4),
    ("Edinburgh", 55.953, -3.189, 0.55, 5),
    ("Cardiff", 51.481, -3.179, 0.5, 4),
    ("Belfast", 54.597, -5.930, 0.6, 5),
    ("Southampton", 50.910, -1.404, 0.85, 5),
    ("Brighton", 50.822, -0.137, 0.5, 4),
    ("Plymouth", 50.375, -4.143, 0.27, 3),
    ("Stoke", 53.003, -2.180, 0.4, 4),
    ("Coventry", 52.407, -1.510, 0.36, 3),
    ("Hull", 53.745, -0.337, 0.3, 3),
    ("Norwich", 52.630, 1.297, 0.2, 3),
    ("Aberdeen", 57.150, -2.094, 0.2, 3),
    ("Dundee", 56.462, -2.971, 0.15, 3),
    ("Swansea", 51.621, -3.944, 0.3, 3),
    ("Exeter", 50.718, -3.534, 0.13, 3),
    ("Cambridge", 52.205, 0.119, 0.15, 3),
    ("Oxford", 51.752, -1.258, 0.16, 3),
    ("York", 53.960, -1.087, 0.2, 3),
    ("Derby", 52.922, -1.477, 0.26, 3),
    ("Inverness", 57.478, -4.225, 0.05, 2),
]
SCATTERED = 0.05

# skill: (share of volunteers who have it, share of needs that ask for it)
SKILLS = {
    "shopping": (0.60, 0.30),
    "prescriptions": (0.45, 0.18),
    "driving": (0.35, 0.14),
    "dog-walking": (0.25, 0.06),
    "befriending": (0.30, 0.08),
    "phone-befriending": (0.20, 0.05),
    "cooking": (0.15, 0.03),
    "gardening": (0.15, 0.03),
    "diy": (0.10, 0.02),
    "tech-help": (0.12, 0.03),
    "first-aid": (0.08, 0.01),
    "form-filling": (0.10, 0.02),
    "mental-health-first-aid": (0.03, 0.01),
    "wheelchair-transport": (0.02, 0.008),
    "translation-polish": (0.02, 0.006),
    "translation-urdu": (0.02, 0.006),
    "dbs-childcare": (0.02, 0.008),
    "legal-advice": (0.01, 0.005),
    "bsl": (0.004, 0.002),
}
REMOTE_SKILLS = [
    "phone-befriending",
    "legal-advice",
    "tech-help",
    "form-filling",
    "translation-polish",
    "translation-urdu",
]

# availability patterns: list of (days, start, end) in minutes of the day
H = 60
PATTERNS = [
    (0.25, [(range(5), 17 * H, 20 * H)]),  # weekday evenings
    (0.15, [(range(5, 7), 9 * H, 13 * H)]),  # weekend mornings
    (0.15, [(range(5), 9 * H, 12 * H), (range(5), 12 * H, 17 * H)]),  # retired, split blocks
    (0.10, [(range(7), 8 * H, 10 * H), (range(7), 18 * H, 21 * H)]),  # before/after work
    (0.10, [(range(5, 7), 10 * H, 18 * H)]),  # weekends
    (0.10, [(range(3), 13 * H, 16 * H), (range(3, 5), 9 * H, 11 * H)]),
    (0.15, None),  # 1-3 random blocks
]


def _points(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    w = np.array([c[3] for c in CITIES])
    city = rng.choice(len(CITIES), size=k, p=w / w.sum())
    lat0 = np.array([c[1] for c in CITIES])[city]
    lon0 = np.array([c[2] for c in CITIES])[city]
    spread = np.array([c[4] for c in CITIES])[city]
    r = rng.standard_normal((k, 2)) * spread[:, None] * 0.7
    lat = lat0 + r[:, 0] / 111.2
    lon = lon0 + r[:, 1] / (111.2 * np.cos(np.radians(lat0)))
    scattered = rng.random(k) < SCATTERED
    s = int(scattered.sum())
    lat[scattered] = rng.uniform(50.1, 58.5, s)
    lon[scattered] = rng.uniform(-5.5, 1.6, s)
    return lat, lon


def _skill_sets(rng: np.random.Generator, k: int, volunteers: bool) -> list[tuple[str, ...]]:
    names = list(SKILLS)
    if volunteers:
        p = np.array([SKILLS[s][0] for s in names])
        has = rng.random((k, len(names))) < p
        combos: dict[bytes, tuple[str, ...]] = {}
        out = []
        for row in np.packbits(has, axis=1):
            key = row.tobytes()
            t = combos.get(key)
            if t is None:
                t = combos[key] = tuple(
                    names[i] for i in np.flatnonzero(np.unpackbits(row)[: len(names)])
                )
            out.append(t)
        return out
    p = np.array([SKILLS[s][1] for s in names])
    p = p / p.sum()
    count = rng.choice(3, size=k, p=[0.3, 0.6, 0.1])
    first = rng.choice(len(names), size=k, p=p)
    second = rng.choice(len(names), size=k, p=p)
    out = []
    for c, a, b in zip(count.tolist(), first.tolist(), second.tolist()):
        out.append(() if c == 0 else (names[a],) if c == 1 or a == b else (names[a], names[b]))
    return out


def _city_points(
    rng: np.random.Generator, k: int, city: str, radius_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points spread uniformly over a disc of ``radius_km`` around a city's centre."""
    _, lat0, lon0, _, _ = next(c for c in CITIES if c[0] == city)
    r = radius_km * np.sqrt(rng.random(k))
    a = rng.uniform(0, 2 * np.pi, k)
    lat = lat0 + r * np.sin(a) / 111.2
    lon = lon0 + r * np.cos(a) / (111.2 * np.cos(np.radians(lat0)))
    return lat, lon


def make_instance(
    n_needs: int,
    n_volunteers: int,
    seed: int = 0,
    remote_share: float = 0.01,
    city: str | None = None,
    radius_km: float = 8.0,
    max_km_range: tuple[float, float] | None = None,
) -> Instance:
    """A seeded synthetic instance (see the module docstring).

    With ``city``, everyone lives within ``radius_km`` of that city's centre
    (one group of the web app) and, with ``max_km_range``, volunteers travel a
    uniform ``max_km`` in that range.
    """
    rng = np.random.default_rng(seed)

    def points(k: int) -> tuple[np.ndarray, np.ndarray]:
        return _points(rng, k) if city is None else _city_points(rng, k, city, radius_km)

    # needs
    n_lat, n_lon = points(n_needs)
    n_sk = _skill_sets(rng, n_needs, volunteers=False)
    remote = rng.random(n_needs) < remote_share
    rs = rng.choice(REMOTE_SKILLS, size=n_needs)
    n_sk = [(rs[i],) if remote[i] else t for i, t in enumerate(n_sk)]
    n_win = rng.choice([1, 2], size=n_needs, p=[0.8, 0.2])
    wn = np.repeat(np.arange(n_needs), n_win)
    day = rng.integers(0, 7, wn.size)
    start = rng.integers(16, 40, wn.size) * 30  # 08:00 .. 19:30
    length = rng.choice([60, 90, 120], size=wn.size, p=[0.6, 0.2, 0.2])
    end = np.minimum(start + length, 24 * H)
    ws = day * 1440 + start
    we = day * 1440 + end

    # volunteers
    v_lat, v_lon = points(n_volunteers)
    v_sk = _skill_sets(rng, n_volunteers, volunteers=True)
    shares = np.array([p[0] for p in PATTERNS])
    pat = rng.choice(len(PATTERNS), size=n_volunteers, p=shares / shares.sum())
    av, ast, aen = [], [], []
    for k, (_, blocks) in enumerate(PATTERNS):
        members = np.flatnonzero(pat == k)
        if blocks is None:
            nb = rng.integers(1, 4, members.size)
            own = np.repeat(members, nb)
            d = rng.integers(0, 7, own.size)
            s = rng.integers(14, 40, own.size) * 30
            e = np.minimum(s + rng.choice([120, 180, 240, 360], size=own.size), 24 * H)
            av.append(own)
            ast.append(d * 1440 + s)
            aen.append(d * 1440 + e)
            continue
        for days, s, e in blocks:
            for d in days:
                av.append(members)
                ast.append(np.full(members.size, d * 1440 + s))
                aen.append(np.full(members.size, d * 1440 + e))
    max_km = np.clip(rng.lognormal(np.log(4.0), 0.5, n_volunteers), 1.0, 25.0).round(1)
    if max_km_range is not None:
        max_km = rng.uniform(*max_km_range, n_volunteers).round(1)
    capacity = rng.choice([1, 2, 3, 5], size=n_volunteers, p=[0.5, 0.3, 0.15, 0.05])
    load = np.minimum(
        rng.poisson(1.5, n_volunteers) * rng.choice([1, 4], n_volunteers, p=[0.9, 0.1]), 60
    )

    # exclusions: a coordinator rejected some pairs
    n_ex = n_needs // 200
    ex_n = rng.integers(0, max(n_needs, 1), n_ex)
    ex_v = rng.integers(0, max(n_volunteers, 1), n_ex)

    return Instance.from_arrays(
        need_ids=[f"n{i}" for i in range(n_needs)],
        need_lat=n_lat,
        need_lon=n_lon,
        need_skills=n_sk,
        volunteers_needed=rng.choice([1, 2, 3], size=n_needs, p=[0.85, 0.12, 0.03]),
        urgency=rng.choice([0.2, 0.5, 0.8, 1.0], size=n_needs, p=[0.3, 0.4, 0.2, 0.1]),
        remote_ok=remote,
        waiting_hours=np.round(rng.exponential(24.0, n_needs), 1),
        window_need=wn,
        window_start=ws,
        window_end=we,
        volunteer_ids=[f"v{j}" for j in range(n_volunteers)],
        volunteer_lat=v_lat,
        volunteer_lon=v_lon,
        volunteer_skills=v_sk,
        max_km=max_km,
        capacity=capacity,
        avail_volunteer=np.concatenate(av) if av else [],
        avail_start=np.concatenate(ast) if ast else [],
        avail_end=np.concatenate(aen) if aen else [],
        load=load,
        exclude_need=ex_n,
        exclude_volunteer=ex_v,
    )


def to_json(inst: Instance) -> dict:
    """The instance in the JSON format (for the command line; small sizes only)."""

    def hhmm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    def wins(owner, start, end, k):
        lo, hi = np.searchsorted(owner, [k, k + 1])
        return [
            {
                "weekday": int(s // 1440),
                "start": hhmm(int(s % 1440)),
                "end": hhmm(int(e - (s // 1440) * 1440)),
            }
            for s, e in zip(start[lo:hi], end[lo:hi])
        ]

    needs = [
        {
            "id": inst.need_ids[i],
            "lat": float(inst.need_lat[i]),
            "lon": float(inst.need_lon[i]),
            "skills": list(inst.need_skills[i]),
            "windows": wins(inst.window_need, inst.window_start, inst.window_end, i),
            "volunteers_needed": int(inst.volunteers_needed[i]),
            "urgency": float(inst.urgency[i]),
            "remote_ok": bool(inst.remote_ok[i]),
            "waiting_hours": float(inst.waiting_hours[i]),
        }
        for i in range(inst.n_needs)
    ]
    vols = [
        {
            "id": inst.volunteer_ids[j],
            "lat": float(inst.volunteer_lat[j]),
            "lon": float(inst.volunteer_lon[j]),
            "skills": list(inst.volunteer_skills[j]),
            "max_km": float(inst.max_km[j]),
            "capacity": int(inst.capacity[j]),
            "availability": wins(inst.avail_volunteer, inst.avail_start, inst.avail_end, j),
            "load": int(inst.load[j]),
        }
        for j in range(inst.n_volunteers)
    ]
    exclude = [
        [inst.need_ids[a], inst.volunteer_ids[b]]
        for a, b in zip(inst.exclude_need.tolist(), inst.exclude_volunteer.tolist())
    ]
    return {"needs": needs, "volunteers": vols, "exclude": exclude}

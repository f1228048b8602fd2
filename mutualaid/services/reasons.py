"""Why a need was left open, in terms a coordinator can act on.

The engine explains an unmatched need from its own instance: the offers that could still take
work. That instance leaves out what a coordinator most needs to know: volunteers who would suit
but are fully booked, volunteers who hold a credential still waiting for verification, pairs
ruled out by history (already helping, turned down before). This module asks the engine's own
candidate test again, on a *diagnostic* instance of the open needs against every active offer of
the group (full ones and unverified credentials included), and replaces the engine's reason
wherever the diagnostic finds a truer one:

``fully_booked``
    suitable volunteers exist, but none has capacity left; the sentence says when the first
    frees up, when a commitment's end is known.
``unverified``
    a volunteer suits if a credential they hold were verified; the action is to verify it.
``helping``, ``rejected``, ``own``
    the only suitable people already help with this need, were turned down for it before
    (rejected, declined or cancelled), or are the resident themselves.
``other_times``
    volunteers with the skills and in reach are free, but at other times; the sentence lists
    when.
``split``
    no one volunteer in reach has all the skills, but each skill is held by someone in reach:
    the need could be split.

Every other need keeps the engine's code and sentence (``no_skill``, ``out_of_reach``,
``no_time``, ``excluded``, ``taken``; see :data:`matching.REASON_CODES`).

The diagnostic is read in the run's read transaction (:func:`load_facts`) and evaluated with
the engine, outside any transaction (:func:`refine`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

import matching

from ..extensions import db
from ..models import Match, MatchStatus, Need, Offer, Skill
from ..models.matches import HOLDING_MATCH_STATUSES
from ..models.offers import offer_groups
from . import accounts
from .offers import usable_skills

__all__ = ["ACTIONS", "DOMAIN_REASON_CODES", "REASON_CODES", "Facts", "load_facts", "refine"]

#: Codes this module adds to the engine's.
DOMAIN_REASON_CODES = (
    "fully_booked",
    "unverified",
    "helping",
    "rejected",
    "own",
    "other_times",
    "split",
)
#: Every code an unmatched need can carry.
REASON_CODES = tuple(matching.REASON_CODES) + DOMAIN_REASON_CODES

#: What a coordinator can do about each code (shown beside the reason).
ACTIONS = {
    "no_skill": "Recruit a volunteer with this skill, or ask the resident if it is essential.",
    "out_of_reach": "Ask a volunteer nearby, or ask the resident if help from a distance would do.",
    "no_time": "Ask the resident whether another time would work.",
    "excluded": "Pair a volunteer by hand.",
    "taken": "Wait for the next run, or ask a volunteer to take one more.",
    "busy": "Wait until one frees up, or ask the resident whether another day would work.",
    "fully_booked": "Ask one of them to take one more, or wait until one frees up.",
    "unverified": "Verify their credential.",
    "helping": "Pair another volunteer by hand.",
    "rejected": "Look again at the volunteer you turned down, or pair one by hand.",
    "own": "Find another volunteer: the only suitable one posted this need.",
    "other_times": "Ask the resident whether one of these times would work.",
    "split": "Split the need into one per skill.",
}

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 24 * 60
_NO_OFFERS = np.zeros(0, dtype=np.int64)


@dataclass
class Facts:
    """What the diagnostic needs, read in the run's read transaction."""

    offers: list[dict[str, Any]] = field(default_factory=list)
    #: need id -> the resident's person id
    requester: dict[int, int] = field(default_factory=dict)
    #: (need id, person id) of people already helping with the need
    helping: set[tuple[int, int]] = field(default_factory=set)
    #: (need id, offer id) pairs turned down before
    rejected: set[tuple[int, int]] = field(default_factory=set)
    #: skill slug -> name
    skill_names: dict[str, str] = field(default_factory=dict)
    #: offer id -> the first day one of its commitments is over, when known
    frees_on: dict[int, date] = field(default_factory=dict)


def decided_matches(group_id: int) -> list[tuple[int, int, int, str]]:
    """The group's matches other than proposals, ``(need id, offer id, the volunteer's person
    id, status)``: in one read, the pairs decided, the people already helping with each need,
    each need's filled places, and what the reasons ask of the needs' history."""
    return [
        (need_id, offer_id, person, status)
        for need_id, offer_id, person, status in db.session.connection()
        .execute(
            sa.select(Match.need_id, Match.offer_id, Offer.volunteer_id, Match.status)
            .join(Offer, Offer.id == Match.offer_id)
            .join(Need, Need.id == Match.need_id)
            .where(Need.group_id == group_id, Match.status != MatchStatus.PROPOSED)
        )
        .all()
    ]


def load_facts(
    group_id: int,
    now: datetime,
    need_ids: list[int],
    offers: list[dict[str, Any]] | None = None,
    requester: dict[int, int] | None = None,
    decided: list[tuple[int, int, int, str]] | None = None,
) -> Facts:
    """Read every active, published offer of the group and the history of ``need_ids`` (the
    group's needs).

    A run has read the offers already, the needs' residents and the group's matches other than
    proposals (``offers``, ``requester`` and ``decided``, from
    :func:`matching_runs.load_instance`, in the same transaction): they are not read again."""
    facts = Facts()
    facts.skill_names = {
        slug: name for slug, name in db.session.execute(sa.select(Skill.slug, Skill.name))
    }
    if offers is None:
        facts.offers = _read_offers(group_id, now)
    else:
        facts.offers = offers
    full = [o["id"] for o in facts.offers if o["remaining"] < 1]
    if full:
        # A one-off commitment is over the day after its date.
        for offer_id, on_date in db.session.execute(
            sa.select(Match.offer_id, sa.func.min(Need.on_date))
            .join(Need, Need.id == Match.need_id)
            .where(
                Match.offer_id.in_(full),
                Match.status == MatchStatus.APPROVED,
                Need.on_date.is_not(None),
                Need.on_date >= now.date(),
            )
            .group_by(Match.offer_id)
        ):
            if on_date is not None:
                facts.frees_on[offer_id] = on_date + timedelta(days=1)
    if need_ids:
        if requester is not None:
            facts.requester = {i: requester[i] for i in need_ids if i in requester}
        else:
            facts.requester = {
                need_id: person
                for need_id, person in db.session.execute(
                    sa.select(Need.id, Need.requester_id).where(Need.id.in_(need_ids))
                )
            }
        # the group's decided pairs, kept for the needs asked about (one read by group rather
        # than a list of every need id)
        wanted = set(need_ids)
        if decided is None:
            decided = decided_matches(group_id)
        for need_id, offer_id, person, status in decided:
            if need_id not in wanted:
                continue
            if status in HOLDING_MATCH_STATUSES:
                facts.helping.add((need_id, person))
            else:
                facts.rejected.add((need_id, offer_id))
    return facts


def _read_offers(group_id: int, now: datetime) -> list[dict[str, Any]]:
    """Every active, published offer of the group, as :attr:`Facts.offers` holds them."""
    in_group = [
        offer_groups.c.group_id == group_id,
        Offer.is_active.is_(True),
        accounts.published(Offer.volunteer_id),
    ]
    holding = (
        sa.select(Match.offer_id.label("id"), sa.func.count().label("n"))
        .where(Match.status == MatchStatus.APPROVED)
        .group_by(Match.offer_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Offer.id,
            Offer.volunteer_id,
            Offer.lat,
            Offer.lon,
            Offer.max_travel_km,
            Offer.availability,
            Offer.capacity,
            sa.func.coalesce(holding.c.n, 0),
        )
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .outerjoin(holding, holding.c.id == Offer.id)
        .where(*in_group)
        .order_by(Offer.id)
    ).all()
    usable, pending = usable_skills(in_group, now)
    out = []
    for oid, person, lat, lon, max_km, availability, capacity, held in rows:
        out.append(
            {
                "id": oid,
                "person": person,
                "lat": lat,
                "lon": lon,
                "max_km": max_km,
                "availability": availability or [],
                "remaining": capacity - held,
                "usable": usable.get(oid, []),
                "pending": pending.get(oid, []),
            }
        )
    return out


def refine(
    unmatched: list[dict[str, Any]],
    needs: list[dict[str, Any]],
    facts: Facts,
) -> list[dict[str, Any]]:
    """The engine's ``unmatched`` with each reason replaced where a truer one is found.

    ``needs`` are the instance's need records (ids as strings, as sent to the engine). Each
    entry keeps ``need`` and ``open_slots`` and gets ``reason_code``, ``reason`` and, for
    ``other_times``, ``free_at`` (the windows when suitable volunteers are free).
    """
    if not unmatched:
        return unmatched
    by_id = {int(n["id"]): n for n in needs}
    open_ids = [u["need"] for u in unmatched if u["need"] in by_id]
    if not open_ids:
        return unmatched
    # the offers as the engine's arrays, once for every question asked of them
    diag = _Diagnostic(facts)
    open_needs = [(i, by_id[i], by_id[i]["skills"]) for i in open_ids]
    # Asked together, at the needs' own times: each need, and each skill of a need with several
    # alone (whether one volunteer per skill would do; asked of every such need, kept for those
    # nobody suits whole).
    parts = {
        (i, k): skill
        for i in open_ids
        if len(set(by_id[i]["skills"])) > 1
        for k, skill in enumerate(sorted(set(by_id[i]["skills"])))
    }
    found = diag.pairs(open_needs + [(key, by_id[key[0]], [skill]) for key, skill in parts.items()])
    at_time = {i: diag.ids[found[i]].tolist() for i in open_ids if i in found}
    # a skill alone: only the offers with room that hold it verified
    split: dict[Any, list[int]] = {}
    for key, skill in parts.items():
        if key in found and key[0] not in at_time:
            pos = found[key]
            split[key] = diag.ids[pos[diag.room[pos] & diag.has({skill})[pos]]].tolist()
    offers = diag.offers
    # what the offers suitable at each need's time say; then, for the needs that leaves open,
    # the offers suitable at any time (asked of those needs only)
    decided = {
        i: _diagnose_at_time(i, by_id[i], at_time.get(i, []), offers, facts) for i in open_ids
    }
    later = [(i, by_id[i], by_id[i]["skills"]) for i in open_ids if not decided[i][0]]
    anytime = diag.pairs(later, any_time=True)
    elsewhen = _free_elsewhen([i for i, _, _ in later], by_id, anytime, found, facts, diag)
    out = []
    for u in unmatched:
        need_id = u["need"]
        if need_id not in by_id:
            out.append(u)
            continue
        done, truer = decided[need_id]
        if not done:
            truer = _diagnose_any_time(
                need_id,
                u["reason_code"],
                by_id[need_id],
                at_time.get(need_id, []),
                anytime.get(need_id, _NO_OFFERS),
                elsewhen.get(need_id),
                offers,
                facts,
                diag,
                split,
            )
        out.append({**u, **truer} if truer else {**u, "reason": _named(u["reason"], facts)})
    return out


def _free_elsewhen(
    need_ids: list[int],
    by_id: dict[int, dict[str, Any]],
    anytime: dict[Any, np.ndarray],
    at_time: dict[Any, np.ndarray],
    facts: Facts,
    diag: _Diagnostic,
) -> dict[int, tuple[int, list[tuple[int, str, str]]]]:
    """For each need of ``need_ids`` that has any: how many people are free at other times,
    and the (up to) three windows the most of their offers are free in, most first, then in
    week order.

    Free at other times: an offer in reach at any time (``anytime``: positions) but not
    suitable at the need's own time (``at_time``), with room, the skills verified, free for as
    long as the need lasts, not the resident's, nobody already helping, not turned down for the
    need. Asked of every need's offers at once, over arrays of ``(need, offer)`` pairs.
    """
    m = diag.ids.size
    held = [anytime.get(i, _NO_OFFERS) for i in need_ids]
    sizes = np.array([a.size for a in held], dtype=np.int64)
    if not need_ids or not sizes.sum():
        return {}
    which = np.repeat(np.arange(len(need_ids), dtype=np.int64), sizes)  # each pair's need
    pos = np.concatenate(held)
    ok = diag.remaining[pos] >= 1
    suitable_now = [j * m + at_time[i] for j, i in enumerate(need_ids) if i in at_time]
    if suitable_now:
        ok &= ~np.isin(which * m + pos, np.concatenate(suitable_now))
    kinds: dict[frozenset[str], int] = {}
    kind = np.array(
        [kinds.setdefault(frozenset(by_id[i]["skills"]), len(kinds)) for i in need_ids],
        dtype=np.int64,
    )
    verified = np.stack([diag.has(set(skills)) for skills in kinds])
    ok &= verified[kind[which], pos]
    longest = np.array(
        [
            max(_minutes(w["end"]) - _minutes(w["start"]) for w in by_id[i]["windows"])
            for i in need_ids
        ],
        dtype=np.int64,
    )
    ok &= diag.longest[pos] >= longest[which]
    resident = np.array([facts.requester.get(i, -1) for i in need_ids], dtype=np.int64)
    ok &= diag.person[pos] != resident[which]
    # (need, person) and (need, offer) pairs as numbers: the need's index times a bound above
    # any person's (offer's) id, plus the id
    helping = [(j, p) for j, i in enumerate(need_ids) for p in diag.helping_of.get(i, ())]
    people = 1 + max(
        int(diag.person.max(initial=0)), int(resident.max(initial=0)), *(p for _, p in helping)
    )
    if helping:
        ok &= ~np.isin(which * people + diag.person[pos], [j * people + p for j, p in helping])
    rejected = [(j, o) for j, i in enumerate(need_ids) for o in diag.rejected_of.get(i, ())]
    if rejected:
        offers = 1 + max(int(diag.ids.max(initial=0)), *(o for _, o in rejected))
        ok &= ~np.isin(which * offers + diag.ids[pos], [j * offers + o for j, o in rejected])
    which, pos = which[ok], pos[ok]
    if not pos.size:
        return {}
    # the people: distinct (need, person) pairs, counted per need
    count = np.bincount(
        np.unique(which * people + diag.person[pos]) // people, minlength=len(need_ids)
    )
    # every window of the chosen offers long enough: each offer's first, then the next ones
    size = diag.win_count[pos]
    window = np.repeat(diag.win_ptr[pos], size) + (
        np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    )
    owner = np.repeat(which, size)
    keep = diag.win_len[window] >= longest[owner]
    owner, code = owner[keep], diag.win_code[window[keep]]
    # per need, each window's count; the three most common first, ties in week order
    shift = int(code.max(initial=0)).bit_length()
    keys, counts = np.unique((owner << shift) | code, return_counts=True)
    owner, code = keys >> shift, keys & ((1 << shift) - 1)
    order = np.lexsort((code, -counts, owner))
    owner, code = owner[order], code[order]
    first = np.searchsorted(owner, owner)  # the need's first row
    top = np.arange(owner.size) - first < 3
    windows: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for j, c in zip(owner[top].tolist(), code[top].tolist(), strict=True):
        windows[j].append(_window_of(c))
    return {need_ids[j]: (int(count[j]), windows[j]) for j in np.flatnonzero(count).tolist()}


@dataclass
class _Offer:
    """One offer of the diagnostic, with what the questions about it compare."""

    id: int
    person: int
    remaining: int
    usable: frozenset[str]
    pending: tuple[str, ...]
    #: the skills held, verified or not
    held: frozenset[str]


class _Diagnostic:
    """The group's offers in the engine's array form, built once per :func:`refine`.

    :meth:`pairs` asks the engine's own candidate test (:func:`matching.candidates`) of any
    needs against them; the pair test is pair by pair, so a question about some offers is the
    same question about all of them with the answers filtered."""

    def __init__(self, facts: Facts) -> None:
        rows = facts.offers
        self.facts = facts
        self.ids = np.array([o["id"] for o in rows], dtype=np.int64)
        self.lat = np.array([o["lat"] for o in rows], dtype=np.float64)
        self.lon = np.array([o["lon"] for o in rows], dtype=np.float64)
        self.max_km = np.array([o["max_km"] for o in rows], dtype=np.float64)
        self.room = np.array([o["remaining"] >= 1 for o in rows], dtype=bool)
        self.all_skills = [tuple(o["usable"]) + tuple(o["pending"]) for o in rows]
        owner, start, end = _window_rows(o["availability"] for o in rows)
        self.avail = (owner, start, end)
        self.person = np.array([o["person"] for o in rows], dtype=np.int64)
        self.remaining = np.array([o["remaining"] for o in rows], dtype=np.int64)
        self.offers = _Offers(rows)
        # every availability window: its offer's windows win_ptr[i]..win_ptr[i + 1], its
        # length, and a code that sorts as ``(weekday, start, end)`` does
        self.win_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=len(rows)), out=self.win_ptr[1:])
        day = start // MINUTES_PER_DAY
        self.win_len = end - start
        self.win_code = (day * 2000 + start - day * MINUTES_PER_DAY) * 2000 + (
            end - day * MINUTES_PER_DAY
        )
        self.longest = np.full(len(rows), -1, dtype=np.int64)
        self.win_count = np.diff(self.win_ptr)
        some = np.flatnonzero(self.win_count > 0)
        if some.size:
            self.longest[some] = np.maximum.reduceat(self.win_len, self.win_ptr[some])
        usable: dict[str, list[int]] = defaultdict(list)
        held: dict[str, list[int]] = defaultdict(list)
        for i, o in enumerate(rows):
            for slug in o["usable"]:
                usable[slug].append(i)
                held[slug].append(i)
            for slug in o["pending"]:
                held[slug].append(i)
        self._usable: dict[str, np.ndarray] = {}
        self._held: dict[str, np.ndarray] = {}
        for masks, lists in ((self._usable, usable), (self._held, held)):
            for slug, where in lists.items():
                masks[slug] = np.zeros(len(rows), dtype=bool)
                masks[slug][where] = True
        self._masks: dict[tuple[bool, frozenset[str]], np.ndarray] = {}
        #: per need: the people already helping with it, the offers turned down for it
        self.helping_of: dict[int, list[int]] = defaultdict(list)
        for need_id, person in sorted(facts.helping):
            self.helping_of[need_id].append(person)
        self.rejected_of: dict[int, list[int]] = defaultdict(list)
        for need_id, offer_id in sorted(facts.rejected):
            self.rejected_of[need_id].append(offer_id)

    def has(self, skills: set[str], held: bool = False) -> np.ndarray:
        """Per offer: whether it has every skill of ``skills`` usable (with ``held``: held,
        verified or not)."""
        key = (held, frozenset(skills))
        got = self._masks.get(key)
        if got is None:
            got = np.ones(self.ids.size, dtype=bool)
            by_skill = self._held if held else self._usable
            for slug in skills:
                mask = by_skill.get(slug)
                if mask is None:
                    got = np.zeros(self.ids.size, dtype=bool)
                    break
                got = got & mask
            self._masks[key] = got
        return got

    def positions(self, ids: list[int]) -> np.ndarray:
        """The offers' positions in the facts' order."""
        index = self.offers.index
        return np.array([index[i] for i in ids], dtype=np.int64)

    def pairs(
        self,
        needs: list[tuple[Any, dict[str, Any], list[str]]],
        any_time: bool = False,
    ) -> dict[Any, np.ndarray]:
        """The offers the engine's candidate test accepts for each ``(key, need, skills)``, as
        their positions (an array, for the keys with any), credentials counted as held whether
        verified or not, capacity and history ignored; with ``any_time``, time too."""
        m = self.ids.size
        if not needs or m == 0:
            return {}
        n = len(needs)
        if any_time:  # the whole week, for every need and offer
            owner, start, end = _any_time(n)
            a_owner, a_start, a_end = _any_time(m)
        else:
            owner, start, end = _window_rows(need["windows"] for _, need, _ in needs)
            a_owner, a_start, a_end = self.avail
        instance = matching.Instance.from_arrays(
            need_ids=[str(k) for k in range(n)],
            need_lat=[need["lat"] for _, need, _ in needs],
            need_lon=[need["lon"] for _, need, _ in needs],
            need_skills=[skills for _, _, skills in needs],
            volunteers_needed=np.ones(n, dtype=np.int64),
            urgency=[need["urgency"] for _, need, _ in needs],
            remote_ok=[bool(need["remote_ok"]) for _, need, _ in needs],
            window_need=owner,
            window_start=start,
            window_end=end,
            volunteer_ids=[str(i) for i in range(m)],
            volunteer_lat=self.lat,
            volunteer_lon=self.lon,
            volunteer_skills=self.all_skills,
            max_km=self.max_km,
            capacity=np.ones(m, dtype=np.int64),
            avail_volunteer=a_owner,
            avail_start=a_start,
            avail_end=a_end,
        )
        cand = matching.candidates(instance)
        ni = np.asarray(cand.need_index, dtype=np.int64)
        vi = np.asarray(cand.volunteer_index, dtype=np.int64)
        order = np.argsort(ni, kind="stable")
        ni, vi = ni[order], vi[order]
        bounds = np.searchsorted(ni, np.arange(n + 1))
        found: dict[Any, np.ndarray] = {}
        for k, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
            if hi > lo:
                found[needs[k][0]] = vi[lo:hi]
        return found

    def holders(self, skills: set[str]) -> list[_Offer]:
        """The offers holding every skill of ``skills``, verified or not, in the facts' order."""
        return [self.offers[i] for i in self.ids[self.has(skills, held=True)].tolist()]


class _Offers(dict[int, _Offer]):
    """The diagnostic's offers by id, each made when first asked for."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.rows = rows
        self.index = {o["id"]: i for i, o in enumerate(rows)}

    def __missing__(self, offer_id: int) -> _Offer:
        o = self.rows[self.index[offer_id]]
        got = _Offer(
            id=o["id"],
            person=o["person"],
            remaining=o["remaining"],
            usable=frozenset(o["usable"]),
            pending=tuple(o["pending"]),
            held=frozenset(o["usable"]) | frozenset(o["pending"]),
        )
        self[offer_id] = got
        return got


def _window_of(code: int) -> tuple[int, str, str]:
    """A window's ``(weekday, start, end)`` from its code (:attr:`_Diagnostic.win_code`)."""
    return code // 4_000_000, _hhmm(code // 2000 % 2000), _hhmm(code % 2000)


def _any_time(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One and the same whole day for each of ``k`` owners, as the engine's rows: every need's
    window then lies inside every offer's, so the engine's test leaves time out (as the whole
    week would, with a seventh of the windows)."""
    return (
        np.arange(k, dtype=np.int64),
        np.zeros(k, dtype=np.int64),
        np.full(k, MINUTES_PER_DAY, dtype=np.int64),
    )


def _window_rows(
    windows: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each owner's windows as the engine's rows: owner, start and end in week minutes."""
    windows = list(windows)
    flat = [w for ws in windows for w in ws]
    owner = np.repeat(np.arange(len(windows), dtype=np.int64), [len(ws) for ws in windows])
    day = np.array([w["weekday"] for w in flat], dtype=np.int64) * MINUTES_PER_DAY
    minute = _MINUTE_OF
    return (
        owner,
        day + np.array([minute[w["start"]] for w in flat], dtype=np.int64),
        day + np.array([minute[w["end"]] for w in flat], dtype=np.int64),
    )


def _diagnose_at_time(
    need_id: int,
    need: dict[str, Any],
    at_time: list[int],
    offers: dict[int, _Offer],
    facts: Facts,
) -> tuple[bool, dict[str, Any] | None]:
    """What the offers suitable at the need's time say: ``(True, the truer code and sentence, or
    ``None`` to keep the engine's)``, or ``(False, None)`` when the answer lies in the offers
    suitable at other times (:func:`_diagnose_any_time`).

    Counts compare with the places the run had to fill (``demand``), as the engine's do: the
    volunteers it proposed for this need are among the suitable ones."""
    skills = set(need["skills"])
    demand = int(need["volunteers_needed"])
    requester = facts.requester.get(need_id)
    kinds: dict[str, set[int]] = defaultdict(set)  # kind -> people
    full_offers: list[int] = []
    for oid in at_time:
        offer = offers[oid]
        person = offer.person
        if person == requester:
            kinds["own"].add(person)
        elif (need_id, person) in facts.helping:
            kinds["helping"].add(person)
        elif (need_id, oid) in facts.rejected:
            kinds["rejected"].add(person)
        elif offer.remaining < 1:
            # fully booked (and, if so, waiting for a credential too: freeing comes first)
            kinds["fully_booked"].add(person)
            full_offers.append(oid)
        elif not skills <= offer.usable:
            kinds["unverified"].add(person)
        else:
            kinds["free"].add(person)
    free = kinds["free"]
    if len(free) >= demand:
        return True, None  # enough free, suitable people: the engine's reason stands
    booked = kinds["fully_booked"] - free
    if booked:
        days = sorted(facts.frees_on[o] for o in full_offers if o in facts.frees_on)
        n = len(booked)
        who = _count(n, "suitable volunteer")
        be = "is" if n == 1 else "are"
        when = (
            f"; the first frees up on {days[0]:%A %-d %B}"
            if days
            else "; none of their commitments has an end date yet"
        )
        return True, _reason("fully_booked", f"{who} {be} fully booked{when}.")
    unverified = kinds["unverified"] - free
    if unverified:
        n = len(unverified)
        held = sorted(
            {s for o in at_time for s in offers[o].pending if s in skills},
        )
        return True, _reason(
            "unverified",
            f"{_count(n, 'volunteer')} with {_names(held, facts)} "
            f"{'is' if n == 1 else 'are'} waiting for the credential to be verified.",
        )
    for kind, sentence in (
        ("helping", "{who} {be} already helping with this need."),
        ("rejected", "{who} {be} turned down for this need before."),
    ):
        people = kinds[kind] - free
        if people:
            n = len(people)
            return True, _reason(
                kind,
                sentence.format(
                    who=(
                        f"The other {_count(n, 'suitable volunteer')}"
                        if free
                        else "The only suitable volunteer"
                        if n == 1
                        else f"All {n} suitable volunteers"
                    ),
                    be="is" if n == 1 else "are",
                ),
            )
    if kinds["own"] and not free:
        return True, _reason("own", "The only suitable volunteer is the resident who posted it.")
    return False, None


def _diagnose_any_time(
    need_id: int,
    engine_code: str,
    need: dict[str, Any],
    at_time: list[int],
    anytime: np.ndarray,
    elsewhen: tuple[int, list[tuple[int, str, str]]] | None,
    offers: dict[int, _Offer],
    facts: Facts,
    diag: _Diagnostic,
    split: dict[Any, list[int]],
) -> dict[str, Any] | None:
    """The truer code and sentence for an open need :func:`_diagnose_at_time` left undecided,
    from the offers suitable at any time (``anytime``: their positions; ``elsewhen``: what
    :func:`_free_elsewhen` found of them), or ``None`` to keep the engine's."""
    skills = set(need["skills"])
    demand = int(need["volunteers_needed"])
    requester = facts.requester.get(need_id)
    if elsewhen is not None:
        n, top = elsewhen
        when = ", ".join(f"{WEEKDAY_NAMES[d]} {s}-{e}" for d, s, e in top)
        return {
            **_reason(
                "other_times",
                f"{_count(n, 'volunteer')} with the skills and in reach "
                f"{'is' if n == 1 else 'are'} free at other times: {when}.",
            ),
            "free_at": [{"weekday": d, "start": s, "end": e} for d, s, e in top],
        }
    if len(skills) > 1 and not at_time and _split(need_id, len(skills), facts, offers, split):
        return _reason(
            "split",
            f"No one volunteer in reach has all of {_names(sorted(skills), facts)}, "
            "but each is held by someone in reach: split the need into one per skill.",
        )
    if engine_code not in ("no_skill", "out_of_reach"):
        return None

    # The engine sees only the volunteers with room: booked or unverified people who hold the
    # skills can make its "nobody has the skill" or "only k within reach" untrue. Count people
    # who could be asked at all: not the resident, not already helping, not turned down for it.
    def askable(o: _Offer) -> bool:
        return (
            o.person != requester
            and (need_id, o.person) not in facts.helping
            and (need_id, o.id) not in facts.rejected
            and skills <= o.held
        )

    holders = {o.person for o in diag.holders(skills) if askable(o)}
    in_reach = {offers[o].person for o in diag.ids[anytime].tolist() if askable(offers[o])}
    named = _names(sorted(skills), facts) if skills else ""
    if len(holders) < demand:
        return (
            None
            if engine_code == "no_skill"
            else _reason(
                "no_skill",
                f"Only {_count(len(holders), 'volunteer')} "
                f"{'has' if len(holders) == 1 else 'have'} {named}; {demand} needed.",
            )
        )
    if len(in_reach) < demand:
        with_what = f" with {named}" if skills else ""
        return _reason(
            "out_of_reach",
            f"The only volunteer{with_what} is out of reach."
            if not in_reach and len(holders) == 1
            else f"None of the {len(holders)} volunteers{with_what} is within reach."
            if not in_reach
            else f"Only {len(in_reach)} of the {_count(len(holders), 'volunteer')}{with_what} "
            f"{'is' if len(in_reach) == 1 else 'are'} within reach; {demand} needed.",
        )
    who = f"volunteers with {named}" if skills else "volunteers"
    return _reason(
        "no_time",
        f"The {len(in_reach)} {who} within reach are fully booked, or not free at that time.",
    )


def _split(
    need_id: int,
    n_skills: int,
    facts: Facts,
    offers: dict[int, _Offer],
    split: dict[Any, list[int]],
) -> bool:
    """Whether every skill of the need alone has a volunteer with room, in reach and free at
    its time (not the resident, not turned down for it). ``split``: per ``(need id, k)``, the
    offers with room that the engine's test accepts for the need's ``k``-th skill alone."""
    requester = facts.requester.get(need_id)
    return all(
        any(
            offers[o].person != requester and (need_id, o) not in facts.rejected
            for o in split.get((need_id, k), ())
        )
        for k in range(n_skills)
    )


def _named(sentence: str, facts: Facts) -> str:
    """The engine's sentence with each quoted skill code replaced by the skill's name."""
    for slug, name in facts.skill_names.items():
        sentence = sentence.replace(f"'{slug}'", f"‘{name}’")
    return sentence


#: Every valid "HH:MM" and its minute of the day.
_MINUTE_OF = {f"{m // 60:02d}:{m % 60:02d}": m for m in range(MINUTES_PER_DAY + 1)}


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minutes(hhmm: str) -> int:
    got = _MINUTE_OF.get(hhmm)
    return int(hhmm[:2]) * 60 + int(hhmm[3:]) if got is None else got


def _reason(code: str, sentence: str) -> dict[str, Any]:
    return {"reason_code": code, "reason": sentence}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _names(slugs: list[str], facts: Facts) -> str:
    names = [facts.skill_names.get(s, s) for s in slugs]
    if len(names) == 1:
        return f"‘{names[0]}’"
    return ", ".join(f"‘{n}’" for n in names[:-1]) + f" and ‘{names[-1]}’"

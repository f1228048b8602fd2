"""A run's bulk reads and writes give what the row-by-row ones would: an id list of any length,
an explanation's summary read from its text, the decided matches shared with the reasons, the
audit rows of the proposals it adds, who is free at other times for many needs at once."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from mutualaid import audit
from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Match, Skill, utcnow
from mutualaid.services import matching_runs, reasons
from mutualaid.services.common import among

NEXT_WEEK = date.today() + timedelta(days=7)


@pytest.mark.parametrize("extra", [0, 5, 400])
def test_an_id_list_of_any_length_finds_the_same_rows(app, extra):
    """Past a few hundred ids SQLite gets them as one JSON parameter: the same rows as a plain
    ``IN``, whatever ids are missing or repeated."""
    with app.app_context():
        every = set(db.session.scalars(sa.select(Skill.id)))
        wanted = [*sorted(every)[::2], -1, 10**9, *range(10**6, 10**6 + extra)]
        found = set(db.session.scalars(sa.select(Skill.id).where(among(Skill.id, wanted))))
        assert found == every & set(wanted)
        assert set(db.session.scalars(sa.select(Skill.id).where(among(Skill.id, [])))) == set()


def test_an_id_list_reaches_postgresql_as_a_constant_array(app):
    """The planner sees the ids themselves (a cast it evaluated while running would, without
    statistics, test every row against every id)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL plan")
        sent = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            sent.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            db.session.execute(sa.select(Skill.id).where(among(Skill.id, [3, 1, 2])))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        [(statement, parameters)] = sent
        plan = "\n".join(
            row[0]
            for row in db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters)
        )
        db.session.rollback()
    assert re.search(r"ANY \('\{1,2,3\}'::integer\[\]\)", plan), plan


@pytest.mark.parametrize(
    "explanation",
    [
        {"summary": "1.7 km away, has cooking, free Sun 16:30-18:30", "score": 0.5},
        {"summary": 'quote " and back\\slash and ünïcode \u2028', "windows": []},
        {"score": 0.5, "summary": "not first"},
        {"score": 0.5},
        {"summary": None},
        None,
        [1, 2],
    ],
)
def test_a_summary_read_from_the_text_is_the_decoded_one(explanation):
    text = None if explanation is None else json.dumps(explanation)
    expected = explanation.get("summary") if isinstance(explanation, dict) else None
    assert matching_runs._summary(text) == expected


def test_the_reasons_use_the_runs_read_of_decided_matches(
    app, client, scene, create_need, create_offer, run_matching
):
    """The facts built from the run's one read of the group's decided matches equal the facts
    read afresh: the people helping, the pairs turned down."""
    create_offer([scene.group], skills=["cooking"], capacity=2)
    create_offer([scene.group], skills=["cooking"])
    helped = create_need(scene.group, skills=["cooking"], volunteers_needed=2)
    turned_down = create_need(
        scene.group, skills=["cooking"], windows=[{"weekday": 3, "start": "09:00", "end": "11:00"}]
    )
    run_matching(scene)
    proposals = client.get(
        f"/api/v1/matches?status=proposed&group={scene.group.slug}", headers=scene.headers
    ).get_json()["items"]
    for p in proposals:
        verb = "approve" if p["need"]["id"] == helped.id else "reject"
        body = {} if verb == "approve" else {"reason": "No"}
        resp = client.post(f"/api/v1/matches/{p['id']}/{verb}", json=body, headers=scene.headers)
        assert resp.status_code == 200, resp.get_json()
    with app.app_context():
        now = utcnow()
        loaded = matching_runs.load_instance(scene.group.id, now)
        ids = [helped.id, turned_down.id]
        fresh = reasons.load_facts(scene.group.id, now, ids)
        shared = reasons.load_facts(scene.group.id, now, ids, decided=loaded.decided)
        db.session.rollback()
    assert fresh.helping and fresh.rejected
    assert (shared.helping, shared.rejected) == (fresh.helping, fresh.rejected)


def test_audit_rows_recorded_in_bulk_equal_those_recorded_one_by_one(
    app, scene, create_need, create_offer, run_matching
):
    for _ in range(3):
        create_need(scene.group)
        create_offer([scene.group])
    run_matching(scene)
    with app.app_context():
        ids = sorted(db.session.scalars(sa.select(Match.id)))
        now = utcnow()
        audit.set_actor(scene.coordinator.id)
        try:
            audit.record("test-one-by-one", [("create", i, None) for i in ids], now=now)
            audit.record_created(
                "test-in-bulk", sa.select(Match.id).order_by(Match.id.desc()), now=now
            )
        finally:
            audit.set_actor(None)
        rows = {
            kind: db.session.execute(
                sa.select(
                    AuditEvent.actor_id,
                    AuditEvent.action,
                    AuditEvent.entity_id,
                    AuditEvent.changes,
                    sa.cast(AuditEvent.changes, sa.Text).label("text"),
                    AuditEvent.created_dt,
                )
                .where(AuditEvent.entity_type == kind)
                .order_by(AuditEvent.id)
            ).all()
            for kind in ("test-one-by-one", "test-in-bulk")
        }
        db.session.rollback()
    assert len(rows["test-in-bulk"]) == len(ids) == 3
    assert rows["test-in-bulk"] == rows["test-one-by-one"]


def _reference_free_elsewhen(need_ids, by_id, anytime, at_time, facts, diag):
    """Who is free at other times, need by need, as the diagnostic asked it before it asked
    every need at once."""
    out = {}
    for need_id in need_ids:
        need = by_id[need_id]
        pos = anytime.get(need_id, reasons._NO_OFFERS)
        longest = max(
            reasons._minutes(w["end"]) - reasons._minutes(w["start"]) for w in need["windows"]
        )
        now_ids = diag.ids[at_time[need_id]] if need_id in at_time else []
        ok = ~np.isin(diag.ids[pos], now_ids)
        ok &= diag.remaining[pos] >= 1
        ok &= diag.has(set(need["skills"]))[pos]
        ok &= diag.longest[pos] >= longest
        requester = facts.requester.get(need_id)
        if requester is not None:
            ok &= diag.person[pos] != requester
        if diag.helping_of.get(need_id):
            ok &= ~np.isin(diag.person[pos], diag.helping_of[need_id])
        if diag.rejected_of.get(need_id):
            ok &= ~np.isin(diag.ids[pos], diag.rejected_of[need_id])
        chosen = pos[ok]
        if not chosen.size:
            continue
        n = int(np.unique(diag.person[chosen]).size)
        windows = [
            w
            for o in chosen.tolist()
            for w in range(diag.win_ptr[o], diag.win_ptr[o + 1])
            if diag.win_len[w] >= longest
        ]
        codes, counts = np.unique(diag.win_code[windows], return_counts=True)
        order = np.lexsort((codes, -counts))[:3]
        out[need_id] = (n, [reasons._window_of(int(c)) for c in codes[order].tolist()])
    return out


def _window(rng, lengths):
    start = int(rng.integers(12, 40)) * 30
    end = min(start + int(rng.choice(lengths)), 24 * 60)
    return {
        "weekday": int(rng.integers(0, 7)),
        "start": f"{start // 60:02d}:{start % 60:02d}",
        "end": f"{end // 60:02d}:{end % 60:02d}",
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_who_is_free_at_other_times_is_the_same_for_many_needs_at_once(seed):
    """Many needs' pairs asked at once, with people (and offer ids) far apart, some people
    helping or turned down, full offers, unverified skills: the same answer per need."""
    rng = np.random.default_rng(seed)
    skills = ["cooking", "driving", "dbs-checked"]
    offers = []
    for k in range(300):
        held = [s for s in skills if rng.random() < 0.5]
        offers.append(
            {
                "id": int(k * 7 + 3),
                "person": int(rng.integers(1, 120)) * (1 if rng.random() < 0.9 else 10_000),
                "lat": 51.5 + rng.normal(0, 0.03),
                "lon": -0.1 + rng.normal(0, 0.05),
                "max_km": float(rng.choice([2.0, 5.0, 10.0])),
                "availability": [_window(rng, [120, 240, 480]) for _ in range(rng.integers(0, 4))],
                "remaining": int(rng.integers(0, 3)),
                "usable": [s for s in held if rng.random() < 0.8],
                "pending": [],
            }
        )
        offers[-1]["pending"] = [s for s in held if s not in offers[-1]["usable"]]
    needs = []
    for i in range(60):
        needs.append(
            {
                "id": str(1000 + i),
                "lat": (51.5 if i < 50 else 53.5) + rng.normal(0, 0.03),  # some out of reach
                "lon": -0.1 + rng.normal(0, 0.05),
                "skills": [s for s in skills if rng.random() < 0.3],
                "windows": [_window(rng, [60, 90, 180]) for _ in range(rng.integers(1, 3))],
                "volunteers_needed": 1,
                "urgency": 0.5,
                "remote_ok": bool(rng.random() < 0.1),
            }
        )
    by_id = {int(n["id"]): n for n in needs}
    people = sorted({o["person"] for o in offers})
    facts = reasons.Facts(
        offers=offers,
        requester={i: int(rng.choice(people)) for i in by_id if rng.random() < 0.3},
        helping={(i, int(rng.choice(people))) for i in by_id for _ in range(rng.integers(0, 3))}
        # people with no offer in the group, their ids past every offer's person's by one of
        # those ids: numbered with too small a bound, they would stand for another need's
        | {(i, people[-1] + 1 + people[k % len(people)]) for k, i in enumerate(sorted(by_id))},
        rejected={(i, int(rng.choice(offers)["id"])) for i in by_id if rng.random() < 0.5}
        | {(i, 99_999) for i in by_id},
    )
    diag = reasons._Diagnostic(facts)
    asked = [(i, n, n["skills"]) for i, n in by_id.items()]
    anytime = diag.pairs(asked, any_time=True)
    at_time = diag.pairs(asked)
    ids = sorted(by_id)
    expected = _reference_free_elsewhen(ids, by_id, anytime, at_time, facts, diag)
    assert expected and len(expected) < len(ids)  # the case has both kinds of need
    assert reasons._free_elsewhen(ids, by_id, anytime, at_time, facts, diag) == expected


def test_proposals_inserted_through_the_driver_are_those_sqlalchemy_writes(
    app, scene, create_need, create_offer
):
    """``COPY`` on PostgreSQL, the driver's ``executemany`` on SQLite: the same rows, the
    explanation's JSON text and the date's format included, as an ``INSERT`` through
    SQLAlchemy."""
    from mutualaid.models import MatchingRun, MatchStatus, RunStatus

    needs = [create_need(scene.group) for _ in range(2)]
    offer = create_offer([scene.group])
    explanations = [
        {"summary": "1.2 km away, has ‘first aid’ — free Mon 09:00-10:00", "score": 0.1 + 0.2},
        None,
    ]
    rows = [
        (need.id, offer.id, 1 / 3, None if k else 2.5, explanation)
        for k, (need, explanation) in enumerate(zip(needs, explanations, strict=True))
    ]
    with app.app_context():
        now = utcnow()
        runs = [MatchingRun(group_id=scene.group.id, status=RunStatus.SUCCEEDED) for _ in "ab"]
        db.session.add_all(runs)
        db.session.flush()
        through_sqlalchemy, through_driver = (run.id for run in runs)
        db.session.execute(
            sa.insert(Match),
            [
                {
                    "need_id": need_id,
                    "offer_id": offer_id,
                    "score": score,
                    "distance_km": distance,
                    "explanation": explanation,
                    "run_id": through_sqlalchemy,
                    "status": MatchStatus.PROPOSED.value,
                    "created_dt": now,
                }
                for need_id, offer_id, score, distance, explanation in rows
            ],
        )
        matching_runs._insert_proposals(through_driver, now, rows)
        table = Match.__table__
        columns = [c for c in table.c if c.name not in ("id", "run_id")]

        def written(run_id):
            return db.session.execute(
                sa.select(
                    *columns,
                    sa.cast(table.c.explanation, sa.Text).label("explanation_text"),
                    sa.cast(table.c.created_dt, sa.Text).label("created_text"),
                )
                .where(table.c.run_id == run_id)
                .order_by(table.c.id)
            ).all()

        expected, got = written(through_sqlalchemy), written(through_driver)
        db.session.rollback()
    assert len(expected) == 2
    assert got == expected

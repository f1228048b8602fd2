"""Hand-made cases, one per rule."""

from __future__ import annotations

import json

import pytest

from matching import candidates, parse_instance, solve

# 0.01 degrees of latitude is 1.112 km
KM = 1 / 111.2


def test_empty_inputs(run, create_need, create_volunteer):
    pairs, res = run([], [])
    assert pairs == set() and res.unmatched == [] and res.stats["filled_slots"] == 0
    pairs, res = run([create_need()], [])
    assert pairs == set()
    assert [(u.need, u.open_slots, u.reason_code) for u in res.unmatched] == [
        ("n1", 1, "out_of_reach")
    ]
    pairs, res = run([], [create_volunteer()])
    assert pairs == set() and res.unmatched == []


def test_skills_required(run, create_need, create_volunteer):
    needs = [create_need(skills=["legal-advice"])]
    pairs, res = run(
        needs,
        [
            create_volunteer("v1", skills=["driving"]),
            create_volunteer("v2", skills=["driving", "legal-advice"]),
        ],
    )
    assert pairs == {("n1", "v2")}
    assert res.matches[0].explanation["skills_matched"] == ["legal-advice"]


def test_missing_skill_reason_names_it(run, create_need, create_volunteer):
    pairs, res = run(
        [create_need(skills=["legal-advice", "driving"])], [create_volunteer(skills=["driving"])]
    )
    assert pairs == set()
    u = res.unmatched[0]
    assert u.reason_code == "no_skill" and "'legal-advice'" in u.reason


def test_distance_limit_and_reason(run, create_need, create_volunteer):
    near = create_volunteer("near", lat=51.5 + 4 * KM, max_km=5)
    far = create_volunteer("far", lat=51.5 + 6 * KM, max_km=5)
    pairs, _ = run([create_need()], [near, far])
    assert pairs == {("n1", "near")}
    pairs, res = run([create_need()], [far])
    assert pairs == set()
    u = res.unmatched[0]
    assert u.reason_code == "out_of_reach" and "6.0 km" in u.reason, u.reason


def test_reach_is_the_volunteers_own(run, create_need, create_volunteer):
    v = [
        create_volunteer("short", lat=51.5 + 3 * KM, max_km=2),
        create_volunteer("long", lat=51.5 + 3 * KM, max_km=20, capacity=1),
    ]
    pairs, _ = run([create_need()], v)
    assert pairs == {("n1", "long")}


def test_remote_ignores_distance(run, create_need, create_volunteer):
    far = create_volunteer("far", lat=55.95, lon=-3.19)  # Edinburgh
    pairs, res = run([create_need(remote_ok=True)], [far])
    assert pairs == {("n1", "far")}
    ex = res.matches[0].explanation
    assert ex["remote"] is True and ex["distance_km"] > 500
    assert ex["score_parts"]["closeness"] == 0


def test_window_spanning_adjacent_blocks(run, create_need, create_volunteer, window):
    need = create_need(windows=[window(1, "09:30", "11:00")])
    split = create_volunteer(
        "split", availability=[window(1, "09:00", "10:00"), window(1, "10:00", "12:00")]
    )
    gap = create_volunteer(
        "gap", availability=[window(1, "09:00", "10:00"), window(1, "10:01", "12:00")]
    )
    pairs, _ = run([need], [split, gap])
    assert pairs == {("n1", "split")}


def test_overlapping_blocks_merge(run, create_need, create_volunteer, window):
    need = create_need(windows=[window(2, "09:00", "12:00")])
    v = create_volunteer(
        availability=[
            window(2, "08:00", "10:30"),
            window(2, "10:00", "11:00"),
            window(2, "10:45", "12:00"),
        ]
    )
    pairs, _ = run([need], [v])
    assert pairs == {("n1", "v1")}


def test_every_window_must_fit(run, create_need, create_volunteer, window):
    need = create_need(windows=[window(1, "09:00", "10:00"), window(3, "18:00", "19:00")])
    both = create_volunteer(
        "both", availability=[window(1, "08:00", "12:00"), window(3, "17:00", "20:00")]
    )
    one = create_volunteer("one", availability=[window(1, "08:00", "12:00")])
    other_day = create_volunteer(
        "other_day", availability=[window(1, "08:00", "12:00"), window(4, "17:00", "20:00")]
    )
    pairs, res = run([need], [both, one, other_day])
    assert pairs == {("n1", "both")}
    assert [w["weekday"] for w in res.matches[0].explanation["windows"]] == [1, 3]
    pairs, res = run([need], [one])
    assert res.unmatched[0].reason_code == "no_time"
    assert "Tue 09:00-10:00, Thu 18:00-19:00" in res.unmatched[0].reason


def test_window_end_at_midnight(run, create_need, create_volunteer, window):
    need = create_need(windows=[window(6, "22:00", "24:00")])
    v = create_volunteer(availability=[window(6, "20:00", "24:00")])
    pairs, _ = run([need], [v])
    assert pairs == {("n1", "v1")}


def test_capacity(run, create_need, create_volunteer):
    needs = [create_need(f"n{i}", urgency=0.1 * i) for i in range(4)]
    pairs, res = run(needs, [create_volunteer(capacity=2)])
    assert len(pairs) == 2
    # the two most urgent needs win
    assert pairs == {("n3", "v1"), ("n2", "v1")}
    assert {u.need for u in res.unmatched} == {"n0", "n1"}
    assert all(u.reason_code == "taken" for u in res.unmatched)
    assert {u.reason for u in res.unmatched} == {
        "The only other suitable volunteer is already assigned to another need."
    }


def test_taken_reason_counts_the_volunteers(run, create_need, create_volunteer):
    needs = [create_need("n1", volunteers_needed=2, urgency=1.0), create_need("n2", urgency=0.0)]
    pairs, res = run(needs, [create_volunteer("v1"), create_volunteer("v2")])
    assert pairs == {("n1", "v1"), ("n1", "v2")}
    [u] = res.unmatched
    assert (u.need, u.reason_code) == ("n2", "taken")
    assert u.reason == "All 2 other suitable volunteers are already assigned to other needs."


def test_several_volunteers_for_one_need(run, create_need, create_volunteer):
    vols = [create_volunteer(f"v{i}", lat=51.5 + i * KM) for i in range(4)]
    pairs, res = run([create_need(volunteers_needed=3)], vols)
    assert pairs == {("n1", "v0"), ("n1", "v1"), ("n1", "v2")}  # the three closest
    assert res.unmatched == []


def test_pair_used_at_most_once(run, create_need, create_volunteer):
    # need wants 2, volunteer could take 2: still one volunteer, one slot
    pairs, res = run([create_need(volunteers_needed=2)], [create_volunteer(capacity=2)])
    assert pairs == {("n1", "v1")}
    assert res.stats["filled_slots"] == 1 and res.unmatched[0].open_slots == 1


def test_pair_used_at_most_once_in_a_larger_component(run, create_need, create_volunteer):
    needs = [create_need("a", volunteers_needed=2), create_need("b", volunteers_needed=2)]
    vols = [create_volunteer("x", capacity=2), create_volunteer("y", capacity=2)]
    pairs, _ = run(needs, vols)
    assert pairs == {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}


def test_exclusions(run, create_need, create_volunteer):
    needs = [create_need()]
    vols = [create_volunteer("v1"), create_volunteer("v2", lat=51.5 + 2 * KM)]
    pairs, _ = run(needs, vols, exclude=[["n1", "v1"]])
    assert pairs == {("n1", "v2")}
    pairs, res = run(needs, vols, exclude=[["n1", "v1"], ["n1", "v2"]])
    assert pairs == set() and res.unmatched[0].reason_code == "excluded"


def test_more_slots_beat_better_scores(run, create_need, create_volunteer):
    # greedy would give v1 (closest) to a and leave b empty
    a = create_need("a", urgency=1.0)
    b = create_need("b", lat=51.5 + 4 * KM, urgency=0.0)
    v1 = create_volunteer("v1", lat=51.5 + 2 * KM)
    v2 = create_volunteer("v2", lat=51.5 - 2 * KM, max_km=3)
    pairs, res = run([a, b], [v1, v2])
    assert pairs == {("a", "v2"), ("b", "v1")}
    assert res.stats["filled_slots"] == 2


def test_fairness_spreads_work(run, create_need, create_volunteer):
    busy = create_volunteer("busy", load=20)
    idle = create_volunteer("idle", lat=51.5 + 0.5 * KM, load=0)
    pairs, res = run([create_need()], [busy, idle])
    assert pairs == {("n1", "idle")}
    parts = res.matches[0].explanation["score_parts"]
    assert parts["fairness"] == 0.2


def test_waiting_raises_score(create_need, create_volunteer):
    inst = parse_instance(
        {
            "needs": [create_need("new"), create_need("old", waiting_hours=96)],
            "volunteers": [create_volunteer()],
        }
    )
    scores = {r["need"]: r["score"] for r in candidates(inst).records()}
    assert scores["old"] > scores["new"]


def test_ties_are_deterministic(create_need, create_volunteer):
    data = {
        "needs": [create_need(f"n{i}") for i in range(5)],
        "volunteers": [create_volunteer(f"v{i}", capacity=2) for i in range(3)],
    }
    first = solve(parse_instance(data)).to_dict()
    for _ in range(3):
        again = solve(parse_instance(json.loads(json.dumps(data)))).to_dict()
        assert again["matches"] == first["matches"] and again["unmatched"] == first["unmatched"]
    assert first["stats"]["filled_slots"] == 5


def test_scores_in_range_and_explained(run, create_need, create_volunteer):
    _, res = run(
        [create_need(skills=["x"], urgency=1, waiting_hours=1e6)],
        [create_volunteer(skills=["x"], load=0)],
    )
    m = res.matches[0]
    assert 0 < m.score <= 1
    ex = m.explanation
    assert set(ex) >= {
        "summary",
        "distance_km",
        "remote",
        "skills_matched",
        "windows",
        "score_parts",
        "score",
    }
    assert abs(sum(ex["score_parts"].values()) - m.score) < 5e-4
    assert "has x" in ex["summary"] and "Tue 09:00-11:00" in ex["summary"]
    json.dumps(res.to_dict())


def test_result_dict_shape(run, create_need, create_volunteer):
    _, res = run([create_need(), create_need("n2", skills=["rare"])], [create_volunteer()])
    d = res.to_dict()
    assert set(d) == {"matches", "unmatched", "stats"}
    assert set(d["matches"][0]) == {"need", "volunteer", "score", "distance_km", "explanation"}
    assert set(d["unmatched"][0]) == {"need", "open_slots", "reason", "reason_code"}
    assert d["unmatched"][0]["reason"] == "No volunteer has the skill 'rare'."
    for key in ("candidate_pairs", "filled_slots", "total_score", "seconds"):
        assert key in d["stats"]


@pytest.mark.parametrize("cap", [1, 3])
def test_candidates_records(create_need, create_volunteer, cap):
    inst = parse_instance(
        {
            "needs": [create_need("b"), create_need("a")],
            "volunteers": [create_volunteer("v2", capacity=cap), create_volunteer("v1")],
        }
    )
    recs = list(candidates(inst).records())
    assert [(r["need"], r["volunteer"]) for r in recs] == [
        ("b", "v2"),
        ("b", "v1"),
        ("a", "v2"),
        ("a", "v1"),
    ]
    assert all(set(r) == {"need", "volunteer", "score"} for r in recs)


@pytest.mark.parametrize(
    "need_window, blocks",
    [
        (("17:30", "18:30"), [("17:00", "18:00"), ("18:00", "19:00")]),  # across a time class
        (("08:59", "09:01"), [("08:00", "09:00"), ("09:00", "09:30")]),
        (("23:00", "24:00"), [("22:00", "24:00")]),  # up to midnight
        (("00:00", "01:00"), [("00:00", "01:00")]),
    ],
)
def test_windows_across_time_classes(
    run, create_need, create_volunteer, window, need_window, blocks
):
    need = create_need(windows=[window(4, *need_window)])
    v = create_volunteer(availability=[window(4, a, b) for a, b in blocks])
    other = create_volunteer("other", availability=[window(3, "00:00", "24:00")])
    pairs, _ = run([need], [v, other])
    assert pairs == {("n1", "v1")}


def test_reasons_count_volunteers_busy_at_other_times(run, create_need, create_volunteer, window):
    need = create_need(windows=[window(1, "09:00", "10:00")], volunteers_needed=2)
    vols = [
        create_volunteer("free"),
        create_volunteer("busy", availability=[window(5, "18:00", "20:00")]),
    ]
    _, res = run([need], vols)
    assert res.unmatched[0].reason_code == "no_time"
    assert "Only 1 volunteer within reach is free" in res.unmatched[0].reason


def test_one_person_is_one_volunteer_for_a_need(run, create_need, create_volunteer):
    # Tess has two records (two offers); a need of three gets Tess once and Bo
    vols = [
        create_volunteer("t1", person="tess"),
        create_volunteer("t2", person="tess", lat=51.5 + KM),
        create_volunteer("bo", lat=51.5 + 2 * KM),
    ]
    pairs, res = run([create_need(volunteers_needed=3)], vols)
    assert pairs == {("n1", "t1"), ("n1", "bo")}  # Tess's nearer record
    [u] = res.unmatched
    assert (u.need, u.open_slots, u.reason_code) == ("n1", 1, "excluded")
    assert u.reason == (
        "The 3 suitable volunteers are 2 people, and a need's volunteers must be different "
        "people; 3 needed."
    )


def test_a_person_with_several_records_helps_several_needs(run, create_need, create_volunteer):
    # one person, two records: two needs, each gets one of them; a third need waits
    needs = [create_need(f"n{i}", urgency=0.1 * i) for i in range(3)]
    vols = [create_volunteer("t1", person=1), create_volunteer("t2", person=1)]
    pairs, res = run(needs, vols)
    assert pairs == {("n2", "t1"), ("n1", "t2")} or pairs == {("n2", "t2"), ("n1", "t1")}
    [u] = res.unmatched
    assert (u.need, u.reason_code) == ("n0", "taken")
    assert u.reason == "The only other suitable volunteer is already assigned to another need."


def test_people_results_are_deterministic(create_need, create_volunteer):
    data = {
        "needs": [create_need(f"n{i}", volunteers_needed=2) for i in range(5)],
        "volunteers": [create_volunteer(f"v{i}", capacity=2, person=i % 3) for i in range(7)],
    }
    first = solve(parse_instance(data)).to_dict()
    for _ in range(3):
        again = solve(parse_instance(json.loads(json.dumps(data)))).to_dict()
        assert again["matches"] == first["matches"] and again["unmatched"] == first["unmatched"]
    people = {}
    for m in first["matches"]:
        key = (m["need"], int(m["volunteer"][1:]) % 3)
        assert key not in people
        people[key] = m

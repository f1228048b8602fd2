"""The coordinators' queue: paging, search, filters before paging, grouping by need, sorting,
the score in words, the reject reason said to be required, and who may see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, utcnow
from mutualaid.services.queue import QueueQuery, score_words


@pytest.fixture
def propose(app):
    """``propose(need, offer, score, status="proposed")`` -> the match id, written directly."""

    def add(need, offer, score, status="proposed"):
        with app.app_context():
            match = Match(
                need_id=need.id,
                offer_id=offer.id,
                status=status,
                score=score,
                distance_km=1.0,
                explanation={
                    "summary": "1 km away",
                    "score_parts": {
                        "closeness": 0.3,
                        "urgency": 0.25,
                        "waiting": 0.075,
                        "fairness": 0.2,
                    },
                },
            )
            db.session.add(match)
            db.session.commit()
            return match.id

    return add


@pytest.fixture
def people(create_person):
    return {"resident": create_person(name="Rita Resident"), "volunteer": create_person()}


def _shown(text: str) -> list[int]:
    """The match ids on a queue page, in order."""
    return [int(i) for i in re.findall(r'<li class="card" id="match-(\d+)"', text)]


def _needs_shown(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="queue-need" id="need-(\d+)"', text)]


def test_the_queue_pages_and_says_how_many_more(
    scene, browser, people, create_need, create_offer, propose
):
    offer = create_offer([scene.group], volunteer=people["volunteer"])
    ids = [
        propose(
            create_need(scene.group, requester=people["resident"], title=f"Need {i}"), offer, 0.5
        )
        for i in range(23)
    ]
    page = browser(scene.coordinator)
    first = page.get("/groups/hackney/matches")
    assert first.status_code == 200
    assert len(_shown(first.text)) == 20
    assert "Waiting for a decision (23)" in first.text
    assert "Showing 1–20 of 23." in first.text and "Next page (3 more)" in first.text
    second = page.get("/groups/hackney/matches?page=2")
    assert len(_shown(second.text)) == 3 and "Next page" not in second.text
    assert "Previous page" in second.text
    assert sorted(_shown(first.text) + _shown(second.text)) == sorted(ids)


def test_filters_and_search_apply_before_paging(
    scene, browser, people, create_need, create_offer, propose
):
    offer = create_offer([scene.group], volunteer=people["volunteer"], skills=["driving"])
    for i in range(22):
        propose(
            create_need(
                scene.group, requester=people["resident"], title=f"Shopping {i}", category="food"
            ),
            offer,
            0.9,
        )
    legal = [
        propose(
            create_need(
                scene.group,
                requester=people["resident"],
                title=f"Housing letter {i}",
                category="legal-aid",
            ),
            offer,
            0.4,
        )
        for i in range(2)
    ]
    lift = propose(
        create_need(
            scene.group,
            requester=people["resident"],
            title="To the clinic",
            category="transport",
            skills=["driving"],
            postcode="N16 0AA",
        ),
        offer,
        0.3,
    )
    page = browser(scene.coordinator)

    filtered = page.get("/groups/hackney/matches?category=legal-aid")
    assert sorted(_shown(filtered.text)) == sorted(legal)
    assert "Waiting for a decision (2)" in filtered.text
    assert "Showing 1–2 of 2." in filtered.text and "more)" not in filtered.text

    by_title = page.get("/groups/hackney/matches?q=housing+LETTER")
    assert sorted(_shown(by_title.text)) == sorted(legal)
    by_skill = page.get("/groups/hackney/matches?q=Driving")
    assert _shown(by_skill.text) == [lift]  # the need's skill, by name
    by_district = page.get("/groups/hackney/matches?q=n16")
    assert _shown(by_district.text) == [lift]
    wildcard = page.get("/groups/hackney/matches?q=%25")  # a LIKE wildcard is taken literally
    assert _shown(wildcard.text) == [] and "None match this search" in wildcard.text

    unknown = page.get("/groups/hackney/matches?category=nonsense&sort=sideways")
    assert "Unknown category “nonsense”" in unknown.text and "Unknown sort" in unknown.text
    assert len(_shown(unknown.text)) == 20  # the rest of the query still applies


def test_grouped_by_need_and_sorted(
    app, scene, browser, create_person, create_need, create_offer, propose
):
    v1, v2 = create_offer([scene.group]), create_offer([scene.group])
    old = create_need(scene.group, title="Old low", urgency="low")
    urgent = create_need(scene.group, title="New urgent", urgency="high")
    middling = create_need(scene.group, title="Middling", urgency="normal")
    with app.app_context():  # "Old low" has waited longest
        for need, days in ((old, 9), (urgent, 1), (middling, 4)):
            db.session.execute(
                sa.text("UPDATE needs SET created_dt = :dt WHERE id = :id"),
                {"dt": utcnow() - timedelta(days=days), "id": need.id},
            )
        db.session.commit()
    # Scores interleave the needs: a flat list by score would mix them.
    o1 = propose(old, v1, 0.95)
    o2 = propose(old, v2, 0.30)
    u1 = propose(urgent, v1, 0.60)
    u2 = propose(urgent, v2, 0.50)
    m1 = propose(middling, v1, 0.40)
    page = browser(scene.coordinator)

    by_urgency = page.get("/groups/hackney/matches")  # the default order
    assert _shown(by_urgency.text) == [u1, u2, m1, o1, o2]
    assert _needs_shown(by_urgency.text) == [urgent.id, middling.id, old.id]
    by_waiting = page.get("/groups/hackney/matches?sort=waiting")
    assert _shown(by_waiting.text) == [o1, o2, m1, u1, u2]
    by_score = page.get("/groups/hackney/matches?sort=score")  # needs by their best proposal
    assert _shown(by_score.text) == [o1, o2, u1, u2, m1]
    flat = page.get("/groups/hackney/matches?sort=score&grouped=0")
    assert _shown(flat.text) == [o1, u1, u2, m1, o2] and _needs_shown(flat.text) == []


def test_approved_matches_have_their_own_view_and_counts(
    scene, browser, people, create_need, create_offer, propose
):
    offer = create_offer([scene.group], volunteer=people["volunteer"], capacity=3)
    waiting = propose(create_need(scene.group, title="Waiting one"), offer, 0.5)
    agreed = propose(create_need(scene.group, title="Agreed one"), offer, 0.5, status="approved")
    page = browser(scene.coordinator)
    proposals = page.get("/groups/hackney/matches")
    assert _shown(proposals.text) == [waiting]
    assert "Approved: 1" in proposals.text
    approved = page.get("/groups/hackney/matches?status=approved")
    assert _shown(approved.text) == [agreed] and "Cancel this match" in approved.text
    assert "Approved (1)" in approved.text


def test_the_reject_reason_is_said_to_be_required(
    app, scene, browser, people, create_need, create_offer, propose
):
    match_id = propose(create_need(scene.group), create_offer([scene.group]), 0.5)
    page = browser(scene.coordinator)
    text = page.get("/groups/hackney/matches").text
    label = re.search(rf'<label for="reason-{match_id}">(.*?)</label>', text, re.S)
    assert label and "(required)" in label.group(1)
    assert re.search(rf'<input id="reason-{match_id}" name="reason" type="text" required', text)
    resp = page.post(
        f"/matches/{match_id}/reject",
        data={"reason": "", "next": "/groups/hackney/matches?q=housing"},
        follow_redirects=True,
    )
    assert "Say why the match is rejected" in resp.text
    assert resp.request.path == "/groups/hackney/matches"  # back to the same view
    with app.app_context():
        assert db.session.get(Match, match_id).status == "proposed"


def test_one_page_costs_the_same_queries_whatever_its_length(
    app, scene, browser, create_person, create_need, create_offer, propose
):
    """The list is read in a fixed number of queries: not one (or a few) per match."""

    def statements_for(url: str) -> int:
        count = 0

        def tally(*args, **kwargs):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", tally)
        try:
            assert browser(scene.coordinator).get(url).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", tally)
        return count

    for i in range(6):
        propose(create_need(scene.group, title=f"Need {i}"), create_offer([scene.group]), 0.5)
    few = statements_for("/groups/hackney/matches?q=Need+1")
    many = statements_for("/groups/hackney/matches")
    assert len(_shown(browser(scene.coordinator).get("/groups/hackney/matches").text)) == 6
    assert many == few


def test_only_the_groups_coordinators_see_its_queue(
    scene, browser, people, create_person, create_group, create_need, create_offer, propose
):
    other_coordinator = create_person()
    other = create_group(coordinators=[other_coordinator], slug="islington")
    mine = propose(
        create_need(scene.group, title="Housing letter"), create_offer([scene.group]), 0.5
    )
    theirs = propose(create_need(other, title="Housing letter"), create_offer([other]), 0.5)
    assert _shown(browser(scene.coordinator).get("/groups/hackney/matches?q=housing").text) == [
        mine
    ]
    assert _shown(browser(other_coordinator).get("/groups/islington/matches?q=housing").text) == [
        theirs
    ]
    assert browser(other_coordinator).get("/groups/hackney/matches?q=housing").status_code == 403
    assert browser(people["volunteer"]).get("/groups/hackney/matches").status_code == 403


def test_score_parts_in_words():
    def words(closeness, urgency, waiting, fairness, remote=False):
        return score_words(
            {
                "remote": remote,
                "score_parts": {
                    "closeness": closeness,
                    "urgency": urgency,
                    "waiting": waiting,
                    "fairness": fairness,
                },
            }
        )

    assert words(0.40, 0.25, 0.0, 0.20) == [
        "very close by",
        "urgent",
        "posted today",
        "hasn't helped lately",
    ]
    # 72 hours: 0.15 * 72 / 120 = 0.09; load 5: 0.20 / 2 = 0.10
    assert words(0.2, 0.125, 0.09, 0.10) == [
        "close by",
        "normal urgency",
        "waiting 3 days",
        "helped 5 times in the last 30 days",
    ]
    assert words(0.0, 0.05, 0.149, 0.1999, remote=True)[:3] == [
        "remote help",
        "not urgent",
        "waiting for weeks",
    ]
    assert words(0.0, 0.05, 0.0, 0.2)[0] == "at the edge of their reach"
    assert score_words(None) == [] and score_words({"summary": "x"}) == []


def test_queue_query_reads_and_writes_its_arguments():
    asked = QueueQuery.from_args(
        {"q": "  housing   letter ", "district": "e8 ", "sort": "waiting", "grouped": "0"}
    )
    assert asked.search == "housing letter" and asked.district == "E8"
    assert asked.args() == {
        "status": "proposed",
        "q": "housing letter",
        "district": "E8",
        "sort": "waiting",
        "grouped": "0",
    }
    assert QueueQuery.from_args(asked.args()) == asked
    assert QueueQuery.from_args({"status": "rejected"}).problems == (
        "Unknown status “rejected”: it was left out.",
    )


def test_the_api_pages_and_filters_the_queue(
    client, scene, people, create_person, token_for, create_need, create_offer, propose
):
    offer = create_offer([scene.group], volunteer=people["volunteer"])
    food = [
        propose(create_need(scene.group, title=f"Shopping {i}", category="food"), offer, 0.5)
        for i in range(3)
    ]
    legal = propose(create_need(scene.group, title="Housing letter"), offer, 0.9)
    url = "/api/v1/groups/hackney/queue"

    page = client.get(f"{url}?category=food&limit=2", headers=scene.headers).get_json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["items"]) == 2
    rest = client.get(f"{url}?category=food&limit=2&offset=2", headers=scene.headers).get_json()
    assert sorted(m["id"] for m in page["items"] + rest["items"]) == sorted(food)
    found = client.get(f"{url}?q=housing", headers=scene.headers).get_json()
    assert [m["id"] for m in found["items"]] == [legal] and found["total"] == 1
    # The coordinators see the resident's address; the document lists the operation.
    assert found["items"][0]["need"]["address"] == "Flat 2, 10 Mare Street"
    assert "/api/v1/groups/{slug}/queue" in client.get("/api/v1/openapi.json").get_json()["paths"]

    bad = client.get(f"{url}?sort=sideways&limit=0", headers=scene.headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"sort", "limit"}
    stranger = token_for(people["volunteer"])
    assert client.get(url, headers=stranger).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/groups/nowhere/queue", headers=scene.headers).status_code == 404

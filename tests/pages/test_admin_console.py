"""The admin pages: audit log, groups and coordinators, skills, people."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from mutualaid import audit
from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Group, Membership, Need, Person, Role, Skill
from mutualaid.services import accounts, notes

PAGES = ["/admin", "/admin/audit", "/admin/groups", "/admin/skills", "/admin/people"]


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def admin_browser(login, create_person):
    return login(create_person(is_admin=True, name="Ada Admin"))


def _posts(group, person):
    return [
        (f"/admin/groups/{group.slug}/coordinators", {"email": person.email}),
        (f"/admin/groups/{group.slug}/coordinators/{person.id}/remove", {}),
        ("/admin/skills", {"slug": "sign-language", "name": "Sign language"}),
        ("/admin/skills/cooking", {"name": "Renamed"}),
        (f"/admin/people/{person.id}/active", {"active": "0"}),
        ("/admin/groups/new", {"name": "Sneaky", "slug": "sneaky", "districts": "E8"}),
        (f"/admin/groups/{group.slug}/details", {"name": "Renamed", "districts": "E8"}),
        (f"/admin/groups/{group.slug}/archive", {"archived": "1"}),
    ]


def test_only_admins_reach_the_admin_pages(app, client, login, create_person, create_group):
    person = create_person()
    group = create_group(coordinators=[person])
    coordinator = login(person)
    urls = [*PAGES, f"/admin/groups/{group.slug}", "/admin/groups/new", "/admin/skills/cooking"]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"], url
        assert coordinator.get(url).status_code == 403, url
    for url, data in _posts(group, person):
        assert client.post(url, data=data).status_code == 302, url
        assert coordinator.post(url, data=data).status_code == 403, url
    with app.app_context():
        assert db.session.scalar(sa.select(Skill).where(Skill.slug == "sign-language")) is None
        assert db.session.scalar(sa.select(Skill.name).where(Skill.slug == "cooking")) != "Renamed"
        assert db.session.get(Person, person.id).is_active_account
        unchanged = db.session.get(Group, group.id)
        assert unchanged.name != "Renamed" and unchanged.archived_dt is None
        assert (
            db.session.scalar(sa.select(Membership.role).where(Membership.person_id == person.id))
            == Role.COORDINATOR
        )
    nav = _text(coordinator.get("/"))
    assert "/admin/audit" not in nav and "/admin/people" not in nav


def test_admin_sees_the_links(admin_browser):
    page = _text(admin_browser.get("/"))
    for url in PAGES[1:]:  # each page is in the navigation; the index lists them all
        assert f'href="{url}"' in page


def _events(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def test_audit_log_newest_first_and_filters(app, admin_browser, create_person, create_group):
    actor = create_person(email="actor@example.org")
    group = create_group(name="Audited group")
    with app.app_context():
        audit.set_actor(actor.id)
        try:
            db.session.get(type(group), group.id).description = "First change"
            db.session.flush()
            db.session.get(type(group), group.id).description = "Second change"
            db.session.commit()
        finally:
            audit.set_actor(None)
    page = _text(admin_browser.get("/admin/audit?kind=group&actor=Actor@example.org"))
    assert page.count("<tr>") == 1 + 2  # header and two updates by this actor
    assert page.index("→ Second change") < page.index("→ First change")
    assert "actor@example.org" in page
    other = _text(admin_browser.get("/admin/audit?kind=group&actor=nobody@example.org"))
    assert "No events match." in other and "Second change" not in other
    skills_only = _text(admin_browser.get("/admin/audit?kind=skill"))
    assert "Second change" not in skills_only


def test_audit_log_is_paged(app, admin_browser, create_group):
    group = create_group()
    with app.app_context():
        audit.record(
            "group", [("update", group.id, {"description": ["a", f"v{i}"]}) for i in range(55)]
        )
        db.session.commit()
    total = _events(app)
    first = _text(admin_browser.get("/admin/audit"))
    assert f"{total} events" in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert first.count("<tr>") == 1 + 50
    second = _text(admin_browser.get("/admin/audit?page=2"))
    assert second.count("<tr>") == 1 + total - 50 and 'rel="prev"' in second
    assert "v54" in first and "v0 " not in first.replace("v0<", "v0 ")


def test_audit_log_never_shows_private_values(
    app, admin_browser, create_person, create_group, create_need
):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    need = create_need(group, address="Flat 9, 1 Secret Row")
    with app.app_context():
        row = db.session.get(Need, need.id)
        row.address = "Flat 7, 2 Hidden Lane"
        db.session.get(Person, coordinator.id).phone = "07700 123456"
        notes.add_need_note(
            db.session.get(Person, coordinator.id), row, "Called her: door code 4321"
        )
        db.session.commit()
        note_id = db.session.scalar(
            sa.select(AuditEvent.entity_id).where(AuditEvent.entity_type == "note")
        )
    page = _text(admin_browser.get("/admin/audit"))
    assert note_id is not None and f"note {note_id}" in page and "[changed]" in page
    for secret in ("Secret Row", "Hidden Lane", "07700 123456", "4321", "password_hash: $"):
        assert secret not in page


def test_groups_list_counts(
    app, admin_browser, create_person, create_group, create_need, create_offer
):
    a, b = create_person(), create_person()
    group = create_group(name="Counted group", coordinators=[a, b])
    create_need(group)
    create_need(group)
    create_need(group, status="cancelled")
    create_offer([group])
    page = _text(admin_browser.get("/admin/groups"))
    row = re.search(r"Counted group</a></td>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", page)
    assert row and row.groups() == ("2", "1", "2")


def test_add_and_remove_a_coordinator(app, admin_browser, create_person, create_group):
    person = create_person(email="new.coord@example.org", name="Nia Coord")
    group = create_group()
    resp = admin_browser.post(
        f"/admin/groups/{group.slug}/coordinators",
        data={"email": "New.Coord@example.org "},
        follow_redirects=True,
    )
    assert resp.status_code == 200 and "Nia Coord (new.coord@example.org) now coordinates" in _text(
        resp
    )

    def role():
        with app.app_context():
            return db.session.scalar(
                sa.select(Membership.role).where(
                    Membership.person_id == person.id, Membership.group_id == group.id
                )
            )

    assert role() == Role.COORDINATOR
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(
                    AuditEvent.entity_type == "membership"
                )
            )
            == 1
        )
    resp = admin_browser.post(
        f"/admin/groups/{group.slug}/coordinators/{person.id}/remove", follow_redirects=True
    )
    assert "no longer coordinates" in _text(resp) and role() == Role.MEMBER
    again = admin_browser.post(
        f"/admin/groups/{group.slug}/coordinators/{person.id}/remove", follow_redirects=True
    )
    assert "Nothing changed" in _text(again)


def test_unknown_or_blank_coordinator_email_is_shown_on_the_form(admin_browser, create_group):
    group = create_group()
    url = f"/admin/groups/{group.slug}/coordinators"
    for email, message in (
        ("", "Enter the email address"),
        ("ghost@example.org", "No account with email ghost@example.org"),
    ):
        resp = admin_browser.post(url, data={"email": email})
        assert resp.status_code == 422 and message in _text(resp)
        assert 'class="error-summary"' in _text(resp)
    assert admin_browser.get("/admin/groups/no-such-group").status_code == 404


def test_add_a_skill_and_edit_it(app, admin_browser):
    resp = admin_browser.post(
        "/admin/skills",
        data={
            "slug": "sign-language",
            "name": "Sign language",
            "description": "BSL",
            "is_credential": "y",
        },
        follow_redirects=True,
    )
    assert resp.status_code == 200 and "Added the skill Sign language" in _text(resp)
    with app.app_context():
        skill = db.session.scalar(sa.select(Skill).where(Skill.slug == "sign-language"))
        assert (skill.name, skill.description, skill.is_credential) == (
            "Sign language",
            "BSL",
            True,
        )
    form = _text(admin_browser.get("/admin/skills/sign-language"))
    assert 'value="Sign language"' in form
    resp = admin_browser.post(
        "/admin/skills/sign-language",
        data={"name": "British Sign Language", "description": ""},
        follow_redirects=True,
    )
    assert "Saved the skill British Sign Language" in _text(resp)
    with app.app_context():
        skill = db.session.scalar(sa.select(Skill).where(Skill.slug == "sign-language"))
        assert (skill.name, skill.description) == ("British Sign Language", None)


def test_skill_form_shows_every_error_at_once(app, admin_browser):
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Skill.id)))
    resp = admin_browser.post("/admin/skills", data={"slug": "Not A Slug!", "name": ""})
    page = _text(resp)
    assert resp.status_code == 422
    assert "Not a valid slug" in page and "Enter the skill&#39;s name." in page
    taken = admin_browser.post("/admin/skills", data={"slug": "cooking", "name": "x" * 121})
    page = _text(taken)
    assert taken.status_code == 422 and "already exists" in page and "120" in page
    blank = admin_browser.post("/admin/skills/cooking", data={"name": " "})
    assert blank.status_code == 422 and "Enter the skill&#39;s name." in _text(blank)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Skill.id))) == before
        assert db.session.scalar(sa.select(Skill.name).where(Skill.slug == "cooking"))


def test_people_search_paging_and_privacy(app, admin_browser, create_person, create_group):
    target = create_person(name="Zelda Findme", email="zelda@example.org", phone="07700 999888")
    create_group(name="Zed group", coordinators=[target])
    for i in range(52):
        create_person(name=f"Findme Many {i:02d}")
    by_email = _text(admin_browser.get("/admin/people?q=ZELDA@"))
    assert "Zelda Findme" in by_email and "coordinator of Zed group" in by_email
    assert "1 person" in by_email and "active, email confirmed" in by_email
    with app.app_context():
        row = db.session.get(Person, target.id)
        hashed = row.password_hash
        token, token_row = accounts.issue_token(row, 1)
        digest = token_row.token_hash
        db.session.commit()
    by_email = _text(admin_browser.get("/admin/people?q=ZELDA@"))
    for secret in ("07700 999888", hashed, token, digest, "password"):
        assert secret not in by_email.split("<main", 1)[-1]
    assert "0 people" in _text(admin_browser.get("/admin/people?q=zeld%25"))  # % is a letter
    many = _text(admin_browser.get("/admin/people?q=findme"))
    assert "53 people" in many and many.count("<tr>") == 1 + 50 and 'rel="next"' in many
    rest = _text(admin_browser.get("/admin/people?q=findme&page=2"))
    assert rest.count("<tr>") == 1 + 3


def test_admin_deactivates_and_reactivates(app, admin_browser, create_person, login):
    person = create_person(email="leaving@example.org")
    resp = admin_browser.post(
        f"/admin/people/{person.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "leaving@example.org is deactivated" in _text(resp)
    with app.app_context():
        assert not db.session.get(Person, person.id).is_active_account
    resp = admin_browser.post(
        f"/admin/people/{person.id}/active", data={"active": "1"}, follow_redirects=True
    )
    assert "is reactivated" in _text(resp)
    with app.app_context():
        assert db.session.get(Person, person.id).is_active_account


def test_audit_log_by_record_and_day(app, admin_browser, create_group):
    one, two = create_group(), create_group()
    with app.app_context():
        audit.record("group", [("update", one.id, {"description": ["a", "one-change"]})])
        audit.record("group", [("update", two.id, {"description": ["a", "two-change"]})])
        old = db.session.scalar(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_id == str(two.id))
            .order_by(AuditEvent.id.desc())
        )
        old.created_dt = datetime(2020, 5, 17, 23, 59)
        db.session.commit()
    by_record = _text(admin_browser.get(f"/admin/audit?kind=group&record={one.id}"))
    assert "one-change" in by_record and "two-change" not in by_record
    on_the_day = _text(admin_browser.get("/admin/audit?since=2020-05-17&until=2020-05-17"))
    assert "two-change" in on_the_day and "one-change" not in on_the_day
    assert "1 event." in on_the_day
    after = _text(admin_browser.get("/admin/audit?since=2020-05-18&until=not-a-day"))
    assert "two-change" not in after and "one-change" in after


def test_admin_forms_need_the_csrf_token(app, create_person, create_group, login):
    admin_person, person = create_person(is_admin=True), create_person()
    group = create_group()
    browser = login(admin_person)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for url, data in _posts(group, person):
            assert browser.post(url, data=data).status_code == 400, url
        page = _text(browser.get(f"/admin/groups/{group.slug}"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = browser.post(
            f"/admin/groups/{group.slug}/coordinators",
            data={"email": person.email, "csrf_token": token},
        )
        assert resp.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Skill.id)).where(Skill.slug == "sign-language")
            )
            == 0
        )
        assert db.session.get(Person, person.id).is_active_account


def test_admin_creates_a_group(app, admin_browser):
    assert admin_browser.get("/admin/groups/new").status_code == 200
    resp = admin_browser.post(
        "/admin/groups/new",
        data={"name": "Dalston Helpers", "slug": "dalston", "postcode": "E8 1AA", "radius_km": "3"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/groups/dalston")
    by_districts = admin_browser.post(
        "/admin/groups/new",
        data={"name": "Two districts", "slug": "two-districts", "districts": "e8, E9"},
    )
    assert by_districts.status_code == 302
    with app.app_context():
        made = {g.slug: g for g in db.session.scalars(sa.select(Group))}
        assert made["dalston"].radius_km == 3.0 and made["dalston"].centre_postcode == "E8 1AA"
        assert made["two-districts"].districts == ["E8", "E9"]
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(
                    AuditEvent.entity_type == "group", AuditEvent.action == "create"
                )
            )
            == 2
        )


def test_group_form_shows_every_error_at_once(app, admin_browser, create_group):
    create_group(slug="taken")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Group.id)))
    resp = admin_browser.post(
        "/admin/groups/new",
        data={"name": "X", "slug": "taken", "postcode": "ZZ99 9ZZ", "radius_km": "-1"},
    )
    page = _text(resp)
    assert resp.status_code == 422 and 'class="error-summary"' in page
    assert "already exists" in page and "radius-km-error" not in page  # ids follow field names
    assert 'id="name-error"' in page and 'id="radius_km-error"' in page
    assert 'id="postcode-error"' in page
    unknown = _text(
        admin_browser.post(
            "/admin/groups/new", data={"name": "Nowhere", "slug": "nowhere", "districts": "QQ1"}
        )
    )
    assert 'id="districts-error"' in unknown
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Group.id))) == before


def test_admin_edits_a_groups_settings(app, admin_browser, create_group, login, create_person):
    group = create_group()
    url = f"/admin/groups/{group.slug}/settings"
    assert login(create_person()).post(url, data={"weekly_weeks": "4"}).status_code == 403
    bad = admin_browser.post(url, data={"weekly_weeks": "0", "expire_after_days": "many"})
    page = _text(bad)
    assert bad.status_code == 422
    assert 'id="weekly_weeks-error"' in page and 'id="expire_after_days-error"' in page

    def settings():
        with app.app_context():
            row = db.session.get(Group, group.id)
            return row.weekly_weeks, row.expire_after_days

    assert settings() == (8, 21)
    ok = admin_browser.post(url, data={"weekly_weeks": "12", "expire_after_days": "30"})
    assert ok.status_code == 302 and settings() == (12, 30)
    assert 'value="12"' in _text(admin_browser.get(f"/admin/groups/{group.slug}"))


def test_the_admin_index_lists_every_admin_page(admin_browser):
    page = admin_browser.get("/admin")
    assert page.status_code == 200
    html = _text(page)
    for url in ["/admin/groups", "/admin/skills", "/admin/people", "/admin/audit", "/admin/mail"]:
        assert f'href="{url}"' in html, url


def _group_events(app, group_id, action="update"):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.entity_type == "group",
                AuditEvent.entity_id == str(group_id),
                AuditEvent.action == action,
            )
        )


def test_admin_edits_a_groups_name_description_and_area(app, admin_browser, create_group):
    group = create_group(name="Old name")
    url = f"/admin/groups/{group.slug}/details"
    page = _text(admin_browser.get(f"/admin/groups/{group.slug}"))
    assert 'value="Old name"' in page and 'value="E8 1AA"' in page and 'value="10"' in page
    before = _group_events(app, group.id)
    ok = admin_browser.post(
        url, data={"name": "Dalston and Hackney", "description": "Neighbours", "districts": "e8 E9"}
    )
    assert ok.status_code == 302
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert (row.name, row.description, row.districts) == (
            "Dalston and Hackney",
            "Neighbours",
            ["E8", "E9"],
        )
        assert row.centre_postcode is None and row.radius_km is None and row.slug == group.slug
    assert _group_events(app, group.id) == before + 1
    back = admin_browser.post(
        url, data={"name": "Dalston", "postcode": "E8 1AA", "radius_km": "2.5"}
    )
    assert back.status_code == 302
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert (row.districts, row.centre_postcode, row.radius_km) == (None, "E8 1AA", 2.5)
        assert row.description is None


def test_group_edit_shows_every_error_at_once_and_saves_nothing(app, admin_browser, create_group):
    group = create_group(name="Kept")
    url = f"/admin/groups/{group.slug}/details"
    bad = admin_browser.post(url, data={"name": "X", "postcode": "ZZ99 9ZZ", "radius_km": "-1"})
    page = _text(bad)
    assert bad.status_code == 422 and 'class="error-summary"' in page
    assert 'id="name-error"' in page and 'id="radius_km-error"' in page
    assert 'id="postcode-error"' in page
    both = _text(
        admin_browser.post(url, data={"name": "Fine", "postcode": "E8 1AA", "districts": "E8"})
    )
    assert 'id="districts-error"' in both
    unknown = admin_browser.post(url, data={"name": "Fine name", "districts": "QQ1"})
    assert unknown.status_code == 422 and 'id="districts-error"' in _text(unknown)
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert (row.name, row.radius_km, row.districts) == ("Kept", 10.0, None)


def test_an_archived_group_is_hidden_refused_and_not_matched(
    app, client, admin_browser, create_group, create_person, login
):
    from mutualaid.services import matching_runs

    kept = create_group(name="Kept group")
    gone = create_group(name="Gone group", is_needs_public=True)
    assert client.get(f"/g/{gone.slug}/needs").status_code == 200
    url = f"/admin/groups/{gone.slug}/archive"
    assert admin_browser.post(url, data={"archived": "1"}).status_code == 302
    assert _group_events(app, gone.id) == 1
    assert "(archived)" in _text(admin_browser.get("/admin/groups"))
    assert "Make Gone group active again" in _text(admin_browser.get(f"/admin/groups/{gone.slug}"))
    slugs = [g["slug"] for g in client.get("/api/v1/groups").get_json()]
    assert kept.slug in slugs and gone.slug not in slugs
    assert "Gone group" not in _text(client.get("/"))
    assert client.get(f"/g/{gone.slug}/needs").status_code == 404
    resident = login(create_person())
    form = _text(resident.get("/needs/new"))
    assert "Kept group" in form and "Gone group" not in form
    assert "Gone group" not in _text(resident.get("/offers/new"))
    with app.app_context():
        from mutualaid.services import needs as need_service

        errors = need_service.reference_errors({"group": gone.slug})
        assert "archived" in errors["group"][0]
        from mutualaid.services import offers as offer_service

        refused = offer_service.reference_errors({"groups": [kept.slug, gone.slug]})
        assert refused["groups"] == ["Gone group is archived: it takes no new needs or offers."]
        runs = matching_runs.run_all_groups()
        db.session.commit()
        assert {r.group_id for r in runs} == {kept.id}
    assert admin_browser.post(url, data={"archived": "0"}).status_code == 302
    slugs = [g["slug"] for g in client.get("/api/v1/groups").get_json()]
    assert gone.slug in slugs
    with app.app_context():
        assert db.session.get(Group, gone.id).archived_dt is None
        assert not need_service.reference_errors({"group": gone.slug}).get("group")
    assert _group_events(app, gone.id) == 2

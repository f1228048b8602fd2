"""CSV import of needs and offers: a dry run that reports every row's problems and saves
nothing, an import of the valid rows in one transaction, clear answers for bad files, and the
round trip export -> import -> export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Need, Offer, OutboxMessage, Person

HEADER = "title,category,postcode,name,email,phone,date,start,end,weekly,skills,urgency\n"
SOON = date.today() + timedelta(days=30)
GOOD = (
    "Lift to the clinic,transport,E8 1AA,Amara Okafor,amara@example.org,07700 900555,"
    f"{SOON.isoformat()},09:00,11:00,,driving,high\n"
)


def _counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Need, Offer, Person, OutboxMessage)
        )


def _post(page, slug, text, kind="needs", action="check", name="people.csv", extra=()):
    """The form as a browser posts it. The body is built here, in memory: the test client
    would spool a large one to a temporary file that it never closes."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    boundary = "----mutualaid-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in (("kind", kind), ("action", action), *extra)
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return page.post(
        f"/groups/{slug}/import",
        data=b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_dry_run_lists_every_rows_problems_and_saves_nothing(app, scene, browser):
    text = (
        HEADER
        + GOOD
        + f"x,cooking,ZZ9 9ZZ,,not-an-email,,{SOON},11:00,09:00,,flying,soon\n"
        + "Weekly shop,food,E8 1AA,Ben,ben@example.org,,,,,Mon 9-10,,\n"
        + "Weekly shop,food,E8 1AA,Ben,ben@example.org,,,,,,,\n"
    )
    before = _counts(app)
    resp = _post(browser(scene.coordinator), "hackney", text)
    assert resp.status_code == 200
    assert "nothing was saved" in resp.text
    assert "4 rows: 1 ready, 3 with problems." in resp.text
    cells = [tuple(c.strip() for c in row) for row in _table(resp.text)]
    columns_of_line_3 = {column for line, column, _ in cells if line == "3"}
    assert columns_of_line_3 >= {
        "title",
        "category",
        "postcode",
        "name",
        "email",
        "skills",
        "urgency",
    }
    assert ("4", "weekly") in {(line, column) for line, column, _ in cells}
    assert ("5", "date") in {(line, column) for line, column, _ in cells}
    assert _counts(app) == before


def _table(html: str) -> list[list[str]]:
    import re

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.findall(r"<td>(.*?)</td>", row, re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_an_import_saves_the_valid_rows_and_invites_new_people(app, scene, browser, create_person):
    known = create_person(name="Kim Known", email="kim@example.org")
    text = (
        HEADER
        + GOOD
        + "Shopping,food,E8 1AA,Kim Known,KIM@example.org,,,,,Mon 09:00-11:00; Thu 14:00-15:30,,\n"
        + f"Bad row,nonsense,E8 1AA,Kim Known,kim@example.org,,{SOON},09:00,10:00,,,\n"
    )
    before = _counts(app)
    resp = _post(browser(scene.coordinator), "hackney", text, action="import")
    assert resp.status_code == 200
    assert "Imported 2 needs; 1 new person invited." in resp.text
    assert "these rows were not imported" in resp.text
    needs, offers, people, mails = _counts(app)
    assert (needs, offers, people, mails) == (
        before[0] + 2,
        before[1],
        before[2] + 1,
        before[3] + 1,
    )
    with app.app_context():
        amara = db.session.scalar(sa.select(Person).where(Person.email == "amara@example.org"))
        assert amara.name == "Amara Okafor" and amara.email_verified_dt is None
        mail = db.session.scalar(sa.select(OutboxMessage))
        assert mail.to_email == "amara@example.org" and "/verify-email/" in mail.body
        shop = db.session.scalar(sa.select(Need).where(Need.title == "Shopping"))
        assert shop.requester_id == known.id and shop.group_id == scene.group.id
        assert [w["weekday"] for w in shop.windows] == [0, 3]


def test_files_that_cannot_be_read_get_a_clear_answer_and_save_nothing(app, scene, browser):
    page = browser(scene.coordinator)
    before = _counts(app)
    latin1 = (HEADER + GOOD.replace("Amara", "Amélie")).encode("latin-1")
    resp = _post(page, "hackney", latin1, action="import")
    assert resp.status_code == 422 and "not UTF-8 text" in resp.text
    resp = _post(page, "hackney", b"\x89PNG\r\n\x1a\n\x00\x00", action="import")
    assert resp.status_code == 422
    resp = _post(page, "hackney", "title,postcode\nx,E8 1AA\n", action="import")
    assert resp.status_code == 422
    assert "no column for: category, name, email" in resp.text
    resp = _post(page, "hackney", "", action="import")
    assert resp.status_code == 422 and "The file is empty" in resp.text
    big = HEADER + GOOD * 50_000  # about 6 MB: taken in, refused by its rows
    resp = _post(page, "hackney", big, action="import")
    assert resp.status_code == 422 and "more than 20,000 rows" in resp.text
    resp = page.post(
        "/groups/hackney/import", data={"kind": "needs"}, content_type="multipart/form-data"
    )
    assert resp.status_code == 422 and "Choose a CSV file" in resp.text
    assert _counts(app) == before


def test_only_the_groups_coordinators_import(app, client, scene, browser, create_person, token_for):
    volunteer = create_person()
    assert browser(volunteer).get("/groups/hackney/import").status_code == 403
    assert _post(browser(volunteer), "hackney", HEADER + GOOD, action="import").status_code == 403
    resp = client.post(
        "/api/v1/groups/hackney/import/needs?dry_run=false",
        data=(HEADER + GOOD).encode(),
        headers={**token_for(volunteer), "Content-Type": "text/csv"},
    )
    assert resp.status_code == 403
    assert _counts(app)[0] == 0


def test_import_through_the_api(app, client, scene):
    headers = {**scene.headers, "Content-Type": "text/csv"}
    url = "/api/v1/groups/hackney/import/needs"
    text = HEADER + GOOD + "x,food,E8 1AA,Ann,ann@example.org,,,,,,,\n"
    dry = client.post(url, data=text.encode(), headers=headers)
    assert dry.status_code == 200, dry.get_json()
    body = dry.get_json()
    assert (body["dry_run"], body["rows"], body["valid"], body["imported"]) == (True, 2, 1, 0)
    assert {(p["line"], p["column"]) for p in body["problems"]} == {(3, "title"), (3, "date")}
    assert _counts(app)[0] == 0
    real = client.post(f"{url}?dry_run=false", data=text.encode(), headers=headers).get_json()
    assert real["imported"] == 1 and real["new_people"] == 1 and _counts(app)[0] == 1
    bad = client.post(f"{url}?dry_run=false", data="é".encode("latin-1"), headers=headers)
    assert bad.status_code == 422 and "file" in bad.get_json()["errors"]
    assert client.post(url, data=b"", headers=headers).status_code == 400
    assert (
        client.post("/api/v1/groups/hackney/import/people", data=b"x", headers=headers).status_code
        == 404
    )
    doc = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = doc["/api/v1/groups/{slug}/import/{kind}"]["post"]
    assert "text/csv" in operation["requestBody"]["content"]


def _without_ids(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        row.pop("id")
    return sorted(rows, key=lambda r: sorted(r.items()))


def test_export_import_export_round_trip(
    app, scene, browser, create_person, create_group, create_need, create_offer
):
    resident = create_person(name="=Rita", phone="+44 7700 900111")
    create_need(
        scene.group,
        requester=resident,
        title="@Lift to the clinic",
        category="transport",
        skills=["driving"],
        on_date=SOON,
        windows=[{"weekday": SOON.weekday(), "start": "09:00", "end": "11:00"}],
        address="-Flat 2",
        urgency="high",
    )
    create_need(scene.group, requester=resident, title="Weekly shop", category="food")
    create_offer([scene.group], volunteer=create_person(name="Vic"), skills=["driving"], note="+ok")
    empty = create_group(coordinators=[scene.coordinator], slug="hackney-two")
    page = browser(scene.coordinator)
    for kind in ("needs", "offers"):
        first = page.get(f"/groups/hackney/export/{kind}.csv").data
        resp = _post(page, "hackney-two", first, kind=kind, action="import")
        assert resp.status_code == 200 and "with problems" in resp.text
        assert "0 with problems" in resp.text, resp.text
        again = page.get(f"/groups/{empty.slug}/export/{kind}.csv").data
        assert _without_ids(again.decode("utf-8")) == _without_ids(first.decode("utf-8"))


ODD = "What do you need,Type,Where (postcode),Who,Contact,Day,From,To,Shoe size\n"
ODD_ROW = (
    f"Lift to the clinic,transport,E8 1AA,Amara Okafor,amara@example.org,{SOON},09:00,11:00,9\n"
)
ODD_MAP = {
    "title": "What do you need",
    "category": "Type",
    "postcode": "Where (postcode)",
    "name": "Who",
    "email": "Contact",
    "date": "Day",
    "start": "From",
    "end": "To",
}


def test_unusual_headers_are_mapped_on_the_page_then_imported(app, scene, browser):
    page = browser(scene.coordinator)
    before = _counts(app)
    first = _post(page, "hackney", ODD + ODD_ROW)
    assert first.status_code == 422 and "no column for: title, category" in first.text
    assert 'id="column-mapping"' in first.text
    assert '<option value="Shoe size">Shoe size</option>' in first.text
    extra = [("mapped", "needs"), *((f"map-{k}", v) for k, v in ODD_MAP.items())]
    dry = _post(page, "hackney", ODD + ODD_ROW, extra=extra)
    assert dry.status_code == 200 and "1 row: 1 ready, 0 with problems." in dry.text
    assert 'value="Contact" selected' in dry.text  # the chosen mapping is shown again
    assert _counts(app) == before
    done = _post(page, "hackney", ODD + ODD_ROW, action="import", extra=extra)
    assert done.status_code == 200 and "Imported 1 needs" in done.text
    with app.app_context():
        need = db.session.scalar(sa.select(Need))
        assert need.title == "Lift to the clinic" and need.category == "transport"


def test_matching_headers_are_preselected_and_none_unmaps_one(app, scene, browser):
    page = browser(scene.coordinator)
    text = HEADER.replace("title", "Need") + GOOD
    resp = _post(page, "hackney", text)
    assert 'value="email" selected' in resp.text and 'value="Need" selected' not in resp.text
    # a field mapped to no column is left out even though a column is named like it
    extra = [("mapped", "needs"), ("map-title", "Need"), ("map-email", "")]
    for key in ("category", "postcode", "name", "date", "start", "end"):
        extra.append((f"map-{key}", key))
    resp = _post(page, "hackney", text, extra=extra)
    assert resp.status_code == 422 and "no column for: email" in resp.text


def test_a_mapping_naming_a_missing_column_is_refused_and_saves_nothing(
    app, client, scene, browser
):
    before = _counts(app)
    extra = [("mapped", "needs"), *((f"map-{k}", v) for k, v in ODD_MAP.items())]
    extra[2] = ("map-category", "Kind of help")
    resp = _post(browser(scene.coordinator), "hackney", ODD + ODD_ROW, action="import", extra=extra)
    assert resp.status_code == 422
    assert "The file has no column “Kind of help” (chosen for category)." in resp.text
    headers = {**scene.headers, "Content-Type": "text/csv"}
    url = "/api/v1/groups/hackney/import/needs"
    query = "&".join(
        f"map={k}={v}" for k, v in {**ODD_MAP, "email": "Phone", "colour": "Type"}.items()
    )
    bad = client.post(
        f"{url}?dry_run=false&{query}", data=(ODD + ODD_ROW).encode(), headers=headers
    )
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]["map"]
    assert "no column “Phone” (chosen for email)" in errors[0]
    assert "no field “colour”" in errors[0]
    assert _counts(app) == before


def test_import_through_the_api_with_a_mapping(app, client, scene):
    headers = {**scene.headers, "Content-Type": "text/csv"}
    url = "/api/v1/groups/hackney/import/needs"
    unmapped = client.post(url, data=(ODD + ODD_ROW).encode(), headers=headers)
    assert unmapped.status_code == 422 and "file" in unmapped.get_json()["errors"]
    query = "&".join(f"map={k}={v}" for k, v in ODD_MAP.items())
    resp = client.post(
        f"{url}?dry_run=false&{query}", data=(ODD + ODD_ROW).encode(), headers=headers
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["imported"] == 1 and _counts(app)[0] == 1
    assert client.post(f"{url}?map=title", data=b"x", headers=headers).status_code == 422

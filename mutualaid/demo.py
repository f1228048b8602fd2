"""Demo data: local groups around UK cities with residents' needs and volunteers' offers.

Deterministic for a seed (apart from dates, which are relative to today, and password salts).
Rows are written with bulk INSERTs, so hundreds of records take a second or two; like
:func:`wipe`'s bulk DELETEs, they are not recorded in the audit trail. Coordinates come from
:func:`mutualaid.geo.resolve` on postcodes in real sectors near each group's centre.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from . import geo
from .extensions import db
from .models import (
    CATEGORIES,
    Group,
    Membership,
    Need,
    NeedStatus,
    Offer,
    OfferSkill,
    Person,
    Role,
    Skill,
    Urgency,
    need_skills,
    offer_groups,
    table_of,
    utcnow,
)
from .services import accounts, postcodes

#: Every demo account uses this password.
DEMO_PASSWORD = "mutualaid-demo"
NEEDS_PER_GROUP = 60
#: Offers per group, as a share of needs.
OFFERS_RATIO = 0.85
#: Tables kept by :func:`wipe`: reference data, not the domain's records.
KEPT_TABLES = {"skills", "unit_postcodes"}

# Royal Mail never uses C, I, K, M, O or V in the last two letters of a postcode.
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class City:
    slug: str
    name: str
    centre: str  # a postcode sector
    radius_km: float
    streets: tuple[str, ...]
    hospital: str
    languages: tuple[str, ...]  # translation skills most asked for here
    coordinator: tuple[str, str]  # name, email local part


CITIES: tuple[City, ...] = (
    City(
        "hackney",
        "Hackney Mutual Aid (Dalston & Hackney Central)",
        "E8 1",
        3.5,
        (
            "Mare Street",
            "Dalston Lane",
            "Amhurst Road",
            "Graham Road",
            "Kingsland Road",
            "Sandringham Road",
            "Richmond Road",
            "Wilton Way",
            "Navarino Road",
            "Lower Clapton Road",
            "Pembury Road",
            "Ellingfort Road",
        ),
        "Homerton Hospital",
        ("translation-arabic", "translation-polish"),
        ("Priya Shah", "priya.shah"),
    ),
    City(
        "manchester-rusholme",
        "Rusholme & Fallowfield Mutual Aid",
        "M14 5",
        3.5,
        (
            "Wilmslow Road",
            "Platt Lane",
            "Great Western Street",
            "Ladybarn Lane",
            "Claremont Road",
            "Moss Lane East",
            "Heald Place",
            "Dickenson Road",
            "Mayfield Road",
            "Ladybarn Road",
        ),
        "Manchester Royal Infirmary",
        ("translation-urdu", "translation-arabic"),
        ("Imran Hussain", "imran.hussain"),
    ),
    City(
        "leeds-hyde-park",
        "Hyde Park & Headingley Mutual Aid",
        "LS6 1",
        3.5,
        (
            "Brudenell Road",
            "Hyde Park Road",
            "Cardigan Road",
            "Headingley Lane",
            "Otley Road",
            "Royal Park Road",
            "Victoria Road",
            "Thornville Road",
            "Harold Grove",
            "Ash Road",
        ),
        "Leeds General Infirmary",
        ("translation-urdu", "translation-polish"),
        ("Sophie Clarke", "sophie.clarke"),
    ),
    City(
        "bristol-easton",
        "Easton & Lawrence Hill Mutual Aid",
        "BS5 6",
        3.0,
        (
            "Stapleton Road",
            "Chelsea Road",
            "Belle Vue Road",
            "Roman Road",
            "Church Road",
            "Whitehall Road",
            "Mivart Street",
            "Bannerman Road",
            "Robertson Road",
            "Seymour Road",
        ),
        "Bristol Royal Infirmary",
        ("translation-urdu", "translation-polish"),
        ("Kwame Mensah", "kwame.mensah"),
    ),
    City(
        "glasgow-govanhill",
        "Govanhill Mutual Aid",
        "G42 7",
        3.0,
        (
            "Allison Street",
            "Victoria Road",
            "Calder Street",
            "Langside Road",
            "Westmoreland Street",
            "Cathcart Road",
            "Dixon Avenue",
            "Butterbiggins Road",
            "Coplaw Street",
            "Daisy Street",
        ),
        "Queen Elizabeth University Hospital",
        ("translation-polish", "translation-urdu"),
        ("Fiona MacLeod", "fiona.macleod"),
    ),
    City(
        "cardiff-splott",
        "Splott & Adamsdown Mutual Aid",
        "CF24 2",
        3.0,
        (
            "Splott Road",
            "Carlisle Street",
            "Railway Street",
            "Clifton Street",
            "Moira Terrace",
            "Broadway",
            "Diamond Street",
            "Pearl Street",
            "Portmanmoor Road",
            "Habershon Street",
        ),
        "University Hospital of Wales",
        ("translation-arabic", "translation-polish"),
        ("Rhys Evans", "rhys.evans"),
    ),
)

ADMIN = ("Alex Morgan", "admin")
RESIDENT = ("Amara Okafor", "amara.okafor")  # in the first group
VOLUNTEER = ("Tom Fletcher", "tom.fletcher")  # in the first group

FIRST_NAMES = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Freya",
    "Ella",
    "Lily",
    "Chloe",
    "Zara",
    "Aisha",
    "Fatima",
    "Maryam",
    "Sana",
    "Chiamaka",
    "Ngozi",
    "Ewa",
    "Agnieszka",
    "Kasia",
    "Siobhan",
    "Eilidh",
    "Cerys",
    "Megan",
    "Hannah",
    "Ruth",
    "Joan",
    "Margaret",
    "Precious",
    "Layla",
    "Noor",
    "Hodan",
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Noah",
    "Leo",
    "Arthur",
    "Muhammad",
    "Ali",
    "Bilal",
    "Hamza",
    "Tariq",
    "Kofi",
    "Chidi",
    "Tunde",
    "Piotr",
    "Tomasz",
    "Marek",
    "Callum",
    "Euan",
    "Angus",
    "Dylan",
    "Gareth",
    "Owen",
    "Daniel",
    "Samuel",
    "Joseph",
    "Winston",
    "Desmond",
    "Abdi",
    "Yusuf",
    "Ravi",
    "Arjun",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Khan",
    "Ahmed",
    "Hussain",
    "Patel",
    "Begum",
    "Ali",
    "Iqbal",
    "Chaudhry",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Osei",
    "Nowak",
    "Kowalski",
    "Wiśniewska",
    "Lewandowski",
    "Campbell",
    "MacDonald",
    "Stewart",
    "Murray",
    "Fraser",
    "Griffiths",
    "Lloyd",
    "Price",
    "Morgan",
    "Powell",
    "Mohamed",
    "Warsame",
    "Brathwaite",
    "Clarke",
    "Francis",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Nguyen",
    "Chen",
    "Singh",
    "Kaur",
)


# --- what people ask for ------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedTemplate:
    title: str
    description: str
    skills: tuple[str, ...]
    timing: (
        str  # after_school, breakfast, homework, evening, weekday_daytime, weekend or one_off_day
    )
    volunteers: tuple[int, int] = (1, 1)
    remote_ok: bool = False
    urgency: tuple[Urgency, ...] = (Urgency.LOW, Urgency.NORMAL, Urgency.NORMAL, Urgency.HIGH)


NEED_TEMPLATES: dict[str, tuple[NeedTemplate, ...]] = {
    "childcare": (
        NeedTemplate(
            "Collect my two children from school on {day}s",
            "I work late shifts on {day}s. I need someone to collect my children (6 and 9) from "
            "{street} Primary at 3.15pm and stay with them at home until I'm back around 6.",
            ("childcare", "dbs-checked"),
            "after_school",
        ),
        NeedTemplate(
            "Babysitting while I go to a job interview",
            "I have an interview in town and nobody to watch my 3-year-old for the morning. "
            "He is easy-going and loves books and trains.",
            ("childcare", "dbs-checked"),
            "one_off_day",
            urgency=(Urgency.NORMAL, Urgency.HIGH),
        ),
        NeedTemplate(
            "Look after my toddler during a hospital appointment",
            "I have a scan at {hospital} and can't bring my 2-year-old. About three hours.",
            ("childcare", "dbs-checked"),
            "one_off_day",
            urgency=(Urgency.HIGH,),
        ),
        NeedTemplate(
            "Regular after-school care for a 7-year-old",
            "Single dad, starting a new job. Looking for someone kind and reliable to help with "
            "pick-up and tea on {day}s.",
            ("childcare", "dbs-checked"),
            "after_school",
        ),
    ),
    "breakfast-club": (
        NeedTemplate(
            "Helpers for the {street} Primary breakfast club",
            "We serve toast, cereal and fruit to about 40 children before school. We need people "
            "to set up, serve and wash up. Food hygiene certificate needed.",
            ("food-hygiene", "dbs-checked"),
            "breakfast",
            volunteers=(2, 3),
            urgency=(Urgency.NORMAL,),
        ),
        NeedTemplate(
            "Breakfast club cook on {day}s",
            "The community centre runs a free breakfast for school children. Looking for someone "
            "to cook porridge and eggs for 25 kids.",
            ("cooking", "food-hygiene"),
            "breakfast",
        ),
        NeedTemplate(
            "Morning volunteer to walk children from breakfast club to school",
            "Our breakfast club is in the church hall; children need walking the five minutes to "
            "school at 8.40.",
            ("dbs-checked",),
            "breakfast",
            volunteers=(1, 2),
        ),
    ),
    "legal-aid": (
        NeedTemplate(
            "Advice on a section 21 eviction notice",
            "My landlord has served a section 21 notice giving two months. I don't know if it's "
            "valid or what my options are. Happy to talk on the phone.",
            ("legal-advice",),
            "one_off_day",
            remote_ok=True,
            urgency=(Urgency.HIGH,),
        ),
        NeedTemplate(
            "Help appealing a Universal Credit sanction",
            "My UC was sanctioned after I missed an appointment because I was in hospital. I "
            "need help writing a mandatory reconsideration.",
            ("legal-advice",),
            "one_off_day",
            remote_ok=True,
        ),
        NeedTemplate(
            "Landlord won't fix damp and mould: what are my rights?",
            "There's black mould in the children's bedroom and the landlord ignores my emails. "
            "I'd like advice on disrepair and how to complain to the council.",
            ("legal-advice",),
            "one_off_day",
            remote_ok=True,
        ),
        NeedTemplate(
            "EU Settled Status paperwork for my mother",
            "My mum has pre-settled status that runs out soon. She speaks Polish; I need help "
            "with the application and the evidence.",
            ("legal-advice", "translation-polish"),
            "one_off_day",
            remote_ok=True,
        ),
        NeedTemplate(
            "PIP tribunal: someone to explain the forms",
            "My PIP claim was refused and I have a tribunal date. I need someone to go through the "
            "bundle with me.",
            ("legal-advice",),
            "one_off_day",
            remote_ok=True,
            urgency=(Urgency.NORMAL, Urgency.HIGH),
        ),
    ),
    "homework-club": (
        NeedTemplate(
            "Maths tutors for the GCSE homework club",
            "Our homework club at the library helps Year 10 and 11 students. We need people "
            "confident with GCSE maths.",
            ("tutoring", "dbs-checked"),
            "homework",
            volunteers=(2, 3),
        ),
        NeedTemplate(
            "Reading helpers for Year 3 homework club",
            "Listening to children read and helping with spellings, {day} afternoons.",
            ("tutoring", "dbs-checked"),
            "homework",
            volunteers=(1, 2),
        ),
        NeedTemplate(
            "Help my son with A-level chemistry",
            "He's struggling with organic chemistry and we can't afford a tutor. An hour a week "
            "would make a big difference. Video calls are fine.",
            ("tutoring",),
            "evening",
            remote_ok=True,
        ),
        NeedTemplate(
            "English conversation practice for teenagers new to the UK",
            "A small group of 14-16 year olds who arrived this year. Patience and a second "
            "language help.",
            ("tutoring", "{language}"),
            "homework",
        ),
    ),
    "food": (
        NeedTemplate(
            "Weekly food shop for a housebound neighbour",
            "My neighbour is 84 and can't get to the shops since her fall. She writes a list; the "
            "money is paid back on delivery.",
            ("shopping",),
            "weekday_daytime",
        ),
        NeedTemplate(
            "Cooks for the Saturday community kitchen",
            "We cook a hot lunch for about 60 people at the community centre on {street}.",
            ("cooking", "food-hygiene"),
            "weekend",
            volunteers=(2, 3),
            urgency=(Urgency.NORMAL,),
        ),
        NeedTemplate(
            "Collect and deliver a food bank parcel",
            "I have a voucher for the food bank but no car and a bad back. Parcel is heavy.",
            ("driving",),
            "one_off_day",
            urgency=(Urgency.HIGH, Urgency.NORMAL),
        ),
        NeedTemplate(
            "Hot meals for a family after surgery",
            "Mum of three just out of hospital. Two or three home-cooked meals this week would "
            "help; no nuts please.",
            ("cooking",),
            "one_off_day",
        ),
    ),
    "transport": (
        NeedTemplate(
            "Lift to a hospital appointment at {hospital}",
            "Outpatient appointment, I can't manage the bus after my operation. Wait and bring "
            "me back if possible.",
            ("driving",),
            "one_off_day",
            urgency=(Urgency.NORMAL, Urgency.HIGH),
        ),
        NeedTemplate(
            "Help moving to a new flat",
            "Moving from temporary accommodation to a council flat. A few boxes, a mattress and a "
            "washing machine.",
            ("driving", "heavy-lifting"),
            "one_off_day",
            volunteers=(2, 3),
        ),
        NeedTemplate(
            "School run for a child with a broken leg",
            "My daughter is on crutches for six weeks and it's a 25-minute walk to school.",
            ("driving", "dbs-checked"),
            "breakfast",
        ),
        NeedTemplate(
            "Lift to the Job Centre on {day}s",
            "Weekly appointment; I use a wheelchair and the step-free route takes over an hour.",
            ("driving",),
            "weekday_daytime",
        ),
    ),
    "befriending": (
        NeedTemplate(
            "Weekly phone call with an older neighbour",
            "Mr {last} lives alone and hasn't many visitors. He loves football and the radio. "
            "A friendly call once a week.",
            ("befriending",),
            "weekday_daytime",
            remote_ok=True,
            urgency=(Urgency.LOW, Urgency.NORMAL),
        ),
        NeedTemplate(
            "Visits for a widower who is lonely",
            "My dad lost my mum last year and rarely leaves the house. A cup of tea and a chat on "
            "{day}s.",
            ("befriending",),
            "weekday_daytime",
        ),
        NeedTemplate(
            "Polish-speaking befriender for my grandmother",
            "Babcia is 91 and her English is fading. She'd love someone to talk to in Polish.",
            ("befriending", "translation-polish"),
            "weekday_daytime",
        ),
        NeedTemplate(
            "Walking companion after a stroke",
            "I'm getting my strength back and need someone to walk with in the park twice a week.",
            ("befriending",),
            "weekday_daytime",
        ),
    ),
    "other": (
        NeedTemplate(
            "Fix a leaking tap and a broken cupboard door",
            "Small jobs I can't do myself since my arthritis got worse. I have the tools.",
            ("diy",),
            "one_off_day",
            urgency=(Urgency.LOW, Urgency.NORMAL),
        ),
        NeedTemplate(
            "Help setting up a smartphone to video-call family",
            "New phone from my grandson; I'd like to use WhatsApp to see the family.",
            ("it-support",),
            "weekday_daytime",
            remote_ok=False,
            urgency=(Urgency.LOW,),
        ),
        NeedTemplate(
            "Clear an overgrown back garden",
            "The garden is waist-high and the council has written to me. Green bin provided.",
            ("gardening", "heavy-lifting"),
            "weekend",
            volunteers=(2, 3),
            urgency=(Urgency.LOW, Urgency.NORMAL),
        ),
        NeedTemplate(
            "Interpreter for a GP appointment",
            "My mother-in-law needs someone to translate at her GP appointment.",
            ("{language}",),
            "one_off_day",
            urgency=(Urgency.NORMAL, Urgency.HIGH),
        ),
        NeedTemplate(
            "Fill in a council housing form online",
            "The housing register form is online only and I don't have a computer.",
            ("it-support",),
            "one_off_day",
            remote_ok=True,
        ),
    ),
}

#: Volunteers' kinds: skills always held, skills sometimes held, and a note.
PROFILES: tuple[tuple[float, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        14,
        ("childcare", "cooking", "shopping"),
        ("dbs-checked", "first-aid", "befriending"),
        "Parent of two, happy to help other families.",
    ),
    (
        12,
        ("tutoring", "it-support"),
        ("heavy-lifting", "befriending", "dbs-checked"),
        "University student, free most afternoons.",
    ),
    (
        8,
        ("tutoring", "befriending", "dbs-checked"),
        ("childcare", "first-aid"),
        "Retired primary teacher.",
    ),
    (
        12,
        ("driving", "shopping"),
        ("heavy-lifting", "befriending"),
        "I have a car and time on my hands.",
    ),
    (
        9,
        ("cooking", "food-hygiene"),
        ("shopping", "dbs-checked"),
        "I work in a restaurant kitchen.",
    ),
    (
        3,
        ("legal-advice",),
        ("befriending",),
        "Housing and benefits caseworker; can advise by phone.",
    ),
    (
        6,
        ("first-aid", "befriending", "dbs-checked"),
        ("childcare", "driving"),
        "Nurse on rotating shifts.",
    ),
    (
        9,
        ("diy", "heavy-lifting"),
        ("gardening", "driving"),
        "Handy with tools, have a van at weekends.",
    ),
    (10, ("befriending", "shopping"), ("it-support", "gardening"), "Good listener, live locally."),
    (5, ("gardening",), ("heavy-lifting", "diy", "befriending"), "Allotment holder."),
)

#: Weekly availability patterns: (weight, [(weekdays, start, end), ...]).
AVAILABILITY: tuple[tuple[float, list[tuple[tuple[int, ...], str, str]]], ...] = (
    (10, [((0, 1, 2, 3, 4), "07:00", "12:00")]),
    (10, [((0, 1, 2, 3, 4), "09:00", "15:30")]),
    (12, [((0, 1, 2, 3, 4), "17:30", "21:00")]),
    (10, [((0, 1, 2, 3, 4), "13:00", "18:30")]),
    (10, [((5, 6), "09:00", "17:00")]),
    (12, [((0, 1, 2, 3, 4), "07:00", "19:00")]),
    (8, [((0, 2, 4), "07:00", "19:00"), ((5,), "10:00", "14:00")]),
    (8, [((1, 3), "15:00", "20:00"), ((5, 6), "10:00", "16:00")]),
)


# --- loading -------------------------------------------------------------------------------------


@dataclass
class Summary:
    groups: int = 0
    people: int = 0
    needs: int = 0
    offers: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # role, name, email

    def describe(self) -> str:
        lines = [
            f"Loaded demo data: {self.groups} groups, {self.people} people, {self.needs} needs, "
            f"{self.offers} offers.",
            "",
            *describe_logins(self.logins),
        ]
        return "\n".join(lines)


def existing_logins() -> list[tuple[str, str, str]]:
    """The demo's ready-made logins that this database holds: (role, name, email), as printed
    when the demo was loaded. Empty when the demo was never loaded here."""
    wanted = [("admin", ADMIN[1]), ("resident", RESIDENT[1]), ("volunteer", VOLUNTEER[1])]
    wanted += [(f"coordinator ({city.slug})", city.coordinator[1]) for city in CITIES]
    emails = {f"{local}@example.org": role for role, local in wanted}
    found = {
        email: name
        for email, name in db.session.execute(
            sa.select(Person.email, Person.name).where(Person.email.in_(emails))
        )
    }
    return [(emails[email], found[email], email) for email in emails if email in found]


def describe_logins(logins: list[tuple[str, str, str]]) -> list[str]:
    """The lines that list ``logins`` with the demo password."""
    lines = [f"Log in at /login with password: {DEMO_PASSWORD}"]
    width = max((len(role) for role, _, _ in logins), default=0)
    lines += [f"  {role:<{width}}  {email:<34} {name}" for role, name, email in logins]
    return lines


def has_data() -> bool:
    """Whether anyone or any group exists (then the demo would mix with real or earlier data)."""
    return (
        db.session.scalar(sa.select(Person.id).limit(1)) is not None
        or db.session.scalar(sa.select(Group.id).limit(1)) is not None
    )


def wipe() -> None:
    """Delete every domain record (people, groups, needs, offers, matches, runs, mail, audit).

    Skills and unit postcodes are reference data and stay.
    """
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            db.session.execute(table.delete())
    db.session.flush()


def load(
    seed: int = 2020, needs_per_group: int = NEEDS_PER_GROUP, today: date | None = None
) -> Summary:
    """Write the demo into the current transaction (the caller commits)."""
    return _Builder(random.Random(seed), needs_per_group, today or date.today()).build()


class _Builder:
    def __init__(self, rng: random.Random, needs_per_group: int, today: date):
        self.rng = rng
        self.needs_per_group = needs_per_group
        self.today = today
        self.now = utcnow()
        self.password_hash = accounts.hash_password(DEMO_PASSWORD)
        self.skills = {s.slug: s for s in db.session.scalars(sa.select(Skill))}
        self.emails: set[str] = set()
        self.phone_seq = 0
        self.summary = Summary()
        self.people_rows: list[dict[str, Any]] = []

    # people
    def _person(self, name: str, local: str | None = None, admin: bool = False) -> dict[str, Any]:
        first, _, last = name.partition(" ")
        base = local or f"{first}.{last}".lower().replace("'", "").replace("ś", "s")
        email, n = f"{base}@example.org", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@example.org"
        self.emails.add(email)
        phone = (
            f"07700 900{self.phone_seq % 1000:03d}"  # Ofcom's range for drama: never a real line
        )
        self.phone_seq += 1
        row = {
            "email": email,
            "password_hash": self.password_hash,
            "name": name,
            "phone": phone,
            "is_admin": admin,
            "created_dt": self.now - timedelta(days=self.rng.randint(15, 400)),
        }
        row["email_verified_dt"] = row["created_dt"]  # demo accounts count as confirmed
        self.people_rows.append(row)
        return row

    def _random_name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def build(self) -> Summary:
        admin = self._person(*ADMIN, admin=True)
        plans = [self._plan_group(i, city) for i, city in enumerate(CITIES)]
        ids = self._insert_returning(Person, self.people_rows, "email")
        group_ids = self._insert_returning(Group, [p["group"] for p in plans], "slug")
        memberships, needs, offers = [], [], []
        for plan in plans:
            gid = group_ids[plan["group"]["slug"]]
            for person, role in plan["members"].values():
                memberships.append(
                    {"group_id": gid, "person_id": ids[person["email"]], "role": role}
                )
            for need in plan["needs"]:
                requester = need.pop("_requester")
                needs.append({**need, "group_id": gid, "requester_id": ids[requester["email"]]})
            for offer in plan["offers"]:
                volunteer = offer.pop("_volunteer")
                offers.append(
                    {
                        **offer,
                        "_group_id": gid,
                        "volunteer_id": ids[volunteer["email"]],
                        "_verifier": ids[plan["coordinator"]["email"]],
                    }
                )
        db.session.execute(sa.insert(Membership), memberships)
        self._insert_needs(needs)
        self._insert_offers(offers)
        db.session.flush()
        self.summary.groups, self.summary.people = len(plans), len(self.people_rows)
        self.summary.needs, self.summary.offers = len(needs), len(offers)
        self.summary.logins.insert(0, ("admin", admin["name"], admin["email"]))
        return self.summary

    def _insert_returning(
        self, model: type[Person] | type[Group], rows: list[dict[str, Any]], key: str
    ) -> dict[str, int]:
        table = table_of(model)
        stmt = sa.insert(table).returning(table.c.id, table.c[key], sort_by_parameter_order=True)
        return {row[1]: row[0] for row in db.session.execute(stmt, rows)}

    def _insert_needs(self, needs: list[dict[str, Any]]) -> None:
        skill_lists = [need.pop("_skills") for need in needs]
        table = table_of(Need)
        stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        need_ids = [row[0] for row in db.session.execute(stmt, needs)] if needs else []
        links = [
            {"need_id": nid, "skill_id": self.skills[slug].id}
            for nid, slugs in zip(need_ids, skill_lists)
            for slug in slugs
        ]
        if links:
            db.session.execute(sa.insert(need_skills), links)

    def _insert_offers(self, offers: list[dict[str, Any]]) -> None:
        extras = [(o.pop("_group_id"), o.pop("_skills"), o.pop("_verifier")) for o in offers]
        table = table_of(Offer)
        stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        offer_ids = [row[0] for row in db.session.execute(stmt, offers)] if offers else []
        group_links, skill_rows = [], []
        for oid, offer, (gid, skills, verifier) in zip(offer_ids, offers, extras):
            group_links.append({"offer_id": oid, "group_id": gid})
            for slug in skills:
                skill_rows.append(
                    {
                        "offer_id": oid,
                        "skill_id": self.skills[slug].id,
                        **self._credential(slug, offer["created_dt"], verifier, gid),
                    }
                )
        if group_links:
            db.session.execute(sa.insert(offer_groups), group_links)
        if skill_rows:
            db.session.execute(sa.insert(OfferSkill), skill_rows)

    def _credential(
        self, slug: str, created: datetime, verifier: int, group_id: int
    ) -> dict[str, Any]:
        """Verification of a credential skill: most verified, some waiting, a few expired."""
        unverified = {
            "verified_by_id": None,
            "verified_group_id": None,
            "verified_dt": None,
            "expires_on": None,
        }
        if not self.skills[slug].is_credential:
            return unverified
        roll = self.rng.random()
        if roll < 0.12:  # claimed, waiting for a coordinator to check
            return unverified
        verified = min(created + timedelta(days=self.rng.randint(1, 10)), self.now)
        checked = self.today - timedelta(days=self.rng.randint(30, 1000))
        if slug == "legal-advice":
            expires = None  # a practising certificate is checked once here
        elif roll < 0.2:  # lapsed: the check must be renewed
            expires = self.today - timedelta(days=self.rng.randint(1, 120))
        else:
            expires = checked + timedelta(days=3 * 365)
            if expires < self.today:
                expires = self.today + timedelta(days=self.rng.randint(60, 700))
        return {
            "verified_by_id": verifier,
            "verified_group_id": group_id,
            "verified_dt": verified,
            "expires_on": expires,
        }

    # one group
    def _plan_group(self, index: int, city: City) -> dict[str, Any]:
        centre = geo.resolve(city.centre)
        # People live in sectors well inside the area, so that even a unit postcode's own
        # coordinates (once imported) fall within the group's radius.
        sectors = geo.sectors_near(centre.lat, centre.lon, 0.8 * city.radius_km) or [city.centre]
        group = {
            "name": city.name,
            "slug": city.slug,
            "centre_postcode": centre.postcode,
            "centre_lat": centre.lat,
            "centre_lon": centre.lon,
            "radius_km": city.radius_km,
            "description": (
                f"Neighbours helping neighbours within {city.radius_km:g} km of {centre.postcode}."
            ),
            "created_dt": self.now - timedelta(days=400),
        }
        members: dict[str, tuple[dict[str, Any], str]] = {}

        def join(person: dict[str, Any], role: Role = Role.MEMBER) -> dict[str, Any]:
            current = members.get(person["email"])
            if current is None or role == Role.COORDINATOR:
                members[person["email"]] = (person, role)
            return person

        coordinator = join(self._person(*city.coordinator), Role.COORDINATOR)
        deputy = join(self._person(self._random_name()), Role.COORDINATOR)
        self.summary.logins.append(
            (f"coordinator ({city.slug})", coordinator["name"], coordinator["email"])
        )
        residents = [
            join(self._person(self._random_name()))
            for _ in range(max(1, self.needs_per_group * 2 // 3))
        ]
        n_offers = max(2, round(self.needs_per_group * OFFERS_RATIO))
        volunteers = [join(self._person(self._random_name())) for _ in range(n_offers)]
        # Some people both ask for help and give it; the deputy coordinator volunteers too.
        volunteers[0] = deputy
        residents += self.rng.sample(
            volunteers[1:], k=min(len(volunteers) - 1, max(1, n_offers // 7))
        )
        if index == 0:
            resident = join(self._person(*RESIDENT))
            volunteer = join(self._person(*VOLUNTEER))
            self.summary.logins[-1:-1] = [
                ("resident", resident["name"], resident["email"]),
                ("volunteer", volunteer["name"], volunteer["email"]),
            ]
            residents.insert(0, resident)
            volunteers.insert(0, volunteer)

        needs = [self._need(city, sectors, k, residents) for k in range(self.needs_per_group)]
        if index == 0:  # the demo resident has a few needs to look at
            for k in (0, 1, 2):
                needs[k]["_requester"] = residents[0]
        offers = [self._offer(city, sectors, person, k) for k, person in enumerate(volunteers)]
        if index == 0:
            offers[0] = self._offer(
                city,
                sectors[:3],
                volunteers[0],
                0,
                profile=PROFILES[2],
                availability=AVAILABILITY[5][1],
                extra=("driving", "shopping"),
            )
        return {
            "group": group,
            "members": members,
            "needs": needs,
            "offers": offers,
            "coordinator": coordinator,
        }

    def _postcode(self, sectors: list[str]) -> geo.Place:
        # Most people live near the centre; a few at the edge of the group's area.
        sector = sectors[min(int(self.rng.expovariate(1.0) * len(sectors) / 3), len(sectors) - 1)]
        inward = self.rng.choice(_INWARD_LETTERS) + self.rng.choice(_INWARD_LETTERS)
        return geo.resolve(f"{sector}{inward}", unit_lookup=postcodes.unit_lookup)

    def _address(self, city: City) -> str:
        house = self.rng.randint(1, 180)
        street = self.rng.choice(city.streets)
        if self.rng.random() < 0.45:
            return f"Flat {self.rng.randint(1, 24)}, {house} {street}"
        return f"{house} {street}"

    def _need(
        self, city: City, sectors: list[str], k: int, residents: list[dict[str, Any]]
    ) -> dict[str, Any]:
        categories = list(CATEGORIES)
        # The first needs of every group cover each category once; then weighted at random.
        category = (
            categories[k]
            if k < len(categories)
            else self.rng.choices(categories, weights=(14, 8, 12, 10, 18, 12, 16, 10))[0]
        )
        template = self.rng.choice(NEED_TEMPLATES[category])
        day = self.rng.randrange(5)
        words = {
            "day": _WEEKDAYS[day],
            "street": self.rng.choice(city.streets).split()[0],
            "hospital": city.hospital,
            "last": self.rng.choice(LAST_NAMES),
        }
        language = self.rng.choice(city.languages)
        skills = sorted({s.replace("{language}", language) for s in template.skills})
        on_date, windows = self._timing(template.timing, day)
        place = self._postcode(sectors)
        created = self.now - timedelta(hours=self.rng.uniform(1, 14 * 24))
        expires = (
            datetime.combine(on_date, time.fromisoformat(windows[0]["end"]))
            if on_date
            else created + timedelta(days=90)
        )
        return {
            "category": category,
            "title": template.title.format(**words)[:200],
            "description": template.description.format(**words),
            "_skills": skills,
            "postcode": place.postcode,
            "district": place.district,
            "lat": place.lat,
            "lon": place.lon,
            "address": self._address(city),
            "on_date": on_date,
            "windows": windows,
            "volunteers_needed": self.rng.randint(*template.volunteers),
            "urgency": self.rng.choice(template.urgency),
            "is_remote_ok": template.remote_ok,
            "status": NeedStatus.OPEN,
            "created_dt": created,
            "updated_dt": created,
            "expires_dt": expires,
            "_requester": self.rng.choice(residents),
        }

    def _timing(self, timing: str, day: int) -> tuple[date | None, list[dict[str, Any]]]:
        rng = self.rng
        if timing == "one_off_day":
            on_date = self.today + timedelta(days=rng.randint(2, 28))
            while on_date.weekday() == 6 or (on_date.weekday() == 5 and rng.random() < 0.7):
                on_date += timedelta(days=1)  # mostly weekdays, never Sundays
            start = rng.choice(["09:00", "09:30", "10:00", "11:00", "13:00", "14:00", "15:30"])
            hours = rng.choice([1, 1, 2, 2, 3])
            end = f"{int(start[:2]) + hours:02d}{start[2:]}"
            return on_date, [{"weekday": on_date.weekday(), "start": start, "end": end}]
        if timing == "after_school":
            return None, [{"weekday": day, "start": "15:00", "end": rng.choice(["17:30", "18:00"])}]
        if timing == "breakfast":
            days = sorted(rng.sample(range(5), rng.choice([1, 1, 2])))
            return None, [{"weekday": d, "start": "07:30", "end": "08:45"} for d in days]
        if timing == "homework":
            return None, [{"weekday": day, "start": "15:45", "end": "17:15"}]
        if timing == "evening":
            return None, [{"weekday": day, "start": "18:30", "end": "19:30"}]
        if timing == "weekend":
            return None, [
                {
                    "weekday": rng.choice([5, 6]),
                    "start": "10:00",
                    "end": rng.choice(["12:00", "13:00"]),
                }
            ]
        start_hour = rng.randint(10, 15)
        return None, [
            {"weekday": day, "start": f"{start_hour:02d}:00", "end": f"{start_hour + 1:02d}:30"}
        ]

    def _offer(
        self,
        city: City,
        sectors: list[str],
        person: dict[str, Any],
        k: int,
        profile: tuple | None = None,
        availability: list | None = None,
        extra: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        rng = self.rng
        _, always, sometimes, note = (
            profile or rng.choices(PROFILES, weights=[p[0] for p in PROFILES])[0]
        )
        skills = set(always) | {s for s in sometimes if rng.random() < 0.35} | set(extra)
        if rng.random() < 0.12:
            skills.add(rng.choice(city.languages))
        pattern = (
            availability or rng.choices(AVAILABILITY, weights=[a[0] for a in AVAILABILITY])[0][1]
        )
        windows = [
            {"weekday": d, "start": start, "end": end} for days, start, end in pattern for d in days
        ]
        if availability is None and rng.random() < 0.3:  # a second pattern for the keenest
            more = rng.choices(AVAILABILITY, weights=[a[0] for a in AVAILABILITY])[0][1]
            windows += [{"weekday": d, "start": s, "end": e} for days, s, e in more for d in days]
        windows = _merge(windows)
        place = self._postcode(sectors)
        created = self.now - timedelta(days=rng.uniform(1, 60))
        max_km = rng.choice([2.0, 3.0, 3.0, 5.0, 5.0, 8.0]) + (7.0 if "driving" in skills else 0.0)
        return {
            "postcode": place.postcode,
            "district": place.district,
            "lat": place.lat,
            "lon": place.lon,
            "max_travel_km": max_km,
            "availability": windows,
            "capacity": rng.choices([1, 2, 3], weights=[6, 3, 1])[0],
            "is_active": rng.random() > 0.05,
            "note": note,
            "created_dt": created,
            "updated_dt": created,
            "_skills": sorted(skills),
            "_volunteer": person,
        }


def _merge(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sorted, with overlapping windows on the same day joined into one."""
    out: list[dict[str, Any]] = []
    for w in sorted(windows, key=lambda w: (w["weekday"], w["start"])):
        last = out[-1] if out else None
        if last and last["weekday"] == w["weekday"] and w["start"] <= last["end"]:
            last["end"] = max(last["end"], w["end"])
        else:
            out.append(dict(w))
    return out

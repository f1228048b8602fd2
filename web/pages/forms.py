"""Page forms, and their conversion to the same data the JSON API accepts.

The forms only carry fields (and their typed values, for re-rendering); every rule lives in
the marshmallow schemas and the services, which report errors by API field name. The helpers
here turn a form into API data and put the errors back next to the fields they belong to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from .._messages import flatten_messages

DAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
#: The availability grid's parts of a day, with the times they stand for.
SLOTS = (
    ("morning", "Morning", "08:00", "12:00"),
    ("afternoon", "Afternoon", "12:00", "17:00"),
    ("evening", "Evening", "17:00", "21:00"),
)
URGENCY_CHOICES = (
    ("low", "Low – within a few weeks"),
    ("normal", "Normal – within a week or two"),
    ("high", "High – as soon as possible"),
)
WHEN_CHOICES = (("once", "Once, on a date"), ("weekly", "Every week"))
WINDOW_ROWS = 3

_REQUIRED = "Missing data for required field."
_FRIENDLY_REQUIRED = {
    "email": "Enter your email address.",
    "password": "Enter a password.",
    "current_password": "Enter your current password.",
    "name": "Enter your name.",
    "group": "Choose a group.",
    "groups": "Choose at least one group.",
    "category": "Choose a category.",
    "title": "Enter a short title.",
    "postcode": "Enter a postcode.",
    "when": "Choose when you need help.",
    "date": "Enter the date.",
    "start": "Enter a start time.",
    "end": "Enter an end time.",
    "weekday": "Choose a day.",
    "volunteers_needed": "Enter how many volunteers you need.",
    "urgency": "Choose how urgent it is.",
    "availability": "Tick at least one time you are free.",
    "max_travel_km": "Enter how far you can travel.",
    "capacity": "Enter how many needs you can take on.",
}


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms options."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class _Choices(SelectMultipleField):
    """Checkboxes; the schema, not the form, decides what is a valid choice."""

    def pre_validate(self, form: Form) -> None:
        pass


class _Select(SelectField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class RegisterForm(FlaskForm):
    name = StringField("Your name")
    email = StringField("Email address")
    phone = StringField("Phone number")
    password = PasswordField("Password")


class LoginForm(FlaskForm):
    email = StringField("Email address")
    password = PasswordField("Password")


class ForgotForm(FlaskForm):
    email = StringField("Email address")


class ResetForm(FlaskForm):
    password = PasswordField("New password")


class ProfileForm(FlaskForm):
    name = StringField("Your name")
    phone = StringField("Phone number")
    email = StringField("Email address")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password")
    password = PasswordField("New password")


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField("Your password")


class AvailabilityForm(FlaskForm):
    """A volunteer's time away and weekly limit, across all their offers."""

    paused_until = StringField("Away until")
    limit_kind = RadioField(
        "Weekly limit",
        choices=choices(
            [("none", "No limit"), ("tasks", "Times a week"), ("hours", "Hours a week")]
        ),
        default="none",
        validate_choice=False,
    )
    limit_value = StringField("At most")


class NeedsDigestForm(FlaskForm):
    """A volunteer's opt-in to a daily email of new needs they could help with."""

    needs_digest = BooleanField("Email me once a day the new requests I could help with")


class ExtendForm(FlaskForm):
    until = StringField("Run until")


class WindowForm(Form):
    """One weekly time: a day with a start and an end."""

    weekday = _Select("Day", choices=choices([("", "Choose"), *DAYS]))
    start = StringField("From")
    end = StringField("Until")


class NeedForm(FlaskForm):
    group = _Select("Local group")
    category = _Select("What kind of help")
    title = StringField("Short title")
    description = TextAreaField("Describe what you need")
    skills = _Choices("Skills needed")
    postcode = StringField("Postcode")
    address = TextAreaField("Address")
    when_kind = RadioField(
        "When do you need help?", choices=choices(WHEN_CHOICES), validate_choice=False
    )
    date = StringField("Date")
    start = StringField("From")
    end = StringField("Until")
    weekly = FieldList(FormField(WindowForm), min_entries=WINDOW_ROWS, max_entries=21)
    weekly_from = StringField("Starting on")
    weekly_until = StringField("Ending on")
    volunteers_needed = StringField("Volunteers needed", default="1")
    urgency = RadioField(
        "How urgent is it?",
        choices=choices(URGENCY_CHOICES),
        default="normal",
        validate_choice=False,
    )
    remote_ok = BooleanField("Help by phone or online is fine")
    share_description = BooleanField("Share my title and description publicly")


class OfferForm(FlaskForm):
    groups = _Choices("Local groups")
    skills = _Choices("Your skills")
    postcode = StringField("Your postcode")
    max_travel_km = StringField("How far can you travel (km)?", default="5")
    slots = _Choices(
        "When are you usually free?",
        choices=choices(
            (f"{d}-{s[0]}", f"{label} {s[1].lower()}") for d, label in DAYS for s in SLOTS
        ),
    )
    custom = FieldList(FormField(WindowForm), min_entries=2, max_entries=21)
    capacity = StringField("How many needs can you take on at once?", default="1")
    note = TextAreaField("Anything else coordinators should know")


# ---- form -> API data -------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    """Blank becomes absent, so a required field reports itself missing."""
    value = (value or "").strip()
    return value or None


def _number(value: str | None, kind: type) -> Any:
    """A typed number for the schema; other text goes through for the schema to refuse."""
    text = _text(value)
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            return text
        return as_float if kind is float else text


_TIME_TYPED = re.compile(r"^([01]?[0-9]|2[0-3])[:.h]?([0-5][0-9])$")
_DATE_TYPED = re.compile(r"^([0-3]?[0-9])[/.\- ]([01]?[0-9])[/.\- ]([0-9]{4})$")


def time_typed(value: str | None) -> str | None:
    """A 24-hour time as people type it ("9:30", "09.30", "0930") in the API's form ("09:30");
    anything else goes through unchanged, for the schema to refuse with its message."""
    text = _text(value)
    if text is None:
        return None
    found = _TIME_TYPED.match(text)
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else text


def date_typed(value: str | None) -> str | None:
    """A UK date as people type it ("27/3/2027", "27.03.2027") in the API's form
    ("2027-03-27"); anything else (an ISO date included) goes through unchanged."""
    text = _text(value)
    if text is None:
        return None
    found = _DATE_TYPED.match(text)
    if not found:
        return text
    day, month, year = (int(x) for x in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def register_data(form: RegisterForm) -> dict[str, Any]:
    """The API's registration fields; a blank field is left out so it reports itself missing."""
    return _clean(
        {
            "name": _text(form.name.data),
            "email": _text(form.email.data),
            "phone": _text(form.phone.data),
            "password": form.password.data or None,
        }
    )


def _window(row: WindowForm) -> dict[str, Any] | None:
    values = _clean(
        {
            "weekday": _text(row.weekday.data),
            "start": time_typed(row.start.data),
            "end": time_typed(row.end.data),
        }
    )
    return values or None


def need_data(form: NeedForm) -> tuple[dict[str, Any], list[int]]:
    """The API's need fields, and for each weekly window sent, the form row it came from."""
    data: dict[str, Any] = {
        "group": _text(form.group.data),
        "category": _text(form.category.data),
        "title": _text(form.title.data),
        "description": (form.description.data or "").strip(),
        "skills": list(form.skills.data or []),
        "postcode": _text(form.postcode.data),
        "address": _text(form.address.data),
        "volunteers_needed": _number(form.volunteers_needed.data, int),
        "urgency": _text(form.urgency.data),
        "remote_ok": bool(form.remote_ok.data),
        "share_description": bool(form.share_description.data),
    }
    rows: list[int] = []
    if form.when_kind.data == "once":
        data["when"] = _clean(
            {
                "date": date_typed(form.date.data),
                "start": time_typed(form.start.data),
                "end": time_typed(form.end.data),
            }
        )
    elif form.when_kind.data == "weekly":
        weekly = []
        for index, entry in enumerate(form.weekly.entries):
            window = _window(entry.form)
            if window is not None:
                weekly.append(window)
                rows.append(index)
        data["when"] = _clean(
            {
                "weekly": weekly,
                "from": date_typed(form.weekly_from.data),
                "until": date_typed(form.weekly_until.data),
            }
        )
    return _clean(data), rows


#: Where each availability window sent to the API came from: ``("grid", -1)``, ``("custom", row)``.
AvailabilitySources = list[tuple[str, int]]


def slot_windows(slots: Iterable[str]) -> list[dict[str, str]]:
    """Ticked grid cells as windows, neighbouring parts of one day joined into one window."""
    chosen = set(slots)
    windows: list[dict[str, str]] = []
    for day, _label in DAYS:
        current: dict[str, str] | None = None
        for name, _slot_label, start, end in SLOTS:
            if f"{day}-{name}" in chosen:
                if current is not None and current["end"] == start:
                    current["end"] = end
                else:
                    current = {"weekday": day, "start": start, "end": end}
                    windows.append(current)
            else:
                current = None
    return windows


def windows_to_grid(windows: Iterable[dict[str, Any]]) -> tuple[list[str], list[dict[str, str]]]:
    """Stored windows back to grid cells where they fit the grid, the rest as custom rows."""
    bounds = {s[2]: i for i, s in enumerate(SLOTS)}
    ends = {s[3]: i for i, s in enumerate(SLOTS)}
    cells: list[str] = []
    custom: list[dict[str, str]] = []
    for window in windows:
        day = window["weekday"]
        day = DAYS[day][0] if isinstance(day, int) else str(day)
        first, last = bounds.get(window["start"]), ends.get(window["end"])
        if first is not None and last is not None and first <= last:
            cells.extend(f"{day}-{SLOTS[i][0]}" for i in range(first, last + 1))
        else:
            custom.append({"weekday": day, "start": window["start"], "end": window["end"]})
    return cells, custom


def offer_data(form: OfferForm) -> tuple[dict[str, Any], AvailabilitySources]:
    """The API's offer fields, and where each availability window came from."""
    sources: AvailabilitySources = []
    availability: list[dict[str, Any]] = []
    for window in slot_windows(form.slots.data or []):
        availability.append(window)
        sources.append(("grid", -1))
    for index, entry in enumerate(form.custom.entries):
        row = _window(entry.form)
        if row is not None:
            availability.append(row)
            sources.append(("custom", index))
    data = {
        "groups": list(form.groups.data or []),
        "skills": list(form.skills.data or []),
        "postcode": _text(form.postcode.data),
        "max_travel_km": _number(form.max_travel_km.data, float),
        "availability": availability,
        "capacity": _number(form.capacity.data, int),
        "note": _text(form.note.data),
    }
    return _clean(data), sources


# ---- API errors -> form fields ----------------------------------------------------------------


def _friendly(path: tuple, message: str) -> str:
    if message == _REQUIRED:
        names = [p for p in path if isinstance(p, str) and p != "_schema"]
        return _FRIENDLY_REQUIRED.get(names[-1] if names else "", "This is required.")
    return message


def _window_field(row: WindowForm, rest: tuple) -> Field:
    key = rest[0] if rest else None
    return getattr(row, key) if key in ("weekday", "start", "end") else row.end


#: Which field a message goes to, from the head of its path and the rest; ``None``: the field
#: the head names, if the form has one (and it is not hidden).
_Placer = Callable[[str, tuple], "Field | None"]


def _attach(
    form: FlaskForm, errors: dict[str, Any], place: _Placer, hidden: tuple[str, ...] = ()
) -> list[str]:
    """Put each API error message next to its field; returns the messages that fit no field."""
    unplaced: list[str] = []
    for dotted, messages in flatten_messages(errors).items():
        path = tuple(int(part) if part.isdigit() else part for part in dotted.split("."))
        head, rest = str(path[0]), path[1:]
        field = place(head, rest)
        if field is None and head in form and head not in ("csrf_token", *hidden):
            field = form[head]
        for message in messages:
            message = _friendly(path, message)
            if field is None:
                unplaced.append(message)
            elif message not in (field.errors or []):
                field.errors = [*(field.errors or []), message]
    return unplaced


def apply_need_errors(form: NeedForm, errors: dict[str, Any], rows: list[int]) -> list[str]:
    """Attach API errors to the need form's fields; returns messages that fit no field."""

    def place(head: str, rest: tuple) -> Field | None:
        if head != "when":
            return None
        sub = rest[0] if rest else "_schema"
        if sub in ("date", "start", "end"):
            return form[sub]
        if sub in ("from", "until"):
            return form[f"weekly_{sub}"]
        if sub == "weekly" and len(rest) > 1 and isinstance(rest[1], int) and rest[1] < len(rows):
            return _window_field(form.weekly.entries[rows[rest[1]]].form, rest[2:])
        return form.when_kind

    return _attach(form, errors, place, hidden=("weekly", "when_kind"))


def apply_offer_errors(
    form: OfferForm, errors: dict[str, Any], sources: AvailabilitySources
) -> list[str]:
    """Attach API errors to the offer form's fields; returns messages that fit no field."""

    def place(head: str, rest: tuple) -> Field | None:
        if head != "availability":
            return None
        index = rest[0] if rest and isinstance(rest[0], int) else None
        if index is not None and index < len(sources) and sources[index][0] == "custom":
            return _window_field(form.custom.entries[sources[index][1]].form, rest[1:])
        return form.slots

    return _attach(form, errors, place, hidden=("custom", "slots"))


def apply_errors(form: FlaskForm, errors: dict[str, Any]) -> list[str]:
    """Attach API errors to a flat form (register, log in)."""
    return _attach(form, errors, lambda head, rest: None)


def error_list(form: Form) -> list[tuple[str, str, str]]:
    """Every field error as ``(field id, label, message)`` for the summary at the top of a page."""
    found: list[tuple[str, str, str]] = []
    for field in form:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, start=1):
                for sub in entry.form:
                    for message in sub.errors or []:
                        found.append((sub.id, f"Time {number}, {sub.label.text.lower()}", message))
        elif not isinstance(field, FormField):
            for message in field.errors or []:
                if isinstance(message, str):
                    found.append((field.id, field.label.text.rstrip("?: "), message))
    return found

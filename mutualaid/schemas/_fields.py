"""Field types: what a value may look like, and how the OpenAPI document says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_NO_NUL = r"[^\x00]"
_SOLID = r"[^\s\x00]"
# One line: no control characters (C0, DEL, C1) and no line or paragraph separators.
_BREAKS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_ONE_LINE = rf"[^{_BREAKS}]"
_SOLID_LINE = rf"[^\s{_BREAKS}]"
_BREAK_RE = re.compile(rf"[{_BREAKS}]")


class UTCDateTime(fields.DateTime):
    """A datetime the database keeps as naive UTC, sent with its zone (``+00:00``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def text_pattern(least: int = 0, char: str = _NO_NUL, solid: str = _SOLID) -> str:
    """JSON Schema pattern of a text of ``char`` characters (by default: anything but NUL), of at
    least ``least`` characters once surrounding whitespace is stripped."""
    if not least:
        return rf"^{char}*$"
    middle = "" if least == 1 else rf"{char}{{{least - 2},}}{solid}"
    return rf"^{char}*{solid}{middle}{char}*$"


class Text(fields.String):
    """A string that a database can store: no NUL characters (PostgreSQL refuses them).

    The document says so with a pattern, unless the field has a pattern of its own.
    """

    #: Whether surrounding whitespace is stripped before the length is judged.
    strips = False
    #: The pattern's character classes: any character, and any but whitespace.
    char, solid = _NO_NUL, _SOLID

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if "pattern" in self.metadata or any(
            isinstance(v, validate.Regexp) for v in self.validators
        ):
            return
        lengths = [v.min or 0 for v in self.validators if isinstance(v, validate.Length)]
        least = max(lengths, default=0) if self.strips else 0
        self.metadata = {**self.metadata, "pattern": text_pattern(least, self.char, self.solid)}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text


class Stripped(Text):
    """A one-line string with surrounding whitespace removed; its length is judged after.

    Line breaks and other control characters are refused: these values go into mail headers,
    page titles and spreadsheet cells, where a hidden line break does harm.
    """

    strips = True
    char, solid = _ONE_LINE, _SOLID_LINE

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _BREAK_RE.search(text):
            raise ValidationError("Must be one line, without line breaks or control characters.")
        return text.strip()


class Email(Stripped):
    """An email address; the service checks it in full (``email-validator``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Length(min=3, max=254))
        kwargs["metadata"] = {"format": "email", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)


class Slug(Stripped):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "validate",
            [
                validate.Length(min=1, max=64),
                validate.Regexp(SLUG_RE, error="Not a valid slug (a-z, 0-9 and -)."),
            ],
        )
        super().__init__(**kwargs)


class Int(fields.Integer):
    """A JSON integer (no strings, no floats) that fits the database."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)


class Float(fields.Float):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_nan", False)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in word)


#: A weekday's name as :class:`Weekday` takes it: short or full, in any case, spaces around.
_WEEKDAY_RE = (
    r"^\s*("
    + "|".join(f"{_any_case(s)}({_any_case(f[3:])})?" for s, f in zip(WEEKDAYS, _FULL_NAMES))
    + r")\s*$"
)


class Weekday(fields.Field):
    """``"tue"``/``"Tuesday"`` or ``0``-``6`` (Monday is 0) in, ``0``-``6`` out; dumps ``"tue"``."""

    default_error_messages = {
        "invalid": "Use a weekday: mon, tue, wed, thu, fri, sat, sun (or 0-6, Monday is 0)."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault(
            "oneOf",
            [
                {"type": "string", "pattern": _WEEKDAY_RE},
                {"type": "integer", "minimum": 0, "maximum": 6},
            ],
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return value
        if isinstance(value, str):
            key = value.strip().lower()
            for number, (short, full) in enumerate(zip(WEEKDAYS, _FULL_NAMES)):
                if key in (short, full):
                    return number
        raise self.make_error("invalid")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else WEEKDAYS[int(value)]


class Clock(Stripped):
    """A time of day as ``HH:MM`` (24-hour); ``H:MM`` is taken too."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"example": "09:00", **kwargs.get("metadata", {})}
        kwargs["metadata"].setdefault("pattern", r"^\s*([01]?[0-9]|2[0-3]):[0-5][0-9]\s*$")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) == 4 and text[1] == ":":
            text = "0" + text  # "9:30" -> "09:30"
        if not _TIME_RE.match(text):
            raise ValidationError("Use a 24-hour time as HH:MM, e.g. 09:30.")
        return text

"""Template filters: times, dates and names as people read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g

from mutualaid.models import CATEGORIES
from mutualaid.services import groups as group_service
from mutualaid.services import queue as queue_service
from mutualaid.services import skills as skill_service

from . import bp
from .forms import DAYS

_DAY_NAMES = dict(DAYS)


def _day(value: Any) -> str:
    if isinstance(value, int) and 0 <= value <= 6:
        return DAYS[value][1]
    return _DAY_NAMES.get(str(value), str(value))


@bp.app_template_filter("window")
def window_text(window: dict[str, Any]) -> str:
    return f"{_day(window.get('weekday'))} {window.get('start')}–{window.get('end')}"


@bp.app_template_filter("when")
def when_text(when: dict[str, Any] | None) -> str:
    """``{"date", "start", "end"}`` or ``{"weekly": [...]}`` (as in the API) in words."""
    if not when:
        return "Not given"
    if when.get("date"):
        day = when["date"]
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                return f"{day}, {when.get('start')}–{when.get('end')}"
        times = f"{when.get('start')}–{when.get('end')}"
        return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}, {times}"
    weekly = when.get("weekly") or []
    if not weekly:
        return "Not given"
    text = "Every week: " + "; ".join(window_text(w) for w in weekly)
    first, last = when.get("from"), when.get("until")
    if first and last:
        text += f", from {_short_day(first)} to {_short_day(last)}"
    return text


def _short_day(day: Any) -> str:
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    return f"{day.day} {day.strftime('%B %Y')}"


@bp.app_template_filter("category")
def category_name(slug: str) -> str:
    return CATEGORIES.get(slug, slug)


def _names(kind: str) -> dict[str, str]:
    """Slug -> name of every skill or group, read once per request."""
    cache: dict[str, dict[str, str]] = g.setdefault("_names", {})
    if kind not in cache:
        rows = (
            skill_service.list_skills()
            if kind == "skill"
            else group_service.list_groups(archived=True)
        )
        cache[kind] = {row.slug: row.name for row in rows}
    return cache[kind]


@bp.app_template_filter("skill_names")
def skill_names(slugs: Any) -> str:
    """Skills by their names ("DBS-checked, Cooking"), never their codes."""
    names = _names("skill")
    return ", ".join(names.get(slug, slug) for slug in slugs or ())


@bp.app_template_filter("group_names")
def group_names(slugs: Any) -> str:
    """Groups by their names ("Hackney Mutual Aid"), never their codes."""
    names = _names("group")
    return ", ".join(names.get(slug, slug) for slug in slugs or ())


@bp.app_template_filter("score_words")
def score_words(explanation: dict[str, Any] | None) -> list[str]:
    """A score's parts in words ("close by", "urgent", "hasn't helped lately")."""
    return queue_service.score_words(explanation)

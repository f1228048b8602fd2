"""People, passwords, API tokens and roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context

from .. import passwords
from ..errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from ..extensions import db
from ..models import ApiToken, Group, Membership, Person, Role, utcnow

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """The Argon2id hasher with the app's costs (argon2-cffi's defaults outside an app)."""
    config = current_app.config if has_app_context() else {}
    key = (int(config.get("ARGON2_TIME_COST", 3)), int(config.get("ARGON2_MEMORY_COST", 65536)))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed.field("email", str(exc)) from None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def set_password(person: Person, password: str) -> None:
    """Give ``person`` a new password, if it meets the rule (:mod:`.passwords`)."""
    if password_problems := passwords.problems(password, person.email, person.name):
        raise ValidationFailed("The password is not accepted.", {"password": password_problems})
    person.password_hash = hash_password(password)


def register(email: str, password: str, name: str, phone: str | None = None) -> Person:
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if password_problems := passwords.problems(password, email, name):
        errors.setdefault("password", []).extend(password_problems)
    if not (name or "").strip():
        errors.setdefault("name", []).append("Enter your name.")
    if errors:
        raise ValidationFailed("The registration has errors.", errors)
    if db.session.scalar(sa.select(Person.id).where(Person.email == email)) is not None:
        raise Conflict(
            "An account with this email already exists.",
            {"email": ["An account with this email already exists."]},
        )
    person = Person(
        email=email,
        password_hash=hash_password(password),
        name=name.strip(),
        phone=(phone or "").strip() or None,
    )
    db.session.add(person)
    db.session.flush()
    return person


def authenticate(email: str, password: str) -> Person:
    """The person with this email and password, or :class:`Unauthorized` (one message for both)."""
    bad = Unauthorized("Wrong email or password.")
    try:
        email = normalise_email(email or "")
    except ValidationFailed:
        raise bad from None
    person = db.session.scalar(sa.select(Person).where(Person.email == email))
    if person is None or not person.is_active_account:
        _hasher().hash(password or "x")  # spend the same time as a real check
        raise bad
    try:
        _hasher().verify(person.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise bad from None
    if _hasher().check_needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    return person


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(person: Person, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        person_id=person.id, token_hash=_digest(token), expires_dt=utcnow() + timedelta(hours=hours)
    )
    db.session.add(row)
    db.session.flush()
    return token, row


def person_for_token(token: str) -> Person | None:
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if (
        row is None
        or row.is_revoked
        or row.expires_dt <= utcnow()
        or not row.person.is_active_account
    ):
        return None
    return row.person


def get_person_by_email(email: str) -> Person:
    person = db.session.scalar(sa.select(Person).where(Person.email == normalise_email(email)))
    if person is None:
        raise NotFound(f"No account with email {email}.")
    return person


def is_coordinator(person: Person | None, group_id: int) -> bool:
    if person is None or not getattr(person, "id", None):
        return False
    if person.is_admin:
        return True
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.person_id == person.id,
                Membership.group_id == group_id,
                Membership.role == Role.COORDINATOR,
            )
        )
        is not None
    )


def coordinated_group_ids(person: Person | None) -> set[int]:
    """Ids of the groups this person coordinates (every group for an admin)."""
    if person is None or not getattr(person, "id", None):
        return set()
    if person.is_admin:
        return set(db.session.scalars(sa.select(Group.id)))
    return set(
        db.session.scalars(
            sa.select(Membership.group_id).where(
                Membership.person_id == person.id, Membership.role == Role.COORDINATOR
            )
        )
    )


def coordinators_of(group_id: int) -> list[Person]:
    """The people who coordinate a group, by name."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.group_id == group_id, Membership.role == Role.COORDINATOR)
            .order_by(Person.name, Person.id)
        )
    )


def require_coordinator(person: Person | None, group: Group) -> None:
    if not is_coordinator(person, group.id):
        raise Forbidden(f"Only coordinators of {group.name} can do this.")


def set_role(person: Person, group: Group, role: str) -> Membership:
    """Make ``person`` a member or coordinator of ``group`` (creating the membership)."""
    if role not in set(Role):
        raise ValidationFailed.field("role", "Role must be member or coordinator.")
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.person_id == person.id, Membership.group_id == group.id
        )
    )
    if membership is None:
        membership = Membership(person_id=person.id, group_id=group.id, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    db.session.flush()
    return membership


def ensure_member(person: Person, group: Group) -> Membership:
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.person_id == person.id, Membership.group_id == group.id
        )
    )
    if membership is None:
        membership = Membership(person_id=person.id, group_id=group.id, role=Role.MEMBER)
        db.session.add(membership)
        db.session.flush()
    return membership

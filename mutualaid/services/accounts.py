"""People, passwords, API tokens and roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import passwords
from ..errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from ..extensions import db
from ..models import MAX_ID, ApiToken, Group, Membership, Person, Role, utcnow
from . import mail

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


def _check_registration(email: str, password: str, name: str) -> str:
    """The normalised email, or :class:`ValidationFailed` with every problem at once."""
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
    return email


def create_account(
    email: str, password: str, name: str, phone: str | None = None, *, verified: bool = False
) -> Person:
    """A new account (operators' commands); :class:`Conflict` if the email is taken."""
    email = _check_registration(email, password, name)
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
        email_verified_dt=utcnow() if verified else None,
    )
    db.session.add(person)
    db.session.flush()
    return person


#: What registering answers, whether or not the email already had an account.
REGISTERED = (
    "Thank you. We have sent an email to that address: follow the link in it to confirm the "
    "address. Your requests and offers are published once it is confirmed."
)


def register(email: str, password: str, name: str, phone: str | None = None) -> Person | None:
    """Register, answering alike whether or not the email already has an account.

    A new email gets an account, unconfirmed, and a link to confirm it. An email that already
    has an account gets no second one: its owner is told by email instead, and nobody else
    learns that it exists. Both paths hash the password once (the same work, so the same time)
    and queue one mail. Returns the new account, or ``None``; callers show :data:`REGISTERED`
    either way.
    """
    email = _check_registration(email, password, name)
    password_hash = hash_password(password)
    existing = db.session.scalar(sa.select(Person).where(Person.email == email))
    if existing is not None:
        _mail_existing_account(existing)
        return None
    person = Person(
        email=email,
        password_hash=password_hash,
        name=name.strip(),
        phone=(phone or "").strip() or None,
    )
    db.session.add(person)
    db.session.flush()
    send_verification(person)
    return person


def _mail(person: Person, subject: str, body: str, to: str | None = None) -> None:
    """Queue a mail greeting ``person`` by name, to their address or to ``to``."""
    mail.queue_mail(to or person.email, subject, f"Hello {person.name},\n\n{body}")


def _mail_existing_account(person: Person) -> None:
    _mail(
        person,
        "Someone tried to register with your email address",
        "Someone, perhaps you, tried to make a new account with this email address. You already "
        "have an account, so no second one was made.\n\n"
        f"Log in: {link('/login')}\n"
        f"Forgotten your password? Choose a new one: {link('/password/forgot')}\n\n"
        "If it was not you, you need not do anything.\n",
    )


# ---- signed links ------------------------------------------------------------------------------


def link(path: str) -> str:
    base = current_app.config.get("BASE_URL", "") if has_app_context() else ""
    return f"{(base or '').rstrip('/')}{path}"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"mutualaid.{purpose}")


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _read(
    purpose: str, token: str, max_age_seconds: int, message: str
) -> tuple[Person, dict[str, Any]]:
    """The active account a signed link names, and the link's data; else ``message``."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except BadSignature:  # also SignatureExpired
        raise ValidationFailed.field("token", message) from None
    if not isinstance(data, dict):
        raise ValidationFailed.field("token", message)
    person = db.session.get(Person, data.get("p")) if isinstance(data.get("p"), int) else None
    if person is None or not person.is_active_account:
        raise ValidationFailed.field("token", message)
    return person, data


_BAD_VERIFY_LINK = (
    "This confirmation link is not valid or has expired. Log in and ask for a new one."
)


def verification_token(person: Person, email: str | None = None) -> str:
    """A signed link token confirming ``email`` (the account's own by default) for ``person``."""
    return str(_serializer("verify-email").dumps({"p": person.id, "e": email or person.email}))


def send_verification(person: Person, email: str | None = None) -> None:
    """Mail a link that confirms ``email`` (a new address, when changing it) for ``person``."""
    to = email or person.email
    hours = int(current_app.config["VERIFY_EMAIL_HOURS"])
    _mail(
        person,
        "Confirm your email address",
        "Please confirm this email address for your mutualaid account by opening this link "
        f"within {hours} hours:\n\n{link('/verify-email/' + verification_token(person, to))}\n\n"
        "If you did not ask for this, you need not do anything.\n",
        to=to,
    )


def confirm_email(token: str) -> Person:
    """Confirm the address a link was sent to; a new address replaces the old one."""
    hours = int(current_app.config["VERIFY_EMAIL_HOURS"])
    person, data = _read("verify-email", token, hours * 3600, _BAD_VERIFY_LINK)
    email = data.get("e")
    if not isinstance(email, str):
        raise ValidationFailed.field("token", _BAD_VERIFY_LINK)
    if email != person.email:
        taken = db.session.scalar(
            sa.select(Person.id).where(Person.email == email, Person.id != person.id)
        )
        if taken is not None:
            raise ValidationFailed.field("token", "That address now belongs to another account.")
        person.email = email
        person.email_verified_dt = utcnow()
    elif person.email_verified_dt is None:
        person.email_verified_dt = utcnow()
    db.session.flush()
    return person


# ---- password reset ----------------------------------------------------------------------------

#: What asking for a reset answers, whether or not the account exists.
RESET_REQUESTED = (
    "If an account has that email address, we have sent it a link to choose a new password. "
    "The link works once, within an hour."
)
_BAD_RESET_LINK = (
    "This link to choose a new password is not valid, has been used, or has expired. "
    "Ask for a new one."
)


def reset_token(person: Person) -> str:
    """Single use: it names the current password hash, which the reset replaces."""
    return str(
        _serializer("reset-password").dumps(
            {"p": person.id, "f": _fingerprint(person.password_hash)}
        )
    )


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has ``email``; say nothing either way."""
    try:
        email = normalise_email(email or "")
    except ValidationFailed:
        return
    person = db.session.scalar(sa.select(Person).where(Person.email == email))
    if person is None or not person.is_active_account:
        return
    minutes = int(current_app.config["RESET_PASSWORD_MINUTES"])
    _mail(
        person,
        "Choose a new password",
        "Someone, perhaps you, asked to choose a new password for your mutualaid account. Open "
        f"this link within {minutes} minutes; it works once:\n\n"
        f"{link('/password/reset/' + reset_token(person))}\n\n"
        "If it was not you, you need not do anything: your password stays as it is.\n",
    )


def person_for_reset(token: str) -> Person:
    """The account a reset link is for, while it is valid."""
    minutes = int(current_app.config["RESET_PASSWORD_MINUTES"])
    person, data = _read("reset-password", token, minutes * 60, _BAD_RESET_LINK)
    if data.get("f") != _fingerprint(person.password_hash):
        raise ValidationFailed.field("token", _BAD_RESET_LINK)
    return person


def reset_password(token: str, password: str) -> Person:
    """Set a new password from a reset link; every session and token of the account ends.

    A link that worked has confirmed the address too.
    """
    person = person_for_reset(token)
    set_password(person, password)
    if person.email_verified_dt is None:
        person.email_verified_dt = utcnow()
    end_sessions(person)
    return person


# ---- sessions, tokens, profile -----------------------------------------------------------------


def end_sessions(person: Person, keep_token_id: int | None = None) -> None:
    """End every browser session and revoke every API token (but ``keep_token_id``)."""
    person.session_version = (person.session_version or 0) + 1
    query = sa.update(ApiToken).where(
        ApiToken.person_id == person.id, ApiToken.is_revoked.is_(False)
    )
    if keep_token_id is not None:
        query = query.where(ApiToken.id != keep_token_id)
    db.session.execute(query.values(is_revoked=True))
    db.session.flush()


def end_browser_sessions(person: Person) -> None:
    """Log out everywhere in browsers (API tokens go on until revoked)."""
    person.session_version = (person.session_version or 0) + 1
    db.session.flush()


def check_password(person: Person, password: str) -> bool:
    try:
        return bool(_hasher().verify(person.password_hash, password or ""))
    except (VerificationError, InvalidHashError):
        return False


def change_password(
    person: Person, current: str, new: str, keep_token_id: int | None = None
) -> None:
    """Change the password; every other session and token ends (the caller keeps its own)."""
    errors: dict[str, list[str]] = {}
    if not check_password(person, current):
        errors["current_password"] = ["Your current password is not right."]
    if problems := passwords.problems(new, person.email, person.name):
        errors["password"] = problems
    if errors:
        raise ValidationFailed("The password is not changed.", errors)
    set_password(person, new)
    end_sessions(person, keep_token_id)


def update_profile(person: Person, data: dict[str, Any]) -> str | None:
    """Change name and phone at once; a new email is changed once confirmed from that address.

    Returns the address a confirmation link went to, if any. The answer is the same whether or
    not another account has the new address (its owner is told instead).
    """
    errors: dict[str, list[str]] = {}
    new_email = None
    if "email" in data:
        try:
            new_email = normalise_email(data["email"] or "")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if "name" in data and not (data["name"] or "").strip():
        errors.setdefault("name", []).append("Enter your name.")
    if errors:
        raise ValidationFailed("The profile has errors.", errors)
    if "name" in data:
        person.name = data["name"].strip()
    if "phone" in data:
        person.phone = (data["phone"] or "").strip() or None
    db.session.flush()
    if new_email is None or new_email == person.email:
        return None
    owner = db.session.scalar(sa.select(Person).where(Person.email == new_email))
    if owner is not None:
        _mail_existing_account(owner)
    else:
        send_verification(person, new_email)
    _mail(
        person,
        "A change of email address was asked for",
        "Someone logged in to your account asked to change its email "
        f"address. It changes once the new address is confirmed. If it was not you, change your "
        f"password: {link('/account')}\n",
    )
    return new_email


def active_tokens(person: Person) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(
                ApiToken.person_id == person.id,
                ApiToken.is_revoked.is_(False),
                ApiToken.expires_dt > utcnow(),
            )
            .order_by(ApiToken.created_dt.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(person: Person, token_id: int) -> ApiToken:
    """Revoke one of ``person``'s own tokens (404 for anyone else's)."""
    row = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if row is None or row.person_id != person.id:
        raise NotFound("No such token.")
    row.is_revoked = True
    db.session.flush()
    return row


def token_row(token: str) -> ApiToken | None:
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))


def set_active(person: Person, actor: Person, active: bool) -> Person:
    """An admin deactivates (or reactivates) an account: no logging in, every token stops."""
    if not actor.is_admin:
        raise Forbidden("Only an admin can deactivate an account.")
    if person.id == actor.id and not active:
        raise ValidationFailed.field("person", "You cannot deactivate your own account.")
    return set_account_active(person, active)


def set_account_active(person: Person, active: bool) -> Person:
    """Deactivate (or reactivate) an account; its sessions end and its tokens are revoked.

    For an admin's request (:func:`set_active`) or an operator's command.
    """
    if person.erased_dt is not None:
        raise ValidationFailed.field("person", "This account was erased.")
    person.is_active_account = active
    if not active:
        end_sessions(person)
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


#: Whether a person has confirmed their address (a query that joins ``Person`` to a need's or
#: offer's owner can test it there; :func:`published` otherwise).
CONFIRMED = Person.email_verified_dt.is_not(None)


def published(owner_id: Any, viewer: Person | None = None) -> sa.ColumnElement[bool]:
    """Whether a need's or offer's owner (``owner_id``: its column) has confirmed their address.

    Until then their needs and offers are not published: no list, queue or matching run shows
    them to anyone but their owner (``viewer``).
    """
    confirmed = owner_id.in_(sa.select(Person.id).where(CONFIRMED))
    viewer_id = getattr(viewer, "id", None)
    return sa.or_(confirmed, owner_id == viewer_id) if viewer_id is not None else confirmed


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

"""The password rule: long enough, not one of the most common, not the account's own name or email.

The common passwords are the 10,000 most frequent of the list that ships with ``zxcvbn``
(MIT licence; its ``passwords`` frequency list, drawn from leaked-password corpora).
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Fewest characters in a password (NCSC and NIST advise length over composition rules).
MIN_LENGTH = 10
#: Longest password accepted (the hash is the cost, not the storage).
MAX_LENGTH = 1000
#: How many of the most common passwords are refused.
COMMON_COUNT = 10_000


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_COUNT])


def _folded(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def problems(password: str, email: str | None = None, name: str | None = None) -> list[str]:
    """What is wrong with ``password`` for this account, in words for people; empty if nothing."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if not password.strip():
        return ["Use more than spaces."]
    folded = _folded(password)
    if folded in _common() or len(set(folded)) == 1:
        return ["This password is one of the most common, so it is easy to guess. Choose another."]
    personal = {_folded(x) for x in (email, (email or "").partition("@")[0], name) if x}
    if folded in personal:
        return ["Do not use your name or email address as your password."]
    return []

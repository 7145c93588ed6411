"""Operator accounts with Argon2 password hashes, made by `tracker admin create-user`."""

from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.store import operators
from tracker.store.engine import Store

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # a longer "password" is a denial of service on the hash, not a password
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not the password of anyone")


class AccountError(ValueError):
    """A name or password that cannot be used; the message says why."""


def check_new(name: str, password: str) -> None:
    if not NAME.match(name):
        raise AccountError(
            f"{name!r}: a name is 1 to 64 letters, digits, dots, dashes or underscores"
        )
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")


def create_user(store: Store, name: str, password: str, now: datetime) -> None:
    """Add an operator with an Argon2 hash of ``password`` (AccountError, OperatorExists)."""
    check_new(name, password)
    with store.sessions.begin() as session:
        operators.create_operator(session, name, _HASHER.hash(password), now)


def set_user_password(store: Store, name: str, password: str) -> None:
    """Give an operator a new password; their sessions end."""
    check_new(name, password)
    with store.sessions.begin() as session:
        operators.set_password(session, name, _HASHER.hash(password))


def verify(store: Store, name: str, password: str) -> int | None:
    """The operator's id when the password is right, else None (same cost either way)."""
    if len(password) > MAX_PASSWORD:
        return None
    with store.readers.begin() as session:
        found = operators.password_hash_of(session, name)
    stored = found[1] if found else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return found[0] if found else None

"""Operator accounts and dashboard sessions: rows only (hashing and cookies are the web's job)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.store.models import Operator, OperatorSession, SecretKey


class OperatorExists(ValueError):
    """An account of that name exists already."""


@dataclass(frozen=True)
class LoggedIn:
    operator: str
    csrf: str
    expires_at: datetime


def any_operator(session: Session) -> bool:
    """Whether any operator account exists (the dashboard is off until one does)."""
    return bool(session.scalar(select(exists().where(Operator.id.is_not(None)))))


def create_operator(session: Session, name: str, password_hash: str, now: datetime) -> None:
    """Add an account; OperatorExists if the name is taken."""
    if session.scalar(select(Operator.id).where(Operator.name == name)) is not None:
        raise OperatorExists(f"an operator named {name!r} exists already")
    session.add(Operator(name=name, password_hash=password_hash, created_at=now))
    try:
        session.flush()
    except IntegrityError as exc:  # created by someone else meanwhile
        raise OperatorExists(f"an operator named {name!r} exists already") from exc


def set_password(session: Session, name: str, password_hash: str) -> None:
    """Replace an account's password hash and end its sessions."""
    operator = session.scalar(select(Operator).where(Operator.name == name))
    if operator is None:
        raise LookupError(f"no operator named {name!r}")
    operator.password_hash = password_hash
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))
    session.flush()


def password_hash_of(session: Session, name: str) -> tuple[int, str] | None:
    """The account's id and stored hash, or None."""
    row = session.execute(
        select(Operator.id, Operator.password_hash).where(Operator.name == name)
    ).first()
    return None if row is None else (row[0], row[1])


def start_session(
    session: Session, operator_id: int, token_hash: str, now: datetime, lifetime: timedelta
) -> LoggedIn:
    """Record a login; expired sessions of every operator are removed on the way."""
    session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now))
    csrf = secrets.token_urlsafe(32)
    expires = now + lifetime
    session.add(
        OperatorSession(
            token_hash=token_hash,
            operator_id=operator_id,
            csrf=csrf,
            created_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    name = session.scalar(select(Operator.name).where(Operator.id == operator_id)) or "?"
    return LoggedIn(name, csrf, expires)


def logged_in(session: Session, token_hash: str, now: datetime) -> LoggedIn | None:
    """The live session of that token, or None (unknown or expired)."""
    row = session.execute(
        select(Operator.name, OperatorSession.csrf, OperatorSession.expires_at)
        .join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.token_hash == token_hash, OperatorSession.expires_at > now)
    ).first()
    return None if row is None else LoggedIn(row[0], row[1], row[2])


def end_session(session: Session, token_hash: str) -> None:
    session.execute(delete(OperatorSession).where(OperatorSession.token_hash == token_hash))


def secret(session: Session, name: str) -> str:
    """A random secret kept in the database under ``name``, made on first use."""
    value = session.scalar(select(SecretKey.value).where(SecretKey.name == name))
    if value is not None:
        return value
    made = secrets.token_hex(32)
    try:
        with session.begin_nested():
            session.add(SecretKey(name=name, value=made))
    except IntegrityError:  # another process made it first: use theirs
        pass
    stored = session.scalar(select(SecretKey.value).where(SecretKey.name == name))
    assert stored is not None
    return stored

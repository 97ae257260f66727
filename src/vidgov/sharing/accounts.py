"""Accounts: Argon2-hashed passwords, expiring sessions and bearer tokens.

Secrets handed to clients are random (``secrets.token_urlsafe``); the store keeps only their
SHA-256 digest, and a disabled account loses its live credentials at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vidgov.domain.divisions import Divisions, normalize_code
from vidgov.errors import InvalidInput
from vidgov.sharing.models import Credential, User
from vidgov.sharing.policy import Role, Scope, scope_of, scope_prefix

MIN_PASSWORD_LENGTH = 8
_HASHER = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same,
# so a stranger cannot learn which usernames exist.
_DUMMY_HASH = _HASHER.hash("vidgov-no-such-user")


class CredentialKind(StrEnum):
    SESSION = "session"
    BEARER = "bearer"


@dataclass(frozen=True)
class Account:
    """A signed-in user as the service sees them: who, what role, which cameras."""

    id: int
    username: str
    role: Role
    scopes: tuple[str, ...]
    department: str | None
    maintenance_unit: str | None
    scope: Scope


def account_of(user: User, divisions: Divisions) -> Account:
    role = Role(user.role)
    return Account(
        id=user.id, username=user.username, role=role, scopes=tuple(user.scopes),
        department=user.department, maintenance_unit=user.maintenance_unit,
        scope=scope_of(user.scopes, user.maintenance_unit, role, divisions))


def create_user(
    session: Session, username: str, password: str, role: Role, scopes: Sequence[str],
    divisions: Divisions, department: str | None = None, maintenance_unit: str | None = None,
) -> User:
    """Add an account; refuses weak passwords, unknown scopes and a unit user with no unit."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput(f"username {username!r}: 1-64 characters, no spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if not scopes:
        raise InvalidInput("a user needs at least one --scope (an admin code, 450000 for all)")
    codes = [normalize_code(c) for c in scopes]
    for code in codes:
        scope_prefix(code, divisions)  # raises on an unknown code
    if role is Role.MAINTENANCE_UNIT and not maintenance_unit:
        raise InvalidInput("a maintenance_unit user needs --maintenance-unit NAME")
    user = User(username=username, password_hash=_HASHER.hash(password), role=role.value,
                scopes=codes, department=department, maintenance_unit=maintenance_unit,
                disabled=False, created_at=datetime.now(UTC))
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise InvalidInput(f"user {username!r} already exists") from exc
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def disable_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InvalidInput(f"no user {username!r}")
    user.disabled = True
    session.execute(delete(Credential).where(Credential.user_id == user.id))
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """A new password for an existing account; its live credentials end."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InvalidInput(f"no user {username!r}")
    user.password_hash = _HASHER.hash(password)
    session.execute(delete(Credential).where(Credential.user_id == user.id))
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the password is right and the account enabled; None otherwise."""
    if "\x00" in username:  # no account has one, and PostgreSQL text cannot hold it
        username = ""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def issue_credential(session: Session, user: User, kind: CredentialKind, ttl_s: int,
                     now: datetime | None = None) -> str:
    """A new secret for ``user``, valid ``ttl_s`` seconds; only its digest is stored."""
    now = now or datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    session.add(Credential(digest=_digest(secret), user_id=user.id, kind=kind.value,
                           issued_at=now, expires_at=now + timedelta(seconds=ttl_s)))
    # Expired credentials are removed as new ones are issued, so the table stays small.
    session.execute(delete(Credential).where(Credential.expires_at < now))
    return secret


def resolve_credential(session: Session, secret: str, kind: CredentialKind,
                       now: datetime | None = None) -> User | None:
    """The enabled user a live secret belongs to, or None."""
    now = now or datetime.now(UTC)
    credential = session.get(Credential, _digest(secret))
    if credential is None or credential.kind != kind.value:
        return None
    if _aware(credential.expires_at) <= now:
        return None
    user = session.get(User, credential.user_id)
    return None if user is None or user.disabled else user


def revoke_credential(session: Session, secret: str) -> None:
    session.execute(delete(Credential).where(Credential.digest == _digest(secret)))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

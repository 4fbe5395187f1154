"""Personal tokens for the staff API: made on the command line and shown once, kept only as a
keyed hash, sent as `Authorization: Bearer …`, revocable.

A token acts as its user: the same role and organisation, so the same cases as on the web. It
never opens a web page and never becomes a session (no cookie, so no CSRF): only the staff
API reads it, through `user_for_bearer`.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wagechannel.accounts.models import ApiToken, User
from wagechannel.accounts.services import record
from wagechannel.crypto import keyring
from wagechannel.db import utcnow
from wagechannel.errors import DomainError
from wagechannel.validation import clean_text

PREFIX = "wc_"  # recognisable in a leaked file or a secret scanner's rules
MAX_TOKEN_LENGTH = 100  # longer than any token made here: refused before hashing
MAX_LABEL = 64
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def _digest(raw: str) -> str:
    # Keyed (HMAC): a copy of the table alone does not let anyone test guesses.
    return keyring().digest(f"api-token:{raw}")


def create_token(session: Session, user: User, *, label: str | None = None) -> tuple[ApiToken, str]:
    """A new token for an active account: the stored row and the token itself, which is never
    stored and cannot be shown again."""
    if not user.is_active_account:
        raise DomainError(f"账号 {user.username} 已停用，不能发放令牌。", field="username")
    name = clean_text(label)
    if name is not None and len(name) > MAX_LABEL:
        raise DomainError(f"备注最多{MAX_LABEL}个字。", field="label")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_digest(raw), label=name, created_at=utcnow())
    session.add(token)
    session.flush()
    record(session, "api_token_created", object_type="api_token", object_id=token.id,
           user=user.username, label=name)
    return token, raw


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Stop a token at once; the row stays (when it was made and last used)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise DomainError(f"没有编号为 {token_id} 的令牌。", field="id")
    if token.revoked_at is not None:
        raise DomainError(f"令牌 {token_id} 已经停用了。", field="id")
    token.revoked_at = utcnow()
    session.flush()
    record(session, "api_token_revoked", object_type="api_token", object_id=token.id,
           user=token.user.username)
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id)))


def bearer(header: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_TOKEN_LENGTH \
            or not value.isascii():
        return None
    return value


def user_for_bearer(session: Session, header: str | None, *,
                    now: datetime | None = None) -> User | None:
    """The active account a Bearer header stands for, or None (no token, an unknown or revoked
    one, a deactivated account). Notes the use, at most once a minute (flushed: the caller
    commits)."""
    raw = bearer(header)
    if raw is None:
        return None
    token = session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                           .where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active_account:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return token.user

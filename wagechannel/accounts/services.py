"""Accounts: creation, password checks, and the audit log."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from wagechannel.accounts.models import ROLES, AuditEvent, User
from wagechannel.errors import DomainError

ORG_ROLES = {"legal_aid_staff": "legal_aid", "lawyer": "legal_aid", "bureau_liaison": "bureau"}


def create_user(session: Session, *, username: str, password: str, role: str,
                display_name: str | None = None, organisation_id: int | None = None,
                contractor_id: int | None = None) -> User:
    from wagechannel.places.models import Contractor, Organisation

    username = username.strip()
    if not username:
        raise DomainError("用户名不能为空。", field="username")
    if role not in ROLES:
        raise DomainError(f"角色必须是 {', '.join(ROLES)} 之一。", field="role")
    if len(password) < 8:
        raise DomainError("密码至少8位。", field="password")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise DomainError(f"用户名 {username} 已存在。", field="username")
    if role in ORG_ROLES:
        organisation = session.get(Organisation, organisation_id) if organisation_id else None
        if organisation is None or organisation.kind != ORG_ROLES[role]:
            raise DomainError("该角色必须属于一个对应类型的机构。", field="organisation_id")
    elif organisation_id is not None:
        raise DomainError("该角色不属于任何机构。", field="organisation_id")
    if role == "contractor":
        if contractor_id is None or session.get(Contractor, contractor_id) is None:
            raise DomainError("施工单位账号必须对应一个施工总承包单位。", field="contractor_id")
    elif contractor_id is not None:
        raise DomainError("只有施工单位账号可以关联施工总承包单位。", field="contractor_id")
    user = User(username=username, display_name=display_name or username,
                password_hash=generate_password_hash(password), role=role,
                organisation_id=organisation_id, contractor_id=contractor_id)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """A new password ends every session the user has."""
    if len(password) < 8:
        raise DomainError("密码至少8位。", field="password")
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def set_active(user: User, active: bool) -> None:
    """Deactivating an account ends its sessions at once."""
    user.is_active_account = active
    end_sessions(user)


def end_sessions(user: User) -> None:
    user.session_version = (user.session_version or 0) + 1


_dummy_hash: str | None = None


def _unknown_user_hash() -> str:
    """A hash made like a real one, once: checking a password against it costs what checking
    a real account costs, so timing does not tell which usernames exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash(secrets.token_urlsafe(16))
    return _dummy_hash


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active_account:
        check_password_hash(_unknown_user_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def record(session: Session, action: str, *, actor: User | None = None,
           object_type: str | None = None, object_id: Any = None, ip: str | None = None,
           **detail: Any) -> AuditEvent:
    event = AuditEvent(action=action, actor_id=actor.id if actor else None,
                       object_type=object_type,
                       object_id=None if object_id is None else str(object_id),
                       ip=ip, detail=detail)
    session.add(event)
    return event

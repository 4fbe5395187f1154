"""Accounts, roles and the audit log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow

ROLES = {
    "admin": "管理员",
    "legal_aid_staff": "法律援助中心工作人员",
    "lawyer": "法律援助律师",
    "bureau_liaison": "人社部门联络人",
    "contractor": "施工总承包单位",
}


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractor.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Part of every session's id: raising it (logout, a new password, deactivation) ends every
    # session of the user, copied cookies included.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation = relationship("Organisation")
    contractor = relationship("Contractor")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        """The session's user id: the account and its session version (Flask-Login's
        alternative id), so a session outlives neither a logout nor a new password."""
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


class AuditEvent(Base):
    """Who did or saw what, when: every view or export of personal data lands here."""

    __tablename__ = "audit_event"
    # A case's timeline (its events in time order) and the audit search by user.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id", "at"),
                      Index("ix_audit_event_actor_at", "actor_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor = relationship("User")


class ApiToken(Base):
    """A personal token for the staff API (`Authorization: Bearer …`), kept only as a keyed
    hash; shown once when made, revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

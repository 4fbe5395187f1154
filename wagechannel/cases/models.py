"""Legal-aid work on one or more leads, and the workers it helps."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from datetime import date

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow
from wagechannel.deadlines.limits import KIND_LABELS

CASE_STATUSES = {
    "pending": "待受理",
    "accepted": "已受理",
    "decided": "已决定给予法律援助",
    "assigned": "已指派律师",
    "in_progress": "办理中",
    "closed": "已结案",
    "refused": "不予法律援助",
}


class Case(Base):
    # "case" is a reserved word in SQL.
    __tablename__ = "legal_case"
    # One index per queue, in the queue's order (most urgent, then oldest first).
    __table_args__ = tuple(
        Index(f"ix_legal_case_queue_{name}", *columns, column("priority").desc(), "created_at", "id")
        for name, columns in (("centre", ("legal_aid_org_id",)), ("bureau", ("bureau_org_id",)),
                              ("lawyer", ("lawyer_id",)), ("all", ())))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    legal_aid_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    bureau_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)
    priority_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The earliest last day of the claimants' arbitration limitation (LDMAL art. 27), kept with
    # the priority so lists show it without loading leads; provisional across unpublished years.
    limitation_end: Mapped[date | None] = mapped_column(Date)
    limitation_kind: Mapped[str | None] = mapped_column(String(16))  # arbitration | sue | appeal
    limitation_provisional: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    legal_aid_org = relationship("Organisation", foreign_keys=[legal_aid_org_id])
    bureau_org = relationship("Organisation", foreign_keys=[bureau_org_id])
    project = relationship("Project")
    region = relationship("Region")
    lawyer = relationship("User", foreign_keys=[lawyer_id])
    leads = relationship("Lead", foreign_keys="Lead.case_id", back_populates="case",
                         order_by="Lead.id")
    claimants: Mapped[list[Claimant]] = relationship(back_populates="case",
                                                     order_by="Claimant.id")

    @property
    def status_label(self) -> str:
        return CASE_STATUSES.get(self.status, self.status)

    @property
    def limitation_label(self) -> str:
        return KIND_LABELS.get(self.limitation_kind or "", "期限")


class Claimant(Base):
    """当事人 / 受援人: one worker on a case, from the lead that brought them."""

    __tablename__ = "claimant"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), unique=True)
    name: Mapped[str | None] = mapped_column(String(64))
    amount_owed_fen: Mapped[int | None] = mapped_column(BigInteger)

    case: Mapped[Case] = relationship(back_populates="claimants")
    lead = relationship("Lead")

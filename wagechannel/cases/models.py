"""Legal-aid work on one or more leads, and the workers it helps."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, column)
from sqlalchemy import false as sa_false
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
# Legal Aid Law art. 42(3): a migrant worker claiming wages is exempt from the hardship check;
# art. 41: otherwise the worker's signed commitment (个人诚信承诺) shows it.
HARDSHIP_BASES = {"exempt_42_3": "农民工请求支付劳动报酬，免予核查经济困难状况（法律援助法第42条第3项）",
                  "commitment_41": "本人签署经济困难状况承诺（法律援助法第41条）"}
ROUTES = {"negotiation": "协商", "mediation": "调解", "arbitration": "劳动仲裁",
          "litigation": "诉讼", "payment_order": "支付令", "inspection": "转劳动保障监察"}
ROUTE_DATES = {"filed_on": "申请或起诉日", "accepted_on": "受理日", "hearing_on": "开庭或调解日",
               "decided_on": "裁决书、判决书或调解书送达日"}
OUTCOMES = {"recovered": "全部追回", "partial": "部分追回", "withdrawn": "撤回",
            "unreachable": "联系不上当事人", "transferred": "移交其他机构"}
# What a closed case may say: the outcomes staff choose, and a case emptied by a merge.
OUTCOME_LABELS = {**OUTCOMES, "merged": "并入其他案件"}
PAYERS = {"employer": "用人单位或包工头", "general_contractor": "施工总承包单位先行清偿（条例第30条）",
          "wage_deposit": "工资保证金", "other": "其他"}
TIERS = {"urgent": "紧急", "priority": "优先", "routine": "常规"}
TIER_RANKS = {"urgent": 0, "priority": 1, "routine": 2}
COLLECTIVE_LEVELS = {"collective": "群体性案件（10人以上）", "major": "重大群体性案件（30人以上）"}
CONTACT_CHANNELS = {"phone": "电话", "visit": "来访", "wechat": "微信", "other": "其他"}
REFERRAL_STATUSES = {"referred": "已转人社部门", "accepted": "人社部门已受理",
                     "ordered": "已责令支付", "resolved": "已处理完毕", "declined": "人社部门不予受理"}
ALERT_KINDS = {"conflict": "发生冲突或受到威胁", "minor": "涉及未成年人", "routed_above": "由上级机构受理",
               "referral": "转来的投诉"}


class Case(Base):
    # "case" is a reserved word in SQL.
    __tablename__ = "legal_case"
    # One index per queue, in the queue's order (most urgent, then oldest first).
    __table_args__ = (
        *(Index(f"ix_legal_case_queue_{name}", *columns, column("priority").desc(), "created_at",
                "id")
          for name, columns in (("centre", ("legal_aid_org_id",)), ("bureau", ("bureau_org_id",)),
                                ("lawyer", ("lawyer_id",)), ("all", ()))),
        # The queue by tier, then the nearest time limit, then age.
        *(Index(f"ix_legal_case_tiers_{name}", *columns, "tier_rank", "limitation_end",
                "created_at", "id")
          for name, columns in (("centre", ("legal_aid_org_id",)), ("bureau", ("bureau_org_id",)),
                                ("lawyer", ("lawyer_id",)), ("all", ()))),
        Index("ix_legal_case_grouping", "project_id", "employer_key", "created_at"),
        # The queue's count of open cases per centre, bureau or lawyer.
        Index("ix_legal_case_centre_status", "legal_aid_org_id", "status"),
        Index("ix_legal_case_bureau_status", "bureau_org_id", "status"),
        Index("ix_legal_case_lawyer_status", "lawyer_id", "status"),
    )

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

    # The workflow (cases/workflow.py): each step's date and what was decided.
    application_date: Mapped[date | None] = mapped_column(Date)  # accepted: the 7 days run from here
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Missing materials, asked for once and all at once (art. 43); the decision clock pauses
    # from the request until they arrive.
    materials_requested: Mapped[list[Any] | None] = mapped_column(JSON)
    materials_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    materials_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hardship_basis: Mapped[str | None] = mapped_column(String(16))
    hardship_proof: Mapped[str | None] = mapped_column(Text)
    aid_before_review: Mapped[bool] = mapped_column(default=False)  # art. 44
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    refusal_referral: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    amount_recovered_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_by: Mapped[str | None] = mapped_column(String(24))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Priority tier inside the green channel, its rank for ordering (0 most urgent), and how
    # many workers the case stands for (群体性 from 10, major from 30).
    tier: Mapped[str] = mapped_column(String(8), default="routine", server_default="routine")
    tier_rank: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    worker_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    collective_level: Mapped[str | None] = mapped_column(String(16))
    # Who the workers say owes them, normalised: reports from one project naming the same boss
    # join one case (cases/collective.py).
    employer_key: Mapped[str | None] = mapped_column(String(64))
    # Only a centre above the site's county serves it: the admin is told.
    routed_above: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    legal_aid_org = relationship("Organisation", foreign_keys=[legal_aid_org_id])
    bureau_org = relationship("Organisation", foreign_keys=[bureau_org_id])
    project = relationship("Project")
    region = relationship("Region")
    lawyer = relationship("User", foreign_keys=[lawyer_id])
    leads = relationship("Lead", foreign_keys="Lead.case_id", back_populates="case",
                         order_by="Lead.id")
    claimants: Mapped[list[Claimant]] = relationship(back_populates="case",
                                                     order_by="Claimant.id")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="case",
                                                         order_by="Assignment.id")
    routes: Mapped[list[CaseRoute]] = relationship(back_populates="case", order_by="CaseRoute.id")

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
    # Where a claimant's result differs from the case's (a collective case).
    amount_recovered_fen: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(16))

    case: Mapped[Case] = relationship(back_populates="claimants")
    lead = relationship("Lead")


class Assignment(Base):
    """A lawyer on a case, from assignment until reassignment: the history stays."""

    __tablename__ = "case_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    lawyer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="assignments")
    lawyer = relationship("User", foreign_keys=[lawyer_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])


class CaseRoute(Base):
    """A way the case is pursued (negotiation, arbitration, a lawsuit...), with its key dates."""

    __tablename__ = "case_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    filed_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    hearing_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship(back_populates="routes")

    @property
    def kind_label(self) -> str:
        return ROUTES.get(self.kind, self.kind)


class CaseContact(Base):
    """A call, visit or message with the worker that staff record (the case's timeline)."""

    __tablename__ = "case_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")


class CaseShare(Base):
    """异地协作: a case shared, read-only, with the centre of the worker's hometown."""

    __tablename__ = "case_share"
    __table_args__ = (UniqueConstraint("case_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case = relationship("Case")
    organisation = relationship("Organisation")


class Referral(Base):
    """A case referred, with the worker's consent, to the HR bureau's labour inspection."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    bureau_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="referred")
    consent_note: Mapped[str] = mapped_column(Text)  # how and when the worker agreed
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    ordered_on: Mapped[date | None] = mapped_column(Date)  # the order to pay
    resolved_on: Mapped[date | None] = mapped_column(Date)
    result_note: Mapped[str | None] = mapped_column(Text)

    case = relationship("Case")
    bureau_org = relationship("Organisation")

    @property
    def status_label(self) -> str:
        return REFERRAL_STATUSES.get(self.status, self.status)


class Alert(Base):
    """Something an office must see at once (in the app; reminders add other channels)."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)  # None: administrators
    case_id: Mapped[int | None] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case = relationship("Case")

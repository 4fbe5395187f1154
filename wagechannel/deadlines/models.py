"""Deadlines as records, the reminders about them, and the calendar days an admin enters."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow

DEADLINE_STATUSES = {"open": "未到期", "met": "已按期完成", "missed": "已逾期", "cancelled": "已取消"}
REMINDER_STATUSES = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
CHANNELS = {"inapp": "站内消息", "email": "电子邮件", "wecom": "企业微信群", "dingtalk": "钉钉群"}


class CalendarEntry(Base):
    """A day an administrator declares a holiday or a working day (overrides every other
    source: the published calendar and the provisional one)."""

    __tablename__ = "calendar_entry"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column()  # True: a working day (调休上班); False: a holiday
    note: Mapped[str | None] = mapped_column(String(128))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Deadline(Base):
    """One dated obligation of a case, from a rule and a trigger date (deadlines/rules.py)."""

    __tablename__ = "deadline"
    __table_args__ = (Index("ix_deadline_open_due", "status", "due_date"),
                      Index("ix_deadline_case_rule", "case_id", "rule"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_case.id", ondelete="CASCADE"),
                                         index=True)
    rule: Mapped[str] = mapped_column(String(40))
    trigger_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")
    source: Mapped[str | None] = mapped_column(String(64))  # what set it: "lead:12", "route:3"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case = relationship("Case")
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])

    @property
    def status_label(self) -> str:
        return DEADLINE_STATUSES.get(self.status, self.status)


class Reminder(Base):
    """The outbox: one message about a deadline, at one stage, to one recipient, by one
    channel. The unique key makes it exactly once; failed sends are retried with back-off."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"),
                                                    index=True)
    stage: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(256))  # e-mail or webhook, if not in-app
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(256))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deadline = relationship("Deadline")
    user = relationship("User")

    @property
    def status_label(self) -> str:
        return REMINDER_STATUSES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

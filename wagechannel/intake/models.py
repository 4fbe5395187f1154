"""A lead: one worker's report, as submitted. Never edited, only annotated."""
from __future__ import annotations

from datetime import date, datetime

from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from wagechannel.crypto import EncryptedString
from wagechannel.db import Base, UTCDateTime, utcnow

CHANNELS = {
    "qr": "扫码填报",
    "api": "接口",
    "hotline_12348": "12348热线",
    "hotline_12333": "12333热线",
    "walk_in": "窗口来访",
}
WANTS = {"legal_aid": "申请法律援助", "consult": "法律咨询", "complaint": "向人社部门投诉"}
EMPLOYER_KINDS = {"team_leader": "班组长/包工头", "company": "公司"}
TRADES = {
    "general": "普工/小工", "rebar": "钢筋工", "formwork": "木工/模板工", "mason": "泥瓦工/砌筑工",
    "concrete": "混凝土工", "scaffold": "架子工", "electric": "水电工", "welder": "电焊工",
    "painter": "油漆工/装修工", "machine": "机械操作/司机", "other": "其他",
}
EVIDENCE = {
    "attendance": "考勤记录", "payslips": "工资条/记工本", "iou": "工资欠条（老板写的欠条）", "contract": "劳动合同",
    "chats": "微信聊天记录", "transfers": "转账记录", "none": "都没有",
}
URGENT = {"conflict": "发生冲突或受到威胁", "no_money": "没钱吃饭或回家"}
VULNERABLE = {"elderly": "60岁以上", "disabled": "有残疾", "minor": "未满18岁"}
# Asked outright: a blank end date must never pass for "still employed" (LDMAL art. 27).
EMPLOYMENT = {"working": "还在这个工地干活", "ended": "已经不干了",
              "ended_unknown": "已经不干了，记不清哪天"}
WORK_END_PRECISION = {"day": "日", "month": "月"}
AWARDS = {"award": "劳动仲裁裁决书", "judgment": "法院判决书"}
BEST_TIMES = {"any": "随时", "morning": "上午", "noon": "中午", "evening": "晚上"}
EVIDENCE_KINDS = {"photo": "照片", "voice": "语音"}
MESSAGE_DIRECTIONS = {"to_worker": "工作人员", "from_worker": "工人"}
LEAD_RECEIVED = "received"
LEAD_ROUTED = "routed"


class Lead(Base):
    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="qr")
    board_id: Mapped[int | None] = mapped_column(ForeignKey("board.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)

    # Where the worker says the site is, when no board names it (the general form).
    site_name: Mapped[str | None] = mapped_column(String(200))
    site_address: Mapped[str | None] = mapped_column(String(256))
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    name: Mapped[str | None] = mapped_column(String(64))
    # Encrypted at rest (PIPL art. 51); the keyed hash finds the same number again.
    # Deferred: a list that does not show the number never decrypts it.
    phone: Mapped[str | None] = deferred(mapped_column(EncryptedString()))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number: Mapped[str | None] = deferred(mapped_column(EncryptedString()))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    employer_kind: Mapped[str | None] = mapped_column(String(16))
    employer_name: Mapped[str | None] = mapped_column(String(128))
    employer_phone: Mapped[str | None] = mapped_column(String(32))
    subcontractor_name: Mapped[str | None] = mapped_column(String(200))
    trade: Mapped[str | None] = mapped_column(String(16))
    amount_owed_fen: Mapped[int | None] = mapped_column(BigInteger)
    months_unpaid: Mapped[int | None] = mapped_column(Integer)
    workers_affected: Mapped[int] = mapped_column(Integer, default=1)
    work_start: Mapped[date | None] = mapped_column(Date)
    work_end: Mapped[date | None] = mapped_column(Date)
    # working | ended | ended_unknown (then work_end holds the month, or nothing); None on
    # reports taken before the question was asked.
    employment_status: Mapped[str | None] = mapped_column(String(16))
    work_end_precision: Mapped[str | None] = mapped_column(String(8))  # day | month
    # An award or judgment already made (15 days to sue or appeal, LDMAL arts. 48/50), and the
    # last time the worker demanded pay or asked for help (restarts the year, art. 27).
    award_kind: Mapped[str | None] = mapped_column(String(16))
    award_date: Mapped[date | None] = mapped_column(Date)
    demanded_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    urgent: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Optional, ticked by the worker: 60 or older, a disability, under 18 (priority tiers).
    vulnerable: Mapped[list[Any] | None] = mapped_column(JSON)
    hometown: Mapped[str | None] = mapped_column(String(64))
    best_time: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    wants: Mapped[str] = mapped_column(String(16), default="legal_aid")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # A keyed hash of what was sent with an API Idempotency-Key: the same key with other
    # content is refused, never answered with another report's receipt.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=LEAD_RECEIVED, index=True)
    routing_error: Mapped[str | None] = mapped_column(String(256))
    legal_aid_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    bureau_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("legal_case.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Personal data removed after the retention period (PIPL art. 19); the rest stays for counts.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    board = relationship("Board")
    project = relationship("Project")
    region = relationship("Region")
    legal_aid_org = relationship("Organisation", foreign_keys=[legal_aid_org_id])
    bureau_org = relationship("Organisation", foreign_keys=[bureau_org_id])
    case = relationship("Case", foreign_keys=[case_id], back_populates="leads")
    taken_by = relationship("User", foreign_keys=[taken_by_id])
    files: Mapped[list[EvidenceFile]] = relationship(back_populates="lead",
                                                     order_by="EvidenceFile.id")
    messages: Mapped[list[LeadMessage]] = relationship(back_populates="lead",
                                                       order_by="LeadMessage.id")

    @property
    def amount_owed_yuan(self) -> str | None:
        if self.amount_owed_fen is None:
            return None
        yuan, fen = divmod(self.amount_owed_fen, 100)
        return f"{yuan}.{fen:02d}" if fen else str(yuan)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def wants_label(self) -> str:
        return WANTS.get(self.wants, self.wants)


class EvidenceFile(Base):
    """A photo (re-encoded, EXIF stripped) or a voice note sent with a report.

    Kept in the database beside the lead, so the lead and its files commit together. A file
    uploaded with a form that failed validation waits here under the form's nonce
    (upload_key) until the worker submits again.
    """

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"),
                                                index=True)
    upload_key: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lead: Mapped[Lead | None] = relationship(back_populates="files")


class LeadMessage(Base):
    """A message between staff and the worker about a lead, shown at /q/<code>."""

    __tablename__ = "lead_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lead: Mapped[Lead] = relationship(back_populates="messages")
    author = relationship("User")

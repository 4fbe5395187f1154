"""A lead: one worker's report, as submitted. Never edited, only annotated."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow

CHANNELS = {
    "qr": "扫码填报",
    "api": "接口",
    "hotline_12348": "12348热线",
    "hotline_12333": "12333热线",
    "walk_in": "窗口来访",
}
WANTS = {"legal_aid": "申请法律援助", "consult": "法律咨询", "complaint": "向人社部门投诉"}
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

    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    employer_name: Mapped[str | None] = mapped_column(String(128))
    amount_owed_fen: Mapped[int | None] = mapped_column(BigInteger)
    workers_affected: Mapped[int] = mapped_column(Integer, default=1)
    work_start: Mapped[date | None] = mapped_column(Date)
    work_end: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    wants: Mapped[str] = mapped_column(String(16), default="legal_aid")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=LEAD_RECEIVED, index=True)
    routing_error: Mapped[str | None] = mapped_column(String(256))
    legal_aid_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    bureau_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("legal_case.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    board = relationship("Board")
    project = relationship("Project")
    region = relationship("Region")
    legal_aid_org = relationship("Organisation", foreign_keys=[legal_aid_org_id])
    bureau_org = relationship("Organisation", foreign_keys=[bureau_org_id])
    case = relationship("Case", foreign_keys=[case_id], back_populates="leads")

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

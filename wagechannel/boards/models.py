"""A printed notice board and the token its QR code carries."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow
from wagechannel.places.models import Project


class Board(Base):
    __tablename__ = "board"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    token: Mapped[str] = mapped_column(String(10), unique=True)
    layout: Mapped[str] = mapped_column(String(16), default="A2")
    # new boards nobody has scanned yet are found by age (boards.services.new_unscanned_boards)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(16))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("board.id"))

    project: Mapped[Project] = relationship(back_populates="boards")
    replaced_by: Mapped[Board | None] = relationship(remote_side=[id])

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def revoked_reason_label(self) -> str:
        return REVOKE_REASONS.get(self.revoked_reason or "", "已作废")


REVOKE_REASONS = {"stolen": "被偷或丢失", "defaced": "污损看不清", "misused": "被冒用或篡改",
                  "other": "其他原因"}


class BoardScan(Base):
    """Scans of one board on one local day: how many different addresses opened it, nothing
    about who (boards.services.record_scan)."""

    __tablename__ = "board_scan"

    board_id: Mapped[int] = mapped_column(ForeignKey("board.id", ondelete="CASCADE"),
                                          primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class BoardScanVisitor(Base):
    """An address already counted for a board on a local day, as a keyed hash of the address,
    the board and the day (unlinkable across boards and days, unreadable without the hash key).
    Kept two days, then purged (scheduler.purge_scan_visitors); the count stays in BoardScan.

    The day leads the key so the purge reads a range of it."""

    __tablename__ = "board_scan_visitor"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("board.id", ondelete="CASCADE"),
                                          primary_key=True)
    visitor: Mapped[str] = mapped_column(String(32), primary_key=True)

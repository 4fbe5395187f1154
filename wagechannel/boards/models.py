"""A printed notice board and the token its QR code carries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow
from wagechannel.places.models import Project


class Board(Base):
    __tablename__ = "board"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    token: Mapped[str] = mapped_column(String(10), unique=True)
    layout: Mapped[str] = mapped_column(String(16), default="A2")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship(back_populates="boards")

    @property
    def active(self) -> bool:
        return self.revoked_at is None

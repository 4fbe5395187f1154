"""Local time: statutes count days in China Standard Time, timestamps are stored in UTC."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return datetime.now(CHINA).date()


def local(dt: datetime | None) -> datetime | None:
    return dt.astimezone(CHINA) if dt is not None else None

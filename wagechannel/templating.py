"""Template filters and globals shared by every page."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from wagechannel.accounts.privacy import mask_name, mask_phone
from wagechannel.clock import local

if TYPE_CHECKING:
    from flask import Flask


def yuan(fen: int | None) -> str:
    if fen is None:
        return "不清楚"
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d} 元" if cents else f"{whole:,} 元"


def when(value: datetime | None) -> str:
    shown = local(value)
    return shown.strftime("%Y-%m-%d %H:%M") if shown else "—"


def register_template_helpers(app: "Flask") -> None:
    app.add_template_filter(yuan)
    app.add_template_filter(when)
    app.add_template_filter(mask_phone)
    app.add_template_filter(mask_name)

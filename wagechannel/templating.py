"""Template filters and globals shared by every page."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from wagechannel.accounts.privacy import mask_name, mask_phone
from wagechannel.clock import local
from wagechannel.deadlines.limits import days_left_text
from wagechannel.money import yuan, yuan_text

if TYPE_CHECKING:
    from flask import Flask


def when(value: datetime | None) -> str:
    shown = local(value)
    return shown.strftime("%Y-%m-%d %H:%M") if shown else "—"


def register_template_helpers(app: "Flask") -> None:
    app.add_template_filter(yuan)
    app.add_template_filter(yuan_text)
    app.add_template_filter(when)
    app.add_template_filter(mask_phone)
    app.add_template_filter(mask_name)
    app.add_template_filter(days_left_text, "days_left")

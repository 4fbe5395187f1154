"""Collective cases (群体性案件): merging, splitting, and cases routed above their county."""
from __future__ import annotations

from wagechannel.cases.blueprint import bp  # noqa: F401  (routes are added here)

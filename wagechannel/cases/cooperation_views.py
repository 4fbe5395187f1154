"""Working with others: hometown sharing (异地协作) and referrals to the HR bureau."""
from __future__ import annotations

from wagechannel.cases.blueprint import bp  # noqa: F401  (routes are added here)

"""The time limits a wage claimant must meet, computed from what the worker told us.

Rules (LEGAL.md sections 3 and 5; the period starts the day after its trigger, Civil Code
art. 201; a year ends on the matching day or the month's last day, art. 202; a last day on a
rest day moves to the next working day, art. 203 and Civil Procedure Law art. 85):

| kind | trigger | length | source |
|---|---|---|---|
| arbitration | end of employment, or a later demand for pay / request for help | 1 year | LDMAL art. 27 |
| sue | receipt of an arbitration award | 15 days | LDMAL arts. 48, 50 |
| appeal | service of a first-instance judgment | 15 days | Civil Procedure Law art. 171 |

While the worker is still employed the wage limit does not run (art. 27(4)); an unknown end of
employment is never taken for "still employed": it is flagged for staff to ask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wagechannel.deadlines.rules import due_date

ARBITRATION = "arbitration"
SUE = "sue"
APPEAL = "appeal"
KIND_LABELS = {ARBITRATION: "申请劳动仲裁", SUE: "不服裁决向法院起诉", APPEAL: "不服判决上诉"}
CLOSE_DAYS = 30  # inside this, the worker is told to call 12348 today
AID_BEFORE_REVIEW_DAYS = 7  # Legal Aid Law art. 44: aid before review when fewer remain


@dataclass(frozen=True)
class TimeLimit:
    kind: str
    start: date  # the trigger: end of work, the later demand for pay, or receipt of the award
    last_day: date
    provisional: bool  # reaches into a year whose holidays are not yet published
    estimated: bool  # the trigger is only known to the month: counted from its first day

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def days_left(self, today: date) -> int:
        return (self.last_day - today).days


def arbitration_limit(*, work_end: date | None, demanded_on: date | None,
                      estimated: bool = False) -> TimeLimit | None:
    """One year from the end of employment; a later demand for pay restarts it (art. 27)."""
    if work_end is None:
        return None
    start = work_end
    if demanded_on is not None and demanded_on > work_end:
        start, estimated = demanded_on, False
    due = due_date("arbitration_limitation", start)
    return TimeLimit(ARBITRATION, start, due.due, due.provisional, estimated)


def award_limit(kind: str, received: date) -> TimeLimit:
    """15 days from receiving an award (sue) or a judgment (appeal)."""
    due = due_date("suit_after_award" if kind == "award" else "appeal_after_judgment", received)
    return TimeLimit(SUE if kind == "award" else APPEAL, received, due.due, due.provisional,
                     False)


@dataclass(frozen=True)
class LimitFacts:
    """What a lead says about its time limits (kept as plain values, so forms can preview)."""

    employment_status: str | None  # working | ended | ended_unknown | None (not asked)
    work_end: date | None
    work_end_precision: str | None  # day | month
    demanded_on: date | None = None
    award_kind: str | None = None
    award_date: date | None = None

    @property
    def still_working(self) -> bool:
        return self.employment_status == "working"

    @property
    def end_unknown(self) -> bool:
        """Stopped (or never said) and no end date: staff must ask at once."""
        return not self.still_working and self.work_end is None


def facts_of(lead: object) -> LimitFacts:
    return LimitFacts(employment_status=getattr(lead, "employment_status", None),
                      work_end=getattr(lead, "work_end", None),
                      work_end_precision=getattr(lead, "work_end_precision", None),
                      demanded_on=getattr(lead, "demanded_on", None),
                      award_kind=getattr(lead, "award_kind", None),
                      award_date=getattr(lead, "award_date", None))


def limits_for(facts: LimitFacts) -> list[TimeLimit]:
    """Every limit the facts give, the one that runs out first first."""
    limits: list[TimeLimit] = []
    if facts.award_kind and facts.award_date:
        limits.append(award_limit(facts.award_kind, facts.award_date))
    if not facts.still_working:
        arbitration = arbitration_limit(work_end=facts.work_end, demanded_on=facts.demanded_on,
                                        estimated=facts.work_end_precision == "month")
        if arbitration is not None:
            limits.append(arbitration)
    return sorted(limits, key=lambda limit: limit.last_day)


def governing_limit(facts: LimitFacts) -> TimeLimit | None:
    """The limit to act on: an award's 15 days when there is one, else the arbitration year."""
    limits = limits_for(facts)
    for limit in limits:
        if limit.kind in (SUE, APPEAL):
            return limit
    return limits[0] if limits else None


def days_left_text(days: int) -> str:
    """还剩N天 / 今天是最后一天 / 已过N天."""
    if days > 0:
        return f"还剩{days}天"
    if days == 0:
        return "今天是最后一天"
    return f"已过{-days}天"

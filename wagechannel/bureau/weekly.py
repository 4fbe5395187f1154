"""The liaisons' weekly digest: the dashboard's headline numbers for the week before (Monday to
Sunday) in the regions each bureau serves, for the weekly meeting, with a link to the same view
on the dashboard. The reminder tick sends it through the reminder channels (in-app, e-mail, the
bureau's robots) once a week, from the first tick after the digest hour on Monday; a tick that
comes later in the week catches it up, and the outbox's keys keep it to one a week.

Each bureau costs the same four aggregate statements the dashboard's headline does, whatever
the number of reports; the bureaus and their regions are read in one more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.bureau import aggregates as agg
from wagechannel.bureau.filters import Filters, Period
from wagechannel.cases.models import CASE_STATUSES
from wagechannel.money import yuan
from wagechannel.places.models import BUREAU, Organisation, organisation_region


def week_before(today: date) -> Period:
    """Monday to Sunday of the week before the one `today` falls in."""
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(weeks=1), monday - timedelta(days=1))


@dataclass
class Weekly:
    bureau_id: int
    period: Period
    totals: dict[str, int]
    states: dict[str, int]
    referrals: int
    overdue: dict[str, int]


def bureau_regions(session: Session) -> dict[int, list[str]]:
    """The regions each bureau serves, in one statement (bureaus serving none are left out)."""
    found: dict[int, list[str]] = {}
    for org, code in session.execute(
            select(organisation_region.c.organisation_id, organisation_region.c.region_code)
            .join(Organisation, Organisation.id == organisation_region.c.organisation_id)
            .where(Organisation.kind == BUREAU)
            .order_by(organisation_region.c.organisation_id, organisation_region.c.region_code)):
        found.setdefault(org, []).append(code)
    return found


def weekly_numbers(session: Session, bureau_id: int, regions: list[str], today: date) -> Weekly:
    """The headline of the week before, as the dashboard counts it for these regions: reports,
    cases and workers, closures and what they recovered, the week's cases by state; and, as of
    today, the referrals waiting for the bureau and the overdue deadlines."""
    period = week_before(today)
    filters = Filters(period=period)
    totals = agg.measures_of(session.execute(agg.totals_statement(filters, regions)).first(),
                             agg.FACT_NAMES)
    states = {status: 0 for status in CASE_STATUSES}
    for status, _tier, count in session.execute(agg.states_statement(filters, regions)):
        states[status] = states.get(status, 0) + int(count)
    referrals = int(session.scalar(agg.referrals_statement(filters, regions, bureau_id)) or 0)
    overdue = {kind: 0 for kind in agg.OVERDUE_KINDS}
    for kind, count in session.execute(agg.overdue_statement(filters, regions, today)):
        overdue[kind] = int(count)
    return Weekly(bureau_id, period, totals, states, referrals, overdue)


def dashboard_link(base_url: str, period: Period) -> str:
    return f"{base_url}/bureau?" + urlencode({"from": period.start.isoformat(),
                                               "to": period.end.isoformat()})


def message(weekly: Weekly, base_url: str) -> tuple[str, str]:
    """(subject, body) in plain text, as every channel can carry it."""
    totals, period = weekly.totals, weekly.period
    overdue = sum(weekly.overdue.values())
    subject = (f"【每周统计】{period.label} 本辖区：收到反映{totals['reports']}条，"
               f"新立案件{totals['cases']}件，逾期期限{overdue}项")
    reported = f"收到反映：{totals['reports']}条"
    if totals["reports"]:
        claimed = yuan(totals["claimed"]) if totals["claimed_known"] else "未填写"
        reported += f"，主张欠薪合计 {claimed}（{totals['claimed_known']}条填写了金额）"
    lines = [
        f"统计期间：{period.label}（上周一至周日）",
        reported,
        f"新立案件：{totals['cases']}件，涉及工人{totals['workers']}人",
        f"结案：{totals['closed']}件，追回 {yuan(totals['recovered'])}",
    ]
    states = "，".join(f"{CASE_STATUSES[status]}{count}件"
                      for status, count in weekly.states.items() if count)
    if states:
        lines.append(f"上周新立案件目前的状态：{states}")
    lines += [
        f"等待人社部门接收的转交：{weekly.referrals}件（截至今天）",
        f"逾期未办的期限（截至今天）：{agg.OVERDUE_KINDS['bureau']}{weekly.overdue['bureau']}项，"
        f"{agg.OVERDUE_KINDS['green']}{weekly.overdue['green']}项",
        f"统计页（可导出台账和汇总表）：{dashboard_link(base_url, period)}",
    ]
    return subject, "\n".join(lines)

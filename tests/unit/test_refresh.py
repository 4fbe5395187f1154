"""The daily priority refresh: it rewrites exactly the cases whose reasons changed since the last
run (an independent recomputation of every open case is the judge), a missed night included, and
costs the same statements a batch at any size."""
from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from wagechannel.boards.services import issue_board
from wagechannel.cases.models import Case
from wagechannel.cases.priority import (OPEN_STATUSES, PRIORITY_FIELDS, REPEAT_CAP, REPEAT_DAYS,
                                        CaseContext, case_priority, case_settings, local_wage,
                                        refresh_priorities, refresh_selection,
                                        repeat_window)
from wagechannel.clock import CHINA
from wagechannel.intake.models import Lead
from wagechannel.intake.services import Site, store_report
from wagechannel.intake.validation import parse_lead
from wagechannel.places.models import Project
from wagechannel.places.services import create_contractor, create_project

DAY = date(2026, 6, 15)  # outside the season window: its first day in or out changes every case
BOSSES = ["王老板", "李老板", "张老板", "赵老板", "刘老板", None]
_phones = itertools.count(10_000)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA)


class Sites:
    """A few contractors' projects, each with a board: one with 12 sites busy for months (its
    other sites are "10个以上" whatever happens), two with a handful."""

    def __init__(self, db, world) -> None:  # type: ignore[no-untyped-def]
        self.db = db
        self.small = [(world.project, world.board)] + [self._site(world.contractor, n)
                                                        for n in range(2, 6)]
        other = create_contractor(db, name="第二建设有限公司")
        self.small += [self._site(other, n) for n in range(6, 9)]
        busy = create_contractor(db, name="繁忙建设集团有限公司")
        self.busy = [self._site(busy, n) for n in range(20, 33)]
        db.commit()

    def _site(self, contractor, number: int):  # type: ignore[no-untyped-def]
        site = create_project(self.db, contractor=contractor, region_code="440305",
                              name=f"南山区{number}号工地", address=f"南山区测试路{number}号")
        return site, issue_board(self.db, site)


def add_reports(db, sites: Sites, rng: random.Random, count: int, *, first: datetime,  # type: ignore[no-untyped-def]
                last: datetime, today: date, busy_steady: bool = False) -> None:
    """`count` reports through the report path, received between first and last (their cases
    backdated to their first report); some cases closed at once, so later reports about the
    same boss open new ones."""
    for number in range(count):
        if busy_steady:  # one report at each of the busy contractor's first 12 sites
            project, board = sites.busy[number % 12]
        else:
            project, board = rng.choice(sites.small)
        status = rng.random()
        fields: dict[str, Any] = {"name": "张三", "phone": f"139{next(_phones):08d}",
                                  "consent": True,
                                  "amount_owed": str(rng.choice((3000, 9000, 16000, 40000)))}
        boss = rng.choice(BOSSES)
        if boss:
            fields["employer_name"] = boss
        if status < 0.25:
            fields.update(employment_status="working", months_unpaid="2")
        else:  # limits a year on: some past, some near, most far
            end = today - timedelta(days=rng.choice((300, 330, 340, 345, 360, 380, 400, 120, 30)))
            fields.update(employment_status="ended", work_end=end.isoformat())
        if rng.random() < 0.1:
            fields["urgent"] = ["no_money"]
        data = parse_lead(fields, today=today)
        receipt = store_report(db, data, site=Site(board.id, project.id, project.region_code),
                               channel="qr", today=today)
        at = first + (last - first) * rng.random()
        lead = db.get_one(Lead, receipt.lead_id)
        db.execute(update(Lead).where(Lead.id == lead.id).values(created_at=at))
        case = db.get_one(Case, lead.case_id)
        if len(case.leads) == 1:
            case.created_at = at
            if rng.random() < 0.15:
                case.status = "closed"
        db.commit()


def one_new_site_case(db, sites: Sites, at: datetime, today: date) -> None:  # type: ignore[no-untyped-def]
    """The busy contractor's 13th site gets its first case: its other sites stay 10 or more."""
    project, board = sites.busy[12]
    data = parse_lead({"name": "李四", "phone": f"139{next(_phones):08d}", "consent": True,
                       "employer_name": "钱老板", "employment_status": "working",
                       "months_unpaid": "1"}, today=today)
    receipt = store_report(db, data, site=Site(board.id, project.id, project.region_code),
                           channel="qr", today=today)
    lead = db.get_one(Lead, receipt.lead_id)
    db.get_one(Case, lead.case_id).created_at = at
    db.commit()


def judged(db, today: date) -> dict[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every open case's priority recomputed from scratch, counting in Python."""
    settings = case_settings()
    cases = list(db.scalars(select(Case).execution_options(populate_existing=True)))
    contractor = {project: owner for project, owner in
                  db.execute(select(Project.id, Project.contractor_id))}
    since = datetime.combine(today - timedelta(days=REPEAT_DAYS), time(), CHINA)
    window = [c for c in cases if c.project_id and c.created_at >= since]
    values = {}
    for case in cases:
        if case.status not in OPEN_STATUSES or not case.leads:
            continue
        owner = contractor.get(case.project_id) if case.project_id else None
        sites = bosses = 0
        if owner is not None:
            sites = len({c.project_id for c in window if contractor[c.project_id] == owner
                         and c.project_id != case.project_id})
            if case.employer_key:
                bosses = sum(1 for c in window if c.id != case.id
                             and contractor[c.project_id] == owner
                             and c.employer_key == case.employer_key)
        context = CaseContext(other_boss_cases=min(REPEAT_CAP, bosses),
                              other_contractor_sites=min(REPEAT_CAP, sites),
                              wage=local_wage(db, case.project_id, case.region_code),
                              season=settings.season)
        values[case.id] = case_priority(case.leads, today, context)
    return values


def stored(db) -> dict[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return {case.id: {name: getattr(case, name) for name in PRIORITY_FIELDS}
            for case in db.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES))
                                   .execution_options(populate_existing=True))}


def run_as_of(db, today: date) -> None:  # type: ignore[no-untyped-def]
    """The night's run as a full sweep: every open case as it should be today."""
    for case_id, values in judged(db, today).items():
        case = db.get_one(Case, case_id)
        for name, value in values.items():
            setattr(case, name, value)
    db.commit()


def refresh_all(db, today: date, batch: int) -> int:  # type: ignore[no-untyped-def]
    changed, after = 0, 0
    while after is not None:
        done, after = refresh_priorities(db, today, after_id=after, batch=batch)
        changed += done
    return changed


@pytest.mark.parametrize("missed", [0, 1])
def test_the_refresh_rewrites_exactly_the_cases_whose_reasons_changed(db, world, missed) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20 + missed)
    sites = Sites(db, world)
    last_run = DAY - timedelta(days=1 + missed)
    # Months of reports before the last run: some leave the 90 days around today, the busy
    # contractor's 12 sites have cases all along.
    add_reports(db, sites, rng, 12, first=midnight(DAY - timedelta(days=REPEAT_DAYS - 20)),
                last=midnight(DAY - timedelta(days=10)), today=last_run, busy_steady=True)
    add_reports(db, sites, rng, 70, first=midnight(DAY - timedelta(days=REPEAT_DAYS + 4)),
                last=midnight(last_run), today=last_run)
    add_reports(db, sites, rng, 20, first=midnight(DAY - timedelta(days=REPEAT_DAYS + 2)),
                last=midnight(DAY - timedelta(days=REPEAT_DAYS)), today=last_run)
    run_as_of(db, last_run)
    # Reports since (each case's own priority computed as it came in), the busy contractor's
    # 13th site among them.
    add_reports(db, sites, rng, 15, first=midnight(last_run) + timedelta(minutes=10),
                last=midnight(DAY), today=DAY - timedelta(days=1))
    one_new_site_case(db, sites, midnight(DAY) - timedelta(hours=3), DAY - timedelta(days=1))

    before, truth = stored(db), judged(db, DAY)
    stale = {case_id for case_id, values in truth.items() if values != before[case_id]}
    selected = set(db.scalars(refresh_selection(DAY, case_settings(), repeat_window(db, DAY))))
    assert stale <= selected
    busy_far = {case.id for case in db.scalars(
        select(Case).where(Case.project_id.in_([p.id for p, _b in sites.busy[:12]]),
                           Case.status.in_(OPEN_STATUSES)))
        if case.limitation_end is None or case.limitation_end > DAY + timedelta(days=30)}
    assert busy_far and not busy_far & selected  # capped at "10个以上": not even read
    assert len(selected) < len(before)

    assert refresh_all(db, DAY, batch=7) == len(stale) > 0
    assert stored(db) == truth
    assert refresh_all(db, DAY, batch=7) == 0


def test_a_batch_costs_the_same_statements_at_any_size(app, db, world) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    sites = Sites(db, world)
    engine = app.extensions["wagechannel_engine"]
    days = itertools.count(1)

    def two_batches() -> list[int]:
        """Statements of a run's first batch and of its second (each rewriting cases)."""
        today, counts, after = DAY + timedelta(days=next(days)), [], 0
        for _batch in range(2):
            statements: list[str] = []

            def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE",
                                                              "ROLLBACK")):
                    statements.append(statement)
            db.expire_all()
            event.listen(engine, "before_cursor_execute", seen)
            try:
                changed, after = refresh_priorities(db, today, after_id=after, batch=10)
            finally:
                event.remove(engine, "before_cursor_execute", seen)
            assert after is not None and changed > 0  # a full batch, rewritten
            counts.append(len(statements))
        return counts

    def add(count: int) -> None:
        add_reports(db, sites, rng, count, first=midnight(DAY - timedelta(days=120)),
                    last=midnight(DAY - timedelta(days=1)), today=DAY - timedelta(days=1))
    add(80)
    small = two_batches()
    add(320)
    assert two_batches() == small == [6, 4]


def test_cases_of_the_session_read_the_new_values(db, world) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    sites = Sites(db, world)
    add_reports(db, sites, rng, 10, first=midnight(DAY - timedelta(days=30)),
                last=midnight(DAY - timedelta(days=2)), today=DAY - timedelta(days=2))
    cases = list(db.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES))))
    assert refresh_all(db, DAY + timedelta(days=1), batch=3) > 0
    table = Case.__table__
    rows = {row.id: {name: row._mapping[name] for name in PRIORITY_FIELDS}
            for row in db.execute(select(table.c.id, *(table.c[name] for name in PRIORITY_FIELDS)))}
    assert all({name: getattr(case, name) for name in PRIORITY_FIELDS} == rows[case.id]
               for case in cases)

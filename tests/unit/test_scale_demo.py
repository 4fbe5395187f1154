"""`load_scale`: synthetic reports that look like real ones, idempotent per seed, fast."""
from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from wagechannel.boards.models import Board, BoardScan
from wagechannel.boards.services import stale_boards
from wagechannel.cases.models import Case, CaseContact, CaseRoute, Claimant, Referral
from wagechannel.clock import local_today
from wagechannel.deadlines.models import Deadline
from wagechannel.demo import load_demo, load_scale
from wagechannel.intake.models import Lead
from wagechannel.places.models import Contractor, Organisation, Project

CHINA = ZoneInfo("Asia/Shanghai")
TABLES = (Lead, Case, Claimant, CaseContact, CaseRoute, Deadline, Referral, Contractor, Project,
          Board, BoardScan, Organisation)


def counts(db):  # type: ignore[no-untyped-def]
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) for model in TABLES}


def test_a_second_run_with_the_same_seed_adds_nothing(db) -> None:  # type: ignore[no-untyped-def]
    first = load_scale(db, 1200, seed=7)
    assert (first.added, first.existing) == (1200, 0)
    before = counts(db)
    again = load_scale(db, 1200, seed=7)
    assert (again.added, again.existing) == (0, 1200)
    assert counts(db) == before
    more = load_scale(db, 1700, seed=7)  # a larger n adds only the reports beyond
    assert (more.added, more.existing) == (500, 1200)
    after = counts(db)
    assert after["Lead"] == before["Lead"] + 500
    assert after["Contractor"] >= before["Contractor"]  # more reports, perhaps more builders
    keys = db.scalars(select(Lead.idempotency_key).where(Lead.idempotency_key.like("scale:7:%")))
    assert sorted(int(key.split(":")[2]) for key in keys) == list(range(1700))
    other = load_scale(db, 300, seed=8)  # another seed: its own reports, sites and contractors
    assert other.added == 300 and counts(db)["Contractor"] > after["Contractor"]


def test_the_same_seed_draws_the_same_reports(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """In a database of its own, the same seed gives the same reports (codes, amounts,
    bosses, counties, cases' states): what a benchmark on another machine measures."""
    from sqlalchemy.orm import Session

    from tests.scratch_database import scratch_database
    from wagechannel.db import make_engine
    from wagechannel.migrate import upgrade

    def drawn(session):  # type: ignore[no-untyped-def]
        return session.execute(
            select(Lead.idempotency_key, Lead.code, Lead.amount_owed_fen, Lead.employer_name,
                   Lead.region_code, Lead.workers_affected, Case.number, Case.status,
                   Case.worker_count)
            .join(Case, Case.id == Lead.case_id)
            .where(Lead.idempotency_key.like("scale:9:%")).order_by(Lead.idempotency_key)).all()

    load_scale(db, 400, seed=9)
    here = drawn(db)
    with scratch_database(tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                load_scale(session, 400, seed=9)
                there = drawn(session)
        finally:
            engine.dispose()
    assert len(here) == 400 and here == there


def test_the_data_looks_like_real_reports(db) -> None:  # type: ignore[no-untyped-def]
    load_scale(db, 3000, seed=3)
    today = local_today()
    leads = db.execute(select(Lead.created_at, Lead.case_id, Lead.project_id, Lead.region_code,
                              Lead.amount_owed_fen, Lead.channel, Lead.code)).all()
    assert len(leads) == 3000 and len({lead.code for lead in leads}) == 3000
    assert all(lead.case_id is not None for lead in leads)
    days = [lead.created_at.astimezone(CHINA) for lead in leads]
    assert min(days).date() >= today - timedelta(days=3 * 365 + 5)
    assert max(days) <= __import__("datetime").datetime.now(timezone.utc)
    # the winter peak, counted by case (a crew of thirty reporting at once is one event)
    opened = [moment.astimezone(CHINA) for moment in db.scalars(select(Case.created_at))]
    by_month = Counter(day.month for day in opened)
    assert by_month[12] + by_month[1] > 1.6 * (by_month[6] + by_month[7]), by_month
    weekdays = Counter(day.weekday() for day in days)
    assert weekdays[6] < weekdays[2]  # fewer on Sundays
    assert len({lead.region_code for lead in leads}) >= 15
    assert Counter(lead.channel for lead in leads)["qr"] > 1500
    amounts = sorted(lead.amount_owed_fen for lead in leads if lead.amount_owed_fen)
    assert 300_000 < amounts[len(amounts) // 2] < 3_000_000  # a median of some thousands of yuan
    cases = db.execute(select(Case.status, Case.worker_count, Case.collective_level,
                              Case.amount_recovered_fen, Case.outcome, Case.tier, Case.number,
                              Case.created_at, Case.closed_at)).all()
    statuses = Counter(case.status for case in cases)
    assert {"pending", "closed", "in_progress", "refused"} <= set(statuses)
    assert statuses["closed"] > len(cases) / 2  # most old cases are done
    assert any(case.collective_level == "major" for case in cases)
    assert any(case.collective_level == "collective" for case in cases)
    assert len({case.tier for case in cases}) == 3
    assert len({case.number for case in cases}) == len(cases)
    assert all(case.closed_at >= case.created_at for case in cases if case.closed_at)
    recovered = [case for case in cases if case.outcome in ("recovered", "partial")]
    assert recovered and all(case.amount_recovered_fen for case in recovered)
    # a few repeat offenders: a boss named at two or more sites, contractors with many sites
    sites_per_boss = db.execute(
        select(Case.employer_key, func.count(func.distinct(Case.project_id)))
        .where(Case.employer_key.is_not(None)).group_by(Case.employer_key)).all()
    repeat = [key for key, sites in sites_per_boss if sites >= 2]
    assert repeat and len(repeat) < len(sites_per_boss) / 5
    deadlines = Counter(db.scalars(select(Deadline.status)))
    assert {"met", "missed", "open", "cancelled"} <= set(deadlines)
    assert db.scalar(select(func.count(Referral.id)).where(Referral.status == "referred"))
    assert db.scalar(select(func.count(CaseContact.id))) > len(cases) / 2
    silent = db.scalar(select(func.count()).select_from(stale_boards(None, today).subquery()))
    boards = db.scalar(select(func.count(Board.id)))
    assert 0 < silent < boards / 3


def test_it_is_fast_and_keeps_the_demo_working(db) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = load_scale(db, 2000, seed=4)
    assert result.added == 2000 and time.perf_counter() - started < 30
    demo = load_demo(db)  # the demo after the scale data: the same county's offices are shared
    logins = [login for login, _pw, _role in demo.logins]
    assert logins[:4] == ["admin", "staff", "lawyer", "liaison"]
    centres = db.scalars(select(Organisation.name).where(
        Organisation.name == "深圳市南山区法律援助中心")).all()
    assert centres == ["深圳市南山区法律援助中心"]

"""The scheduler process: one per deployment, never inside web workers (APScheduler 3)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from wagechannel.clock import CHINA, local_today
from wagechannel.extensions import db

if TYPE_CHECKING:
    from wagechannel.deadlines.reminders import TickResult

log = logging.getLogger(__name__)
ROUTE_INTERVAL_SECONDS = 60


def route_pending(app: Flask, min_age: timedelta | None = None) -> tuple[int, int]:
    """Route every lead still waiting (its first routing failed); returns (waiting, routed).

    The job leaves leads younger than RETRY_AFTER to the request that stored them."""
    from wagechannel.cases.routing import RETRY_AFTER, route_after_commit, unrouted_lead_ids

    with app.app_context():
        session = db.session
        with_calendar()
        ids = unrouted_lead_ids(session, min_age=RETRY_AFTER if min_age is None else min_age)
        session.rollback()
        routed = sum(route_after_commit(session, lead_id, today=local_today()) for lead_id in ids)
        if ids:
            log.info("routing retry: %d waiting, %d routed", len(ids), routed)
        return len(ids), routed


def with_calendar() -> None:
    """Dates this job computes honour the administrator's calendar entries."""
    from wagechannel.deadlines.calendar import set_entries
    from wagechannel.deadlines.services import calendar_entries
    set_entries(lambda: calendar_entries(db.session))


STASH_HOURS = 24


def purge_stashed_uploads(app: Flask) -> int:
    """Files from forms never submitted again are deleted after a day (collect the minimum)."""
    from sqlalchemy import delete

    from wagechannel.db import utcnow
    from wagechannel.intake.models import EvidenceFile

    with app.app_context():
        with db.unit_of_work() as session:
            result = session.execute(delete(EvidenceFile).where(
                EvidenceFile.lead_id.is_(None),
                EvidenceFile.created_at < utcnow() - timedelta(hours=STASH_HOURS)))
            return int(result.rowcount or 0)


def refresh_priorities(app: Flask) -> int:
    """Keep the queue's order and reasons true as time limits run down: the cases whose reasons
    change today, a batch per short transaction."""
    from wagechannel.cases.services import refresh_priorities as refresh

    changed, after = 0, 0
    with app.app_context():
        with_calendar()
        today = local_today()
        while after is not None:
            with db.unit_of_work() as session:
                done, after = refresh(session, today, after_id=after)
            changed += done
    return changed


def erase_expired_personal_data(app: Flask) -> int:
    """Closed cases past the retention period lose their personal data (PIPL art. 19), a batch
    per transaction so no lock is held long."""
    from wagechannel.cases.retention import erase_batch
    from wagechannel.db import utcnow

    erased = 0
    with app.app_context():
        years = int(app.config["RETENTION_YEARS"])
        while True:
            with db.unit_of_work() as session:
                done = erase_batch(session, now=utcnow(), years=years)
            erased += done
            if not done:
                break
    if erased:
        log.info("retention: personal data of %d reports erased", erased)
    return erased


def purge_scan_visitors(app: Flask) -> int:
    """Which addresses scanned a board is kept two days, only to count each once a day."""
    from wagechannel.boards.services import purge_scan_visitors as purge

    with app.app_context():
        with db.unit_of_work() as session:
            return purge(session, today=local_today())


REMIND_INTERVAL_SECONDS = 60


def remind(app: Flask, now: datetime | None = None, *,
           backfill: bool | None = None) -> "TickResult":
    """One reminder tick (deadlines/reminders.py): seed the intake deadlines, write each
    stage's messages to the outbox once, the liaisons' daily and weekly digests, and deliver what is due. `now`
    is the tick's only clock (tests set it)."""
    from wagechannel.db import utcnow
    from wagechannel.deadlines.reminders import tick
    from wagechannel.deadlines.settings import reminder_settings

    with app.app_context():
        with_calendar()
        result = tick(db.unit_of_work, now=now or utcnow(),
                      settings=reminder_settings(app.config), backfill=backfill)
    delivery = result.delivery
    if (result.seeded or result.written or result.digests or result.weekly or delivery.sent
            or delivery.failed):
        log.info("reminders: %d deadlines seeded, %d settled, %d messages written, %d digests, "
                 "%d weekly digests, %d sent, %d retrying, %d failed", result.seeded,
                 result.settled, result.written, result.digests, result.weekly, delivery.sent,
                 delivery.retrying, delivery.failed)
    return result


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=CHINA)
    scheduler.add_job(route_pending, "interval", seconds=ROUTE_INTERVAL_SECONDS, args=[app],
                      id="route_pending", coalesce=True, max_instances=1,
                      misfire_grace_time=ROUTE_INTERVAL_SECONDS)
    scheduler.add_job(purge_stashed_uploads, "interval", hours=1, args=[app],
                      id="purge_stashed_uploads", coalesce=True, max_instances=1)
    # Reasons change with the date: once a day, just after midnight in China, is enough.
    scheduler.add_job(refresh_priorities, "cron", hour=0, minute=5, args=[app],
                      id="refresh_priorities", coalesce=True, max_instances=1,
                      misfire_grace_time=6 * 3600)
    scheduler.add_job(erase_expired_personal_data, "cron", hour=3, minute=30, args=[app],
                      id="erase_expired_personal_data", coalesce=True, max_instances=1)
    scheduler.add_job(purge_scan_visitors, "cron", hour=1, minute=15, args=[app],
                      id="purge_scan_visitors", coalesce=True, max_instances=1)
    # Reminders: every minute; a late run (the process was busy or stopped) still runs within
    # the hour, once, and never beside itself. A second scheduler process is harmless.
    scheduler.add_job(remind, "interval", seconds=REMIND_INTERVAL_SECONDS, args=[app],
                      id="remind", coalesce=True, max_instances=1, misfire_grace_time=3600)
    return scheduler

"""Routing: a stored lead goes to the legal-aid centre and bureau serving its site, as a case.

Intake stores what the worker said and commits; routing decides who acts on it. A failed
routing leaves the lead received, with the reason, and the scheduler tries again.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.cases.models import Case
from wagechannel.cases.services import open_case
from wagechannel.db import utcnow
from wagechannel.intake.models import LEAD_RECEIVED, LEAD_ROUTED, Lead
from wagechannel.places.models import BUREAU, LEGAL_AID
from wagechannel.places.services import serving_organisations

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(minutes=2)  # younger leads are still being routed by their request


class RoutingFailed(Exception):
    pass


def route_lead(session: Session, lead: Lead, *, today: date) -> Case:
    """Send a stored lead to the legal-aid centre and bureau serving its site; open its case."""
    if lead.case_id is not None:
        return session.get_one(Case, lead.case_id)
    if lead.region_code is None:
        raise RoutingFailed("没有项目所在地，无法确定管辖机构")
    offices = serving_organisations(session, lead.region_code)
    centre, bureau = offices.get(LEGAL_AID), offices.get(BUREAU)
    if centre is None:
        raise RoutingFailed(f"行政区划 {lead.region_code} 没有对应的法律援助中心")
    lead.legal_aid_org_id = centre.id
    lead.bureau_org_id = bureau.id if bureau else None
    case = open_case(session, lead, legal_aid_org=centre, bureau_org=bureau, today=today)
    lead.status = LEAD_ROUTED
    lead.routing_error = None
    session.flush()
    return case


def route_after_commit(session: Session, lead_id: int, *, today: date,
                       stored: Lead | None = None) -> bool:
    """Route a lead that is already committed; on failure record why and leave it received.

    Commits its own work. The lead itself is never at risk here: it was
    committed before this ran, and a failed routing is retried later by
    `wagechannel leads route`.
    """
    try:
        # A lead this request just stored is routed as it is: the scheduler leaves young leads
        # alone. Otherwise SKIP LOCKED (PostgreSQL): a lead another process holds is left to it.
        lead = stored if stored is not None and stored.id == lead_id else session.scalar(
            select(Lead).where(Lead.id == lead_id, Lead.status == LEAD_RECEIVED)
            .with_for_update(skip_locked=True))
        if lead is None:
            session.rollback()
            return False
        route_lead(session, lead, today=today)
        session.commit()
        return True
    except Exception as error:  # any failure: keep the lead, note why, retry later
        session.rollback()
        log.warning("routing lead %s failed: %s", lead_id, error)
        try:
            lead = session.get_one(Lead, lead_id)
            if lead.status == LEAD_RECEIVED:  # another process may have routed it meanwhile
                lead.routing_error = str(error)[:256]
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not record routing failure for lead %s", lead_id)
        return False


RETRY_AFTER = timedelta(minutes=2)  # younger leads are still being routed by their request


def unrouted_lead_ids(session: Session, *, min_age: timedelta = RETRY_AFTER) -> list[int]:
    cutoff = utcnow() - min_age
    return list(session.scalars(select(Lead.id).where(Lead.status == LEAD_RECEIVED,
                                                      Lead.created_at < cutoff)
                                .order_by(Lead.id)))

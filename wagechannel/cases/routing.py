"""Routing: a stored lead goes to the legal-aid centre and bureau serving its site, as a case.

Intake stores what the worker said and commits; routing decides who acts on it. A failed
routing leaves the lead received, with the reason, and the scheduler tries again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session, joinedload

from wagechannel.cache import ProcessCache, watch
from wagechannel.cases.alerts import insert_alerts, report_alerts
from wagechannel.cases.collective import group_report, join_case
from wagechannel.cases.models import Case, Claimant
from wagechannel.cases.priority import CaseSettings, case_settings
from wagechannel.cases.services import new_case_values
from wagechannel.db import utcnow
from wagechannel.intake.models import LEAD_RECEIVED, LEAD_ROUTED, Lead
from wagechannel.places.models import BUREAU, LEGAL_AID, Organisation, Project
from wagechannel.places.services import routable_regions, serving_organisations

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(minutes=2)  # younger leads are still being routed by their request


class RoutingFailed(Exception):
    pass


@dataclass(frozen=True)
class Offices:
    """Who acts on reports from a region: its legal-aid centre and HR bureau (ids), and whether
    that centre serves only a region above it (a city or province: the admin is told)."""

    centre_id: int | None
    bureau_id: int | None
    centre_above: bool = False
    centre_name: str | None = None


# Offices change when an administrator registers or edits one: rarely. Each worker process keeps
# the answer a minute (and forgets it at once after its own change).
_offices: ProcessCache[Offices] = ProcessCache("serving offices")
watch(Organisation, Project)


def offices_for(session: Session, region_code: str) -> Offices:
    """The most specific region with a centre wins: county, then city, then province."""
    def load() -> Offices:
        found = serving_organisations(session, region_code)
        centre, bureau = found.get(LEGAL_AID), found.get(BUREAU)
        above = centre is not None and region_code not in {r.code for r in centre.regions}
        return Offices(centre.id if centre else None, bureau.id if bureau else None, above,
                       centre.name if centre else None)
    return _offices.get(region_code, load)


_routable: ProcessCache[frozenset[str]] = ProcessCache("routable regions")


def routable_region_codes(session: Session) -> frozenset[str]:
    """Regions a report can be routed from (a centre serves them or a region above them)."""
    return _routable.get("all", lambda: frozenset(
        region.code for region in routable_regions(session)))


def no_centre(region_code: str | None) -> str:
    if region_code is None:
        return "没有项目所在地，无法确定管辖机构"
    return f"行政区划 {region_code} 没有对应的法律援助中心"


def open_case(session: Session, lead: Any, *, offices: Offices, project_id: int | None,
              region_code: str | None, today: date, now: datetime | None = None,
              settings: CaseSettings | None = None) -> int:
    """The case for one report (stored, or the input about to be stored): the open case of the
    same boss at the same site when there is one (cases/collective.py), else a new one. Raises
    the report's alerts. Returns the case's id."""
    if offices.centre_id is None:
        raise RoutingFailed(no_centre(region_code))
    now = now or utcnow()
    grouping = group_report(session, lead, project_id=project_id, region_code=region_code,
                            centre_id=offices.centre_id, today=today, now=now,
                            settings=settings or case_settings())
    if grouping.case_id is not None:
        join_case(session, grouping, lead, today=today, now=now)
        case_id, number, bureau_id = grouping.case_id, grouping.number, grouping.bureau_org_id
        routed_above = False  # told when the case was opened
    else:
        values = new_case_values(lead, legal_aid_org_id=offices.centre_id,
                                 bureau_org_id=offices.bureau_id, project_id=project_id,
                                 region_code=region_code, today=today, now=now,
                                 context=grouping.context, employer_key=grouping.key,
                                 routed_above=offices.centre_above)
        case_id = int(session.connection().execute(_INSERT_CASE, values).scalar_one())
        number, bureau_id, routed_above = values["number"], offices.bureau_id, offices.centre_above
    insert_alerts(session, report_alerts(
        lead, case_id=case_id, number=number, centre_id=offices.centre_id, bureau_id=bureau_id,
        routed_above=routed_above, region_code=region_code, centre_name=offices.centre_name,
        now=now))
    return case_id


# Statements built once: on the report path, building and caching them again each time costs
# more than running them.
_INSERT_CASE = insert(Case.__table__).returning(Case.__table__.c.id)
_INSERT_CLAIMANT = insert(Claimant.__table__)


def add_claimant(session: Session, *, case_id: int, lead_id: int, name: str | None,
                 amount_owed_fen: int | None) -> None:
    session.connection().execute(_INSERT_CLAIMANT, {
        "case_id": case_id, "lead_id": lead_id, "name": name, "amount_owed_fen": amount_owed_fen})


def route_lead(session: Session, lead: Lead, *, today: date) -> Case:
    """Send a stored lead to the legal-aid centre and bureau serving its site; open its case."""
    if lead.case_id is not None:
        return session.get_one(Case, lead.case_id)
    if lead.region_code is None:
        raise RoutingFailed(no_centre(None))
    offices = offices_for(session, lead.region_code)
    case_id = open_case(session, lead, offices=offices, project_id=lead.project_id,
                        region_code=lead.region_code, today=today)
    add_claimant(session, case_id=case_id, lead_id=lead.id, name=lead.name,
                 amount_owed_fen=lead.amount_owed_fen)
    lead.legal_aid_org_id, lead.bureau_org_id = offices.centre_id, offices.bureau_id
    lead.case_id = case_id
    lead.status = LEAD_ROUTED
    lead.routing_error = None
    session.flush()
    # populate_existing: a case joined here was changed by a Core UPDATE.
    return session.get_one(Case, case_id, populate_existing=True)


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


def unrouted_leads() -> Select[tuple[Lead]]:
    """Reports no centre has received yet, oldest first, with their site and county (the list
    shows no phone number: nothing is decrypted)."""
    return (select(Lead).options(joinedload(Lead.project), joinedload(Lead.region))
            .where(Lead.status == LEAD_RECEIVED).order_by(Lead.created_at, Lead.id))


def unrouted_lead_ids(session: Session, *, min_age: timedelta = RETRY_AFTER) -> list[int]:
    cutoff = utcnow() - min_age
    return list(session.scalars(select(Lead.id).where(Lead.status == LEAD_RECEIVED,
                                                      Lead.created_at < cutoff)
                                .order_by(Lead.id)))

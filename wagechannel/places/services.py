"""Regions, organisations, contractors and projects: creation, lookup and who may see what."""
from __future__ import annotations

import re

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.errors import DomainError
from wagechannel.places.models import (ORGANISATION_KINDS, Contractor, Organisation, Project,
                                       Region, organisation_region, region_ancestry,
                                       region_prefix)

REGION_CODE = re.compile(r"^[1-9]\d{5}$")


def ensure_region(session: Session, code: str, name: str) -> Region:
    if not REGION_CODE.match(code):
        raise DomainError("行政区划代码应为6位数字（GB/T 2260）。", field="region_code")
    region = session.get(Region, code)
    if region is None:
        region = Region(code=code, name=name)
        session.add(region)
        session.flush()
    return region


def create_organisation(session: Session, *, kind: str, name: str, region_codes: list[str],
                        address: str | None = None, phone: str | None = None) -> Organisation:
    if kind not in ORGANISATION_KINDS:
        raise DomainError("机构类型只能是法律援助中心或人社部门。", field="kind")
    regions = [session.get(Region, code) for code in region_codes]
    if not regions or any(region is None for region in regions):
        raise DomainError("服务区域不存在。", field="region_codes")
    organisation = Organisation(kind=kind, name=name, address=address, phone=phone,
                                regions=[r for r in regions if r is not None])
    session.add(organisation)
    session.flush()
    return organisation


def serving_organisation(session: Session, region_code: str, kind: str) -> Organisation | None:
    """The office of `kind` serving a region: the most specific one (county, then city, province)."""
    ancestry = region_ancestry(region_code)
    rows = session.execute(
        select(Organisation, organisation_region.c.region_code)
        .join(organisation_region, organisation_region.c.organisation_id == Organisation.id)
        .where(Organisation.kind == kind, organisation_region.c.region_code.in_(ancestry))
        .order_by(Organisation.id)
    ).all()
    if not rows:
        return None
    return min(rows, key=lambda row: ancestry.index(row[1]))[0]


def visible_projects(user: User) -> Select[tuple[Project]]:
    """Projects a user may open: a contractor its own, an office those in its regions, admin all."""
    query = select(Project).where(Project.deleted_at.is_(None)).order_by(Project.id)
    if user.role == "admin":
        return query
    if user.role == "contractor":
        return query.where(Project.contractor_id == user.contractor_id)
    if user.organisation is not None:
        codes = [region.code for region in user.organisation.regions]
        prefixes = [region_prefix(code) for code in codes]
        return query.where(or_(*[Project.region_code.startswith(prefix) for prefix in prefixes])
                           if prefixes else false())
    return query.where(false())


def can_view_project(user: User, project: Project) -> bool:
    if project.deleted_at is not None:
        return user.role == "admin"
    if user.role == "admin":
        return True
    if user.role == "contractor":
        return project.contractor_id == user.contractor_id
    if user.organisation is None:
        return False
    served = {region.code for region in user.organisation.regions}
    return any(code in served for code in region_ancestry(project.region_code))


def create_contractor(session: Session, *, name: str, credit_code: str | None = None,
                      phone: str | None = None) -> Contractor:
    if not name.strip():
        raise DomainError("请填写施工总承包单位名称。", field="name")
    contractor = Contractor(name=name.strip(), credit_code=credit_code, phone=phone)
    session.add(contractor)
    session.flush()
    return contractor


def create_project(session: Session, *, contractor: Contractor, region_code: str, name: str,
                   address: str, labour_manager_name: str | None = None,
                   labour_manager_phone: str | None = None) -> Project:
    if session.get(Region, region_code) is None:
        raise DomainError("行政区划不存在。", field="region_code")
    if not name.strip():
        raise DomainError("请填写项目名称。", field="name")
    if not address.strip():
        raise DomainError("请填写项目地址。", field="address")
    project = Project(contractor=contractor, region_code=region_code, name=name.strip(),
                      address=address.strip(), labour_manager_name=labour_manager_name,
                      labour_manager_phone=labour_manager_phone)
    session.add(project)
    session.flush()
    return project

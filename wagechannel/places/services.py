"""Regions, organisations, contractors and projects: creation, lookup and who may see what."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.db import utcnow
from wagechannel.errors import DomainError
from wagechannel.money import yuan_text
from wagechannel.places.models import (ORGANISATION_KINDS, Contractor, Organisation, Project,
                                       Region, Subcontractor, organisation_region,
                                       region_ancestry, region_prefix)
from wagechannel.validation import Invalid, clean_text, parse_int, parse_phone, parse_yuan

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


def serving_organisations(session: Session, region_code: str) -> dict[str, Organisation]:
    """For each kind of office, the one serving a region: the most specific (county, then city,
    then province); one query for all kinds."""
    return serving_organisations_of(session, [region_code])[region_code]


def serving_organisations_of(session: Session,
                             region_codes: Iterable[str]) -> dict[str, dict[str, Organisation]]:
    """serving_organisations for many regions at once, in one query."""
    codes = set(region_codes)
    wanted = {code for region_code in codes for code in region_ancestry(region_code)}
    rows = session.execute(
        select(Organisation, organisation_region.c.region_code)
        .join(organisation_region, organisation_region.c.organisation_id == Organisation.id)
        .where(organisation_region.c.region_code.in_(sorted(wanted)))
        .order_by(Organisation.id)
    ).all() if wanted else []
    serving: dict[str, list[Organisation]] = {}
    for organisation, code in rows:
        serving.setdefault(code, []).append(organisation)
    result: dict[str, dict[str, Organisation]] = {}
    for region_code in codes:
        best: dict[str, Organisation] = {}
        # most specific first: a county's own office wins over its city's and province's
        for code in region_ancestry(region_code):
            for organisation in serving.get(code, []):
                best.setdefault(organisation.kind, organisation)
        result[region_code] = best
    return result


def serving_organisation(session: Session, region_code: str, kind: str) -> Organisation | None:
    """The office of `kind` serving a region (see serving_organisations)."""
    return serving_organisations(session, region_code).get(kind)


def in_regions(column: Any, region_codes: list[str]) -> ColumnElement[bool]:
    """A filter on a region-code column: inside any of the regions (a city covers its counties).

    A range of six-digit codes rather than LIKE 'prefix%', so that an index on the column
    serves it on PostgreSQL whatever the database's collation."""
    ranges = []
    for code in region_codes:
        prefix = region_prefix(code)
        rest = 6 - len(prefix)
        ranges.append(column == code if not rest else
                      column.between(prefix + "0" * rest, prefix + "9" * rest))
    return or_(*ranges) if ranges else false()


def visible_projects(user: User) -> Select[tuple[Project]]:
    """Projects a user may open: a contractor its own, an office those in its regions (county
    by county), admin all. Each order has its index: the primary key, (contractor_id, id),
    (region_code, id)."""
    conditions, order = project_scope(user)
    return select(Project).where(*conditions).order_by(*order)


def project_scope(user: User) -> tuple[list[ColumnElement[bool]], tuple[Any, ...]]:
    """visible_projects as conditions on the project row and the order of its list."""
    live: list[ColumnElement[bool]] = [Project.deleted_at.is_(None)]
    if user.role == "admin":
        return live, (Project.id,)
    if user.role == "contractor":
        return [*live, Project.contractor_id == user.contractor_id], (Project.id,)
    if user.organisation is not None:
        codes = [region.code for region in user.organisation.regions]
        return [*live, in_regions(Project.region_code, codes)], (Project.region_code, Project.id)
    return [false()], (Project.id,)


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


def create_project(session: Session, *, contractor: Contractor, **fields: Any) -> Project:
    """A project from keyword values as a form would send them (demo data, tests, the CLI)."""
    try:
        data = parse_project({key: value for key, value in fields.items()}, session)
    except ProjectInvalid as invalid:
        field_name, message = next(iter(invalid.errors.items()))
        raise DomainError(message, field=field_name) from invalid
    return save_project(session, data, contractor=contractor)


# --- Project records (Art. 34 items) -------------------------------------------------------

PROJECT_TEXT_FIELDS: dict[str, tuple[str, int, bool]] = {
    # field: (label, max length, required to save)
    "name": ("项目名称", 200, True),
    "address": ("项目地址", 256, True),
    "construction_unit_name": ("建设单位", 200, False),
    "project_office_name": ("项目部名称", 200, False),
    "project_manager_name": ("项目经理", 64, False),
    "authority_name": ("行业工程建设主管部门", 200, False),
    "labour_manager_name": ("劳资专管员", 64, False),
    "arbitration_name": ("劳动人事争议仲裁委员会", 200, False),
    "arbitration_address": ("仲裁委地址", 256, False),
}
PROJECT_PHONE_FIELDS = {
    "construction_unit_phone": "建设单位电话",
    "project_office_phone": "项目部电话",
    "authority_phone": "主管部门投诉电话",
    "labour_manager_phone": "劳资专管员电话",
    "labour_inspection_phone": "本地劳动保障监察电话",
    "arbitration_phone": "仲裁委电话",
}
MAX_MONTHLY_WAGE_FEN = 100_000 * 100
MAX_HOURLY_WAGE_FEN = 1_000 * 100
MAX_SUBCONTRACTORS = 30


@dataclass(frozen=True)
class SubcontractorInput:
    name: str
    scope: str | None
    phone: str | None


@dataclass(frozen=True)
class ProjectInput:
    values: dict[str, Any]  # column name -> value, every editable column
    subcontractors: list[SubcontractorInput]


class ProjectInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


NONE_WORDS = {"无", "没有", "无分包", "无分包单位"}


def parse_subcontractors(raw: Any) -> list[SubcontractorInput]:
    """One per line: 名称，分包内容，电话 (separated by |, comma or tab; only the name is needed).
    "无" alone means the site has none (see says_no_subcontractors)."""
    text = clean_text(raw, multiline=True)
    if not text or says_no_subcontractors(text):
        return []
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [part.strip() for part in re.split(r"[|｜,，\t;；]", line)]
        parts = [part for part in parts if part]
        if not parts:
            continue
        phone = None
        if len(parts) > 1:
            try:
                phone = parse_phone(parts[-1])
                parts = parts[:-1]
            except Invalid:
                phone = None
        name, scope = parts[0], "、".join(parts[1:]) or None
        if len(name) > 200 or (scope and len(scope) > 128):
            raise Invalid(f"第{number}行太长了。")
        items.append(SubcontractorInput(name=name, scope=scope, phone=phone))
    if len(items) > MAX_SUBCONTRACTORS:
        raise Invalid(f"分包单位最多{MAX_SUBCONTRACTORS}家。")
    return items


def says_no_subcontractors(raw: Any) -> bool:
    text = clean_text(raw, multiline=True) or ""
    return text.replace("。", "").strip() in NONE_WORDS


NO_WORDS = {"0", "否", "不", "不印", "no", "false", "off"}


def parse_yes_no(raw: Any, *, default: bool) -> bool:
    """A check box (the form sends "0" from a hidden field when it is unticked) or 是/否;
    left out entirely (an Excel row without the column) keeps the default."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() not in NO_WORDS


def parse_project(data: Mapping[str, Any], session: Session) -> ProjectInput:
    """Validate a project form (or an Excel row). Raises ProjectInvalid, keyed by field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field_name, (label, limit, required) in PROJECT_TEXT_FIELDS.items():
        value = clean_text(data.get(field_name))
        if value is None and required:
            errors[field_name] = f"请填写{label}。"
        elif value is not None and len(value) > limit:
            errors[field_name] = f"{label}太长了，最多{limit}个字。"
        values[field_name] = value
    for field_name in PROJECT_PHONE_FIELDS:
        try:
            values[field_name] = parse_phone(data.get(field_name))
        except Invalid as invalid:
            errors[field_name] = str(invalid)
    region_code = clean_text(data.get("region_code"))
    if region_code is None:
        errors["region_code"] = "请选择项目所在的区县。"
    elif session.get(Region, region_code) is None:
        errors["region_code"] = "没有这个行政区划，请从列表中选择。"
    values["region_code"] = region_code
    for field_name, maximum in (("minimum_wage_monthly", MAX_MONTHLY_WAGE_FEN),
                                ("minimum_wage_hourly", MAX_HOURLY_WAGE_FEN)):
        try:
            values[field_name + "_fen"] = parse_yuan(data.get(field_name), maximum_fen=maximum)
        except Invalid as invalid:
            errors[field_name] = str(invalid)
    try:
        values["pay_day"] = parse_int(data.get("pay_day"), minimum=1, maximum=31,
                                      message="工资支付日应为每月1到31日中的一天。")
    except Invalid as invalid:
        errors["pay_day"] = str(invalid)
    subcontractors: list[SubcontractorInput] = []
    try:
        subcontractors = parse_subcontractors(data.get("subcontractors"))
    except Invalid as invalid:
        errors["subcontractors"] = str(invalid)
    values["no_subcontractors"] = says_no_subcontractors(data.get("subcontractors"))
    values["show_arrears_platform"] = parse_yes_no(data.get("show_arrears_platform"), default=True)
    if errors:
        raise ProjectInvalid(errors)
    return ProjectInput(values=values, subcontractors=subcontractors)


def project_form_values(project: Project) -> dict[str, str]:
    """A stored project as the strings its edit form shows."""
    values = {name: getattr(project, name) or "" for name in
              [*PROJECT_TEXT_FIELDS, *PROJECT_PHONE_FIELDS, "region_code"]}
    for name in ("minimum_wage_monthly", "minimum_wage_hourly"):
        fen = getattr(project, name + "_fen")
        values[name] = yuan_text(fen)
    values["pay_day"] = str(project.pay_day or "")
    values["show_arrears_platform"] = "1" if project.show_arrears_platform else "0"
    values["contractor_id"] = str(project.contractor_id)
    values["subcontractors"] = "无" if project.no_subcontractors else "\n".join(
        "，".join(part for part in (sub.name, sub.scope, sub.phone) if part)
        for sub in project.subcontractors)
    return values


def save_project(session: Session, data: ProjectInput, *, contractor: Contractor,
                 project: Project | None = None) -> Project:
    """Create or update a project. Its boards and their tokens never change here."""
    if project is None:
        project = Project(contractor=contractor, **data.values)
        session.add(project)
    else:
        project.contractor = contractor
        for name, value in data.values.items():
            setattr(project, name, value)
        project.subcontractors.clear()
        session.flush()
    for position, sub in enumerate(data.subcontractors):
        project.subcontractors.append(Subcontractor(position=position, name=sub.name,
                                                    scope=sub.scope, phone=sub.phone))
    session.flush()
    return project


def delete_project(session: Session, project: Project) -> None:
    """Soft delete: the project and its boards stay, so old QR codes still lead somewhere."""
    project.deleted_at = utcnow()
    session.flush()


# --- The local minimum wage (当地最低工资标准, Art. 34(2)) ---------------------------------------

WAGE_LEVELS = {"county": "区县", "city": "市", "province": "省", "project": "项目自填"}


@dataclass(frozen=True)
class WageStandard:
    """The minimum wage a board prints and where it came from.

    Standards are set per county tier, and a month's and an hour's figure are set together,
    so both come from one place: the project's own figures when it has any, else the most
    specific region (county, then city, then province) that has any. A city's or province's
    figure is a fallback that a person must confirm before it is printed.
    """

    monthly_fen: int | None
    hourly_fen: int | None
    level: str | None  # a key of WAGE_LEVELS; None when no figure is known anywhere
    region: Region | None = None  # the region the figures are from (None for the project's own)

    @property
    def level_label(self) -> str:
        return WAGE_LEVELS.get(self.level or "", "没有登记")

    @property
    def source_label(self) -> str:
        """Where the figures come from, for the project page: "深圳市（市标准）"."""
        if self.level == "project":
            return "项目自填"
        if self.region is None:
            return "没有登记"
        return f"{self.region.name}（{self.level_label}标准）"

    @property
    def is_fallback(self) -> bool:
        """A city's or province's figure standing in for the county's."""
        return self.level in ("city", "province")


def _wage_of(region_code: str, regions: Mapping[str, Region]) -> WageStandard:
    for code in region_ancestry(region_code):
        region = regions.get(code)
        if region is not None and (region.minimum_wage_monthly_fen is not None
                                   or region.minimum_wage_hourly_fen is not None):
            return WageStandard(region.minimum_wage_monthly_fen, region.minimum_wage_hourly_fen,
                                region.level, region)
    return WageStandard(None, None, None)


def region_minimum_wage(session: Session, region_code: str) -> WageStandard:
    """The minimum wage of a region: its own, else its city's or province's, saying which."""
    return region_minimum_wages(session, [region_code])[region_code]


def region_minimum_wages(session: Session, region_codes: Iterable[str]) -> dict[str, WageStandard]:
    """region_minimum_wage for many regions at once: their regions and those above in one query."""
    codes = set(region_codes)
    wanted = {code for region_code in codes for code in region_ancestry(region_code)}
    regions = {region.code: region for region in session.scalars(
        select(Region).where(Region.code.in_(sorted(wanted))))} if wanted else {}
    return {code: _wage_of(code, regions) for code in codes}


def has_own_wage(project: Project) -> bool:
    return project.minimum_wage_monthly_fen is not None or project.minimum_wage_hourly_fen is not None


def project_wage(project: Project, region_wage: WageStandard) -> WageStandard:
    """The project's own minimum wage where it has one, else `region_wage`, its region's."""
    if has_own_wage(project):
        return WageStandard(project.minimum_wage_monthly_fen, project.minimum_wage_hourly_fen,
                            "project")
    return region_wage


def minimum_wage(session: Session, project: Project) -> WageStandard:
    """The project's own minimum wage where it has one, else its region's (see WageStandard)."""
    if has_own_wage(project):
        return project_wage(project, WageStandard(None, None, None))
    return region_minimum_wage(session, project.region_code)


def wage_confirmation_current(project: Project, standard: WageStandard) -> bool:
    """A person confirmed exactly these borrowed figures, from this region."""
    return (standard.is_fallback and standard.region is not None
            and project.wage_confirmed_at is not None
            and project.wage_confirmed_region_code == standard.region.code
            and project.wage_confirmed_monthly_fen == standard.monthly_fen
            and project.wage_confirmed_hourly_fen == standard.hourly_fen)


def confirm_wage_fallback(session: Session, project: Project, user: User) -> WageStandard:
    """Record that `user` checked the borrowed city or province figures apply to this site."""
    standard = minimum_wage(session, project)
    if not standard.is_fallback:
        raise DomainError("这个项目的最低工资标准不是借用市、省的，不需要确认。")
    if standard.monthly_fen is None or standard.hourly_fen is None:
        raise DomainError("借用的标准缺月或小时最低工资，不能确认。请管理员补上，"
                          "或在项目信息里自己填写这两项。")
    assert standard.region is not None
    project.wage_confirmed_at = utcnow()
    project.wage_confirmed_by_id = user.id
    project.wage_confirmed_region_code = standard.region.code
    project.wage_confirmed_monthly_fen = standard.monthly_fen
    project.wage_confirmed_hourly_fen = standard.hourly_fen
    session.flush()
    return standard


def set_region_wage(session: Session, region: Region, *, monthly: Any, hourly: Any) -> None:
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for field_name, raw, maximum in (("minimum_wage_monthly", monthly, MAX_MONTHLY_WAGE_FEN),
                                     ("minimum_wage_hourly", hourly, MAX_HOURLY_WAGE_FEN)):
        try:
            values[field_name] = parse_yuan(raw, maximum_fen=maximum)
        except Invalid as invalid:
            errors[field_name] = str(invalid)
    if errors:
        raise ProjectInvalid(errors)
    region.minimum_wage_monthly_fen = values["minimum_wage_monthly"]
    region.minimum_wage_hourly_fen = values["minimum_wage_hourly"]
    session.flush()


def region_list() -> Select[Any]:
    """Every region in code order (its primary key), for a paged list: the columns the list
    shows, as plain rows."""
    return select(Region.code, Region.name, Region.minimum_wage_monthly_fen,
                  Region.minimum_wage_hourly_fen).order_by(Region.code)


def regions_for_choice(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.code)))


def routable_regions(session: Session) -> list[Region]:
    """Regions a report can be routed from: a legal-aid centre serves them or a region above."""
    served = set(session.scalars(
        select(organisation_region.c.region_code)
        .join(Organisation, Organisation.id == organisation_region.c.organisation_id)
        .where(Organisation.kind == "legal_aid")))
    return [region for region in regions_for_choice(session)
            if any(code in served for code in region_ancestry(region.code))]

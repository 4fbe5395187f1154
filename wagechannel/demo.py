"""Demo data: two counties with their offices, a contractor with two sites and boards, a login per
role, and a few reports that show the queue's range (urgent, collective, near the time limit,
from the general form, and one in the other county that the first county's staff never see)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.accounts.services import create_user, set_password
from wagechannel.boards.models import Board
from wagechannel.boards.services import issue_board
from wagechannel.cases.routing import route_lead
from wagechannel.clock import local_today
from wagechannel.intake.services import find_by_idempotency_key, store_lead
from wagechannel.intake.validation import parse_lead
from wagechannel.places.models import BUREAU, LEGAL_AID, Contractor, Organisation, Project, Region
from wagechannel.places.services import (create_contractor, create_organisation, create_project,
                                         ensure_region, set_region_wage)

DEFAULT_PASSWORD = "wagechannel-demo"
REGIONS = [("440000", "广东省"), ("440300", "深圳市"), ("440305", "深圳市南山区"),
           ("440304", "深圳市福田区")]
COUNTY = "440305"
OTHER_COUNTY = "440304"
# Shenzhen's minimum wage (a first-tier standard, set for every district): monthly and hourly.
COUNTY_WAGE = {"monthly": "2520", "hourly": "23.7"}
PROJECTS = [
    ("南山示范花园二期工程", "深圳市南山区桃园路88号", "李建国", "13800138000"),
    ("科技园示范厂房改造工程", "深圳市南山区科技南路16号", "王红梅", "13900139000"),
]
# Everything else Art. 34 asks a board to show, the same for both demo sites.
PROJECT_DETAILS = {
    "construction_unit_name": "深圳南山示范置业有限公司",
    "construction_unit_phone": "0755-26001234",
    "project_office_phone": "0755-88886667",
    "project_manager_name": "周建华",
    "subcontractors": "深圳市示范劳务有限公司，钢筋、模板，0755-26660001\n深圳市示范机电安装有限公司，机电安装，0755-26660002",
    "authority_name": "深圳市南山区住房和建设局",
    "authority_phone": "0755-26652888",
    "pay_day": "15",
    "labour_inspection_phone": "0755-26665678",
    "arbitration_name": "深圳市南山区劳动人事争议仲裁委员会",
    "arbitration_address": "深圳市南山区南山大道2016号",
    "arbitration_phone": "0755-26668888",
}


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, password, role
    boards: list[Board] = field(default_factory=list)


def _organisation(session: Session, kind: str, name: str, address: str, phone: str,
                  region: str = COUNTY) -> Organisation:
    existing = session.scalar(select(Organisation).where(Organisation.kind == kind,
                                                         Organisation.name == name))
    if existing is not None:
        return existing
    return create_organisation(session, kind=kind, name=name, region_codes=[region],
                               address=address, phone=phone)


def load_demo(session: Session, password: str | None = None) -> DemoResult:
    """Create what is missing; running it again changes nothing (except a password given)."""
    for code, name in REGIONS:
        ensure_region(session, code, name)
    for code in (COUNTY, OTHER_COUNTY):
        county = session.get(Region, code)
        if county is not None and county.minimum_wage_monthly_fen is None:
            set_region_wage(session, county, **COUNTY_WAGE)
    centre = _organisation(session, LEGAL_AID, "深圳市南山区法律援助中心",
                           "深圳市南山区南山大道2000号", "0755-26661234")
    bureau = _organisation(session, BUREAU, "深圳市南山区人力资源局",
                           "深圳市南山区南山大道2008号", "0755-26665678")
    other_centre = _organisation(session, LEGAL_AID, "深圳市福田区法律援助中心",
                                 "深圳市福田区福中路1号", "0755-82901234", region=OTHER_COUNTY)
    _organisation(session, BUREAU, "深圳市福田区人力资源局", "深圳市福田区福中路3号",
                  "0755-82905678", region=OTHER_COUNTY)
    contractor = session.scalar(select(Contractor).where(Contractor.name == "深圳示范建设集团有限公司"))
    if contractor is None:
        contractor = create_contractor(session, name="深圳示范建设集团有限公司",
                                       credit_code="91440300MA5DEMO001", phone="0755-88886666")
    result = DemoResult()
    for name, address, manager, phone in PROJECTS:
        project = session.scalar(select(Project).where(Project.contractor_id == contractor.id,
                                                       Project.name == name))
        if project is None:
            project = create_project(session, contractor=contractor, region_code=COUNTY, name=name,
                                     address=address, labour_manager_name=manager,
                                     labour_manager_phone=phone,
                                     project_office_name=f"{name}项目部", **PROJECT_DETAILS)
        board = next((b for b in project.boards if b.active), None) or issue_board(session, project)
        result.boards.append(board)

    accounts = [
        ("admin", "admin", "系统管理员", {}),
        ("staff", "legal_aid_staff", "法援中心 张工作人员", {"organisation_id": centre.id}),
        ("lawyer", "lawyer", "援助律师 陈律师", {"organisation_id": centre.id}),
        ("liaison", "bureau_liaison", "人社局 刘联络员", {"organisation_id": bureau.id}),
        ("contractor", "contractor", "示范建设 劳资专员", {"contractor_id": contractor.id}),
        ("staff2", "legal_aid_staff", "福田法援 黄工作人员", {"organisation_id": other_centre.id}),
    ]
    chosen = password or DEFAULT_PASSWORD
    for username, role, display, links in accounts:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            create_user(session, username=username, password=chosen, role=role,
                        display_name=display, **links)
        elif password:
            set_password(user, password)
        result.logins.append((username, chosen if (user is None or password) else "（未改动）", role))
    _demo_reports(session, result.boards)
    session.flush()
    return result


def _demo_reports(session: Session, boards: list[Board]) -> None:
    """A few reports, routed as a worker's would be; each is made once (keyed like the API's)."""
    today = local_today()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    reports: list[tuple[str, Board | None, str | None, dict[str, Any]]] = [
        ("urgent", boards[0], None, {
            "name": "赵大勇", "phone": "13700137001", "employer_name": "钱老板（钢筋班组）",
            "employer_kind": "team_leader", "amount_owed": "12600", "trade": "rebar",
            "employment_status": "ended", "work_end": ago(20), "urgent": ["conflict", "no_money"],
            "evidence": ["chats", "transfers"], "description": "去要工资被推了一把，现在没钱回家。"}),
        ("collective", boards[0], None, {
            "name": "孙建军", "phone": "13700137002", "employer_name": "深圳市示范劳务有限公司",
            "employer_kind": "company", "amount_owed": "186000", "workers_affected": "23",
            "employment_status": "working", "months_unpaid": "3", "evidence": ["attendance"],
            "description": "木工班组23个人三个月没发工资。"}),
        ("near_limit", boards[1], None, {
            "name": "周小红", "phone": "13700137003", "employer_name": "吴包工头",
            "amount_owed": "7800", "employment_status": "ended", "work_end": ago(360),
            "evidence": ["iou"], "description": "去年干完活写了欠条，一直没给。"}),
        ("general", None, COUNTY, {
            "name": "郑国强", "phone": "13700137004", "employer_name": "冯老板",
            "site_name": "后海某商场装修工地", "site_address": "深圳市南山区后海大道",
            "amount_owed": "5400", "employment_status": "ended_unknown", "wants": "consult"}),
        ("other_county", None, OTHER_COUNTY, {
            "name": "王海", "phone": "13700137005", "employer_name": "陈老板",
            "site_name": "福田某住宅楼工地", "amount_owed": "9300",
            "employment_status": "ended", "work_end": ago(90)}),
    ]
    for key, board, region_code, fields in reports:
        idempotency_key = f"demo:{key}"
        if find_by_idempotency_key(session, idempotency_key) is not None:
            continue
        data = parse_lead({"consent": True, **fields}, today=today)
        lead = store_lead(session, data, board=board, channel="qr", region_code=region_code,
                          idempotency_key=idempotency_key)
        route_lead(session, lead, today=today)

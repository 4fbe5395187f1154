"""Demo data: two counties with their offices, a contractor with two sites and boards, a login per
role, and a few reports that show the queue's range (urgent, collective, near the time limit —
granted and assigned to the demo lawyer —, from the general form, and one in the other county
that the first county's staff never see).
`load_scale` adds any number of synthetic reports for benchmarks and for trying the bureau's
dashboard."""
from __future__ import annotations

import bisect
import hashlib
import random
import time as time_module
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.accounts.services import create_user, set_password
from wagechannel.boards.models import Board, BoardScan
from wagechannel.boards.services import issue_board
from wagechannel.cases import workflow
from wagechannel.cases.models import Assignment, Case, CaseContact, CaseRoute, Claimant, Referral
from wagechannel.cases.priority import CaseContext, Wage, case_priority, parse_season
from wagechannel.cases.routing import route_lead
from wagechannel.cases.services import new_case_values
from wagechannel.clock import CHINA, local, local_today
from wagechannel.db import utcnow
from wagechannel.deadlines.models import Deadline
from wagechannel.intake.models import LEAD_ROUTED, TRADES, Lead
from wagechannel.intake.services import Site, find_by_idempotency_key, lead_values, store_lead
from wagechannel.intake.validation import LeadInput, parse_lead
from wagechannel.places.models import BUREAU, LEGAL_AID, Contractor, Organisation, Project, Region
from wagechannel.places.services import (create_contractor, create_organisation, create_project,
                                         ensure_region, set_region_wage)
from wagechannel.tokens import CROCKFORD

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
    made = _demo_reports(session, result.boards)
    _demo_assignment(session, made.get("near_limit"))
    session.flush()
    return result


def _demo_assignment(session: Session, case: Case | None) -> None:
    """The case near its time limit, the first time it is made: accepted, granted without the
    hardship check (art. 42(3)) and assigned to the demo lawyer, so the lawyer has work and the
    queue shows every stage."""
    staff = session.scalar(select(User).where(User.username == "staff"))
    lawyer = session.scalar(select(User).where(User.username == "lawyer"))
    if case is None or staff is None or lawyer is None or case.status != "pending" \
            or case.legal_aid_org_id != staff.organisation_id:
        return
    today = local_today()
    workflow.accept(session, case, staff, today=today)
    workflow.grant(session, case, staff, basis="exempt_42_3", proof="欠条（复印件）、身份证",
                   today=today)
    workflow.assign(session, case, staff, lawyer=lawyer)


def _demo_reports(session: Session, boards: list[Board]) -> dict[str, Case]:
    """A few reports, routed as a worker's would be; each is made once (keyed like the API's).
    Returns the cases made this time, by report."""
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
    made: dict[str, Case] = {}
    for key, board, region_code, fields in reports:
        idempotency_key = f"demo:{key}"
        if find_by_idempotency_key(session, idempotency_key) is not None:
            continue
        data = parse_lead({"consent": True, **fields}, today=today)
        lead = store_lead(session, data, board=board, channel="qr", region_code=region_code,
                          idempotency_key=idempotency_key)
        case = route_lead(session, lead, today=today)
        if case is not None:
            made[key] = case
    return made


# --- synthetic reports at scale (`wagechannel demo --scale N`) --------------------------------

# `load_scale(session, n, seed)` fills the database with n synthetic reports, as the system
# would hold them after a few years of use in the Pearl River Delta: 23 real districts with
# their centres and bureaus, general contractors (a few large, many small) and their sites, each
# site with a board (some silent for a month), bosses named on one site and a few on several,
# reports peaking in winter (before the Spring Festival) and low on Sundays, collective cases,
# and every case as far along the workflow as its age allows — accepted, granted or refused,
# assigned, routes started, closed with what was recovered — with the contacts, deadlines (met,
# missed, open, overdue), assignments and referrals that go with it.
#
# Rows are built with the application's own `lead_values` and `new_case_values` (priority, tier
# and worker count from `case_priority` of all a case's reports) and inserted with Core, a
# thousand reports at a time, each batch in its own short transaction. Everything follows from
# the seed: each report's idempotency key is `scale:<seed>:<index>`, so a second run with the
# same seed adds nothing, and a larger n adds only the reports beyond the ones already there.

SCALE_SPAN_DAYS = 3 * 365  # reports over the last three years
SCALE_BATCH = 1000
SCALE_CITIES = [("440000", "广东省"), ("440300", "深圳市"), ("440100", "广州市"), ("440600", "佛山市")]
# (code, name, weight: how many reports come from there, roughly)
SCALE_COUNTIES = [
    ("440303", "深圳市罗湖区", 3), ("440304", "深圳市福田区", 4), ("440305", "深圳市南山区", 6),
    ("440306", "深圳市宝安区", 9), ("440307", "深圳市龙岗区", 9), ("440308", "深圳市盐田区", 1),
    ("440309", "深圳市龙华区", 6), ("440310", "深圳市坪山区", 2), ("440311", "深圳市光明区", 2),
    ("440103", "广州市荔湾区", 2), ("440104", "广州市越秀区", 2), ("440105", "广州市海珠区", 3),
    ("440106", "广州市天河区", 5), ("440111", "广州市白云区", 7), ("440112", "广州市黄埔区", 4),
    ("440113", "广州市番禺区", 6), ("440114", "广州市花都区", 4), ("440115", "广州市南沙区", 3),
    ("440118", "广州市增城区", 3), ("440604", "佛山市禅城区", 2), ("440605", "佛山市南海区", 5),
    ("440606", "佛山市顺德区", 4), ("440607", "佛山市三水区", 1),
]
COUNTY_NAMES = {code: name for code, name, _weight in SCALE_COUNTIES}
SCALE_WAGES = {"4403": ("2520", "23.7"), "4401": ("2300", "22.2"), "4406": ("2000", "19.3")}
# Reports by month (winter peak: pay owed for the year, the Spring Festival) and by weekday.
MONTH_WEIGHTS = (2.2, 1.4, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 1.0, 1.0, 1.4, 2.0)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.55)
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
            "郝龚邵万钱覃武戴孔汤")
GIVEN = "建国华明军伟勇强平东海新德志文林永春荣祥福兴光宏刚辉成良云峰才杰涛斌俊波宁"
GIVEN2 = "生民胜利清安贵全发财友富义礼忠信顺昌盛和鹏飞龙虎山水松柏玉金银铁石广川江河"
COMPANY_WORDS = "鑫源恒泰宏达盛丰粤鹏华建中信安远隆兴顺和润佳"
SITE_PLACES = ["锦绣", "滨海", "翠湖", "科创", "中心", "阳光", "星河", "御景", "云岭", "金沙",
               "龙湾", "海岸", "花城", "荔湖", "智谷", "西岸", "天汇", "凤凰", "东湖", "华府"]
SITE_KINDS = ["花园二期工程", "商业综合体工程", "安置房项目", "产业园厂房工程", "学校扩建工程",
              "地铁站配套工程", "医院综合楼工程", "保障性住房项目", "写字楼工程", "道路改造工程"]
CONTRACTOR_SUFFIXES = ["建设集团有限公司", "建筑工程有限公司", "建工集团有限公司", "城建集团有限公司"]
TEAMS = ["钢筋班组", "木工班组", "泥水班组", "架子班组", "水电班组", "装修班组"]


@dataclass
class ScaleResult:
    added: int = 0  # reports added by this run
    existing: int = 0  # reports of this seed already there
    cases: int = 0
    seconds: float = 0.0


@dataclass
class _Site:
    project_id: int
    county: str
    contractor: int  # the contractor's index
    board_id: int | None
    window: tuple[int, int]  # days before today: the site's active years
    bosses: list[tuple[str, str]]  # (name, phone)
    company: str


@dataclass
class _Places:
    centres: dict[str, int]
    bureaus: dict[str, int]
    lawyers: dict[str, list[int]]
    wages: dict[str, int]
    sites: list[_Site]
    cumulative: list[float]  # Zipf weights of the sites, summed


def _bijection(index: int, salt: int, modulus: int, odd: int) -> int:
    """A number for each index, all different below `modulus` (odd is coprime to a power of 2)."""
    return (salt + index * odd) % modulus


def _code(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    return "".join(chars)


def _salt(seed: int, what: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{what}".encode()).digest()[:8], "big")


def _person(index: int) -> str:
    return (SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
            + GIVEN2[(index // (len(SURNAMES) * len(GIVEN))) % len(GIVEN2)])


def _scale_offices(session: Session) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    for code, name in SCALE_CITIES:
        ensure_region(session, code, name)
    centres, bureaus, wages = {}, {}, {}
    for code, name, _weight in SCALE_COUNTIES:
        region = ensure_region(session, code, name)
        if region.minimum_wage_monthly_fen is None:
            monthly, hourly = SCALE_WAGES[code[:4]]
            set_region_wage(session, region, monthly=monthly, hourly=hourly)
        wages[code] = region.minimum_wage_monthly_fen or 0
        centres[code] = _organisation(session, LEGAL_AID, f"{name}法律援助中心",
                                      f"{name}政务服务中心", "12348", region=code).id
        bureaus[code] = _organisation(session, BUREAU, f"{name}人力资源局",
                                      f"{name}政务服务中心", "12333", region=code).id
    return centres, bureaus, wages


def _scale_lawyers(session: Session, seed: int,
                   centres: dict[str, int]) -> dict[str, list[int]]:
    """Two lawyers per centre (accounts nobody logs in to: the password hash is unusable)."""
    prefix = f"scale{seed}_lawyer_"
    found: dict[str, list[int]] = {}
    for user_id, username in session.execute(select(User.id, User.username)
                                             .where(User.username.like(prefix + "%"))):
        found.setdefault(username[len(prefix):].split("_")[0], []).append(user_id)
    rows = [{"username": f"{prefix}{county}_{number}",
             "display_name": f"{SURNAMES[(int(county) + number) % len(SURNAMES)]}律师",
             "password_hash": "!unusable", "role": "lawyer", "organisation_id": centre,
             "is_active_account": True, "session_version": 0, "created_at": utcnow()}
            for county, centre in centres.items() if county not in found for number in (1, 2)]
    if rows:
        for user_id, username in session.execute(
                insert(User.__table__).returning(User.__table__.c.id,
                                                 User.__table__.c.username), rows):
            found.setdefault(username[len(prefix):].split("_")[0], []).append(user_id)
    return found


def _scale_places(session: Session, n: int, seed: int, today: Any) -> _Places:
    """Contractors, their sites and boards (created once per seed; a larger n adds more)."""
    centres, bureaus, wages = _scale_offices(session)
    lawyers = _scale_lawyers(session, seed, centres)
    contractors = max(3, min(3000, n // 400))
    sites_wanted = max(6, min(40_000, n // 60))
    codes = [f"91SC{seed % 10000:04d}{index:010d}" for index in range(contractors)]
    have = dict(session.execute(select(Contractor.credit_code, Contractor.id)
                                .where(Contractor.credit_code.in_(codes))).all())
    missing = [{"name": _contractor_name(index), "credit_code": code,
                "phone": f"0755-8{_bijection(index, seed, 10**7, 7919):07d}",
                "created_at": utcnow()}
               for index, code in enumerate(codes) if code not in have]
    if missing:
        table = Contractor.__table__
        have.update(session.execute(insert(table).returning(table.c.credit_code, table.c.id),
                                    missing).all())
    contractor_ids = [have[code] for code in codes]
    # Sites by contractor, Zipf-like: a few contractors build much of the region.
    shares = [1 / (index + 1) ** 0.8 for index in range(contractors)]
    counts = [max(1, round(sites_wanted * share / sum(shares))) for share in shares]
    counties = [code for code, _name, _weight in SCALE_COUNTIES]
    weights = [weight for _code, _name, weight in SCALE_COUNTIES]
    existing = {(contractor, name): project_id for project_id, contractor, name in session.execute(
        select(Project.id, Project.contractor_id, Project.name)
        .where(Project.contractor_id.in_(contractor_ids)))}
    plan = []
    number = 0
    for index, count in enumerate(counts):
        rng = random.Random(f"{seed}:contractor:{index}")
        home = rng.choice(("4403", "4401", "4406"))
        local = [(code, weight) for code, weight in zip(counties, weights) if code.startswith(home)]
        for site in range(count):
            pool = local if rng.random() < 0.8 else list(zip(counties, weights))
            county = rng.choices([c for c, _w in pool], [w for _c, w in pool])[0]
            county_name = next(name for code, name, _w in SCALE_COUNTIES if code == county)
            name = (f"{county_name[3:-1]}{SITE_PLACES[(index + site) % len(SITE_PLACES)]}"
                    f"{SITE_KINDS[(index * 7 + site) % len(SITE_KINDS)]}（{site + 1}号）")
            plan.append((number, index, county, county_name, name, rng))
            number += 1
    new_rows = []
    for number, index, county, county_name, name, _rng in plan:
        if (contractor_ids[index], name) in existing:
            continue
        manager = _person(_bijection(number, seed, 10**6, 104729))
        new_rows.append({
            "contractor_id": contractor_ids[index], "region_code": county, "name": name,
            "address": f"{county_name}{SITE_PLACES[number % len(SITE_PLACES)]}路{number % 300 + 1}号",
            "construction_unit_name": f"{county_name[:3]}{COMPANY_WORDS[number % 20]}置业有限公司",
            "project_office_name": f"{name}项目部", "project_manager_name": manager,
            "project_office_phone": f"0755-2{number % 10**7:07d}",
            "labour_manager_name": _person(_bijection(number, seed + 1, 10**6, 7907)),
            "labour_manager_phone": f"138{_bijection(number, seed, 10**8, 1299709):08d}",
            "pay_day": 10 + number % 16, "no_subcontractors": False,
            "show_arrears_platform": True,
            "created_at": utcnow() - timedelta(days=random.Random(f"{seed}:project:{number}")
                                               .randint(60, SCALE_SPAN_DAYS + 200)),
            "updated_at": utcnow(), "_number": number})
    if new_rows:
        table = Project.__table__
        numbers = [row.pop("_number") for row in new_rows]
        for project_id, contractor, name in session.execute(
                insert(table).returning(table.c.id, table.c.contractor_id, table.c.name,
                                        sort_by_parameter_order=True), new_rows):
            existing[(contractor, name)] = project_id
        _scale_boards(session, seed, [existing[(row["contractor_id"], row["name"])]
                                      for row in new_rows], [row["created_at"] for row in new_rows],
                      numbers, today, BoardScan)
    boards = dict(session.execute(select(Board.project_id, func.min(Board.id))
                                  .where(Board.project_id.in_(list(existing.values())),
                                         Board.revoked_at.is_(None))
                                  .group_by(Board.project_id)).all())
    sites = []
    for number, index, county, _county_name, name, _rng in plan:
        project_id = existing[(contractor_ids[index], name)]
        rng = random.Random(f"{seed}:window:{number}")
        start = rng.randint(400, SCALE_SPAN_DAYS)
        bosses = [(f"{_person(_bijection(number * 3 + k, seed, 10**6, 15485863))}"
                   f"（{TEAMS[(number + k) % len(TEAMS)]}）",
                   f"13{_bijection(number * 3 + k, seed + 7, 10**9, 32452843):09d}")
                  for k in range(1 + number % 3)]
        if number % 9 == 4:  # a boss who takes crews from site to site of this contractor
            roamer = 500_000 + index
            bosses.append((f"{_person(_bijection(roamer, seed, 10**6, 15485863))}（包工头）",
                           f"13{_bijection(roamer, seed + 7, 10**9, 32452843):09d}"))
        company = f"{county[:4] == '4403' and '深圳' or county[:4] == '4401' and '广州' or '佛山'}市" \
                  f"{COMPANY_WORDS[number % 20]}{COMPANY_WORDS[(number // 20) % 20]}劳务有限公司"
        sites.append(_Site(project_id, county, index, boards.get(project_id),
                           (max(0, start - rng.randint(400, 1000)), start), bosses, company))
    # Troubled sites get most reports (Zipf over sites, shuffled so big ones are anywhere).
    order = list(range(len(sites)))
    random.Random(f"{seed}:sites").shuffle(order)
    weights_by_site = [0.0] * len(sites)
    for rank, position in enumerate(order):
        weights_by_site[position] = 1 / (rank + 1) ** 0.7
    cumulative, total = [], 0.0
    for weight in weights_by_site:
        total += weight
        cumulative.append(total)
    return _Places(centres, bureaus, lawyers, wages, sites, cumulative)


def _contractor_name(index: int) -> str:
    words = COMPANY_WORDS
    name = (f"{words[index % 20]}{words[(index // 20) % 20]}"
            f"{CONTRACTOR_SUFFIXES[(index // 400) % len(CONTRACTOR_SUFFIXES)]}")
    return name if index < 1600 else f"{name[:-4]}第{index // 1600}{name[-4:]}"


def _scale_boards(session: Session, seed: int, project_ids: list[int], created: list[Any],
                  numbers: list[int], today: Any, scan_model: Any) -> None:
    """A board for each new site; most scanned now and then, about one in eight silent for
    more than 30 days."""
    table = Board.__table__
    salt = _salt(seed, "board")
    rows = [{"project_id": project_id, "token": _code(_bijection(project_id, salt, 32**10,
                                                                  1_000_003), 10),
             "layout": "A2", "created_at": at} for project_id, at in zip(project_ids, created)]
    board_ids = list(session.execute(insert(table).returning(
        table.c.id, sort_by_parameter_order=True), rows).scalars())
    scans = []
    for board_id, number in zip(board_ids, numbers):
        rng = random.Random(f"{seed}:board:{number}")
        if rng.random() < 0.12:
            days = [rng.randint(40, 200) for _ in range(rng.randint(0, 3))]
        else:
            days = [rng.randint(0, 25)] + [rng.randint(0, 120) for _ in range(rng.randint(2, 8))]
        for back in sorted(set(days)):
            scans.append({"board_id": board_id, "day": today - timedelta(days=back),
                          "count": rng.randint(1, 12)})
    if scans:
        session.execute(insert(scan_model.__table__), scans)


def load_scale(session: Session, n: int, seed: int = 1, *, today: Any = None,
               progress: Any = None) -> ScaleResult:
    """n synthetic reports (see above). Commits after the places and after each batch: a run
    cut short keeps what it committed, and the next run goes on from there."""
    started = time_module.perf_counter()
    today = today or local_today()
    result = ScaleResult()
    prefix = f"scale:{seed}:"
    last = session.scalar(select(func.max(Lead.idempotency_key)).where(
        Lead.idempotency_key >= prefix, Lead.idempotency_key < prefix + "~"))
    done = int(last[len(prefix):]) + 1 if last else 0
    result.existing = min(done, n)
    if done >= n:
        result.seconds = time_module.perf_counter() - started
        return result
    places = _scale_places(session, n, seed, today)
    session.commit()
    first_batch = done // SCALE_BATCH
    for batch in range(first_batch, -(-n // SCALE_BATCH)):
        start, end = batch * SCALE_BATCH, min(n, (batch + 1) * SCALE_BATCH)
        added, cases = _scale_batch(session, places, seed, batch, start, end, skip_below=done,
                                    today=today)
        session.commit()
        result.added += added
        result.cases += cases
        if progress is not None and (batch % 50 == 49 or end == n):
            progress(f"{end}/{n}")
    result.seconds = time_module.perf_counter() - started
    return result


ROUTE_WEIGHTS = {"negotiation": 40, "mediation": 14, "arbitration": 30, "litigation": 7,
                 "payment_order": 3, "inspection": 6}
CLOSE_DAYS = {"negotiation": (7, 60), "mediation": (15, 60), "arbitration": (45, 160),
              "litigation": (90, 320), "payment_order": (20, 70), "inspection": (20, 100)}
OUTCOME_WEIGHTS = {"recovered": 55, "partial": 22, "withdrawn": 9, "unreachable": 6,
                   "transferred": 8}
PAYER_WEIGHTS = {"employer": 45, "general_contractor": 35, "wage_deposit": 12, "other": 8}
CHANNEL_WEIGHTS = {"qr": 68, "api": 6, "hotline_12348": 12, "hotline_12333": 6, "walk_in": 8}
HOMETOWNS = ("四川", "湖南", "广西", "河南", "贵州", "江西", "湖北", "重庆", "广东", "安徽")
EVIDENCE_CHANCES = (("attendance", 0.4), ("chats", 0.35), ("transfers", 0.2), ("iou", 0.1),
                    ("payslips", 0.15), ("contract", 0.08))


def _pick(rng: Any, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _seasonal_time(rng: Any, window: tuple[int, int], anchor: Any, now: Any) -> Any:
    """A moment within the site's active days, more likely in winter and on weekdays, in the
    day and evening (China time)."""
    low, high = window
    while True:
        back = rng.uniform(low, high)
        moment = (anchor - timedelta(days=back)).astimezone(CHINA)
        weight = MONTH_WEIGHTS[moment.month - 1] * WEEKDAY_WEIGHTS[moment.weekday()]
        if rng.random() * 2.2 <= weight:
            hour = rng.choice((8, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19, 20, 20, 21, 22))
            moment = moment.replace(hour=hour, minute=rng.randint(0, 59))
            return min(moment.astimezone(now.tzinfo), now - timedelta(minutes=5))


def _report(rng: Any, index: int, seed: int, created: Any, employer: tuple[Any, ...],
            workers: int) -> Any:
    kind, employer_name, employer_phone = employer
    winter = created.month in (12, 1, 2)
    roll = rng.random()
    work_end = None
    if roll < 0.6:
        status = "ended"
        work_end = created.date() - timedelta(days=int(rng.expovariate(1 / 60)))
    elif roll < 0.9:
        status = "working"
    else:
        status = "ended_unknown"
    per_worker = min(150_000, max(500, round(rng.lognormvariate(9.1, 0.7) / 100) * 100))
    amount = None if rng.random() < 0.06 else per_worker * 100 * (workers if workers > 1 and
                                                                  rng.random() < 0.5 else 1)
    number = _bijection(index, _salt(seed, "phone") % 10**9, 10**9, 1_000_003)
    phone = f"1{'3456789'[index % 7]}{number:09d}"
    return LeadInput(
        name=_person(rng.randrange(10**6)) if rng.random() < 0.96 else None, phone=phone,
        employer_name=employer_name, amount_owed_fen=amount, workers_affected=workers,
        work_start=(work_end or created.date()) - timedelta(days=rng.randint(30, 500)),
        work_end=work_end, description=None,
        wants=rng.choices(("legal_aid", "consult", "complaint"), (80, 14, 6))[0],
        employer_kind=kind, employer_phone=employer_phone, trade=rng.choice(list(TRADES)),
        months_unpaid=rng.randint(1, 8) if rng.random() < 0.8 else None,
        evidence=tuple(key for key, chance in EVIDENCE_CHANCES if rng.random() < chance),
        urgent=tuple(key for key, chance in (("conflict", 0.03),
                                             ("no_money", 0.25 if winter else 0.1))
                     if rng.random() < chance),
        hometown=rng.choice(HOMETOWNS) if rng.random() < 0.7 else None,
        best_time=rng.choice(("any", "morning", "noon", "evening")),
        employment_status=status, work_end_precision="day" if work_end else None,
        vulnerable=tuple(key for key, chance in (("elderly", 0.05), ("disabled", 0.01),
                                                 ("minor", 0.003)) if rng.random() < chance))


class _Memo(dict):  # type: ignore[type-arg]
    """Due dates by rule and trigger day (a few thousand distinct ones in three years)."""

    def due(self, rule: str, trigger: Any) -> Any:
        key = (rule, trigger)
        if key not in self:
            from wagechannel.deadlines.rules import due_date
            self[key] = due_date(rule, trigger, amount=1 if rule == "first_contact" else None)
        return self[key]


_dues = _Memo()


def _scale_batch(session: Session, places: _Places, seed: int, batch: int, start: int, end: int,
                 *, skip_below: int, today: Any) -> tuple[int, int]:
    """Reports start..end-1 (those below skip_below are already there): drawn from the
    batch's own random stream, so a batch drawn again is the same batch."""
    rng = random.Random(f"{seed}:batch:{batch}")
    now = utcnow()
    # Times are drawn back from the end of today (not from this instant), so a batch drawn
    # again the same day is the same batch; none is later than now.
    anchor = datetime.combine(today + timedelta(days=1), time.min, CHINA)
    season = parse_season("12-01..02-15")
    lead_salt, case_salt = _salt(seed, "lead"), _salt(seed, "case")
    cases: list[dict[str, Any]] = []
    reports: list[list[dict[str, Any]]] = []
    extras: list[dict[str, Any]] = []  # per case: what follows once its id is known
    index = start
    while index < end:
        roll = rng.random()
        size = 1 if roll < 0.9 else rng.randint(2, 9) if roll < 0.98 else rng.randint(10, 30)
        size = min(size, end - index)
        site = places.sites[min(len(places.sites) - 1, bisect.bisect_left(
            places.cumulative, rng.random() * places.cumulative[-1]))]
        general = rng.random() < 0.05  # the general form: a county, no site
        first = _seasonal_time(rng, site.window, anchor, now)
        pick = rng.random()
        if pick < 0.08:
            employer: tuple[Any, ...] = (None, None, None)
        elif pick < 0.22:
            employer = ("company", site.company, None)
        else:
            name, phone = rng.choice(site.bosses)
            employer = ("team_leader", name, phone if rng.random() < 0.7 else None)
        # Whoever speaks for a crew names all of it (more than those who report themselves).
        spokesman = (size + rng.randint(0, 25) if size >= 10 else size) if size > 1 \
            else (1 if rng.random() < 0.85 else rng.randint(2, 15))
        group = []
        for k in range(size):
            created = first if k == 0 else min(now - timedelta(minutes=1),
                                              first + timedelta(hours=rng.uniform(0, 96)))
            workers = spokesman if k == 0 else rng.choice((1, 1, 1, size))
            channel = _pick(rng, CHANNEL_WEIGHTS)
            group.append((index + k, created, channel,
                          _report(rng, index + k, seed, created.astimezone(local(now).tzinfo),
                                  employer, workers)))
        index += size
        workflow = _workflow(rng, first, now)
        kept = [item for item in group if item[0] >= skip_below]
        if not kept:
            continue
        county = site.county
        context = CaseContext(wage=Wage(places.wages.get(county) or 252000), season=season)
        inputs = [item[3] for item in kept]
        values = new_case_values(inputs[0], legal_aid_org_id=places.centres[county],
                                 bureau_org_id=places.bureaus[county],
                                 project_id=None if general else site.project_id,
                                 region_code=county, today=today, now=kept[0][1],
                                 context=context)
        if len(inputs) > 1:
            values.update(case_priority(inputs, today, context))
        values["number"] = (f"WC{local(kept[0][1]).year}-"  # type: ignore[union-attr]
                            f"{_code(_bijection(kept[0][0], case_salt, 32**8, 1_000_033), 8)}")
        lawyers = places.lawyers.get(county) or [None]
        values.update(_case_state(rng, workflow, now, lawyer=rng.choice(lawyers),
                                  owed=sum(i.amount_owed_fen or 0 for i in inputs)))
        cases.append(values)
        site_of = Site(site.board_id if not general else None,
                       None if general else site.project_id, county)
        rows = []
        for number, created, channel, data in kept:
            row = lead_values(data, site=site_of if channel == "qr" or general else
                              Site(None, site_of.project_id, county), channel=channel,
                              now=created, idempotency_key=f"scale:{seed}:{number:09d}")
            row.update(code=_code(_bijection(number, lead_salt, 32**8, 999_983), 8),
                       status=LEAD_ROUTED, legal_aid_org_id=places.centres[county],
                       bureau_org_id=places.bureaus[county])
            if general:
                row.update(site_name=f"{COUNTY_NAMES[county]}某工地", site_address=None)
            rows.append(row)
        reports.append(rows)
        extras.append({"workflow": workflow, "site": site, "values": values})
    if not cases:
        return 0, 0
    # Plain inserts, then the new rows' ids read back past the highest id before them (the
    # primary key's range, whatever the planner's statistics say mid-load), matched by their
    # unique keys: an INSERT ... RETURNING of a thousand rows is one statement of tens of
    # thousands of parameters, which the PostgreSQL driver parses afresh each time.
    before = session.scalar(select(func.max(Case.id))) or 0
    session.execute(insert(Case.__table__), cases)
    numbers = dict(session.execute(select(Case.number, Case.id).where(Case.id > before)).all())
    case_ids = [numbers[values["number"]] for values in cases]
    flat = []
    for case_id, rows in zip(case_ids, reports):
        for row in rows:
            row["case_id"] = case_id
            flat.append(row)
    before = session.scalar(select(func.max(Lead.id))) or 0
    session.execute(insert(Lead.__table__), flat)
    keys = dict(session.execute(select(Lead.idempotency_key, Lead.id)
                                .where(Lead.id > before)).all())
    lead_ids = [keys[row["idempotency_key"]] for row in flat]
    session.execute(insert(Claimant.__table__), [
        {"case_id": row["case_id"], "lead_id": lead_id, "name": row["name"],
         "amount_owed_fen": row["amount_owed_fen"]} for lead_id, row in zip(lead_ids, flat)])
    first_leads: dict[int, int] = {}
    for lead_id, row in zip(lead_ids, flat):
        first_leads.setdefault(row["case_id"], lead_id)
    follow = _follow_ups(rng, case_ids, extras, first_leads, places, now, today)
    for model, rows in ((CaseContact, follow["contacts"]), (Assignment, follow["assignments"]),
                        (CaseRoute, follow["routes"]), (Deadline, follow["deadlines"]),
                        (Referral, follow["referrals"])):
        if rows:
            session.execute(insert(model.__table__), rows)
    return len(flat), len(cases)


def _workflow(rng: Any, created: Any, now: Any) -> dict[str, Any]:
    """When each step would happen (some in the future: the case is not there yet)."""
    def hours(low: float, high: float) -> Any:
        return timedelta(hours=rng.uniform(low, high))

    def spread(*bands: tuple[float, float, float]) -> Any:
        roll = rng.random()
        for chance, low, high in bands:
            if roll < chance:
                return hours(low, high)
            roll -= chance
        return hours(bands[-1][1], bands[-1][2])

    stuck = rng.random() < 0.01
    before_review = rng.random() < 0.03
    accepted = created + spread((0.85, 0.3, 8), (0.12, 8, 48), (0.03, 48, 144))
    refused = not before_review and rng.random() < 0.07
    decided = accepted if before_review else accepted + spread((0.7, 0.5, 24), (0.22, 24, 168),
                                                                (0.08, 168, 336))
    assigned = decided + spread((0.8, 0.5, 24), (0.15, 24, 72), (0.05, 72, 168))
    kind = _pick(rng, ROUTE_WEIGHTS)
    started = assigned + hours(2, 120)
    low, high = CLOSE_DAYS[kind]
    closes = rng.random() < 0.92
    closed = started + timedelta(days=rng.uniform(low, high))
    # A few granted cases end before a lawyer is assigned: the worker withdraws, or is gone.
    early = not refused and rng.random() < 0.03
    if early:
        closed, closes = decided + hours(12, 240), True
    contact = created + spread((0.6, 0.2, 6), (0.3, 6, 30), (0.1, 30, 96)) \
        if rng.random() < 0.75 else None
    return {"created": created, "accepted": None if stuck else accepted, "refused": refused,
            "before_review": before_review, "decided": decided, "assigned": assigned,
            "kind": kind, "started": started, "closed": closed if closes else None,
            "contact": contact, "early": early,
            "outcome": rng.choice(("withdrawn", "unreachable")) if early
            else _pick(rng, OUTCOME_WEIGHTS),
            "payer": _pick(rng, PAYER_WEIGHTS), "share": rng.uniform(0.3, 0.9),
            "roll": rng.random(), "delays": [rng.randint(1, 12) for _ in range(4)]}


CASE_STATE_COLUMNS = ("accepted_at", "application_date", "decided_at", "refusal_reason",
                      "refusal_referral", "hardship_basis", "hardship_proof", "assigned_at",
                      "lawyer_id", "closed_at", "outcome", "amount_recovered_fen", "paid_by")


def _case_state(rng: Any, flow: dict[str, Any], now: Any, *, lawyer: int | None,
                owed: int) -> dict[str, Any]:
    """The case's columns as of now: as far along as its age allows."""
    def reached(step: str) -> bool:
        return flow[step] is not None and flow[step] <= now

    state: dict[str, Any] = {"status": "pending", "updated_at": flow["created"],
                             **dict.fromkeys(CASE_STATE_COLUMNS), "aid_before_review": False}
    if not reached("accepted"):
        return state
    state.update(status="accepted", accepted_at=flow["accepted"], updated_at=flow["accepted"],
                 application_date=local(flow["accepted"]).date())  # type: ignore[union-attr]
    if not reached("decided"):
        return state
    state["decided_at"] = state["updated_at"] = flow["decided"]
    if flow["refused"]:
        state.update(status="refused", refusal_reason="经审查，申请事项不属于法律援助的范围。",
                     refusal_referral="可以向劳动人事争议仲裁委员会申请仲裁，或者拨打12333咨询。")
        return state
    state.update(status="decided", hardship_basis="exempt_42_3",
                 hardship_proof="工地考勤记录和工友证明", aid_before_review=flow["before_review"])
    if flow["early"]:
        if reached("closed"):
            state.update(status="closed", closed_at=flow["closed"], updated_at=flow["closed"],
                         outcome=flow["outcome"])
        return state
    if not reached("assigned"):
        return state
    state.update(status="assigned", assigned_at=flow["assigned"], lawyer_id=lawyer,
                 updated_at=flow["assigned"])
    if not reached("started"):
        return state
    state.update(status="in_progress", updated_at=flow["started"])
    if not reached("closed"):
        return state
    outcome = flow["outcome"]
    recovered = None
    if outcome == "recovered":
        recovered = owed or 800_000
    elif outcome == "partial":
        recovered = max(100, int((owed or 800_000) * flow["share"]) // 100 * 100)
    state.update(status="closed", closed_at=flow["closed"], updated_at=flow["closed"],
                 outcome=outcome, amount_recovered_fen=recovered,
                 paid_by=flow["payer"] if recovered else None)
    return state


def _follow_ups(rng: Any, case_ids: list[int], extras: list[dict[str, Any]],
                first_leads: dict[int, int], places: _Places, now: Any,
                today: Any) -> dict[str, list[dict[str, Any]]]:
    """Contacts, assignments, routes, deadlines and referrals of the batch's cases."""
    out: dict[str, list[dict[str, Any]]] = {
        "contacts": [], "assignments": [], "routes": [], "deadlines": [], "referrals": []}

    def day(moment: Any) -> Any:
        return local(moment).date()  # type: ignore[union-attr]

    def deadline(case_id: int, rule: str, trigger: Any, done: Any, status: str,
                 source: str | None = None) -> None:
        due = _dues.due(rule, trigger)
        row = {"case_id": case_id, "rule": rule, "trigger_date": trigger, "due_date": due.due,
               "provisional": due.provisional, "status": "open", "source": source,
               "created_at": now, "closed_at": None, "acknowledged_at": None,
               "acknowledged_by_id": None}
        if done is not None and done <= now:
            row.update(status="met" if day(done) <= due.due else "missed", closed_at=done)
        elif status in ("closed", "refused"):
            row.update(status="cancelled", closed_at=now)
        out["deadlines"].append(row)

    for case_id, extra in zip(case_ids, extras):
        flow, values = extra["workflow"], extra["values"]
        status = values["status"]
        contact = flow["contact"] if flow["contact"] is not None and flow["contact"] <= now \
            else None
        if contact is not None:
            out["contacts"].append({"case_id": case_id, "lead_id": first_leads.get(case_id),
                                    "user_id": None, "channel": "phone", "at": contact,
                                    "note": "电话联系反映人，核实欠薪情况。"})
        evidence = [moment for moment in (contact, values.get("accepted_at")) if moment]
        deadline(case_id, "first_contact", day(flow["created"]), min(evidence) if evidence
                 else None, status, "intake")
        if values.get("accepted_at"):
            deadline(case_id, "legal_aid_decision", values["application_date"],
                     values.get("decided_at"), status)
        if values.get("hardship_basis"):
            deadline(case_id, "legal_aid_assignment", day(values["decided_at"]),
                     values.get("assigned_at"), status)
        if values.get("assigned_at") and values.get("lawyer_id"):
            out["assignments"].append({"case_id": case_id, "lawyer_id": values["lawyer_id"],
                                       "assigned_by_id": None,
                                       "assigned_at": values["assigned_at"],
                                       "ended_at": values.get("closed_at")})
        if status in ("in_progress", "closed"):
            started = flow["started"]
            filed = day(started) + timedelta(days=flow["delays"][0] % 5)
            accepted_on = filed + timedelta(days=flow["delays"][1])
            decided_on = accepted_on + timedelta(days=20 + flow["delays"][2] * 3)
            route = {"case_id": case_id, "kind": flow["kind"], "started_at": started,
                     "filed_on": filed if filed <= today else None,
                     "accepted_on": accepted_on if accepted_on <= today else None,
                     "hearing_on": None,
                     "decided_on": decided_on if decided_on <= today and status == "closed"
                     else None}
            if flow["kind"] in ("negotiation",):
                route.update(filed_on=None, accepted_on=None, decided_on=None)
            out["routes"].append(route)
            if flow["kind"] == "inspection" and route["filed_on"] is not None:
                deadline(case_id, "inspection_acceptance", route["filed_on"],
                         _moment(route["accepted_on"]), status, "route")
                out["referrals"].append(_referral(case_id, places, extra["site"], started,
                                                  route["accepted_on"], status))
        if status in ("accepted", "decided", "assigned", "in_progress") \
                and flow["kind"] != "inspection" and flow["roll"] < 0.05:
            moment = values.get("assigned_at") or values.get("decided_at") \
                or values["accepted_at"]
            out["referrals"].append(_referral(case_id, places, extra["site"], moment, None,
                                              status))
    return out


def _moment(day: Any) -> Any:
    """A local day as the moment it began (when a date stands for an event)."""
    if day is None:
        return None
    return datetime.combine(day, time(10), CHINA)


def _referral(case_id: int, places: _Places, site: _Site, referred: Any, accepted: Any,
              status: str) -> dict[str, Any]:
    state = "referred" if accepted is None else ("resolved" if status == "closed" else "accepted")
    return {"case_id": case_id, "bureau_org_id": places.bureaus[site.county], "status": state,
            "consent_note": "工人在电话中同意转人社部门劳动保障监察。", "referred_by_id": None,
            "referred_at": referred, "accepted_on": accepted, "ordered_on": None,
            "resolved_on": None, "result_note": "已督促支付。" if state == "resolved" else None}

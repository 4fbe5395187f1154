"""List pages at scale: `python bench/pages.py [--database sqlite|postgresql|both] [--reports N]`.

For each database (SQLite, then PostgreSQL), in a database of its own, migrated with
`wagechannel.migrate.upgrade`:

1. Load. 200 counties under 20 cities in 4 provinces, a legal-aid centre and an HR bureau for
   each county but one (its reports wait unrouted); one city's counties have no minimum wage of
   their own and borrow the city's (half of their sites confirmed). 400 contractors, one of them
   holding 5% of the sites; 5,000 projects (`--projects`), each with a board, backdated over two
   years (5% issued in the last 30 days), 2% revoked and reissued, most scanned on a few days.
   Then the reports: 100,000 on PostgreSQL and 10,000 on SQLite by default (`--reports`), 5% in
   the county where the staff, lawyer and liaison work, with variety (urgent, collective, awards,
   end dates spread so that some time limits are near or past, general-form and hotline reports,
   ID numbers on some). Everything goes through the services: ensure_region,
   create_organisation, set_region_wage, create_contractor, create_user, create_project,
   issue_board, revoke_board, confirm_wage_fallback, record_scan (from a few addresses a day),
   1,000 projects per committed transaction. Reports: `--load auto` (the default) sends each
   through parse_lead and `store_report` with its `Site` (stored and routed as a worker's
   request does it; its commit is a savepoint here, 1,000 reports per committed transaction)
   when there are at most 20,000, as on SQLite; above that, as for PostgreSQL's 100,000, it
   builds the same rows with `lead_values` and `new_case_values` and inserts them with Core,
   1,000 per transaction. Measured on the 2-core machine with other work running,
   store_report took 2-7 ms a report on PostgreSQL (100,000 in 4-10 minutes), the Core path
   about 2 ms. `--load service` or `--load bulk` forces one path. Intake stamps a report and its
   case with the time it is stored; the bench gives each the time it came in (over two years,
   mostly lately, never before the work ended). Case states (some accepted, some closed) and
   the lawyer's cases are set with UPDATE statements on `legal_case` (status, closed_at,
   lawyer_id). PostgreSQL is ANALYZEd after loading, as autovacuum would. The load comes in two
   steps: a tenth of the projects and of the reports, then the rest.
2. Statements at two sizes. After each step, every page is requested once (after a warm-up) with
   a `before_cursor_execute` listener on SQLAlchemy's Engine class (the application's engine,
   and the one the command line builds for itself), and its statement count at a tenth and at
   the full size is printed with "constant" or "grows". The aim is constant; for a page that
   grows, the statements that repeat are printed under the table.
3. Time. Each page through the real application (`create_app` on the bench database,
   `app.test_client()`, logged in as the role that uses it, rate limits off): the admin's,
   staff's, liaison's and lawyer's `/cases`, staff page 2 and page 40 (the last page when there
   are fewer), admin and contractor `/projects`, the liaison's `/boards/stale`, admin
   `/leads/unrouted` and `/admin/regions`; `wagechannel board list --json` through click's
   CliRunner (the command builds its app and checks the schema, as it does for a person);
   `batch_selection` for a city; the daily `scheduler.refresh_priorities(app)` (each run is the
   next day's, so the reasons it rewrites change as they do overnight); and, for reference, two
   floors every page stands on: an empty view and base.html with an empty content block, both
   logged in as staff (their SQL: the user's row). Median and p95 of 15
   runs after a warm-up (fewer for an item slower than `--budget` seconds allows), the HTML's
   size, and beside it the median of the hand-written SQL text that fetches what the page shows,
   run on a plain connection of a plain engine: ratio page / SQL, aim at most 1.5.
   Timings are shown, never asserted.

Everything it makes (the temporary folder, the SQLite file, the PostgreSQL database
`wc_bench_pages_*`) is removed on exit, Ctrl+C included. Only loopback traffic. Exit status 1
only when something fails (a page answering other than 200, a command failing).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import random
import re
import secrets
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import (Date, Engine, bindparam, create_engine, event, insert, select, text,
                        update)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from wagechannel import create_app
from wagechannel.accounts import services as account_services
from wagechannel.accounts.models import User
from wagechannel.accounts.services import create_user
from wagechannel.boards.services import (BatchScope, batch_selection, issue_board, record_scan,
                                         revoke_board)
from wagechannel.cases.models import Case, Claimant
from wagechannel.cases.routing import no_centre, offices_for
from wagechannel.cases.services import OPEN_STATUSES, new_case_values
from wagechannel.clock import CHINA, local_today
from wagechannel.db import UTCDateTime
from wagechannel.errors import DomainError
from wagechannel.extensions import db
from wagechannel.intake.models import LEAD_RECEIVED, LEAD_ROUTED, Lead
from wagechannel.intake.services import Site, lead_values, store_report
from wagechannel.intake.validation import LeadInput, parse_lead
from wagechannel.migrate import upgrade
from wagechannel.places.models import BUREAU, LEGAL_AID, Contractor, Region, region_prefix
from wagechannel.places.services import (confirm_wage_fallback, create_contractor,
                                         create_organisation, create_project, ensure_region,
                                         set_region_wage)

from _scratch import postgres_database, scratch_folder, sqlite_url

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
RATIO_AIM = 1.5
PER_PAGE = 50
DEEP_PAGE = 40
BATCH = 1000  # reports (or projects) per committed transaction
SERVICE_LOAD_MAX = 20_000  # --load auto: reports through store_report up to this many
PASSWORD = "bench-pages-password"
BASE_URL = "http://127.0.0.1:8000"

# --- the country -----------------------------------------------------------------------------

PROVINCES = [
    ("410000", "河南省", [("410100", "郑州市"), ("410200", "开封市"), ("410300", "洛阳市"),
                        ("410400", "平顶山市"), ("410500", "安阳市")]),
    ("420000", "湖北省", [("420100", "武汉市"), ("420200", "黄石市"), ("420300", "十堰市"),
                        ("420500", "宜昌市"), ("420600", "襄阳市")]),
    ("430000", "湖南省", [("430100", "长沙市"), ("430200", "株洲市"), ("430300", "湘潭市"),
                        ("430400", "衡阳市"), ("430500", "邵阳市")]),
    ("440000", "广东省", [("440100", "广州市"), ("440200", "韶关市"), ("440300", "深圳市"),
                        ("440400", "珠海市"), ("440500", "汕头市")]),
]
COUNTY_NAMES = ["东城区", "西城区", "南湖区", "北山区", "新华区", "城关区", "高新区", "临江县",
                "青山县", "白云县"]
HOME_COUNTY = "440302"  # the staff, lawyer and liaison work here: 5% of the sites and reports
HOME_SHARE = 0.05
UNSERVED_COUNTY = "440511"  # no centre, no bureau: its reports wait unrouted
BORROWING_CITY = "420300"  # its counties have no minimum wage of their own
BATCH_REGION = "440100"  # the batch selection measured: a city of ten counties
CONTRACTORS = 400
BIG_CONTRACTOR_SHARE = 0.05  # the contractor account's company holds this share of the sites

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "建国军华明伟强磊洋勇艳杰娟涛超秀英兰平刚桂芳文辉力春海波鹏宇志红霞飞云龙斌浩亮凯峰林"
ESTATES = ["锦绣花园", "滨江名苑", "翠湖雅居", "阳光新城", "星河湾", "御景华府", "金色家园",
           "幸福里", "中央公园", "科技产业园", "物流中心", "人民医院门诊楼", "实验学校",
           "体育中心", "地铁站综合体"]
ROADS = ["人民路", "解放路", "建设路", "中山路", "和平路", "新华路", "胜利路", "长江路", "黄河路"]
BRANDS = ["宏达", "华建", "中恒", "鼎盛", "远大", "兴业", "长城", "东方", "金鼎", "安泰"]
WORK = ["钢筋", "模板", "砌筑", "混凝土", "架子", "水电安装", "装饰装修", "土石方"]
DESCRIPTIONS = ["干完活老板一直拖着不给工资。", "班组长说上面没拨款，一直不发。",
                "过年前说好结清，到现在也没给。", "老板写了欠条，一直没兑现。",
                "项目停工了，工资找不到人要。", None]
EVIDENCE_KINDS = ["attendance", "payslips", "iou", "contract", "chats", "transfers"]
TRADE_KINDS = ["general", "rebar", "formwork", "mason", "concrete", "scaffold", "electric",
               "welder", "painter", "machine", "other"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def landline(rng: random.Random) -> str:
    return f"0{rng.randint(10, 999)}-{rng.randint(2_000_000, 89_999_999)}"


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}"


def id_number(rng: random.Random, county: str) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 38))
    body = f"{county}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


# --- the world -------------------------------------------------------------------------------

@dataclass
class World:
    today: date
    counties: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    centres: dict[str, int] = field(default_factory=dict)  # county -> legal-aid centre id
    bureaus: dict[str, int] = field(default_factory=dict)
    contractor_ids: list[int] = field(default_factory=list)
    big_contractor: int = 0
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    projects: list[tuple[int, str]] = field(default_factory=list)  # (project id, county)
    home_projects: list[tuple[int, str]] = field(default_factory=list)
    active_board: dict[int, int] = field(default_factory=dict)  # project id -> board id
    reports: int = 0
    last_case_id: int = 0

    def county_name(self, code: str) -> str:
        return dict(self.counties)[code]


USERS = {  # username -> (role, display name)
    "bench_admin": ("admin", "压测管理员"),
    "bench_staff": ("legal_aid_staff", "压测法援工作人员"),
    "bench_lawyer": ("lawyer", "压测援助律师"),
    "bench_liaison": ("bureau_liaison", "压测人社联络员"),
    "bench_contractor": ("contractor", "压测施工单位劳资专员"),
}


@contextlib.contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """The bench accounts' passwords are hashed with a cheap method (production uses scrypt)."""
    from werkzeug.security import generate_password_hash

    original = account_services.generate_password_hash
    account_services.generate_password_hash = (  # type: ignore[assignment]
        lambda password: generate_password_hash(password, "pbkdf2:sha256:1000"))
    try:
        yield
    finally:
        account_services.generate_password_hash = original  # type: ignore[assignment]


def load_places(engine: Engine, world: World, rng: random.Random) -> None:
    """Regions and minimum wages, the offices, the contractors and the bench accounts."""
    with Session(engine, expire_on_commit=False) as session:
        for province, province_name, cities in PROVINCES:
            ensure_region(session, province, province_name)
            for city, city_name in cities:
                ensure_region(session, city, city_name)
                for index, suffix in enumerate(COUNTY_NAMES):
                    code, name = city[:4] + f"{index + 2:02d}", city_name + suffix
                    ensure_region(session, code, name)
                    world.counties.append((code, name))
        for code, _name in world.counties:
            if not code.startswith(BORROWING_CITY[:4]):
                monthly = rng.choice((1900, 2100, 2300, 2520))
                set_region_wage(session, session.get_one(Region, code), monthly=str(monthly),
                                hourly=f"{monthly / 106:.1f}")
        set_region_wage(session, session.get_one(Region, BORROWING_CITY), monthly="1850",
                        hourly="18.0")
        for code, name in world.counties:
            if code == UNSERVED_COUNTY:
                continue
            centre = create_organisation(
                session, kind=LEGAL_AID, name=f"{name}法律援助中心", region_codes=[code],
                address=f"{name}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
                if rng.random() > 0.04 else None, phone=landline(rng))
            bureau = create_organisation(
                session, kind=BUREAU, name=f"{name}人力资源和社会保障局", region_codes=[code],
                address=f"{name}{rng.choice(ROADS)}{rng.randint(1, 300)}号", phone=landline(rng))
            world.centres[code], world.bureaus[code] = centre.id, bureau.id
        for index in range(CONTRACTORS):
            city = rng.choice(PROVINCES)[2]
            contractor = create_contractor(
                session, name=f"{rng.choice(city)[1][:-1]}{rng.choice(BRANDS)}建设工程有限公司"
                f"（第{index + 1}分公司）", credit_code=f"91{index + 1:016d}", phone=landline(rng))
            world.contractor_ids.append(contractor.id)
        world.big_contractor = world.contractor_ids[0]
        links = {"bench_admin": {}, "bench_staff": {"organisation_id": world.centres[HOME_COUNTY]},
                 "bench_lawyer": {"organisation_id": world.centres[HOME_COUNTY]},
                 "bench_liaison": {"organisation_id": world.bureaus[HOME_COUNTY]},
                 "bench_contractor": {"contractor_id": world.big_contractor}}
        with cheap_password_hashing():
            for username, (role, display) in USERS.items():
                user = create_user(session, username=username, password=PASSWORD, role=role,
                                   display_name=display, **links[username])
                world.users[username] = user.id
        session.commit()


def project_fields(rng: random.Random, county: str, county_name: str) -> dict[str, Any]:
    """A project form as a contractor fills it: most complete, some missing an item."""
    name = f"{county_name}{rng.choice(ESTATES)}{rng.randint(1, 5)}期工程"
    subcontractors = "无" if rng.random() < 0.2 else "\n".join(
        f"{county_name[:2]}{rng.choice(BRANDS)}劳务有限公司，{rng.choice(WORK)}，{landline(rng)}"
        for _ in range(rng.randint(1, 3)))
    fields: dict[str, Any] = {
        "region_code": county, "name": name,
        "address": f"{county_name}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
        "construction_unit_name": f"{county_name[:2]}{rng.choice(BRANDS)}置业有限公司",
        "construction_unit_phone": landline(rng), "project_office_name": f"{name}项目部",
        "project_manager_name": person(rng), "project_office_phone": landline(rng),
        "subcontractors": subcontractors, "authority_name": f"{county_name}住房和城乡建设局",
        "authority_phone": landline(rng), "labour_manager_name": person(rng),
        "labour_manager_phone": mobile(rng), "pay_day": str(rng.randint(5, 25)),
        "labour_inspection_phone": landline(rng),
        "arbitration_name": f"{county_name}劳动人事争议仲裁委员会",
        "arbitration_address": f"{county_name}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
        "arbitration_phone": landline(rng),
    }
    if rng.random() < 0.08:  # not yet complete: its boards cannot print
        del fields[rng.choice(["labour_manager_phone", "pay_day", "arbitration_phone",
                               "authority_phone"])]
    if rng.random() < 0.05:  # its own minimum wage, above the county's
        fields.update(minimum_wage_monthly="2800", minimum_wage_hourly="26.5")
    return fields


def load_projects(engine: Engine, world: World, rng: random.Random, count: int) -> None:
    """Projects with their boards (backdated, a few revoked and reissued) and board scans."""
    now = datetime.now(timezone.utc)
    today = world.today
    with Session(engine, expire_on_commit=False) as session:
        admin = session.get_one(User, world.users["bench_admin"])
        for number in range(count):
            county = HOME_COUNTY if rng.random() < HOME_SHARE else rng.choice(world.counties)[0]
            contractor_id = (world.big_contractor if rng.random() < BIG_CONTRACTOR_SHARE
                             else rng.choice(world.contractor_ids))
            project = create_project(session, contractor=session.get_one(Contractor, contractor_id),
                                     **project_fields(rng, county, world.county_name(county)))
            board = issue_board(session, project)
            age = rng.randint(0, 29) if rng.random() < 0.05 else rng.randint(30, 730)
            created = now - timedelta(days=age, seconds=rng.randint(0, 86_399))
            project.created_at = project.updated_at = board.created_at = created
            if county.startswith(BORROWING_CITY[:4]) and rng.random() < 0.5:
                with contextlib.suppress(DomainError):  # a site with its own figure needs none
                    confirm_wage_fallback(session, project, admin)
            if rng.random() < 0.02:
                board = revoke_board(session, board, rng.choice(["stolen", "defaced", "other"]))
                age = rng.randint(0, age)
                board.created_at = now - timedelta(days=age, seconds=rng.randint(0, 3600))
            kind = rng.random()
            if kind < 0.55:  # scanned lately
                days = rng.sample(range(0, 30), rng.randint(1, 4)) + rng.sample(range(30, 200), 1)
            elif kind < 0.8:  # scanned once, long ago: silent now
                days = rng.sample(range(31, 200), rng.randint(1, 3))
            else:
                days = []
            for ago in days:
                if ago <= age:
                    for _ in range(rng.choice((1, 1, 2, 3))):  # phones scanning that day
                        record_scan(session, board, today - timedelta(days=ago),
                                    f"117.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
            world.projects.append((project.id, county))
            if county == HOME_COUNTY:
                world.home_projects.append((project.id, county))
            world.active_board[project.id] = board.id
            if (number + 1) % BATCH == 0:
                session.commit()
                session.expunge_all()
                admin = session.get_one(User, world.users["bench_admin"])
        session.commit()


def next_report(world: World, rng: random.Random) -> tuple[LeadInput, Site, str, datetime]:
    """One worker's report, validated by parse_lead, where it comes from, and when it came in
    (over the last two years, most lately; never before the work it is about ended)."""
    world.reports += 1
    today = world.today
    pool = world.home_projects if world.home_projects and rng.random() < HOME_SHARE \
        else world.projects
    project_id, county = rng.choice(pool)
    fields: dict[str, Any] = {
        "name": person(rng), "phone": f"13{world.reports:09d}", "consent": True,
        "employer_name": (f"{rng.choice(SURNAMES)}老板" if rng.random() < 0.6
                          else f"{rng.choice(BRANDS)}劳务有限公司"),
        "employer_kind": rng.choice(["team_leader", "company"]),
        "trade": rng.choice(TRADE_KINDS),
        "amount_owed": str(min(900_000, int(rng.lognormvariate(9.0, 0.9)))),
        "description": rng.choice(DESCRIPTIONS),
        "wants": rng.choices(["legal_aid", "consult", "complaint"], [80, 15, 5])[0],
        "evidence": rng.sample(EVIDENCE_KINDS, rng.randint(0, 3)),
        "best_time": rng.choice(["any", "morning", "noon", "evening"]),
    }
    crowd = rng.random()
    fields["workers_affected"] = str(1 if crowd < 0.8 else rng.randint(3, 9) if crowd < 0.95
                                     else rng.randint(10, 80))
    fields["urgent"] = [kind for kind, share in (("conflict", 0.03), ("no_money", 0.07))
                        if rng.random() < share]
    status = rng.random()
    if status < 0.25:
        fields["employment_status"] = "working"
        fields["months_unpaid"] = str(rng.randint(1, 6))
    elif status < 0.30:
        fields["employment_status"] = "ended_unknown"
        fields["work_end_month"] = (today - timedelta(days=rng.randint(0, 500))).strftime("%Y-%m")
    elif status > 0.97:
        pass  # an older report: the worker was never asked
    else:  # most report soon after the work ends; some wait close to the year, some beyond it
        ago = min(900, int(rng.expovariate(1 / 110)))
        end = today - timedelta(days=ago)
        fields.update(employment_status="ended", work_end=end.isoformat(),
                      work_start=(end - timedelta(days=rng.randint(30, 400))).isoformat())
        if ago > 30 and rng.random() < 0.1:
            fields["demanded_on"] = (end + timedelta(days=rng.randint(1, ago))).isoformat()
    if rng.random() < 0.01:
        fields.update(award_kind="award",
                      award_date=(today - timedelta(days=rng.randint(0, 20))).isoformat())
    if rng.random() < 0.05:
        fields.update(id_number=id_number(rng, county), id_consent=True)
    where = rng.random()
    if where < 0.85:
        site, channel = Site(world.active_board[project_id], project_id, county), "qr"
    else:  # the general form or a hotline: a county and the site as the worker names it
        site = Site(region_code=county)
        channel = "qr" if where < 0.95 else rng.choice(["hotline_12348", "walk_in"])
        fields.update(site_name=f"{rng.choice(ESTATES)}工地",
                      site_address=f"{world.county_name(county)}{rng.choice(ROADS)}附近")
    data = parse_lead(fields, today=today)
    latest = (today - data.work_end).days if data.work_end else 730
    ago = min(int(rng.expovariate(1 / 200)), 730, latest)
    received = datetime.now(timezone.utc) - timedelta(days=ago, seconds=rng.randint(0, 86_399))
    return data, site, channel, received


def load_reports_service(engine: Engine, world: World, rng: random.Random, count: int) -> None:
    """Each report through store_report (its commit is a savepoint's release here), 1,000 per
    committed transaction; then the time each came in."""
    with engine.connect() as connection:
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        transaction = connection.begin()
        received: list[tuple[int, datetime]] = []
        for number in range(count):
            data, site, channel, at = next_report(world, rng)
            receipt = store_report(session, data, site=site, channel=channel, today=world.today)
            received.append((receipt.lead_id, at))
            if (number + 1) % BATCH == 0 or number + 1 == count:
                backdate(connection, received)
                received = []
                transaction.commit()
                transaction = connection.begin()
        transaction.commit()
        session.close()


_LEAD_TABLE, _CASE_TABLE = Lead.__table__, Case.__table__
_BACKDATE_LEAD = (update(_LEAD_TABLE).where(_LEAD_TABLE.c.id == bindparam("lead"))
                  .values(created_at=bindparam("at"), updated_at=bindparam("at"),
                          consent_at=bindparam("at")))
_BACKDATE_CASE = (update(_CASE_TABLE).where(_CASE_TABLE.c.id == select(_LEAD_TABLE.c.case_id)
                                            .where(_LEAD_TABLE.c.id == bindparam("lead"))
                                            .scalar_subquery())
                  .values(created_at=bindparam("at"), updated_at=bindparam("at")))


def backdate(connection: Connection, received: list[tuple[int, datetime]]) -> None:
    """Reports (and their cases) as received over time: intake stamps them now."""
    if received:
        rows = [{"lead": lead_id, "at": at} for lead_id, at in received]
        connection.execute(_BACKDATE_LEAD, rows)
        connection.execute(_BACKDATE_CASE, rows)


_INSERT_CASE = insert(Case.__table__).returning(Case.__table__.c.id, sort_by_parameter_order=True).execution_options(insertmanyvalues_page_size=100)
_INSERT_LEAD = insert(Lead.__table__).returning(Lead.__table__.c.id, sort_by_parameter_order=True).execution_options(insertmanyvalues_page_size=100)


def load_reports_bulk(engine: Engine, world: World, rng: random.Random, count: int) -> None:
    """The rows store_report writes (lead_values, new_case_values, the claimant), inserted with
    Core a thousand at a time."""
    with Session(engine) as session:
        for start in range(0, count, BATCH):
            cases, leads = [], []
            for _ in range(min(BATCH, count - start)):
                data, site, channel, now = next_report(world, rng)
                values = lead_values(data, site=site, channel=channel, now=now)
                offices = offices_for(session, site.region_code) if site.region_code else None
                if offices is None or offices.centre_id is None:
                    values.update(case_id=None, legal_aid_org_id=None, bureau_org_id=None,
                                  routing_error=no_centre(site.region_code))
                    leads.append((values, None, data))
                    continue
                values.update(status=LEAD_ROUTED, legal_aid_org_id=offices.centre_id,
                              bureau_org_id=offices.bureau_id, routing_error=None)
                cases.append(new_case_values(data, legal_aid_org_id=offices.centre_id,
                                             bureau_org_id=offices.bureau_id,
                                             project_id=site.project_id,
                                             region_code=site.region_code, today=world.today,
                                             now=now))
                leads.append((values, len(cases) - 1, data))
            connection = session.connection()
            case_ids = list(connection.execute(_INSERT_CASE, cases).scalars()) if cases else []
            for values, index, _data in leads:
                values["case_id"] = case_ids[index] if index is not None else None
            lead_ids = list(connection.execute(_INSERT_LEAD, [v for v, _i, _d in leads]).scalars())
            claimants = [{"case_id": values["case_id"], "lead_id": lead_id, "name": data.name,
                          "amount_owed_fen": data.amount_owed_fen}
                         for lead_id, (values, index, data) in zip(lead_ids, leads)
                         if index is not None]
            if claimants:
                connection.execute(insert(Claimant.__table__), claimants)
            session.commit()


def set_case_states(engine: Engine, world: World) -> None:
    """Cases opened in this step: some accepted, some closed, 1 in 20 of the home centre's
    assigned to the bench lawyer (no service sets these in bulk: UPDATE statements)."""
    table = Case.__table__
    now = datetime.now(timezone.utc)
    newer = table.c.id > world.last_case_id
    with engine.begin() as connection:
        connection.execute(update(table).where(newer, table.c.id % 8 == 3)
                           .values(status="closed", closed_at=now))
        connection.execute(update(table).where(newer, table.c.id % 8 == 5)
                           .values(status="accepted"))
        connection.execute(update(table).where(
            newer, table.c.legal_aid_org_id == world.centres[HOME_COUNTY], table.c.id % 20 == 7)
            .values(status="assigned", lawyer_id=world.users["bench_lawyer"]))
        world.last_case_id = int(connection.execute(text("SELECT max(id) FROM legal_case"))
                                 .scalar() or 0)


def analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


@dataclass
class LoadStep:
    projects: int
    reports: int
    seconds: float = 0.0
    report_seconds: float = 0.0


def load_step(engine: Engine, world: World, rng: random.Random, step: LoadStep,
              mode: str) -> None:
    started = time.perf_counter()
    progress(f"{step.projects} projects with their boards")
    load_projects(engine, world, rng, step.projects)
    progress(f"{step.reports} reports ({mode})")
    reports_started = time.perf_counter()
    (load_reports_service if mode == "service" else load_reports_bulk)(engine, world, rng,
                                                                      step.reports)
    step.report_seconds = time.perf_counter() - reports_started
    set_case_states(engine, world)
    analyze(engine)
    step.seconds = time.perf_counter() - started


# --- what is measured ------------------------------------------------------------------------

class BenchError(RuntimeError):
    """A request or a step of the run failed: the run stops, saying which."""


class Statements:
    """Every statement sent while `active`, on any engine (the app's, the command line's)."""

    def __init__(self) -> None:
        self.active = False
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active:
            self.seen.append(statement)

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.seen = []
        self.active = True
        try:
            yield self.seen
        finally:
            self.active = False


@dataclass
class Item:
    name: str
    run: Callable[[], int | None]  # one request or call; the bytes it answered (None: no page)
    raw: Callable[[Connection], int]  # the hand-written SQL; rows fetched
    job: bool = False  # a batch job: walks every case that may change, so it grows with them
    floor: bool = False  # what any page costs (an empty view, the header alone): for reference
    small: list[str] = field(default_factory=list)
    large: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    raw_times: list[float] = field(default_factory=list)
    size: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw_times)

    @property
    def ratio(self) -> float:
        return self.median / self.raw_median if self.raw_median else float("nan")

    @property
    def trend(self) -> str:
        if not self.small or not self.large:
            return "?"
        if len(self.large) == len(self.small):
            return "constant"
        return "grows" if len(self.large) > len(self.small) else "shrinks"


def logged_in(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not match:
        raise BenchError("no CSRF token on /login")
    response = client.post("/login", data={"csrf_token": match.group(1), "username": username,
                                           "password": PASSWORD})
    if response.status_code != 302:
        raise BenchError(f"login as {username} answered {response.status_code}")
    return client


def get(client: Any, path: str) -> Callable[[], int]:
    def run() -> int:
        response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        return len(response.data)
    return run


def expanding(sql: str, *names: str, **types: Any) -> Any:
    statement = text(sql)
    params = [bindparam(name, expanding=True) for name in names]
    params += [bindparam(name, type_=kind) for name, kind in types.items()]
    return statement.bindparams(*params) if params else statement


USER_SQL = text("SELECT id, username, display_name, password_hash, role, organisation_id, "
                "contractor_id, is_active_account, session_version FROM user_account "
                "WHERE id = :id")


def raw_queue(user_id: int, where: str, params: dict[str, Any], page: int = 1
              ) -> Callable[[Connection], int]:
    """A case list as the page shows it: the user, the open cases counted, a page of them in
    the queue's order (tier, nearest limit, age) with the project's and contractor's names,
    the lawyer's and the nearest open deadline, then their claimants."""
    scope = f"{where} AND" if where else "WHERE"
    count_sql = expanding(f"SELECT count(*) FROM legal_case c {scope} c.status IN :open", "open")
    rows_sql = expanding(
        "SELECT c.id, c.number, c.status, c.tier, c.priority, c.priority_reasons, "
        "c.limitation_end, c.limitation_kind, c.limitation_provisional, c.worker_count, "
        "c.collective_level, c.created_at, c.project_id, p.name, p.contractor_id, k.name, "
        "u.display_name, d.rule, d.due_date, d.provisional FROM legal_case c "
        "LEFT JOIN project p ON p.id = c.project_id "
        "LEFT JOIN contractor k ON k.id = p.contractor_id "
        "LEFT JOIN user_account u ON u.id = c.lawyer_id "
        "LEFT JOIN deadline d ON d.id = (SELECT n.id FROM deadline n WHERE n.case_id = c.id "
        "AND n.status = 'open' ORDER BY n.due_date, n.id LIMIT 1) "
        f"{scope} c.status IN :open "
        "ORDER BY c.tier_rank, c.limitation_end NULLS LAST, c.created_at, c.id "
        "LIMIT :limit OFFSET :offset",
        "open")
    claimants_sql = expanding("SELECT case_id, name, amount_owed_fen FROM claimant "
                              "WHERE case_id IN :ids ORDER BY case_id, id", "ids")

    def run(connection: Connection) -> int:
        connection.execute(USER_SQL, {"id": user_id}).all()
        scoped = {**params, "open": list(OPEN_STATUSES)}
        total = connection.execute(count_sql, scoped).scalar_one()
        number = min(page, max(1, -(-total // PER_PAGE)))
        rows = connection.execute(rows_sql, {**scoped, "limit": PER_PAGE,
                                             "offset": (number - 1) * PER_PAGE}).all()
        if rows:
            connection.execute(claimants_sql, {"ids": [row[0] for row in rows]}).all()
        return len(rows)
    return run


def raw_projects(user_id: int, where: str, params: dict[str, Any]) -> Callable[[Connection], int]:
    count_sql = text(f"SELECT count(*) FROM project p WHERE p.deleted_at IS NULL {where}")
    rows_sql = text("SELECT p.id, p.name, p.address, c.name FROM project p "
                    "JOIN contractor c ON c.id = p.contractor_id "
                    f"WHERE p.deleted_at IS NULL {where} ORDER BY p.id LIMIT :limit")
    boards_sql = expanding("SELECT project_id, count(*) FROM board WHERE project_id IN :ids "
                           "AND revoked_at IS NULL GROUP BY project_id", "ids")

    def run(connection: Connection) -> int:
        connection.execute(USER_SQL, {"id": user_id}).all()
        connection.execute(count_sql, params).scalar_one()
        rows = connection.execute(rows_sql, {**params, "limit": PER_PAGE}).all()
        if rows:
            connection.execute(boards_sql, {"ids": [row[0] for row in rows]}).all()
        return len(rows)
    return run


def raw_stale(user_id: int, organisation_id: int, today: date) -> Callable[[Connection], int]:
    from wagechannel.boards.services import STALE_DAYS

    since = today - timedelta(days=STALE_DAYS)
    # issued at least STALE_DAYS local days ago (as boards.services counts them)
    issued_before = datetime.combine(since + timedelta(days=1), dt_time.min, tzinfo=CHINA)
    boards = ("FROM board b JOIN project p ON p.id = b.project_id "
              "JOIN contractor c ON c.id = p.contractor_id "
              "WHERE b.revoked_at IS NULL AND p.deleted_at IS NULL AND p.region_code LIKE :prefix ")
    columns = "SELECT b.id, b.token, b.created_at, p.id, p.name, p.address, c.name "
    order = " ORDER BY p.region_code, p.id, b.id"
    stale = ("AND b.created_at < :cut AND NOT EXISTS "
             "(SELECT 1 FROM board_scan s WHERE s.board_id = b.id AND s.day > :since)")
    types = {"cut": UTCDateTime(), "since": Date()}
    regions_sql = text("SELECT region_code FROM organisation_region WHERE organisation_id = :org")
    count_sql = expanding(f"SELECT count(*) {boards}{stale}", **types)
    rows_sql = expanding(f"{columns}{boards}{stale}{order} LIMIT {PER_PAGE}", **types)
    last_sql = expanding("SELECT board_id, max(day) FROM board_scan WHERE board_id IN :ids "
                         "GROUP BY board_id", "ids")
    new_sql = expanding(f"{columns}{boards}AND b.created_at >= :cut AND NOT EXISTS "
                        f"(SELECT 1 FROM board_scan s WHERE s.board_id = b.id){order} LIMIT 100",
                        cut=UTCDateTime())

    def run(connection: Connection) -> int:
        connection.execute(USER_SQL, {"id": user_id}).all()
        codes = list(connection.execute(regions_sql, {"org": organisation_id}).scalars())
        prefix = region_prefix(codes[0]) + "%"  # the bench bureau serves one county
        params = {"prefix": prefix, "cut": issued_before, "since": since}
        connection.execute(count_sql, params).scalar_one()
        rows = connection.execute(rows_sql, params).all()
        if rows:
            connection.execute(last_sql, {"ids": [row[0] for row in rows]}).all()
        new = connection.execute(new_sql, {"prefix": prefix, "cut": issued_before}).all()
        return len(rows) + len(new)
    return run


def raw_unrouted(user_id: int) -> Callable[[Connection], int]:
    count_sql = text("SELECT count(*) FROM lead WHERE status = :status")
    rows_sql = text("SELECT l.id, l.created_at, l.channel, l.site_name, l.region_code, l.name, "
                    "l.routing_error, p.name, r.name FROM lead l "
                    "LEFT JOIN project p ON p.id = l.project_id "
                    "LEFT JOIN region r ON r.code = l.region_code WHERE l.status = :status "
                    f"ORDER BY l.created_at, l.id LIMIT {PER_PAGE}")

    def run(connection: Connection) -> int:
        connection.execute(USER_SQL, {"id": user_id}).all()
        connection.execute(count_sql, {"status": LEAD_RECEIVED}).scalar_one()
        return len(connection.execute(rows_sql, {"status": LEAD_RECEIVED}).all())
    return run


def raw_regions(user_id: int) -> Callable[[Connection], int]:
    sql = text("SELECT code, name, minimum_wage_monthly_fen, minimum_wage_hourly_fen FROM region "
               "ORDER BY code")

    def run(connection: Connection) -> int:
        connection.execute(USER_SQL, {"id": user_id}).all()
        return len(connection.execute(sql).all())
    return run


def raw_board_list(connection: Connection) -> int:
    return len(connection.execute(text(
        "SELECT b.id, b.project_id, p.name, b.token, b.revoked_at FROM board b "
        "JOIN project p ON p.id = b.project_id ORDER BY b.id")).all())


def raw_batch(region: str) -> Callable[[Connection], int]:
    """What deciding a region's print batch needs: its projects with everything a board
    prints and their contractors, subcontractors, active boards, the regions above them with
    their minimum wages, and the offices serving them."""
    prefix = region_prefix(region) + "%"
    above = [region[:2] + "0000", region[:4] + "00"]
    projects_sql = text(
        "SELECT p.id, p.region_code, p.name, p.address, p.construction_unit_name, "
        "p.construction_unit_phone, p.project_office_name, p.project_manager_name, "
        "p.project_office_phone, p.no_subcontractors, p.authority_name, p.authority_phone, "
        "p.labour_manager_name, p.labour_manager_phone, p.minimum_wage_monthly_fen, "
        "p.minimum_wage_hourly_fen, p.wage_confirmed_at, p.wage_confirmed_region_code, "
        "p.wage_confirmed_monthly_fen, p.wage_confirmed_hourly_fen, p.pay_day, "
        "p.labour_inspection_phone, p.arbitration_name, p.arbitration_address, "
        "p.arbitration_phone, p.show_arrears_platform, c.name, c.phone FROM project p "
        "JOIN contractor c ON c.id = p.contractor_id "
        "WHERE p.deleted_at IS NULL AND p.region_code LIKE :prefix ORDER BY p.region_code, p.id")
    subcontractors_sql = text(
        "SELECT s.project_id, s.name, s.scope, s.phone FROM subcontractor s "
        "JOIN project p ON p.id = s.project_id "
        "WHERE p.deleted_at IS NULL AND p.region_code LIKE :prefix ORDER BY s.project_id, s.position")
    boards_sql = text(
        "SELECT b.id, b.project_id, b.token, b.layout FROM board b "
        "JOIN project p ON p.id = b.project_id WHERE p.deleted_at IS NULL "
        "AND p.region_code LIKE :prefix AND b.revoked_at IS NULL ORDER BY b.project_id, b.id")
    regions_sql = expanding(
        "SELECT code, name, minimum_wage_monthly_fen, minimum_wage_hourly_fen FROM region "
        "WHERE code LIKE :prefix OR code IN :above", "above")
    offices_sql = expanding(
        "SELECT o.id, o.kind, o.name, o.address, o.phone, r.region_code FROM organisation o "
        "JOIN organisation_region r ON r.organisation_id = o.id "
        "WHERE r.region_code LIKE :prefix OR r.region_code IN :above", "above")

    def run(connection: Connection) -> int:
        params = {"prefix": prefix, "above": above}
        rows = connection.execute(projects_sql, params).all()
        connection.execute(subcontractors_sql, params).all()
        connection.execute(boards_sql, params).all()
        connection.execute(regions_sql, params).all()
        connection.execute(offices_sql, params).all()
        return len(rows)
    return run


def raw_refresh(engine: Engine, first_day: date) -> Callable[[Connection], int]:
    """The daily job's database work for the cases whose reasons can change that day (as
    cases.priority.refresh_selection chooses them): the cases opened since two days before
    the 90 days counted by contractor, site and boss in three stretches (leaving the 90 days,
    within them, opened in the last two days), the contractors and bosses whose counts moved
    worked out from them; the ids of the open cases whose limit is near or past, opened in
    the last two days, of those contractors or of those bosses at their sites; then 500 at a
    time those cases with their projects (contractor and own minimum wage), their leads, the
    regions above them (minimum wages), each case rewritten (priority, updated_at) in one
    executemany, a transaction a batch."""
    from wagechannel.cases.priority import REFRESH_BATCH, REPEAT_CAP
    from wagechannel.deadlines.limits import CLOSE_DAYS
    from wagechannel.places.models import region_ancestry

    repeat_days = 90
    window_sql = expanding(
        "SELECT p.contractor_id, c.project_id, c.employer_key, "
        "sum(CASE WHEN c.created_at < :since THEN 1 ELSE 0 END), "
        "sum(CASE WHEN c.created_at >= :since AND c.created_at < :recent THEN 1 ELSE 0 END), "
        "sum(CASE WHEN c.created_at >= :recent THEN 1 ELSE 0 END) "
        "FROM legal_case c JOIN project p ON p.id = c.project_id WHERE c.created_at >= :left_from "
        "GROUP BY p.contractor_id, c.project_id, c.employer_key",
        since=UTCDateTime(), recent=UTCDateTime(), left_from=UTCDateTime())
    dated = ("SELECT c.id FROM legal_case c LEFT JOIN project p ON p.id = c.project_id "
             "WHERE c.status IN :open AND ((c.limitation_end IS NOT NULL "
             "AND c.limitation_end <= :until) OR c.created_at >= :recent "
             "OR p.contractor_id IN :contractors)")
    dated_sql = expanding(f"{dated} ORDER BY c.id", "open", "contractors", until=Date(),
                          recent=UTCDateTime())

    def chosen_sql(pairs: int) -> Any:
        rows = ", ".join(f"(CAST(:c{n} AS INTEGER), CAST(:k{n} AS VARCHAR))" for n in range(pairs))
        return expanding(
            f"WITH changed_boss(contractor_id, employer_key) AS (VALUES {rows}) "
            f"SELECT id FROM ({dated} UNION SELECT c.id FROM changed_boss b "
            "JOIN project p ON p.contractor_id = b.contractor_id JOIN legal_case c "
            "ON c.project_id = p.id AND c.employer_key = b.employer_key "
            "WHERE c.status IN :open) chosen ORDER BY id", "open", "contractors",
            until=Date(), recent=UTCDateTime())
    rows_sql = expanding(
        "SELECT c.id, c.status, c.project_id, c.region_code, c.employer_key, c.created_at, "
        "c.priority, c.priority_reasons, c.limitation_end, c.limitation_kind, "
        "c.limitation_provisional, c.tier, c.tier_rank, c.worker_count, c.collective_level, "
        "p.id, p.contractor_id, p.region_code, p.minimum_wage_monthly_fen, "
        "p.minimum_wage_hourly_fen FROM legal_case c LEFT JOIN project p ON p.id = c.project_id "
        "WHERE c.id IN :ids ORDER BY c.id", "ids")
    leads_sql = expanding(
        "SELECT case_id, urgent, evidence, workers_affected, amount_owed_fen, wants, "
        "employment_status, work_end, work_end_precision, demanded_on, award_kind, award_date, "
        "vulnerable, phone_hash FROM lead WHERE case_id IN :ids ORDER BY case_id, id", "ids")
    regions_sql = expanding(
        "SELECT code, name, minimum_wage_monthly_fen, minimum_wage_hourly_fen FROM region "
        "WHERE code IN :codes", "codes")
    update_sql = expanding(
        "UPDATE legal_case SET priority = :priority, priority_reasons = priority_reasons, "
        "updated_at = :now WHERE id = :id", now=UTCDateTime())
    days = itertools.count(1)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, dt_time.min, tzinfo=CHINA)

    def changed(rows: list[Any]) -> tuple[list[int], list[tuple[int, str]]]:
        """The contractors and bosses whose counts moved (as repeat_window works them out)."""
        owner, between, moved = {}, Counter(), set()
        boss_between, boss_moved = Counter(), set()
        for contractor, site, key, left, inside, opened in rows:
            owner[site] = contractor
            between[site] += int(inside)
            if left or opened:
                moved.add(site)
                if key is not None:
                    boss_moved.add((contractor, key))
            if key is not None:
                boss_between[contractor, key] += int(inside)
        steady = Counter(owner[site] for site, count in between.items() if count)
        contractors = {owner[site] for site in moved
                       if not between[site] and steady[owner[site]] <= REPEAT_CAP}
        return (sorted(contractors),
                sorted(pair for pair in boss_moved if boss_between[pair] <= REPEAT_CAP))

    def run(_connection: Connection) -> int:
        day = first_day + timedelta(days=next(days))
        recent = midnight(day - timedelta(days=2))
        with engine.begin() as connection:
            counts = connection.execute(window_sql, {
                "since": midnight(day - timedelta(days=repeat_days)), "recent": recent,
                "left_from": midnight(day - timedelta(days=2 + repeat_days))}).all()
            contractors, bosses = changed(counts)
            params: dict[str, Any] = {"open": list(OPEN_STATUSES), "contractors": contractors,
                                      "until": day + timedelta(days=CLOSE_DAYS), "recent": recent}
            for n, (contractor, key) in enumerate(bosses):
                params.update({f"c{n}": contractor, f"k{n}": key})
            ids = list(connection.execute(chosen_sql(len(bosses)) if bosses else dated_sql,
                                          params).scalars())
        rewritten = 0
        for start in range(0, len(ids), REFRESH_BATCH):
            with engine.begin() as connection:
                batch = ids[start:start + REFRESH_BATCH]
                rows = connection.execute(rows_sql, {"ids": batch}).all()
                connection.execute(leads_sql, {"ids": batch}).all()
                codes = {code for row in rows for place in (row[17], row[3]) if place
                         for code in region_ancestry(place)}
                connection.execute(regions_sql, {"codes": sorted(codes)}).all()
                now = datetime.now(timezone.utc)
                connection.execute(update_sql, [{"priority": row[6], "now": now, "id": row[0]}
                                                for row in rows])
                rewritten += len(rows)
        return rewritten
    return run


def cli_board_list(env: dict[str, str]) -> Callable[[], int]:
    from click.testing import CliRunner

    from wagechannel.cli import main

    def run() -> int:
        result = CliRunner().invoke(main, ["board", "list", "--json"], env=env,
                                    catch_exceptions=False)
        if result.exit_code != 0:
            raise BenchError(f"wagechannel board list --json exited {result.exit_code}: "
                             f"{result.output[-500:]}")
        return len(result.stdout_bytes)
    return run


def service_batch(app: Any, region: str) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            batch_selection(db.session, BatchScope(region_code=region))
    return run


def job_refresh(app: Any, first_day: date) -> Callable[[], None]:
    """scheduler.refresh_priorities(app) as it runs each night: every run is the next day's."""
    from wagechannel import scheduler

    days = itertools.count(1)

    def run() -> None:
        day = first_day + timedelta(days=next(days))
        original = scheduler.local_today
        scheduler.local_today = lambda: day  # type: ignore[assignment]
        try:
            scheduler.refresh_priorities(app)
        finally:
            scheduler.local_today = original  # type: ignore[assignment]
    return run


def build_items(app: Any, world: World, engine: Engine, cli_env: dict[str, str]) -> list[Item]:
    users = world.users
    admin, staff, lawyer, liaison, contractor = (logged_in(app, name) for name in USERS)
    centre, bureau = world.centres[HOME_COUNTY], world.bureaus[HOME_COUNTY]
    staff_where = "WHERE c.legal_aid_org_id = :org"
    return [
        Item("admin /cases (home)", get(admin, "/cases"), raw_queue(users["bench_admin"], "", {})),
        Item("staff /cases", get(staff, "/cases"),
             raw_queue(users["bench_staff"], staff_where, {"org": centre})),
        Item("staff /cases?page=2", get(staff, "/cases?page=2"),
             raw_queue(users["bench_staff"], staff_where, {"org": centre}, page=2)),
        Item(f"staff /cases?page={DEEP_PAGE}", get(staff, f"/cases?page={DEEP_PAGE}"),
             raw_queue(users["bench_staff"], staff_where, {"org": centre}, page=DEEP_PAGE)),
        Item("liaison /cases", get(liaison, "/cases"),
             raw_queue(users["bench_liaison"], "WHERE c.bureau_org_id = :org", {"org": bureau})),
        Item("lawyer /cases", get(lawyer, "/cases"),
             raw_queue(users["bench_lawyer"], "WHERE c.lawyer_id = :lawyer",
                       {"lawyer": users["bench_lawyer"]})),
        Item("admin /projects", get(admin, "/projects"), raw_projects(users["bench_admin"], "", {})),
        Item("contractor /projects", get(contractor, "/projects"),
             raw_projects(users["bench_contractor"], "AND p.contractor_id = :contractor",
                          {"contractor": world.big_contractor})),
        Item("liaison /boards/stale", get(liaison, "/boards/stale"),
             raw_stale(users["bench_liaison"], bureau, world.today)),
        Item("admin /leads/unrouted", get(admin, "/leads/unrouted"),
             raw_unrouted(users["bench_admin"])),
        Item("admin /admin/regions", get(admin, "/admin/regions"), raw_regions(users["bench_admin"])),
        Item("board list --json (command)", cli_board_list(cli_env), raw_board_list),
        Item(f"batch_selection({BATCH_REGION})", service_batch(app, BATCH_REGION),
             raw_batch(BATCH_REGION)),
        Item("refresh_priorities (daily job)", job_refresh(app, world.today),
             raw_refresh(engine, world.today), job=True),
        Item("floor: empty view (staff)", get(staff, FLOOR_EMPTY), raw_user(users["bench_staff"]),
             floor=True),
        Item("floor: header only (staff)", get(staff, FLOOR_HEADER),
             raw_user(users["bench_staff"]), floor=True),
    ]


FLOOR_EMPTY, FLOOR_HEADER = "/_bench/empty", "/_bench/header"


def add_floor_views(app: Any) -> None:
    """Two pages that show nothing, to measure what every page costs before its own work: a
    view answering an empty body (the request, the session and the logged-in user loaded), and
    base.html with an empty content block (the header's links and unread counts)."""
    from flask import render_template_string
    from flask_login import current_user, login_required

    @login_required
    def empty() -> str:
        return "" if current_user.is_authenticated else "-"

    @login_required
    def header() -> str:
        return render_template_string('{% extends "base.html" %}{% block content %}{% endblock %}')

    app.add_url_rule(FLOOR_EMPTY, "bench_floor_empty", empty)
    app.add_url_rule(FLOOR_HEADER, "bench_floor_header", header)


def raw_user(user_id: int) -> Callable[[Connection], int]:
    """What a page needs before its own work: the logged-in user."""
    def run(connection: Connection) -> int:
        return len(connection.execute(USER_SQL, {"id": user_id}).all())
    return run


def count_statements(items: list[Item], statements: Statements, which: str) -> None:
    for item in items:
        item.run()  # warm-up
        gc.collect()
        with statements.counting() as seen:
            item.run()
        setattr(item, which, list(seen))
        gc.collect()


def timed(work: Callable[[], Any], runs: int, budget: float) -> tuple[list[float], Any]:
    """Times of `runs` runs after a warm-up (fewer when a run is slow: about `budget` seconds,
    at least 3)."""
    started = time.perf_counter()
    answer = work()
    warm = time.perf_counter() - started
    runs = max(3, min(runs, int(budget / warm))) if warm > 0 else runs
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        answer = work()
        times.append(time.perf_counter() - started)
    return times, answer


def measure(items: list[Item], engine: Engine, args: argparse.Namespace) -> None:
    for item in items:
        progress(f"timing {item.name}")
        item.times, item.size = timed(item.run, args.runs, args.budget)

        def raw(item: Item = item) -> int:
            with engine.connect() as connection:
                return item.raw(connection)
        item.raw_times, _rows = timed(raw, len(item.times), args.budget)


def normalised(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()


def repeats(item: Item, limit: int = 3) -> list[tuple[int, int, str]]:
    """Statements sent more often at the full size than at a tenth: (small, large, text)."""
    small, large = Counter(map(normalised, item.small)), Counter(map(normalised, item.large))
    grown = [(small[s], count, s) for s, count in large.items() if count > small[s]]
    return sorted(grown, key=lambda entry: entry[1] - entry[0], reverse=True)[:limit]


# --- databases -------------------------------------------------------------------------------

@dataclass
class Target:
    label: str
    url: str
    folder: Path


def sqlite_target(stack: contextlib.ExitStack) -> Target:
    folder = scratch_folder(stack, "wc_bench_pages_")
    return Target("SQLite (WAL)", sqlite_url(folder), folder)


def postgres_target(stack: contextlib.ExitStack, admin: str) -> Target:
    folder = scratch_folder(stack, "wc_bench_pages_")
    database = postgres_database(stack, admin, f"wc_bench_pages_{secrets.token_hex(4)}")
    name, version, url = database.name, database.version, database.url
    return Target(f"PostgreSQL {version} ({name})", url, folder)


@dataclass
class Outcome:
    label: str
    reports: int
    load_seconds: float
    reports_per_second: float
    items: list[Item]


def print_table(target: Target, world: World, steps: list[LoadStep], items: list[Item],
                mode: str) -> None:
    small = steps[0]
    print()
    print(f"=== {target.label}: {len(world.counties)} counties, {len(world.projects)} projects, "
          f"{world.reports} reports (loaded: {mode})")
    for number, step in enumerate(steps, start=1):
        print(f"load step {number}: {step.projects} projects and {step.reports} reports in "
              f"{step.seconds:.1f} s (reports {step.report_seconds:.1f} s, "
              f"{step.reports / step.report_seconds if step.report_seconds else 0:.0f}/s)")
    print(f"statements at {small.reports} reports / {small.projects} projects and at "
          f"{world.reports} / {len(world.projects)}; times at the full size, median of the runs")
    print(f"{'page':<32}{'stmts':>7}{'→':^3}{'':<6}{'trend':<10}{'median ms':>10}{'p95 ms':>9}"
          f"{'SQL ms':>9}{'ratio':>8}  {'aim':<5}{'KB':>8}{'runs':>5}")
    for item in items:
        aim = "ref" if item.floor else "ok" if item.ratio <= RATIO_AIM else "miss"
        size = f"{item.size / 1024:.1f}" if item.size is not None else "-"
        trend = item.trend + ("*" if item.job else "")
        print(f"{item.name:<32}{len(item.small):>7}{'→':^3}{len(item.large):<6}{trend:<10}"
              f"{item.median * 1000:>10.1f}{item.p95 * 1000:>9.1f}{item.raw_median * 1000:>9.2f}"
              f"{item.ratio:>8.1f}  {aim:<5}{size:>8}{len(item.times):>5}")
    print(f"  ratio = page median / hand-written SQL median (aim <= {RATIO_AIM}); "
          "* a batch job: it walks every case whose reasons can change, so its statements grow with "
          "them; what repeats beyond its batches is listed below; floor: what any page costs before "
          "its own work (not counted below)")
    grown = [item for item in items if item.trend == "grows"]
    for item in grown:
        print(f"  {item.name}: {len(item.small)} → {len(item.large)} statements; repeated:")
        for before, after, statement in repeats(item):
            print(f"    {before} → {after}x  {statement[:150]}")


def bench(target: Target, args: argparse.Namespace, statements: Statements,
          stack: contextlib.ExitStack) -> Outcome:
    progress(f"{target.label}: migrating")
    upgrade(target.url)
    instance = target.folder / "instance"
    data_key, hash_key, secret = Fernet.generate_key().decode(), secrets.token_urlsafe(32), \
        secrets.token_urlsafe(32)
    app = create_app({"DATABASE_URL": target.url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": secret, "DATA_KEYS": data_key, "HASH_KEY": hash_key,
                      "BASE_URL": BASE_URL, "RATELIMIT_ENABLED": False})
    add_floor_views(app)
    engine: Engine = app.extensions["wagechannel_engine"]
    stack.callback(engine.dispose)
    raw_engine = create_engine(target.url)
    stack.callback(raw_engine.dispose)
    cli_env = {"WAGECHANNEL_DATABASE_URL": target.url, "WAGECHANNEL_INSTANCE_PATH": str(instance),
               "WAGECHANNEL_SECRET_KEY": secret, "WAGECHANNEL_DATA_KEYS": data_key,
               "WAGECHANNEL_HASH_KEY": hash_key, "WAGECHANNEL_BASE_URL": BASE_URL,
               "WAGECHANNEL_RATELIMIT_ENABLED": "false"}

    rng = random.Random(args.seed)
    world = World(today=local_today())
    reports = args.reports or (100_000 if target.url.startswith("postgresql") else 10_000)
    mode = args.load if args.load != "auto" else (
        "service" if reports <= SERVICE_LOAD_MAX else "bulk")
    steps = [LoadStep(args.projects // 10, reports // 10),
             LoadStep(args.projects - args.projects // 10, reports - reports // 10)]
    started = time.perf_counter()
    progress("regions, offices, contractors, accounts")
    load_places(engine, world, rng)
    places_seconds = time.perf_counter() - started
    load_step(engine, world, rng, steps[0], mode)
    items = build_items(app, world, raw_engine, cli_env)
    progress(f"statements at {world.reports} reports")
    count_statements(items, statements, "small")
    load_step(engine, world, rng, steps[1], mode)
    load_seconds = places_seconds + sum(step.seconds for step in steps)
    print(f"\nloaded {world.reports} reports and {len(world.projects)} projects in "
          f"{load_seconds:.1f} s", flush=True)
    progress(f"statements at {world.reports} reports")
    count_statements(items, statements, "large")
    measure(items, raw_engine, args)
    print_table(target, world, steps, items, mode)
    report_seconds = sum(step.report_seconds for step in steps)
    return Outcome(target.label.split(" (")[0], world.reports, load_seconds,
                   world.reports / report_seconds if report_seconds else 0.0, items)


def summary(outcomes: list[Outcome]) -> None:
    print()
    print(f"{'database':<16}{'reports':>9}{'load s':>8}{'reports/s':>11}{'within 1.5x':>13}"
          f"{'constant':>10}  worst ratio")
    for outcome in outcomes:
        pages = [item for item in outcome.items if not item.floor]
        within = sum(item.ratio <= RATIO_AIM for item in pages)
        constant = sum(item.trend == "constant" for item in pages if not item.job)
        worst = max(pages, key=lambda item: item.ratio)
        print(f"{outcome.label:<16}{outcome.reports:>9}{outcome.load_seconds:>8.0f}"
              f"{outcome.reports_per_second:>11.0f}{f'{within}/{len(pages)}':>13}"
              f"{f'{constant}/{sum(not i.job for i in pages)}':>10}  "
              f"{worst.ratio:.1f}x {worst.name}")
    for outcome in outcomes:
        missed = [item for item in outcome.items if item.trend == "grows" and not item.job]
        if missed:
            print(f"{outcome.label}: statements grow on "
                  + ", ".join(f"{i.name} ({len(i.small)} → {len(i.large)})" for i in missed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reports", type=int, default=None,
                        help="reports to load (default 100000 on PostgreSQL, 10000 on SQLite)")
    parser.add_argument("--projects", type=int, default=5000, help="projects, a board each")
    parser.add_argument("--load", choices=["auto", "service", "bulk"], default="auto",
                        help="reports through store_report, or Core inserts of the rows "
                             "lead_values and new_case_values build; auto: store_report up to "
                             f"{SERVICE_LOAD_MAX} reports, Core above")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per page")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="about this many seconds of timed runs per page at most (>= 3 runs)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN,
                        help="where to CREATE and DROP the benchmark's database")
    args = parser.parse_args()
    if args.projects < 10 or (args.reports is not None and args.reports < 10):
        parser.error("--projects and --reports must be at least 10")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    statements = Statements()
    event.listen(Engine, "before_cursor_execute", statements)
    outcomes: list[Outcome] = []
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    try:
        for kind in kinds:
            with contextlib.ExitStack() as stack:
                target = (sqlite_target(stack) if kind == "sqlite"
                          else postgres_target(stack, args.postgres_admin_url))
                outcomes.append(bench(target, args, statements, stack))
                gc.collect()  # the command line's engines go before the database does
    except (BenchError, DomainError) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 1
    finally:
        event.remove(Engine, "before_cursor_execute", statements)
    summary(outcomes)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; temporary files and databases removed", file=sys.stderr)
        sys.exit(130)

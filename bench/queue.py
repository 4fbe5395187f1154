"""Queue benchmark: `python bench/queue.py [--database sqlite|postgresql|both] [--cases N]`.

For each database (SQLite, then PostgreSQL), in a database of its own migrated with
`wagechannel.migrate.upgrade`:

1. Load. A province, a city and 10 counties, each with a legal-aid centre and an HR bureau; 60
   general contractors with 600 sites; an administrator, the staff member, 6 lawyers and the
   liaison of the first county, and a personal API token for the staff member and the
   administrator. Then the cases: 100,000 on PostgreSQL and 12,000 on SQLite by default
   (`--cases`), half of them in the first county, received over 400 days; most with one report,
   some collective (2 to 40 workers, each a report and a claimant). Each report's row is
   `lead_values` of a `LeadInput` with variety (end of work spread so that limits are near, far
   or past; urgent situations; vulnerable workers; amounts), each case's row `new_case_values`
   with its priority, tier and worker count from `case_priority` of all its reports, as the
   report path computes them; then states (a third closed; lawyers on the assigned and those in
   progress, with a route), all inserted with Core a thousand rows a statement. PostgreSQL is
   ANALYZEd after each step, as autovacuum would. The load comes in two steps: a tenth, then
   the rest.
2. Statements at two sizes. After each step, each item is requested once after a warm-up with
   a `before_cursor_execute` listener on the application's engine: its statement count at a
   tenth and at the full size, "constant", "grows" or "shrinks".
3. Time. Each item through the real application (`create_app`, `app.test_client()`, logged in
   as the role that uses it; the API with its Bearer token): the queue page `/cases` of the
   staff (first page, page 40, filtered by tier and contractor), the administrator (every
   case), the lawyer and the liaison; `GET /api/v1/cases` for the staff and the administrator.
   Beside each, the hand-written SQL that fetches what it shows (the user or token, the count,
   a page of cases with project, contractor and lawyer, their claimants — on the page each
   case's count, total and first three names; in the API every claimant —, the filter's lawyers)
   on a plain connection of a plain engine, in the same run, alternating with the page. Median
   and p95 of `--runs` runs after a warm-up; ratio = page median / SQL median, aim at most 1.5.
   Timings are shown, never asserted.

Everything it makes (the temporary folder, the SQLite file, the PostgreSQL database
`wc_bench_queue_*`) is removed on exit, Ctrl+C included. Exit status 1 only when a request
answers other than 200 or a page's statements grow with the data.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This file is named queue.py. A script in bench/ (this one, intake.py) has bench/ first on its
# path, so `import queue` (psycopg, concurrent.futures) would find this file instead of the
# standard library's module. Imported under that name, it puts the standard library's module in
# its place at once; run as the benchmark, it takes bench/ off the path.
_HERE = Path(__file__).resolve().parent
if __name__ == "queue":
    import importlib.machinery
    import importlib.util
    _spec = importlib.machinery.PathFinder.find_spec(
        "queue", [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE])
    assert _spec is not None and _spec.loader is not None, "the standard library's queue"
    _standard = importlib.util.module_from_spec(_spec)
    sys.modules["queue"] = _standard
    _spec.loader.exec_module(_standard)
    globals().update({k: v for k, v in vars(_standard).items() if not k.startswith("__")})
elif sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    del sys.path[0]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, datetime, timedelta, timezone  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import Engine, bindparam, create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

# bench/ at the end of the path: the standard library's queue is found first.
sys.path.append(str(_HERE))
from _scratch import postgres_database, scratch_folder, sqlite_url  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
RATIO_AIM = 1.5
PER_PAGE = 50
PASSWORD = "bench-queue-password"
BATCH = 1000
OPEN = ("pending", "accepted", "decided", "assigned", "in_progress")
COUNTIES = [(f"4403{index:02d}", f"深圳市压测{index}区") for index in range(1, 11)]
HOME = COUNTIES[0][0]


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A request or a step of the run failed: the run stops, saying which."""


# --- the data ----------------------------------------------------------------------------------

@dataclass
class World:
    today: date
    centres: dict[str, int] = field(default_factory=dict)  # county -> centre id
    bureaus: dict[str, int] = field(default_factory=dict)
    projects: list[tuple[int, str, int]] = field(default_factory=list)  # id, county, contractor
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    lawyers: list[int] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # username -> bearer token
    contractor: int = 0  # the one the filtered item asks for
    cases: int = 0


def load_places(app: Any, world: World) -> None:
    from wagechannel.accounts import services as accounts
    from wagechannel.accounts.tokens import create_token
    from wagechannel.extensions import db
    from wagechannel.places.models import BUREAU, LEGAL_AID
    from wagechannel.places.services import (create_contractor, create_organisation,
                                             create_project, ensure_region, set_region_wage)
    from werkzeug.security import generate_password_hash

    cheap = lambda password: generate_password_hash(password, "pbkdf2:sha256:1000")  # noqa: E731
    original, accounts.generate_password_hash = accounts.generate_password_hash, cheap
    try:
        with app.app_context():
            session = db.session()
            ensure_region(session, "440000", "广东省")
            ensure_region(session, "440300", "深圳市")
            for code, name in COUNTIES:
                region = ensure_region(session, code, name)
                set_region_wage(session, region, monthly="2520", hourly="23.7")
                world.centres[code] = create_organisation(
                    session, kind=LEGAL_AID, name=f"{name}法律援助中心", region_codes=[code]).id
                world.bureaus[code] = create_organisation(
                    session, kind=BUREAU, name=f"{name}人力资源局", region_codes=[code]).id
            for number in range(60):
                contractor = create_contractor(session, name=f"压测建设集团{number}有限公司")
                for site in range(10):
                    county = COUNTIES[(number + site) % len(COUNTIES)][0]
                    project = create_project(session, contractor=contractor, region_code=county,
                                             name=f"压测{number}-{site}号工地",
                                             address=f"压测路{number}-{site}号")
                    world.projects.append((project.id, county, contractor.id))
            world.contractor = world.projects[0][2]
            centre, bureau = world.centres[HOME], world.bureaus[HOME]
            people = [("bench_admin", "admin", {}), ("bench_staff", "legal_aid_staff",
                                                      {"organisation_id": centre}),
                      ("bench_liaison", "bureau_liaison", {"organisation_id": bureau})]
            people += [(f"bench_lawyer{n}", "lawyer", {"organisation_id": centre})
                       for n in range(6)]
            for username, role, links in people:
                user = accounts.create_user(session, username=username, password=PASSWORD,
                                            role=role, display_name=username, **links)
                world.users[username] = user.id
                if role == "lawyer":
                    world.lawyers.append(user.id)
                if username in ("bench_admin", "bench_staff"):
                    world.tokens[username] = create_token(session, user, label="bench")[1]
            session.commit()
    finally:
        accounts.generate_password_hash = original


def a_report(rng: random.Random, today: date, number: int) -> Any:
    from wagechannel.intake.validation import LeadInput
    roll = rng.random()
    if roll < 0.25:
        status, end = "working", None
    elif roll < 0.3:
        status, end = "ended_unknown", None
    else:
        status, end = "ended", today - timedelta(days=rng.randint(1, 420))
    return LeadInput(
        name=rng.choice("赵钱孙李周吴郑王冯陈") + rng.choice(("大勇", "建国", "小红", "海", "国强")),
        phone=f"139{number % 10**8:08d}", employer_name=rng.choice(("钱老板", "吴包工头", None)),
        amount_owed_fen=rng.choice((None, rng.randint(1000, 200_000) * 100)),
        workers_affected=rng.choice((1, 1, 1, 2, 3, 5, 12)), work_start=None, work_end=end,
        description=None, wants=rng.choice(("legal_aid", "legal_aid", "consult")),
        employment_status=status, work_end_precision="day" if end else None,
        urgent=tuple(u for u, p in (("conflict", 0.03), ("no_money", 0.15)) if rng.random() < p),
        evidence=("iou",) if rng.random() < 0.1 else (),
        vulnerable=("elderly",) if rng.random() < 0.05 else ())


_INSERTS: dict[str, Any] = {}


def inserts() -> dict[str, Any]:
    if not _INSERTS:
        from wagechannel.cases.models import Case, CaseRoute, Claimant
        from wagechannel.intake.models import Lead
        for name, table in (("case", Case.__table__), ("lead", Lead.__table__)):
            _INSERTS[name] = (insert(table).returning(table.c.id, sort_by_parameter_order=True)
                              .execution_options(insertmanyvalues_page_size=BATCH))
        _INSERTS["claimant"] = insert(Claimant.__table__)
        _INSERTS["route"] = insert(CaseRoute.__table__)
    return _INSERTS


def load_cases(app: Any, world: World, rng: random.Random, count: int) -> float:
    """`count` more cases (and their reports and claimants), a thousand rows a statement."""
    from wagechannel.cases.priority import CaseContext, Wage, case_priority, parse_season
    from wagechannel.cases.services import new_case_values
    from wagechannel.extensions import db
    from wagechannel.intake.models import LEAD_ROUTED
    from wagechannel.intake.services import Site, lead_values

    statements = inserts()
    context = CaseContext(wage=Wage(2520 * 100), season=parse_season("12-01..02-15"))
    home = [p for p in world.projects if p[1] == HOME]
    started = time.perf_counter()
    with app.app_context():
        session: Session = db.session()
        connection = session.connection()
        done = 0
        while done < count:
            cases, reports = [], []
            for _ in range(min(BATCH, count - done)):
                number = world.cases + done
                project, county, _contractor = rng.choice(home if rng.random() < 0.5
                                                          else world.projects)
                now = datetime.now(timezone.utc) - timedelta(days=rng.random() * 400)
                size = 1 if rng.random() < 0.9 else rng.choice((2, 3, 5, 12, 40))
                leads = [a_report(rng, world.today, number * 50 + k) for k in range(size)]
                values = new_case_values(leads[0], legal_aid_org_id=world.centres[county],
                                         bureau_org_id=world.bureaus[county], project_id=project,
                                         region_code=county, today=world.today, now=now,
                                         context=context)
                values.update(case_priority(leads, world.today, context))
                values["number"] = f"WC{world.today.year}-B{number:07d}"  # random ones may clash
                roll = rng.random()
                status = "closed" if roll < 0.33 else rng.choice(OPEN)
                values["status"] = status
                values["closed_at"] = now + timedelta(days=30) if status == "closed" else None
                values["lawyer_id"] = rng.choice(world.lawyers) \
                    if county == HOME and status in ("assigned", "in_progress") else None
                cases.append(values)
                site = Site(None, project, county)
                reports.append([{**lead_values(lead, site=site, channel="qr", now=now),
                                 "code": f"{number * 50 + k:08d}"[-8:], "status": LEAD_ROUTED,
                                 "legal_aid_org_id": world.centres[county],
                                 "bureau_org_id": world.bureaus[county]}
                                for k, lead in enumerate(leads)])
                done += 1
            case_ids = list(connection.execute(statements["case"], cases).scalars())
            rows = [(case_id, row) for case_id, batch in zip(case_ids, reports) for row in batch]
            for case_id, row in rows:
                row["case_id"] = case_id
            lead_ids = list(connection.execute(statements["lead"], [r for _c, r in rows]).scalars())
            connection.execute(statements["claimant"], [
                {"case_id": case_id, "lead_id": lead_id, "name": row["name"],
                 "amount_owed_fen": row["amount_owed_fen"]}
                for lead_id, (case_id, row) in zip(lead_ids, rows)])
            routes = [{"case_id": case_id, "kind": rng.choice(("negotiation", "arbitration")),
                       "started_at": values["created_at"]}
                      for case_id, values in zip(case_ids, cases)
                      if values["status"] == "in_progress"]
            if routes:
                connection.execute(statements["route"], routes)
            session.commit()
            connection = session.connection()
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE")
            session.commit()
    world.cases += count
    return time.perf_counter() - started


# --- what is measured ---------------------------------------------------------------------------

@dataclass
class Item:
    name: str
    run: Callable[[], int]  # the request; returns the body's size
    raw: Callable[[Connection], int]  # the hand-written SQL; returns rows
    small: int = 0
    large: int = 0
    times: list[float] = field(default_factory=list)
    raw_times: list[float] = field(default_factory=list)

    @property
    def trend(self) -> str:
        # Fewer at the full size is no growth: page 40 lies past the end of a tenth of the cases
        # (a page past the end costs the count and the last page).
        if self.small == self.large:
            return "constant"
        return "grows" if self.large > self.small else "shrinks"

    @staticmethod
    def _p(values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    @property
    def ratio(self) -> float:
        raw = statistics.median(self.raw_times) if self.raw_times else 0.0
        return statistics.median(self.times) / raw if raw else float("nan")


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


def get(client: Any, path: str, headers: dict[str, str] | None = None) -> Callable[[], int]:
    def run() -> int:
        response = client.get(path, headers=headers or {})
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        return len(response.data)
    return run


USER_SQL = text("SELECT id, username, display_name, password_hash, role, organisation_id, "
                "contractor_id, is_active_account, session_version FROM user_account "
                "WHERE id = :id")
TOKEN_SQL = text("SELECT t.id, t.revoked_at, t.last_used_at, u.id, u.role, u.organisation_id, "
                 "u.is_active_account FROM api_token t JOIN user_account u ON u.id = t.user_id "
                 "WHERE t.token_hash = :hash")
LAWYERS_SQL = text("SELECT id, username, display_name FROM user_account WHERE role = 'lawyer' "
                   "AND organisation_id = :org ORDER BY display_name, id LIMIT 500")
# The API lists every claimant of a row; the page shows each case's count, total and first names.
CLAIMANTS_SQL = text("SELECT case_id, id, name, amount_owed_fen "
                     "FROM claimant WHERE case_id IN :ids ORDER BY case_id, id").bindparams(
    bindparam("ids", expanding=True))
SUMMARY_SQL = text(
    "SELECT * FROM (SELECT case_id, name, row_number() OVER (PARTITION BY case_id ORDER BY id) "
    "AS n, count(*) OVER (PARTITION BY case_id) AS total, count(amount_owed_fen) OVER "
    "(PARTITION BY case_id) AS known, sum(amount_owed_fen) OVER (PARTITION BY case_id) AS owed "
    "FROM claimant WHERE case_id IN :ids) ranked WHERE n <= 3 ORDER BY case_id, n").bindparams(
    bindparam("ids", expanding=True))
OPEN_SQL = "c.status IN ('pending', 'accepted', 'decided', 'assigned', 'in_progress')"


def raw_queue(where: str, params: dict[str, Any], *, user_id: int | None = None,
              token_hash: str | None = None, lawyers_of: int | None = None,
              page: int = 1) -> Callable[[Connection], int]:
    """What a queue page shows: its user (or token), the count, a page of cases in the tiers'
    order with project, contractor and lawyer, their claimants, the filter's lawyers."""
    conditions = f"WHERE {where}" if where else ""
    count_sql = text(f"SELECT count(*) FROM legal_case c {conditions}")
    rows_sql = text(
        "SELECT c.id, c.number, c.status, c.tier, c.priority, c.priority_reasons, "
        "c.limitation_end, c.limitation_kind, c.limitation_provisional, c.worker_count, "
        "c.collective_level, c.created_at, c.updated_at, p.id, p.name, k.id, k.name, u.id, "
        "u.display_name FROM legal_case c LEFT JOIN project p ON p.id = c.project_id "
        "LEFT JOIN contractor k ON k.id = p.contractor_id "
        f"LEFT JOIN user_account u ON u.id = c.lawyer_id {conditions} "
        "ORDER BY c.tier_rank, c.limitation_end NULLS LAST, c.created_at, c.id "
        "LIMIT :limit OFFSET :offset")

    def run(connection: Connection) -> int:
        if token_hash is not None:
            connection.execute(TOKEN_SQL, {"hash": token_hash}).all()
        else:
            connection.execute(USER_SQL, {"id": user_id}).all()
        total = connection.execute(count_sql, params).scalar_one()
        number = min(page, max(1, -(-total // PER_PAGE)))
        rows = connection.execute(rows_sql, {**params, "limit": PER_PAGE,
                                             "offset": (number - 1) * PER_PAGE}).all()
        if rows:
            connection.execute(CLAIMANTS_SQL if token_hash is not None else SUMMARY_SQL,
                               {"ids": [row[0] for row in rows]}).all()
        if lawyers_of is not None:
            connection.execute(LAWYERS_SQL, {"org": lawyers_of}).all()
        return len(rows)
    return run


def build_items(app: Any, world: World) -> list[Item]:
    from wagechannel.accounts.tokens import _digest

    staff, admin = logged_in(app, "bench_staff"), logged_in(app, "bench_admin")
    lawyer, liaison = logged_in(app, "bench_lawyer0"), logged_in(app, "bench_liaison")
    api = app.test_client()
    centre, bureau = world.centres[HOME], world.bureaus[HOME]
    mine = f"c.legal_aid_org_id = :org AND {OPEN_SQL}"
    by_contractor = (f"{mine} AND c.tier_rank = 1 AND c.project_id IN "
                     "(SELECT id FROM project WHERE contractor_id = :contractor)")
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in world.tokens.items()}
    hashes = {name: _digest(token) for name, token in world.tokens.items()}
    ids = world.users
    return [
        Item("staff /cases", get(staff, "/cases"),
             raw_queue(mine, {"org": centre}, user_id=ids["bench_staff"], lawyers_of=centre)),
        Item("staff /cases?page=40", get(staff, "/cases?page=40"),
             raw_queue(mine, {"org": centre}, user_id=ids["bench_staff"], lawyers_of=centre,
                       page=40)),
        Item("staff tier+contractor",
             get(staff, f"/cases?tier=priority&contractor={world.contractor}"),
             raw_queue(by_contractor, {"org": centre, "contractor": world.contractor},
                       user_id=ids["bench_staff"], lawyers_of=centre)),
        Item("admin /cases (every case)", get(admin, "/cases"),
             raw_queue(OPEN_SQL, {}, user_id=ids["bench_admin"], lawyers_of=None)),
        Item("lawyer /cases", get(lawyer, "/cases"),
             raw_queue(f"c.lawyer_id = :lawyer AND {OPEN_SQL}",
                       {"lawyer": ids["bench_lawyer0"]}, user_id=ids["bench_lawyer0"])),
        Item("liaison /cases", get(liaison, "/cases"),
             raw_queue(f"c.bureau_org_id = :bureau AND {OPEN_SQL}", {"bureau": bureau},
                       user_id=ids["bench_liaison"])),
        Item("API staff /api/v1/cases", get(api, "/api/v1/cases", bearer["bench_staff"]),
             raw_queue(mine, {"org": centre}, token_hash=hashes["bench_staff"])),
        Item("API admin ?tier=urgent", get(api, "/api/v1/cases?tier=urgent",
                                          bearer["bench_admin"]),
             raw_queue(f"c.tier_rank = 0 AND {OPEN_SQL}", {}, token_hash=hashes["bench_admin"])),
    ]


def count_statements(app: Any, items: list[Item], which: str) -> None:
    engine = app.extensions["wagechannel_engine"]
    for item in items:
        item.run()  # warm: per-process caches, compiled statements
        statements: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)
        event.listen(engine, "before_cursor_execute", note)
        try:
            item.run()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        setattr(item, which, len(statements))


def measure(items: list[Item], engine: Engine, runs: int) -> None:
    with engine.connect() as connection:
        for item in items:
            for _ in range(3):  # warm-up
                item.run()
                item.raw(connection)
                connection.rollback()
            for _ in range(runs):
                started = time.perf_counter()
                item.run()
                item.times.append(time.perf_counter() - started)
                started = time.perf_counter()
                item.raw(connection)
                item.raw_times.append(time.perf_counter() - started)
                connection.rollback()


# --- databases ----------------------------------------------------------------------------------

@dataclass
class Target:
    label: str
    url: str
    folder: Path
    cases: int


def sqlite_target(stack: contextlib.ExitStack, cases: int) -> Target:
    folder = scratch_folder(stack, "wc_bench_queue_")
    return Target("SQLite (WAL)", sqlite_url(folder), folder, cases)


def postgres_target(stack: contextlib.ExitStack, admin: str, cases: int) -> Target:
    folder = scratch_folder(stack, "wc_bench_queue_")
    database = postgres_database(stack, admin, f"wc_bench_queue_{secrets.token_hex(4)}")
    name, version, url = database.name, database.version, database.url
    return Target(f"PostgreSQL {version} ({name})", url, folder, cases)


@dataclass
class Outcome:
    label: str
    cases: int
    items: list[Item]


def bench(target: Target, args: argparse.Namespace) -> Outcome:
    from wagechannel import create_app
    from wagechannel.clock import local_today
    from wagechannel.migrate import upgrade

    print()
    print(f"=== {target.label}")
    progress("migrating")
    upgrade(target.url)
    instance = target.folder / "instance"
    app = create_app({"DATABASE_URL": target.url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": secrets.token_urlsafe(32), "RATELIMIT_ENABLED": False})
    engine = app.extensions["wagechannel_engine"]
    world = World(today=local_today())
    rng = random.Random(args.seed)
    load_places(app, world)
    first = max(1, target.cases // 10)
    progress(f"loading {first} cases")
    seconds = load_cases(app, world, rng, first)
    items = build_items(app, world)
    count_statements(app, items, "small")
    progress(f"loading {target.cases - first} more cases")
    seconds += load_cases(app, world, rng, target.cases - first)
    count_statements(app, items, "large")
    progress(f"timing {len(items)} items, {args.runs} runs each")
    plain = create_engine(target.url if not target.url.startswith("postgresql://")
                          else "postgresql+psycopg://" + target.url.split("://", 1)[1])
    try:
        measure(items, plain, args.runs)
    finally:
        plain.dispose()
        engine.dispose()
    print(f"{world.cases} cases ({world.cases // 2} or so in the staff's centre), loaded in "
          f"{seconds:.0f} s; statements at {first} and at {world.cases} cases; times at the "
          f"full size, {args.runs} runs")
    print(f"{'item':<28}{'stmts':>6}{'→':^3}{'':<4}{'trend':<10}{'median ms':>10}{'p95 ms':>9}"
          f"{'SQL ms':>9}{'SQL p95':>9}{'ratio':>7}  aim")
    for item in items:
        aim = "ok" if item.ratio <= RATIO_AIM else "miss"
        print(f"{item.name:<28}{item.small:>6}{'→':^3}{item.large:<4}{item.trend:<10}"
              f"{statistics.median(item.times) * 1000:>10.1f}"
              f"{Item._p(item.times, 0.95) * 1000:>9.1f}"
              f"{statistics.median(item.raw_times) * 1000:>9.2f}"
              f"{Item._p(item.raw_times, 0.95) * 1000:>9.2f}{item.ratio:>7.2f}  {aim}")
    print(f"  ratio = request median / hand-written SQL median (aim <= {RATIO_AIM}); the request "
          "goes through Flask, the session or token, SQLAlchemy and the template or JSON")
    return Outcome(target.label, world.cases, items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=None,
                        help="cases to load (default 12,000 on SQLite, 100,000 on PostgreSQL)")
    parser.add_argument("--runs", type=int, default=25, help="timed runs per item")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN,
                        help="where to CREATE and DROP the benchmark's database")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    outcomes: list[Outcome] = []
    for kind in kinds:
        with contextlib.ExitStack() as stack:
            target = (sqlite_target(stack, args.cases or 12_000) if kind == "sqlite"
                      else postgres_target(stack, args.postgres_admin_url,
                                           args.cases or 100_000))
            outcomes.append(bench(target, args))
    if len(outcomes) > 1:
        print()
        print(f"{'database':<36}{'cases':>8}{'worst ratio':>13}{'statements':>12}")
        for outcome in outcomes:
            worst = max(item.ratio for item in outcome.items)
            grows = [item.name for item in outcome.items if item.trend == "grows"]
            print(f"{outcome.label:<36}{outcome.cases:>8}{worst:>13.2f}"
                  f"{'grow: ' + ', '.join(grows) if grows else 'constant':>12}")
    return 1 if any(item.trend == "grows" for o in outcomes for item in o.items) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
    except BenchError as error:
        print(f"failed: {error}", file=sys.stderr)
        sys.exit(1)

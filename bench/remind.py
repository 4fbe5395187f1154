"""Reminder tick benchmark: `python bench/remind.py [--database sqlite|postgresql|both]
[--open N] [--due N]`.

For each database (SQLite in WAL mode, then PostgreSQL), in a database of its own migrated with
`wagechannel.migrate.upgrade`:

1. Load. One county with its legal-aid centre and HR bureau; three staff (one of them the
   supervisor), five lawyers, a liaison and an administrator; a WeCom group robot for the
   centre, served on loopback by this script. Then, in two steps (a tenth, then the rest),
   cases with ten open deadlines each, due 30 to 730 days ahead (the arbitration year of each
   worker, mostly) — 1,000,000 open deadlines at the full size by default (`--open`). Each step
   adds `--due` (1,000) deadlines that are due today, in the days before, or overdue, over
   the centre's and the bureau's rules; those of the first step are met before the second, so
   each measured tick has the same work and only the open deadlines grow. One case in twenty
   was reported within the seeding window (with its first contact already met), so the
   tick's anti-join over recent cases has rows to look at. Cases and deadlines go in with
   INSERT … SELECT (a thousand cases a statement); PostgreSQL is ANALYZEd after each step.
2. A tick at each size: `wagechannel.scheduler.remind(app, now=...)` at 09:00 on a Tuesday,
   after the process caches were emptied (so both do the same lookups), timed, with its
   statements counted by a `before_cursor_execute` listener on the application's engine; the
   seeding, planning and delivery timed apart. Then, at the full size, the next minute's
   tick, which finds nothing new: the steady cost of the scheduler.
3. Printed: per size the open and due deadlines, messages written and delivered to the robot,
   the time of each phase and the statements; the ratios full / tenth. The statements must not
   grow with the open deadlines (exit status 1 if they do); timings are shown, never asserted.

Everything it makes (the temporary folder, the SQLite file, the PostgreSQL database
`wc_bench_remind_*`, the loopback robot) is removed on exit, Ctrl+C included.
"""
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    del sys.path[0]  # bench/queue.py must not stand in for the standard library's queue

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, datetime, timedelta, timezone  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import bindparam, event, insert, text, update  # noqa: E402

# bench/ at the end of the path: the standard library's queue is found first.
sys.path.append(str(_HERE))
from _scratch import postgres_database, scratch_folder, sqlite_url  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-remind-password"
CHINA_OFFSET = timedelta(hours=8)
TODAY = date(2026, 12, 1)  # a Tuesday
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in China
PER_CASE = 10
CASE_BATCH = 1000
RECENT_EVERY = 20  # one case in twenty reported within the seeding window
DUE_RULES = ("legal_aid_decision", "mediation", "inspection_acceptance", "legal_aid_assignment",
             "arbitration_acceptance")


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# --- the loopback robot -----------------------------------------------------------------------

class Robot:
    """A WeCom group robot on 127.0.0.1 that takes every message."""

    def __init__(self) -> None:
        self.count = 0
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                robot.count += 1
                data = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=bench"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the data ----------------------------------------------------------------------------------

@dataclass
class World:
    centre: int = 0
    bureau: int = 0
    lawyers: list[int] = field(default_factory=list)
    cases: int = 0  # made so far
    first_case_id: int = 0
    due_ids: list[int] = field(default_factory=list)  # the deadlines due in the current step


def load_people(app: Any, world: World) -> None:
    from werkzeug.security import generate_password_hash

    from wagechannel.accounts import services as accounts
    from wagechannel.deadlines import seeding
    from wagechannel.extensions import db
    from wagechannel.places.models import BUREAU, LEGAL_AID
    from wagechannel.places.services import create_organisation, ensure_region

    cheap = lambda password: generate_password_hash(password, "pbkdf2:sha256:1000")  # noqa: E731
    original, accounts.generate_password_hash = accounts.generate_password_hash, cheap
    try:
        with app.app_context():
            session = db.session()
            ensure_region(session, "440000", "广东省")
            ensure_region(session, "440305", "深圳市南山区")
            world.centre = create_organisation(session, kind=LEGAL_AID, name="南山区法律援助中心",
                                               region_codes=["440305"]).id
            world.bureau = create_organisation(session, kind=BUREAU, name="南山区人力资源局",
                                               region_codes=["440305"]).id
            for name in ("staff1", "staff2", "chief"):
                accounts.create_user(session, username=name, password=PASSWORD,
                                     role="legal_aid_staff", organisation_id=world.centre)
            for number in range(5):
                world.lawyers.append(accounts.create_user(
                    session, username=f"lawyer{number}", password=PASSWORD, role="lawyer",
                    organisation_id=world.centre).id)
            accounts.create_user(session, username="liaison", password=PASSWORD,
                                 role="bureau_liaison", organisation_id=world.bureau)
            accounts.create_user(session, username="admin", password=PASSWORD, role="admin")
            accounts.record(session, seeding.BACKFILL_MARK, object_type="deadlines")
            session.commit()
    finally:
        accounts.generate_password_hash = original


def load_cases(app: Any, world: World, count: int) -> float:
    """`count` cases with ten far-off open deadlines each; one in twenty recent, with its first
    contact met. Returns the seconds taken."""
    from wagechannel.cases.models import Case
    from wagechannel.db import UTCDateTime
    from wagechannel.extensions import db

    started = time.perf_counter()
    old = NOW - timedelta(days=300)
    with app.app_context():
        engine = db.engine
        postgresql = engine.dialect.name == "postgresql"
        first = world.cases
        for offset in range(0, count, CASE_BATCH):
            rows = []
            for number in range(first + offset, first + min(count, offset + CASE_BATCH)):
                recent = number % RECENT_EVERY == 0
                created = NOW - timedelta(days=1 + number % 30) if recent else old
                rows.append({"number": f"B-{number:07d}", "legal_aid_org_id": world.centre,
                             "bureau_org_id": world.bureau, "region_code": "440305",
                             "status": "assigned" if number % 2 else "accepted",
                             "priority": 0, "priority_reasons": [],
                             "limitation_provisional": False, "aid_before_review": False,
                             "lawyer_id": world.lawyers[number % 5] if number % 2 else None,
                             "created_at": created, "updated_at": created})
            with engine.begin() as connection:
                connection.execute(insert(Case.__table__), rows)
        with engine.begin() as connection:
            low, high = connection.execute(text(
                "SELECT min(id), max(id) FROM legal_case WHERE number >= :a AND number <= :b"),
                {"a": f"B-{first:07d}", "b": f"B-{first + count - 1:07d}"}).one()
            if not world.first_case_id:
                world.first_case_id = low
            due = ("CAST(:base AS date) + ((c.id * 7 + k.n * 37) % 700 + 30)" if postgresql
                   else "date(:base, '+' || ((c.id * 7 + k.n * 37) % 700 + 30) || ' days')")
            day = "CAST(:trigger AS date)" if postgresql else ":trigger"  # SQLite keeps text
            connection.execute(text(
                "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < :last) "
                "INSERT INTO deadline (case_id, rule, trigger_date, due_date, provisional, status,"
                " source, created_at) "
                f"SELECT c.id, 'arbitration_limitation', {day}, {due}, "
                "false, 'open', 'bench', c.created_at FROM legal_case c, k "
                "WHERE c.id BETWEEN :low AND :high"),
                {"last": PER_CASE - 1, "base": TODAY.isoformat(), "trigger": "2026-10-31",
                 "low": low, "high": high})
            connection.execute(text(
                "INSERT INTO deadline (case_id, rule, trigger_date, due_date, provisional, status,"
                " source, created_at, closed_at) "
                f"SELECT c.id, 'first_contact', {day}, {day}, "
                "false, 'met', 'intake', c.created_at, c.created_at FROM legal_case c "
                "WHERE c.id BETWEEN :low AND :high AND c.created_at > :cutoff")
                .bindparams(bindparam("cutoff", type_=UTCDateTime())),
                {"trigger": (TODAY - timedelta(days=31)).isoformat(), "low": low, "high": high,
                 "cutoff": NOW - timedelta(days=40)})
            if postgresql:
                connection.execute(text("ANALYZE"))
    world.cases += count
    return time.perf_counter() - started


def load_due(app: Any, world: World, count: int) -> None:
    """`count` deadlines in a stage today, on as many cases: a quarter overdue, a quarter due
    today, a quarter one working day ahead, a quarter three; the last step's are met."""
    from wagechannel.deadlines.calendar import add_working_days, using_entries
    from wagechannel.deadlines.models import Deadline
    from wagechannel.deadlines.reminders import working_days_before
    from wagechannel.extensions import db

    with using_entries({}):
        days = [working_days_before(TODAY, 2), TODAY, add_working_days(TODAY, 1)[0],
                add_working_days(TODAY, 3)[0]]
    with app.app_context(), db.engine.begin() as connection:
        table = Deadline.__table__
        if world.due_ids:
            connection.execute(update(table).where(table.c.id.in_(world.due_ids))
                               .values(status="met", closed_at=NOW - timedelta(days=1)))
        base = world.first_case_id + world.cases - count  # the newest cases
        rows = [{"case_id": base + number, "rule": DUE_RULES[number % len(DUE_RULES)],
                 "trigger_date": days[number % 4] - timedelta(days=7),
                 "due_date": days[number % 4], "provisional": False, "status": "open",
                 "source": "bench", "created_at": NOW - timedelta(days=7)}
                for number in range(count)]
        world.due_ids = [row[0] for row in connection.execute(
            insert(table).returning(table.c.id), rows)]
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE deadline"))


# --- a measured tick ---------------------------------------------------------------------------

@dataclass
class Tick:
    label: str
    open: int
    due: int
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    statements: int = 0
    written: int = 0
    sent: int = 0
    failed: int = 0


@contextlib.contextmanager
def timed_phases(phases: dict[str, float]) -> Iterator[None]:
    """The seeding and the delivery timed apart (planning and the digest are the rest)."""
    from wagechannel.deadlines import reminders

    originals = {name: getattr(reminders, name) for name in ("seed", "deliver")}

    def wrap(name: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
        return run

    for name in originals:
        setattr(reminders, name, wrap(name))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(reminders, name, function)


def measure(app: Any, label: str, now: datetime, *, open_count: int, due: int,
            fresh: bool) -> Tick:
    from wagechannel.cache import clear_all
    from wagechannel.scheduler import remind

    if fresh:
        clear_all()
    tick = Tick(label, open_count, due)
    engine = app.extensions["wagechannel_engine"]

    def note(*_args: Any) -> None:
        tick.statements += 1

    event.listen(engine, "before_cursor_execute", note)
    try:
        with timed_phases(tick.phases):
            started = time.perf_counter()
            result = remind(app, now=now)
            tick.seconds = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", note)
    tick.written = result.written + result.digests
    tick.sent, tick.failed = result.delivery.sent, result.delivery.failed
    return tick


# --- databases ----------------------------------------------------------------------------------

@dataclass
class Target:
    label: str
    url: str
    folder: Path


def sqlite_target(stack: contextlib.ExitStack) -> Target:
    folder = scratch_folder(stack, "wc_bench_remind_")
    return Target("SQLite (WAL)", sqlite_url(folder), folder)


def postgres_target(stack: contextlib.ExitStack, admin: str) -> Target:
    folder = scratch_folder(stack, "wc_bench_remind_")
    database = postgres_database(stack, admin, f"wc_bench_remind_{secrets.token_hex(4)}")
    version, url = database.version, database.url
    return Target(f"PostgreSQL {version}", url, folder)


def bench(target: Target, args: argparse.Namespace, robot: Robot) -> list[Tick]:
    from wagechannel import create_app
    from wagechannel.migrate import upgrade

    print()
    print(f"=== {target.label}")
    progress("migrating")
    upgrade(target.url)
    app = create_app({"DATABASE_URL": target.url, "INSTANCE_PATH": str(target.folder / "i"),
                      "SECRET_KEY": secrets.token_urlsafe(32), "RATELIMIT_ENABLED": False,
                      "BASE_URL": "http://wc.bench", "SUPERVISORS": "chief"})
    world = World()
    load_people(app, world)
    app.config["WEBHOOKS"] = json.dumps({str(world.centre): {"wecom": robot.url}})
    measure(app, "warm-up", NOW - timedelta(days=1), open_count=0, due=0, fresh=True)
    total_cases = max(args.open // PER_CASE, 10)
    first = max(total_cases // 10, args.due)
    ticks: list[Tick] = []
    loaded = 0.0
    for step, cases in (("tenth", first), ("full", total_cases - first)):
        progress(f"loading {cases:,} cases with {cases * PER_CASE:,} open deadlines")
        loaded += load_cases(app, world, cases)
        load_due(app, world, args.due)
        progress(f"tick over {world.cases * PER_CASE + args.due:,} open deadlines")
        ticks.append(measure(app, step, NOW, open_count=world.cases * PER_CASE + args.due,
                             due=args.due, fresh=True))
    ticks.append(measure(app, "next minute", NOW + timedelta(minutes=1),
                         open_count=world.cases * PER_CASE + args.due, due=0, fresh=False))
    app.extensions["wagechannel_engine"].dispose()
    print(f"{world.cases:,} cases loaded in {loaded:.0f} s; robot received {robot.count:,} "
          "messages so far")
    print(f"{'tick':<13}{'open':>11}{'due':>6}{'written':>9}{'sent':>7}{'seed s':>8}"
          f"{'plan s':>8}{'send s':>8}{'total s':>9}{'stmts':>7}")
    for tick in ticks:
        seed = tick.phases.get("seed", 0.0)
        send = tick.phases.get("deliver", 0.0)
        print(f"{tick.label:<13}{tick.open:>11,}{tick.due:>6}{tick.written:>9}{tick.sent:>7}"
              f"{seed:>8.2f}{tick.seconds - seed - send:>8.2f}{send:>8.2f}"
              f"{tick.seconds:>9.2f}{tick.statements:>7}")
    small, large = ticks[0], ticks[1]
    print(f"  full / tenth: open ×{large.open / small.open:.1f}, time ×"
          f"{large.seconds / small.seconds:.2f}, statements ×"
          f"{large.statements / small.statements:.2f}"
          f" ({'constant' if large.statements == small.statements else 'GROW'})")
    return ticks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--open", type=int, default=1_000_000,
                        help="open deadlines at the full size (default 1,000,000)")
    parser.add_argument("--due", type=int, default=1000, help="deadlines due in each tick")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN,
                        help="where to CREATE and DROP the benchmark's database")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    outcomes: list[tuple[str, list[Tick]]] = []
    with contextlib.ExitStack() as outer:
        robot = Robot()
        outer.callback(robot.close)
        for kind in kinds:
            with contextlib.ExitStack() as stack:
                target = sqlite_target(stack) if kind == "sqlite" else \
                    postgres_target(stack, args.postgres_admin_url)
                outcomes.append((target.label, bench(target, args, robot)))
    if len(outcomes) > 1:
        print()
        print(f"{'database':<16}{'open':>11}{'tick s':>8}{'stmts':>7}{'quiet s':>9}"
              f"{'quiet stmts':>12}")
        for label, ticks in outcomes:
            full, quiet = ticks[1], ticks[2]
            print(f"{label:<16}{full.open:>11,}{full.seconds:>8.2f}{full.statements:>7}"
                  f"{quiet.seconds:>9.2f}{quiet.statements:>12}")
    grows = any(ticks[1].statements != ticks[0].statements for _, ticks in outcomes)
    return 1 if grows else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; temporary files and databases removed", file=sys.stderr)
        sys.exit(130)

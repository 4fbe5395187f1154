"""Dashboard benchmark: `python bench/dashboard.py [--database sqlite|postgresql|both]`.

For each database (SQLite, then PostgreSQL), in a database of its own migrated with
`wagechannel.migrate.upgrade`:

1. Load. `wagechannel.demo.load_demo` (the logins: the administrator, and the liaison of the
   Nanshan bureau, 440305), then `load_scale` with 1,000,000 reports on PostgreSQL and 100,000
   on SQLite by default (`--reports`): 23 districts, contractors and sites, three years of
   reports with their cases, contacts, deadlines and referrals. In two steps, a tenth and then
   the rest (the same seed: the second step adds what the first did not); PostgreSQL is
   ANALYZEd after each, as autovacuum would.
2. Statements at two sizes. After each step, each page is requested once after a warm-up with
   a `before_cursor_execute` listener on the application's engine: its statement count at a
   tenth and at the full size, "constant" or "grows".
3. Time. Each page through the real application (`create_app`, `app.test_client()`, logged in):
   the dashboard of the administrator (every region; the last 12 weeks, and this year) and of
   the liaison, the first page of the reports list, the contractors' ranking. Beside each, the
   SQL it needs: the statements the page sent (captured once) replayed on a plain DB-API
   connection of a plain engine, every row fetched, alternating with the page in the same run.
   Median and p95 of `--runs` runs after a warm-up; ratio = page median / SQL median, aim at
   most 1.5. The ratio is the application's cost around its SQL (Flask, the session, building
   statements, rows into Python, the template and the SVG); the SQL itself is the page's own.
4. The ledger. A period holding about 100,000 reports (`--ledger-rows`), exported in a child
   process through `reports.ledger.export_ledger` (the query streamed a few thousand rows at a
   time, masking, labels, formats, formula neutralisation, openpyxl's write-only mode), against
   a bare loop in another child process: the same statement's rows appended as they come to a
   write-only sheet and saved. Each child's time and peak resident size (ru_maxrss); ratio
   aim at most 1.3, peak under 200 MB.

Timings are shown, never asserted. Everything it makes (the temporary folder, the SQLite file,
the PostgreSQL database `wc_bench_dashboard_*`) is removed on exit, Ctrl+C included. Exit status
1 only when a page answers other than 200 or its statements grow with the data.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

from _scratch import postgres_database, scratch_folder, sqlite_url

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PAGE_AIM, LEDGER_AIM, MEMORY_AIM_MB = 1.5, 1.3, 200
SEED = 1
# Indexes the statements would use (proposed, not in the migrations): `--indexes` adds them to
# the benchmark's own database before timing, to show what they change.
INDEXES = [
    "CREATE INDEX ix_lead_region_created ON lead (region_code, created_at)",
    "CREATE INDEX ix_legal_case_region_created ON legal_case (region_code, created_at)",
    "CREATE INDEX ix_legal_case_region_closed ON legal_case (region_code, closed_at)",
    "CREATE INDEX ix_legal_case_project_closed ON legal_case (project_id, closed_at) "
    "WHERE closed_at IS NOT NULL",
    "CREATE INDEX ix_legal_case_employer_closed ON legal_case (employer_key, closed_at) "
    "WHERE closed_at IS NOT NULL",
]


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A request or a step of the run failed: the run stops, saying which."""


# --- pages ---------------------------------------------------------------------------------------

@dataclass
class Item:
    name: str
    client: Any
    path: str
    captured: list[tuple[str, Any]] = field(default_factory=list)
    small: int = 0
    large: int = 0
    times: list[float] = field(default_factory=list)
    raw_times: list[float] = field(default_factory=list)

    def run(self) -> int:
        response = self.client.get(self.path)
        if response.status_code != 200:
            raise BenchError(f"GET {self.path} answered {response.status_code}")
        return len(response.data)

    @property
    def trend(self) -> str:
        return "constant" if self.small == self.large else "grows"

    @property
    def ratio(self) -> float:
        raw = statistics.median(self.raw_times) if self.raw_times else 0.0
        return statistics.median(self.times) / raw if raw else float("nan")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0


def logged_in(app: Any, username: str, password: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not match:
        raise BenchError("no CSRF token on /login")
    response = client.post("/login", data={"csrf_token": match.group(1), "username": username,
                                           "password": password})
    if response.status_code != 302:
        raise BenchError(f"login as {username} answered {response.status_code}")
    return client


def build_items(app: Any, today: date) -> list[Item]:
    from wagechannel.demo import DEFAULT_PASSWORD

    admin = logged_in(app, "admin", DEFAULT_PASSWORD)
    liaison = logged_in(app, "liaison", DEFAULT_PASSWORD)
    year = f"from={today.year}-01-01&to={today.isoformat()}"
    return [Item("admin /bureau (12 weeks)", admin, "/bureau"),
            Item("admin /bureau (this year)", admin, f"/bureau?{year}"),
            Item("liaison /bureau (12 weeks)", liaison, "/bureau"),
            Item("liaison /bureau (this year)", liaison, f"/bureau?{year}"),
            Item("admin /bureau/reports", admin, "/bureau/reports"),
            Item("admin ranking/contractor", admin, "/bureau/ranking/contractor")]


def listen(engine: Any, sink: Callable[..., None]) -> Callable[[], None]:
    event.listen(engine, "before_cursor_execute", sink)
    return lambda: event.remove(engine, "before_cursor_execute", sink)


def count_statements(app: Any, items: list[Item], which: str) -> None:
    engine = app.extensions["wagechannel_engine"]
    for item in items:
        item.run()  # warm: per-process caches, compiled statements
        found: list[tuple[str, Any]] = []
        stop = listen(engine, lambda _c, _cur, statement, parameters, *_a: found.append(
            (statement, parameters)))
        try:
            item.run()
        finally:
            stop()
        setattr(item, which, len(found))
        item.captured = found


def replay(connection: Any, statements: list[tuple[str, Any]]) -> int:
    """The page's own statements on a plain DB-API connection, every row fetched."""
    cursor = connection.cursor()
    rows = 0
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        if cursor.description is not None:
            rows += len(cursor.fetchall())
    cursor.close()
    return rows


def measure(items: list[Item], url: str, runs: int) -> None:
    plain = create_engine(url)
    connection = plain.raw_connection()
    try:
        for item in items:
            for _ in range(2):  # warm-up
                item.run()
                replay(connection, item.captured)
                connection.rollback()
            for _ in range(runs):
                started = time.perf_counter()
                item.run()
                item.times.append(time.perf_counter() - started)
                started = time.perf_counter()
                replay(connection, item.captured)
                item.raw_times.append(time.perf_counter() - started)
                connection.rollback()
    finally:
        connection.close()
        plain.dispose()


# --- the ledger, in child processes -------------------------------------------------------------

def ledger_child(url: str, instance: str, start: str, end: str, mode: str, output: str) -> None:
    """Run in a child: export the ledger (mode "app") or the bare loop (mode "bare"); print
    the seconds, rows and peak resident size as JSON."""
    from datetime import datetime

    from openpyxl import Workbook

    from wagechannel import create_app
    from wagechannel.bureau.filters import Filters, Period
    from wagechannel.extensions import db
    from wagechannel.reports.ledger import FETCH, export_ledger, ledger_statement

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False})
    filters = Filters(period=Period(date.fromisoformat(start), date.fromisoformat(end)))
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        if mode == "app":
            export = export_ledger(session, filters, None, user=None, names={}, via="bench")
            with open(output, "wb") as target:
                shutil.copyfileobj(export.file, target)
            rows = export.rows
            session.rollback()  # the audit event: not kept
        else:
            book = Workbook(write_only=True)
            sheet = book.create_sheet("台账")
            rows = 0
            for row in session.execute(ledger_statement(filters, None)
                                       .execution_options(yield_per=FETCH)):
                sheet.append([value.replace(tzinfo=None) if isinstance(value, datetime)
                              else value for value in row])
                rows += 1
            book.save(output)
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_resident_mb()}))


def peak_resident_mb() -> float:
    """This process's peak resident size (VmHWM). Not ru_maxrss: Linux carries that across
    exec, so a child would report its parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class LedgerResult:
    rows: int
    app: list[dict[str, float]]
    bare: list[dict[str, float]]

    @property
    def ratio(self) -> float:
        return statistics.median(r["seconds"] for r in self.app) / \
            statistics.median(r["seconds"] for r in self.bare)


def ledger_period(app: Any, wanted: int, today: date) -> tuple[date, date, int]:
    """The period ending today that holds about `wanted` reports (a few counts)."""
    from wagechannel.bureau.filters import Filters, Period
    from wagechannel.extensions import db
    from wagechannel.reports.ledger import ledger_count

    with app.app_context():
        session = db.session()
        low, high = 1, 3 * 366
        while low < high:
            middle = (low + high) // 2
            count = ledger_count(session, Filters(period=Period(
                today - timedelta(days=middle - 1), today)), None)
            if count < wanted:
                low = middle + 1
            else:
                high = middle
        start = today - timedelta(days=low - 1)
        count = ledger_count(session, Filters(period=Period(start, today)), None)
        session.rollback()
    return start, today, count


def ledger_bench(app: Any, url: str, folder: Path, wanted: int, today: date,
                 repeats: int) -> LedgerResult:
    start, end, count = ledger_period(app, wanted, today)
    progress(f"ledger: {count} reports from {start} to {end}, {repeats} runs of each")
    results: dict[str, list[dict[str, float]]] = {"app": [], "bare": []}
    for _ in range(repeats):
        for mode in ("bare", "app"):
            output = folder / f"ledger-{mode}.xlsx"
            finished = subprocess.run(
                [sys.executable, __file__, "--child", "ledger", url, app.instance_path,
                 start.isoformat(), end.isoformat(), mode, str(output)],
                capture_output=True, text=True, check=False)
            if finished.returncode != 0:
                raise BenchError(f"ledger child ({mode}) failed: {finished.stderr[-2000:]}")
            results[mode].append(json.loads(finished.stdout.strip().splitlines()[-1]))
            output.unlink(missing_ok=True)
    return LedgerResult(count, results["app"], results["bare"])


# --- databases ----------------------------------------------------------------------------------

@dataclass
class Target:
    kind: str
    label: str
    url: str
    folder: Path
    reports: int


def sqlite_target(stack: contextlib.ExitStack, reports: int) -> Target:
    folder = scratch_folder(stack, "wc_bench_dashboard_")
    return Target("sqlite", "SQLite (WAL)", sqlite_url(folder),
                  folder, reports)


def postgres_target(stack: contextlib.ExitStack, admin: str, reports: int) -> Target:
    folder = scratch_folder(stack, "wc_bench_dashboard_")
    database = postgres_database(stack, admin, f"wc_bench_dashboard_{secrets.token_hex(4)}")
    name, version, url = database.name, database.version, database.url
    return Target("postgresql", f"PostgreSQL {version} ({name})", url, folder, reports)


def load(app: Any, reports: int) -> float:
    """load_scale, then (PostgreSQL) the tables in the order real use writes them: reports and
    cases arrive in time order, so their pages follow creation time; the loader draws each
    batch across three years, so the benchmark CLUSTERs lead and legal_case on created_at,
    then ANALYZEs."""
    from wagechannel.demo import load_scale
    from wagechannel.extensions import db

    with app.app_context():
        session = db.session()
        result = load_scale(session, reports, seed=SEED,
                            progress=lambda done: progress(f"  {done} reports"))
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            progress("clustering reports and cases by creation time")
            for statement in ("CLUSTER lead USING ix_lead_created_at",
                              "CLUSTER legal_case USING ix_legal_case_created_at", "ANALYZE"):
                session.connection().exec_driver_sql(statement)
                session.commit()
    return result.seconds


def add_indexes(app: Any) -> None:
    from wagechannel.extensions import db

    with app.app_context():
        session = db.session()
        for statement in INDEXES:
            session.execute(text(statement))
        session.commit()
        session.connection().exec_driver_sql("ANALYZE")
        session.commit()


@dataclass
class Outcome:
    label: str
    reports: int
    items: list[Item]
    ledger: LedgerResult | None


def bench(target: Target, args: argparse.Namespace) -> Outcome:
    from wagechannel import create_app
    from wagechannel.clock import local_today
    from wagechannel.demo import load_demo
    from wagechannel.extensions import db
    from wagechannel.migrate import upgrade

    print()
    print(f"=== {target.label}")
    progress("migrating")
    upgrade(target.url)
    instance = target.folder / "instance"
    app = create_app({"DATABASE_URL": target.url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": secrets.token_urlsafe(32), "RATELIMIT_ENABLED": False})
    today = local_today()
    with app.app_context():
        load_demo(db.session())
        db.session.commit()
    first = max(1, target.reports // 10)
    progress(f"loading {first} reports")
    seconds = load(app, first)
    items = build_items(app, today)
    count_statements(app, items, "small")
    progress(f"loading {target.reports - first} more reports")
    seconds += load(app, target.reports)
    if args.indexes:
        progress("adding the proposed indexes")
        add_indexes(app)
    count_statements(app, items, "large")
    progress(f"timing {len(items)} pages, {args.runs} runs each")
    measure(items, target.url, args.runs)
    ledger = None if args.ledger_rows <= 0 else ledger_bench(
        app, target.url, target.folder, args.ledger_rows, today, args.ledger_runs)
    app.extensions["wagechannel_engine"].dispose()
    print(f"{target.reports} reports loaded in {seconds:.0f} s "
          f"({target.reports / max(seconds, 0.001):.0f} a second); statements at {first} and at "
          f"{target.reports}; times at the full size, {args.runs} runs"
          f"{'; with the proposed indexes' if args.indexes else ''}")
    print(f"{'page':<30}{'stmts':>6}{'→':^3}{'':<4}{'trend':<10}{'median ms':>10}{'p95 ms':>9}"
          f"{'SQL ms':>9}{'SQL p95':>9}{'ratio':>7}  aim")
    for item in items:
        aim = "ok" if item.ratio <= PAGE_AIM else "miss"
        print(f"{item.name:<30}{item.small:>6}{'→':^3}{item.large:<4}{item.trend:<10}"
              f"{statistics.median(item.times) * 1000:>10.1f}{p95(item.times) * 1000:>9.1f}"
              f"{statistics.median(item.raw_times) * 1000:>9.1f}"
              f"{p95(item.raw_times) * 1000:>9.1f}{item.ratio:>7.2f}  {aim}")
    print(f"  ratio = page median / its own SQL replayed raw (aim <= {PAGE_AIM})")
    if ledger is not None:
        print(f"ledger of {ledger.rows} rows{'':<8}{'median s':>10}{'peak MB':>9}")
        for name, runs in (("export_ledger (the app)", ledger.app),
                           ("bare write-only loop", ledger.bare)):
            print(f"  {name:<32}{statistics.median(r['seconds'] for r in runs):>10.2f}"
                  f"{max(r['peak_mb'] for r in runs):>9.0f}")
        peak = max(r["peak_mb"] for r in ledger.app)
        print(f"  ratio {ledger.ratio:.2f} (aim <= {LEDGER_AIM}: "
              f"{'ok' if ledger.ratio <= LEDGER_AIM else 'miss'}); peak {peak:.0f} MB "
              f"(aim < {MEMORY_AIM_MB}: {'ok' if peak < MEMORY_AIM_MB else 'miss'})")
    return Outcome(target.label, target.reports, items, ledger)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reports", type=int, default=None,
                        help="reports to load (default 100,000 on SQLite, 1,000,000 on "
                             "PostgreSQL)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per page")
    parser.add_argument("--ledger-rows", type=int, default=100_000,
                        help="reports in the exported ledger (0: no ledger)")
    parser.add_argument("--ledger-runs", type=int, default=3)
    parser.add_argument("--indexes", action="store_true",
                        help="add the proposed indexes before timing")
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
            target = (sqlite_target(stack, args.reports or 100_000) if kind == "sqlite"
                      else postgres_target(stack, args.postgres_admin_url,
                                           args.reports or 1_000_000))
            outcomes.append(bench(target, args))
    if len(outcomes) > 1:
        print()
        print(f"{'database':<40}{'reports':>9}{'worst page':>12}{'ledger':>8}{'statements':>12}")
        for outcome in outcomes:
            worst = max(item.ratio for item in outcome.items)
            grows = [item.name for item in outcome.items if item.trend == "grows"]
            ledger = f"{outcome.ledger.ratio:.2f}" if outcome.ledger else "—"
            print(f"{outcome.label:<40}{outcome.reports:>9}{worst:>12.2f}{ledger:>8}"
                  f"{'grow: ' + ', '.join(grows) if grows else 'constant':>12}")
    return 1 if any(item.trend == "grows" for o in outcomes for item in o.items) else 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        ledger_child(*sys.argv[3:])
        sys.exit(0)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
    except BenchError as error:
        print(f"failed: {error}", file=sys.stderr)
        sys.exit(1)

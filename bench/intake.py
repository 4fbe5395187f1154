"""Intake load benchmark: `python bench/intake.py [--database sqlite|postgresql|both]`.

For each database (SQLite in WAL mode, then PostgreSQL), in one run:

1. Throughput. `gunicorn -w 2 'wagechannel:create_app()'` on loopback, freshly migrated and
   loaded with the demo data; a load generator (a pool of threads, one HTTP connection each)
   posts valid reports to `POST /api/v1/leads`, each with its own mobile number and
   `Idempotency-Key`, for a fixed time. The same load, with the same command and the same
   kind of database, goes to a bare Flask + SQLAlchemy endpoint that inserts one row
   (`bench/_bare_app.py`); both servers run side by side and get the load in alternating
   slices, so other work on the machine weighs on both alike. Printed: requests, stored
   reports per second, p50 and p99 latency and errors for both, and the ratio application /
   bare. Aims: a ratio of at least 0.5, no errors. Timings are shown, never asserted.
2. Crash. The application is started again on the same database and put under the same load;
   after a while SIGKILL goes to gunicorn's whole process group (master and workers). Every
   report that got a receipt (201 with a `code`) must be in the database after the restart,
   and the restarted server must answer /healthz with 200. The requests the kill cut off are
   then sent again with their own Idempotency-Key: each ends with exactly one stored report.

Everything it makes (temporary folders, PostgreSQL databases `wc_bench_*`, server processes)
is removed on exit, Ctrl+C included. Exit status 1 when a receipted report is missing or the
server does not come back; never because of a timing.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import bindparam, text

from wagechannel.clock import local_today
from wagechannel.db import make_engine

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from _bare_app import URL_VARIABLE as BARE_URL_VARIABLE
from _bare_app import create_schema
from _scratch import postgres_database, scratch_folder, sqlite_url

HOST = "127.0.0.1"
PATH = "/api/v1/leads"
APP_SPEC = "wagechannel:create_app()"
BARE_SPEC = "_bare_app:create_bare_app()"
WORKERS = 2
REQUEST_TIMEOUT = 30.0  # longer than the SQLite busy timeout (15 s)
START_TIMEOUT = 30.0
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
RATIO_AIM = 0.5
API_SAMPLE = 20  # receipts read back through the restarted server's API

_numbers = itertools.count(1)  # one mobile number per request, over the whole run
_numbers_lock = threading.Lock()
_stop_all = threading.Event()  # set on exit: every load thread stops


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# --- servers ---------------------------------------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (Linux /proc; empty elsewhere)."""
    members = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if os.getpgid(int(entry)) == pgid and _alive(int(entry)):
                        members.append(int(entry))
    return members


class Server:
    """`gunicorn -w 2` in its own session, so that one signal reaches master and workers."""

    def __init__(self, name: str, spec: str, env: dict[str, str], port: int, log: Path,
                 extra: tuple[str, ...] = ()) -> None:
        self.name, self.spec, self.env, self.port, self.log = name, spec, env, port, log
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b",
                   f"{HOST}:{self.port}", *self.extra, self.spec]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def pgid(self) -> int:
        assert self.process is not None
        return self.process.pid  # a session leader's group id is its pid

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> tuple[int, float]:
        """(status of /healthz, seconds since start of waiting); raises if it never answers."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited while starting:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", "/healthz")
                status = connection.getresponse().status
                connection.close()
                return status, time.monotonic() - started
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} server did not answer /healthz within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def kill(self) -> int:
        """SIGKILL to the whole group; the number of processes it reached."""
        if self.process is None:
            return 0
        members = group_members(self.pgid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 5
        while group_members(self.pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.process = None
        return len(members)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the group), SIGKILL after a bounded wait. Idempotent."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            progress("server did not stop within 15 s; killing it")
        self.kill()

    def log_tail(self, lines: int = 20) -> str:
        try:
            content = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join("    " + line for line in content[-lines:])


# --- load ------------------------------------------------------------------------------------

WORK_START = min(date(2026, 3, 1), local_today() - timedelta(days=60)).isoformat()


def report(number: int, board_token: str) -> dict[str, object]:
    return {"board_token": board_token, "name": f"压测工人{number}",
            "phone": f"138{number % 10**8:08d}", "amount_owed": 8500 + number % 1000,
            "workers_affected": 1 + number % 5, "work_start": WORK_START, "work_end": None,
            "wants": "legal_aid", "consent": True}


@dataclass
class LoadResult:
    seconds: float = 0.0
    requests: int = 0  # requests sent
    answered: int = 0  # requests that got any HTTP answer
    created: int = 0  # 201s
    latencies: list[float] = field(default_factory=list)  # of the 201s, seconds
    errors: Counter[str] = field(default_factory=Counter)  # non-201 answers and failures
    after_kill: Counter[str] = field(default_factory=Counter)  # failures once the kill was sent
    receipts: list[str] = field(default_factory=list)  # codes answered with 201
    cut_off: list[tuple[str, bytes]] = field(default_factory=list)  # (key, body) never answered

    def merge(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.answered += other.answered
        self.created += other.created
        self.latencies += other.latencies
        self.errors += other.errors
        self.after_kill += other.after_kill
        self.receipts += other.receipts
        self.cut_off += other.cut_off

    @property
    def rps(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def post(connection: http.client.HTTPConnection, key: str, body: bytes
         ) -> tuple[int, bytes, dict[str, str]]:
    connection.request("POST", PATH, body=body, headers={
        "Content-Type": "application/json", "Idempotency-Key": key})
    response = connection.getresponse()
    return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}


def run_load(port: int, board_token: str, *, tag: str, seconds: float, max_requests: int,
             concurrency: int, stop: threading.Event | None = None,
             killed: threading.Event | None = None) -> LoadResult:
    """POST reports from `concurrency` threads until `seconds` pass, `max_requests` are sent,
    or `stop` is set. Once `killed` is set, a thread's first failure ends it."""
    stop = stop or threading.Event()
    sent = itertools.count()
    sent_lock = threading.Lock()
    results = [LoadResult() for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + seconds
    ends = [started] * concurrency

    def worker(index: int) -> None:
        local = results[index]
        connection: http.client.HTTPConnection | None = None
        while not (stop.is_set() or _stop_all.is_set()) and time.perf_counter() < deadline:
            with sent_lock:
                if next(sent) >= max_requests:
                    break
            with _numbers_lock:
                number = next(_numbers)
            key = f"{tag}-{number}"
            body = json.dumps(report(number, board_token), ensure_ascii=False).encode()
            local.requests += 1
            begun = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
                status, data, headers = post(connection, key, body)
            except (OSError, http.client.HTTPException) as error:
                if connection is not None:
                    connection.close()
                    connection = None
                local.cut_off.append((key, body))
                if killed is not None and killed.is_set():
                    local.after_kill[type(error).__name__] += 1
                    break
                local.errors[type(error).__name__] += 1
                continue
            finally:
                ends[index] = time.perf_counter()
            local.answered += 1
            if headers.get("connection", "").lower() == "close":
                connection.close()  # gunicorn's sync workers answer one request per connection
                connection = None
            if status != 201:
                local.errors[f"HTTP {status}"] += 1
                continue
            local.created += 1
            local.latencies.append(ends[index] - begun)
            code = json.loads(data).get("code")
            if code:
                local.receipts.append(code)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"load-{i}")
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = LoadResult(seconds=max(ends) - started)
    for result in results:
        total.merge(result)
    return total


# --- databases -------------------------------------------------------------------------------

@dataclass
class Target:
    label: str
    app_url: str
    bare_url: str
    folder: Path


def sqlite_target(stack: contextlib.ExitStack) -> Target:
    folder = scratch_folder(stack, "wc_bench_sqlite_")
    return Target("SQLite (WAL, synchronous=NORMAL, busy_timeout 15 s, BEGIN IMMEDIATE)",
                  sqlite_url(folder), sqlite_url(folder, "bare.sqlite3"), folder)


def postgres_target(stack: contextlib.ExitStack, admin: str) -> Target:
    folder = scratch_folder(stack, "wc_bench_pg_")
    stem = f"wc_bench_{secrets.token_hex(4)}"
    app, bare = (postgres_database(stack, admin, f"{stem}_{suffix}") for suffix in ("app", "bare"))
    return Target(f"PostgreSQL {app.version} ({app.name}, {bare.name})", app.url, bare.url,
                  folder)


def app_environment(target: Target, port: int) -> dict[str, str]:
    instance = target.folder / "instance"
    instance.mkdir(exist_ok=True)
    return {**os.environ, "WAGECHANNEL_DATABASE_URL": target.app_url,
            "WAGECHANNEL_INSTANCE_PATH": str(instance),
            "WAGECHANNEL_RATELIMIT_ENABLED": "false",
            "WAGECHANNEL_BASE_URL": f"http://{HOST}:{port}"}


def cli(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run([sys.executable, "-m", "wagechannel.cli", *arguments], env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wagechannel {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare_application(env: dict[str, str]) -> str:
    """Migrate, load the demo data, and return an active board's token."""
    cli(env, "db", "upgrade")
    cli(env, "demo")
    boards = json.loads(cli(env, "board", "list", "--json"))
    return next(board["token"] for board in boards if board["active"])


@contextlib.contextmanager
def engine_for(url: str) -> Iterator[object]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def codes_present(url: str, codes: list[str]) -> set[str]:
    found: set[str] = set()
    query = text("SELECT code FROM lead WHERE code IN :codes").bindparams(
        bindparam("codes", expanding=True))
    with engine_for(url) as engine, engine.connect() as connection:  # type: ignore[attr-defined]
        for start in range(0, len(codes), 500):
            found.update(connection.scalars(query, {"codes": codes[start:start + 500]}))
    return found


def rows_for_tag(url: str, tag: str) -> tuple[int, int]:
    """(rows, distinct keys) of the leads sent with this tag's Idempotency-Keys."""
    query = text("SELECT count(*), count(DISTINCT idempotency_key) FROM lead "
                 "WHERE idempotency_key LIKE :pattern")
    with engine_for(url) as engine, engine.connect() as connection:  # type: ignore[attr-defined]
        rows, keys = connection.execute(query, {"pattern": f"api:{tag}-%"}).one()
    return int(rows), int(keys)


# --- the benchmark ---------------------------------------------------------------------------

@dataclass
class Outcome:
    label: str
    ratio: float
    app_errors: int
    bare_errors: int
    receipts: int
    missing: int
    healthy: bool


def error_text(errors: Counter[str]) -> str:
    return ", ".join(f"{kind} x{count}" for kind, count in errors.most_common()) or "none"


def measure(servers: tuple[Server, ...], board_token: str, args: argparse.Namespace
            ) -> tuple[LoadResult, ...]:
    """Every server up and warmed, then the load in alternating slices (app, bare, bare, app,
    ...), so that anything else on the machine weighs on all alike."""
    totals = tuple(LoadResult() for _ in servers)
    tags = [f"{server.name}{secrets.token_hex(3)}" for server in servers]
    for server in servers:
        server.start()
    try:
        for server, tag in zip(servers, tags):
            server.wait_healthy()
            run_load(server.port, board_token, tag=f"{tag}-warm", seconds=args.seconds,
                     max_requests=2 * args.concurrency, concurrency=args.concurrency)
        rounds = max(1, args.rounds)
        progress(f"{args.seconds:g} s of load per server, in {rounds} slices each, alternating")
        for round_ in range(rounds):
            order = range(len(servers)) if round_ % 2 == 0 else reversed(range(len(servers)))
            for index in order:
                result = run_load(servers[index].port, board_token, tag=f"{tags[index]}-{round_}",
                                  seconds=args.seconds / rounds,
                                  max_requests=max(1, args.max_requests // rounds),
                                  concurrency=args.concurrency)
                totals[index].merge(result)
                totals[index].seconds += result.seconds
        for server, total in zip(servers, totals):
            if total.errors:
                print(f"  {server.name} server log, last lines:\n{server.log_tail(12)}")
        return totals
    finally:
        for server in servers:
            server.stop()


def limits_table(app: LoadResult, limited: LoadResult) -> None:
    """What counting the three rate limits in Redis costs per stored report."""
    print(f"{'+ redis limits':<14}{limited.requests:>10}{limited.rps:>10.1f}"
          f"{limited.percentile_ms(0.50):>10.1f}{limited.percentile_ms(0.99):>10.1f}"
          f"{sum(limited.errors.values()):>8}")
    if app.rps and limited.rps:
        extra_ms = (1 / limited.rps - 1 / app.rps) * WORKERS * 1000
        print(f"rate limits in Redis: {limited.rps / app.rps:.2f}x the throughput without them, "
              f"about {extra_ms:.2f} ms of worker time per report")


def throughput_table(app: LoadResult, bare: LoadResult, args: argparse.Namespace) -> float:
    print(f"throughput: gunicorn -w {WORKERS} (sync workers), {args.concurrency} client threads "
          f"on loopback, {args.seconds:g} s per server in {max(1, args.rounds)} alternating "
          f"slices (at most {args.max_requests} requests)")
    print(f"{'server':<14}{'requests':>10}{'rps':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, result in (("wagechannel", app), ("bare", bare)):
        print(f"{name:<14}{result.requests:>10}{result.rps:>10.1f}"
              f"{result.percentile_ms(0.50):>10.1f}{result.percentile_ms(0.99):>10.1f}"
              f"{sum(result.errors.values()):>8}")
    for name, result in (("wagechannel", app), ("bare", bare)):
        if result.errors:
            print(f"  {name} errors: {error_text(result.errors)}")
    ratio = app.rps / bare.rps if bare.rps else float("nan")
    verdict = "meets the aim" if ratio >= RATIO_AIM else "below the aim"
    print(f"ratio wagechannel rps / bare rps: {ratio:.2f}  (aim >= {RATIO_AIM}: {verdict}; "
          f"errors aim: none)")
    print("  rps counts stored reports (201) per second; latency is of those requests, "
          "connection set-up included")
    return ratio


def crash_test(server: Server, target: Target, board_token: str,
               args: argparse.Namespace) -> tuple[int, int, bool]:
    """(receipts, missing, healthy after restart)."""
    tag = f"crash{secrets.token_hex(3)}"
    server.start()
    server.wait_healthy()
    stop, killed = threading.Event(), threading.Event()
    holder: dict[str, LoadResult] = {}

    def load() -> None:
        holder["result"] = run_load(server.port, board_token, tag=tag, seconds=120,
                                    max_requests=10**9, concurrency=args.concurrency,
                                    stop=stop, killed=killed)

    loader = threading.Thread(target=load, daemon=True, name="crash-load")
    loader.start()
    progress(f"crash test: {args.kill_after:g} s of load, then SIGKILL")
    time.sleep(args.kill_after)
    killed.set()
    reached = server.kill()
    killed_at = time.monotonic()
    loader.join(timeout=REQUEST_TIMEOUT + 5)
    stop.set()
    loader.join()
    result = holder["result"]
    drained = time.monotonic() - killed_at

    progress("crash test: restarting")
    server.start()
    health, up = server.wait_healthy()
    healthy = health == 200
    present = codes_present(target.app_url, result.receipts)
    missing = [code for code in result.receipts if code not in present]
    rows, _keys = rows_for_tag(target.app_url, tag)
    without_receipt = rows - len(result.receipts)

    api_ok = 0
    sample = result.receipts[-API_SAMPLE:]
    connection = http.client.HTTPConnection(HOST, server.port, timeout=REQUEST_TIMEOUT)
    for code in sample:
        connection.request("GET", f"{PATH}/{code}")
        response = connection.getresponse()
        response.read()
        api_ok += response.status == 200
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection(HOST, server.port, timeout=REQUEST_TIMEOUT)

    retried = replayed = retry_failed = 0
    for key, body in result.cut_off:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=REQUEST_TIMEOUT)
        try:
            status, _data, headers = post(connection, key, body)
        except (OSError, http.client.HTTPException):
            status, headers = 0, {}
        finally:
            connection.close()
        if status == 201:
            retried += 1
            replayed += headers.get("idempotent-replayed") == "true"
        else:
            retry_failed += 1
    rows_after, keys_after = rows_for_tag(target.app_url, tag)
    server.stop()

    before_kill = sum(result.errors.values())
    print()
    print(f"crash test: SIGKILL to gunicorn's process group ({reached} processes: master and "
          f"workers) after {args.kill_after:g} s of load")
    rows_table = [
        ("receipts before kill (201 with a code)", str(len(result.receipts))),
        ("found after restart", str(len(present))),
        ("missing (must be 0)", str(len(missing))),
        ("stored but never answered (cut off by the kill)", str(without_receipt)),
        ("requests failed after the kill (expected)",
         f"{sum(result.after_kill.values())}  ({error_text(result.after_kill)})"),
        ("errors before the kill", f"{before_kill}  ({error_text(result.errors)})"
         if before_kill else "0"),
        ("load threads stopped after the kill", f"{drained:.2f} s"),
        ("restarted server /healthz", f"{health}  ({up:.1f} s after start)"),
        (f"last {len(sample)} receipts read via GET {PATH}/<code>", f"{api_ok} x 200"),
        ("cut-off requests sent again, same Idempotency-Key",
         f"{retried} x 201 ({replayed} replayed, stored before the kill)"
         + (f", {retry_failed} failed" if retry_failed else "")),
        ("reports stored for the crash run / distinct keys", f"{rows_after} / {keys_after}"),
    ]
    for label, value in rows_table:
        print(f"  {label:<52}{value}")
    if missing:
        print(f"  MISSING: {', '.join(missing[:20])}")
    return len(result.receipts), len(missing), healthy


def bench(target: Target, args: argparse.Namespace) -> Outcome:
    print()
    print(f"=== {target.label}")
    app_port, bare_port = free_port(), free_port()
    app_env = app_environment(target, app_port)
    progress("wagechannel db upgrade, demo, board list")
    board_token = prepare_application(app_env)
    create_schema(target.bare_url)
    bare_env = {**os.environ, BARE_URL_VARIABLE: target.bare_url}
    app = Server("wagechannel", APP_SPEC, app_env, app_port, target.folder / "app.log")
    bare = Server("bare", BARE_SPEC, bare_env, bare_port, target.folder / "bare.log",
                  extra=("--pythonpath", str(BENCH_DIR)))
    _servers.extend([app, bare])
    servers: tuple[Server, ...] = (app, bare)
    if args.limits_redis:
        limited_port = free_port()
        limited = Server("limited", APP_SPEC, {
            **app_environment(target, limited_port), "WAGECHANNEL_RATELIMIT_ENABLED": "true",
            "WAGECHANNEL_RATELIMIT_STORAGE_URI": args.limits_redis,
            # High enough never to refuse the load: what is measured is the cost of counting.
            "WAGECHANNEL_INTAKE_LIMIT_IP": "10000000 per hour",
            "WAGECHANNEL_INTAKE_LIMIT_BOARD": "10000000 per hour"},
            limited_port, target.folder / "limited.log")
        _servers.append(limited)
        servers += (limited,)
    results = measure(servers, board_token, args)
    app_result, bare_result = results[0], results[1]
    ratio = throughput_table(app_result, bare_result, args)
    if args.limits_redis:
        limits_table(app_result, results[2])
    receipts, missing, healthy = crash_test(app, target, board_token, args)
    return Outcome(target.label.split(" (")[0], ratio, sum(app_result.errors.values()),
                   sum(bare_result.errors.values()), receipts, missing, healthy)


_servers: list[Server] = []


def stop_servers() -> None:
    for server in _servers:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per server and database")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--max-requests", type=int, default=20000,
                        help="at most this many measured requests per server and database")
    parser.add_argument("--rounds", type=int, default=4,
                        help="slices the load time is cut into, alternating the servers")
    parser.add_argument("--kill-after", type=float, default=2.0,
                        help="seconds of load before the SIGKILL")
    parser.add_argument("--limits-redis", default=None, metavar="URL",
                        help="also measure the application with its rate limits counted in this "
                             "Redis (e.g. redis://127.0.0.1:6379/14), to show what they cost")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN,
                        help="where to CREATE and DROP the benchmark's databases")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    outcomes: list[Outcome] = []
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    with contextlib.ExitStack() as stack:
        stack.callback(stop_servers)
        stack.callback(_stop_all.set)
        for kind in kinds:
            with contextlib.ExitStack() as per_database:
                target = (sqlite_target(per_database) if kind == "sqlite"
                          else postgres_target(per_database, args.postgres_admin_url))
                # registered last, so it runs first: servers stop before their files go
                per_database.callback(stop_servers)
                outcomes.append(bench(target, args))
                _servers.clear()
    if len(outcomes) > 1:
        print()
        print(f"{'database':<14}{'ratio':>8}{'errors app/bare':>18}{'receipts':>10}"
              f"{'missing':>9}{'restart':>9}")
        for outcome in outcomes:
            print(f"{outcome.label:<14}{outcome.ratio:>8.2f}"
                  f"{f'{outcome.app_errors}/{outcome.bare_errors}':>18}{outcome.receipts:>10}"
                  f"{outcome.missing:>9}{'200' if outcome.healthy else 'FAILED':>9}")
    return 1 if any(o.missing or not o.healthy for o in outcomes) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; servers, temporary files and databases removed", file=sys.stderr)
        sys.exit(130)

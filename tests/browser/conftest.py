"""A real `wagechannel serve --demo` in a subprocess, and a headless Debian Chromium to drive it.

The server gets its own instance folder and database: a fresh SQLite file, or, when
WAGECHANNEL_TEST_DATABASE_URL names a PostgreSQL server, a fresh database on that server
created for the module and dropped afterwards. Only loopback addresses are used.

`live_server` accepts forms however fast they are sent back (INTAKE_MIN_FILL_SECONDS=0), so
browser tests do not depend on timing. `strict_server` is a second process on the same
instance folder and database with the default minimum fill time, for the bot checks.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from wagechannel.db import make_engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 30.0
# urllib would otherwise honour http_proxy: these requests must go straight to loopback.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Server:
    url: str
    port: int
    database_url: str
    instance: Path
    log: Path
    boards: list[dict[str, Any]]
    env: dict[str, str] = field(default_factory=dict)  # the server's environment, for the CLI

    def board_url(self, board: dict[str, Any]) -> str:
        """A board's form on this server (board["url"] names the server that listed it)."""
        return f"{self.url}/s/{board['token']}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wagechannel_command() -> list[str]:
    """The console script of the interpreter running the tests (not some other install)."""
    beside = Path(sys.executable).parent / "wagechannel"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("wagechannel")
    return [found] if found else [sys.executable, "-m", "wagechannel.cli"]


def server_environment(instance: Path, base_url: str, database_url: str,
                       extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("WAGECHANNEL_") or key == "WAGECHANNEL_FONT"}
    env.update({"WAGECHANNEL_INSTANCE_PATH": str(instance),
                "WAGECHANNEL_BASE_URL": base_url,
                "WAGECHANNEL_DATABASE_URL": database_url,
                "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


@pytest.fixture(scope="module")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database nobody else uses: SQLite in tmp, or a new PostgreSQL database."""
    configured = os.environ.get("WAGECHANNEL_TEST_DATABASE_URL")
    if not configured or configured.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'wagechannel.sqlite3'}"
        return
    url = make_url(configured)
    name = f"wc_browser_{secrets.token_hex(6)}"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _healthy(url: str) -> bool:
    try:
        with _DIRECT.open(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_server(work: Path, instance: Path, database_url: str,
                   extra_env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """`wagechannel serve --demo` on a free loopback port, healthy before it is yielded."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_environment(instance, base_url, database_url, extra_env)
    log = work / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*wagechannel_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"],
            env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(base_url):
            if process.poll() is not None:
                pytest.fail(f"wagechannel serve exited with {process.returncode}:\n"
                            f"{log.read_text(errors='replace')[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz not 200 within {START_TIMEOUT_S:.0f}s:\n"
                            f"{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.1)
        listed = subprocess.run([*wagechannel_command(), "board", "list", "--json"], env=env,
                                check=False,
                                cwd=work, capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL)
        assert listed.returncode == 0, listed.stderr
        yield Server(url=base_url, port=port, database_url=database_url, instance=instance,
                     log=log, boards=json.loads(listed.stdout), env=env)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def live_server(server_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`wagechannel serve --demo`, taking forms however fast they come back."""
    work = tmp_path_factory.mktemp("live-server")
    with running_server(work, work / "instance", server_database,
                        {"WAGECHANNEL_INTAKE_MIN_FILL_SECONDS": "0"}) as server:
        yield server


@pytest.fixture(scope="module")
def strict_server(live_server: Server) -> Iterator[Server]:
    """A second server on live_server's instance folder and database (same keys, same demo
    data), with the default minimum fill time: a form sent back too fast is taken for a bot."""
    with running_server(live_server.instance.parent, live_server.instance,
                        live_server.database_url) as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless; never a browser that Playwright would download.

    Module-scoped so that Playwright's event loop is gone before other tests run."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()

"""Fixtures: the app on a migrated database, each test in a rolled-back transaction, builders.

The database is SQLite in a temporary folder unless WAGECHANNEL_TEST_DATABASE_URL names
another (the suite runs on PostgreSQL with
WAGECHANNEL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from wagechannel import create_app
from wagechannel.accounts.models import User
from wagechannel.accounts.services import create_user
from wagechannel.boards.models import Board
from wagechannel.boards.services import issue_board
from wagechannel.db import make_engine
from wagechannel.extensions import db as database
from wagechannel.migrate import upgrade
from wagechannel.places.models import BUREAU, LEGAL_AID, Contractor, Organisation, Project
from wagechannel.places.services import (create_contractor, create_organisation, create_project,
                                         ensure_region)

PASSWORD = "correct-horse-9"
# Every Art. 34 item a board needs, so a project built with these prints.
COMPLETE_PROJECT = {
    "construction_unit_name": "测试置业有限公司",
    "construction_unit_phone": "0755-26001234",
    "project_office_name": "测试工程项目部",
    "project_manager_name": "周经理",
    "project_office_phone": "0755-88886667",
    "subcontractors": "测试劳务有限公司，钢筋，0755-26660001",
    "authority_name": "测试区住房和建设局",
    "authority_phone": "0755-26652888",
    "labour_manager_name": "李专管",
    "labour_manager_phone": "13800000001",
    "minimum_wage_monthly": "2520",
    "minimum_wage_hourly": "23.7",
    "pay_day": "15",
    "labour_inspection_phone": "0755-26665678",
    "arbitration_name": "测试区劳动人事争议仲裁委员会",
    "arbitration_address": "测试区仲裁路1号",
    "arbitration_phone": "0755-26668888",
}
BASE_URL = "http://wc.test"


def reset_database(url: str) -> None:
    """An empty database: a fresh SQLite file, or PostgreSQL's public schema dropped and remade."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """Production hashes with scrypt; tests make many accounts, so a cheap method here."""
    from werkzeug.security import generate_password_hash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wagechannel.accounts.services.generate_password_hash",
                      lambda password: generate_password_hash(password, "pbkdf2:sha256:1000"))
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("WAGECHANNEL_TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    reset_database(url)
    upgrade(url)
    return url


def app_config(database_url: str, instance: str, **overrides: Any) -> dict[str, Any]:
    return {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
            "BASE_URL": BASE_URL, "INSTANCE_PATH": instance, "RATELIMIT_ENABLED": False,
            "INTAKE_MIN_FILL_SECONDS": 0, **overrides}


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(app_config(database_url, str(tmp_path_factory.mktemp("instance"))))
    yield application


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Each test rolls its rows back: what a process cached from them must go too."""
    from wagechannel.cache import clear_all
    clear_all()
    yield
    clear_all()


@pytest.fixture(autouse=True)
def limiter_as_configured() -> Iterator[None]:
    """Flask-Limiter keeps one `enabled` flag for every app it was bound to: a test that builds
    an app of its own with limits on must not leave them on for the tests after it."""
    from wagechannel.extensions import limiter
    enabled = limiter.enabled
    yield
    limiter.enabled = enabled


@pytest.fixture()
def db(app: Flask) -> Iterator[Session]:
    """The request-scoped session, inside a transaction rolled back after the test."""
    with app.app_context():
        connection = database.engine.connect()
        outer = connection.begin()
        database.bind(connection, join_transaction_mode="create_savepoint")
        yield database.session()
        database.unbind()
        outer.rollback()
        connection.close()


@pytest.fixture()
def client(app: Flask, db: Session) -> Iterator[FlaskClient]:
    """Requests here run inside the test's app context, so `g` would carry the logged-in user
    from one request to the next; each request loads its user afresh, as in production."""
    from flask import g, request_started

    def fresh_user(_sender: Flask, **_extra: Any) -> None:
        g.pop("_login_user", None)

    request_started.connect(fresh_user, app)
    yield app.test_client()
    request_started.disconnect(fresh_user, app)


@pytest.fixture()
def runner(app: Flask, db: Session):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@dataclass
class World:
    """A county with its offices, a contractor with a project and board, a user per role;
    and a second county with its own centre, bureau, contractor, project and staff."""

    centre: Organisation
    bureau: Organisation
    contractor: Contractor
    project: Project
    board: Board
    users: dict[str, User]
    other_centre: Organisation
    other_bureau: Organisation
    other_contractor: Contractor
    other_project: Project
    other_board: Board
    other_users: dict[str, User]


@pytest.fixture()
def make_project(db: Session) -> Callable[..., Project]:
    def build(**overrides: Any) -> Project:
        ensure_region(db, "440000", "广东省")
        ensure_region(db, "440300", "深圳市")
        ensure_region(db, "440305", "深圳市南山区")
        contractor = overrides.pop("contractor", None) or create_contractor(db, name="测试建设有限公司")
        values = {"region_code": "440305", "name": "测试花园工程", "address": "深圳市南山区测试路1号",
                  **COMPLETE_PROJECT}
        values.update(overrides)
        project = create_project(db, contractor=contractor, **values)
        db.commit()  # into the test's outer transaction: requests end their sessions
        return project
    return build


@pytest.fixture()
def world(db: Session) -> World:
    for code, name in [("440000", "广东省"), ("440300", "深圳市"), ("440305", "深圳市南山区"),
                       ("440304", "深圳市福田区")]:
        ensure_region(db, code, name)

    def county(code: str, label: str, prefix: str) -> tuple[Any, ...]:
        centre = create_organisation(db, kind=LEGAL_AID, name=f"{label}法律援助中心",
                                     region_codes=[code], phone="0755-1234567",
                                     address=f"{label}援助路1号")
        bureau = create_organisation(db, kind=BUREAU, name=f"{label}人力资源局", region_codes=[code])
        contractor = create_contractor(db, name=f"{label}建设集团有限公司")
        project = create_project(db, contractor=contractor, region_code=code,
                                 name=f"{label}示范工程", address=f"{label}测试路1号",
                                 **COMPLETE_PROJECT)
        board = issue_board(db, project)
        users = {
            "admin": ("admin", {}),
            "legal_aid_staff": ("staff", {"organisation_id": centre.id}),
            "lawyer": ("lawyer", {"organisation_id": centre.id}),
            "bureau_liaison": ("liaison", {"organisation_id": bureau.id}),
            "contractor": ("contractor", {"contractor_id": contractor.id}),
        }
        made = {role: create_user(db, username=prefix + name, password=PASSWORD, role=role, **links)
                for role, (name, links) in users.items()
                if not (role == "admin" and prefix)}
        return centre, bureau, contractor, project, board, made

    first = county("440305", "南山区", "")
    second = county("440304", "福田区", "other_")
    db.commit()  # into the test's outer transaction: requests end their sessions
    return World(*first, *second)


class StatementCounter:
    """Counts the SQL statements a block of code sends (for lists that must not grow)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture()
def count_statements(app: Flask) -> Callable[[Callable[[], Any]], int]:
    """count_statements(action) -> how many statements action() sent to the database."""
    from sqlalchemy import event

    def run(action: Callable[[], Any]) -> int:
        # Once uncounted, so what a process caches for a minute (offices, calendar entries) is
        # warm, as it is for nearly every request in production.
        action()
        # Requests here share the test's session: start each count from the same state (a real
        # request starts with an empty session and loads the user, as this one then does).
        database.session.expire_all()
        counter = StatementCounter()
        engine = app.extensions["wagechannel_engine"]
        event.listen(engine, "before_cursor_execute", counter)
        try:
            action()
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return counter.count
    return run


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def hidden_fields(client: FlaskClient, url: str) -> dict[str, str]:
    """The hidden inputs of the form on a page (CSRF token, the report form's nonce and start)."""
    page = client.get(url).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    assert "csrf_token" in fields, f"no CSRF token on {url}"
    return fields


def report_form(client: FlaskClient, url: str, **overrides: Any) -> dict[str, Any]:
    """A complete, valid report for the form at url, with its hidden fields."""
    data = {**VALID_LEAD, **hidden_fields(client, url), **overrides}
    return {key: value for key, value in data.items() if value is not None}


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


VALID_LEAD = {
    "name": "张三",
    "phone": "13800138001",
    "employer_name": "王老板",
    "amount_owed": "8500",
    "workers_affected": "3",
    "work_start": "2026-03-01",
    "work_end": "2026-10-31",
    "description": "干了八个月，老板一直拖着不给。",
    "wants": "legal_aid",
    "consent": "1",
}

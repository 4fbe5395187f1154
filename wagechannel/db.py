"""Declarative base with a naming convention, the engine and session, SQLite pragmas."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from flask import Flask

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out, on SQLite too (it keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware values")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, a busy timeout, foreign keys; every transaction opened with BEGIN IMMEDIATE.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's
    begin (and savepoints) are what SQLite sees; IMMEDIATE takes the write
    lock up front so two writers wait for each other instead of failing with
    "database is locked" when a read transaction tries to become a write.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _private_sqlite_file(url: str) -> None:
    """The database file is created 0600 before SQLite opens it (SQLite gives its -wal and
    -shm files the database file's mode), and an older, more open file is narrowed."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists() and path.parent.is_dir():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.chmod(f"{path}{suffix}", 0o600)


def make_engine(url: str, busy_timeout_ms: int = 15000) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000,
                                                  "check_same_thread": False})
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_pre_ping=True)


class _AppSession(Session):
    """A session that uses the current app's engine unless bound explicitly (tests bind it)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Any:
        if self.bind is not None:
            return self.bind
        from flask import current_app
        return current_app.extensions[ENGINE_KEY]


ENGINE_KEY = "wagechannel_engine"


class Database:
    """The engines (one per app) and a request-scoped session, bound to an app in the factory."""

    def __init__(self) -> None:
        self.session_factory = sessionmaker(class_=_AppSession, expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self.session_factory)

    def init_app(self, app: "Flask") -> None:
        url = app.config["DATABASE_URL"]
        app.extensions[ENGINE_KEY] = make_engine(url, app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @property
    def engine(self) -> Engine:
        from flask import current_app
        return current_app.extensions[ENGINE_KEY]

    def bind(self, bind: Any, **options: Any) -> None:
        """Point sessions at a connection (tests run each case in a rolled-back transaction)."""
        self.session.remove()
        self.session_factory.configure(bind=bind, **options)

    def unbind(self) -> None:
        self.session.remove()
        self.session_factory.kw.pop("join_transaction_mode", None)
        self.session_factory.configure(bind=None)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits once at the end or rolls back: for commands and jobs."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

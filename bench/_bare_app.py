"""The floor for `bench/intake.py`: a bare Flask + SQLAlchemy endpoint that stores one row.

`POST /api/v1/leads` parses the same JSON body the real API takes and inserts it, as text,
into a one-table schema (id, payload, created_at), then answers 201 with the row's id. No
validation, no board lookup, no encryption, no routing: only the web framework, the ORM and
one committed write. The engine comes from `wagechannel.db.make_engine`, so on SQLite it has
the same WAL, busy timeout, synchronous setting and `BEGIN IMMEDIATE` as the application.

Served by gunicorn exactly like the application:

    BENCH_BARE_DATABASE_URL=sqlite:////tmp/bare.sqlite3 \
        gunicorn -w 2 -b 127.0.0.1:8001 --pythonpath bench '_bare_app:create_bare_app()'

Create the table first with `create_schema(url)` (never from the workers, which would race).
"""
from __future__ import annotations

import json
import os
from datetime import datetime

from flask import Flask, jsonify, request
from sqlalchemy import Text, text
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    scoped_session,
    sessionmaker,
)

from wagechannel.db import UTCDateTime, make_engine, utcnow

URL_VARIABLE = "BENCH_BARE_DATABASE_URL"
BUSY_TIMEOUT_MS = 15000  # the application's default (WAGECHANNEL_SQLITE_BUSY_TIMEOUT_MS)


class BareBase(DeclarativeBase):
    """The baseline's own metadata: one table, nothing of the app's."""


class BareReport(BareBase):
    __tablename__ = "bare_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def create_schema(url: str) -> None:
    engine = make_engine(url, BUSY_TIMEOUT_MS)
    try:
        BareBase.metadata.create_all(engine)
    finally:
        engine.dispose()


def create_bare_app(url: str | None = None) -> Flask:
    engine = make_engine(url or os.environ[URL_VARIABLE], BUSY_TIMEOUT_MS)
    sessions = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
    app = Flask(__name__)

    @app.post("/api/v1/leads")
    def create():  # type: ignore[no-untyped-def]
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return jsonify({"error": "JSON object expected"}), 422
        session = sessions()
        row = BareReport(payload=json.dumps(payload, ensure_ascii=False), created_at=utcnow())
        session.add(row)
        session.commit()
        return jsonify({"id": row.id}), 201

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        sessions().execute(text("SELECT 1"))
        sessions().rollback()
        return jsonify({"status": "ok"})

    @app.teardown_appcontext
    def _remove(_exc: BaseException | None) -> None:
        sessions.remove()

    return app

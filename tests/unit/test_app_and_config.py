import os
from pathlib import Path

from sqlalchemy import inspect

from wagechannel import create_app
from wagechannel.config import from_environment
from wagechannel.db import make_engine


def test_environment_names_pass_through_typed() -> None:
    config = from_environment({"WAGECHANNEL_RATELIMIT_ENABLED": "false",
                               "WAGECHANNEL_SQLITE_BUSY_TIMEOUT_MS": "2000",
                               "WAGECHANNEL_BASE_URL": "https://wc.example.cn",
                               "OTHER": "x", "WAGECHANNEL_": "y"})
    assert config == {"RATELIMIT_ENABLED": False, "SQLITE_BUSY_TIMEOUT_MS": 2000,
                      "BASE_URL": "https://wc.example.cn"}


def test_factory_reads_environment_then_mapping(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WAGECHANNEL_BASE_URL", "https://from-env.example/")
    monkeypatch.setenv("WAGECHANNEL_RATELIMIT_ENABLED", "false")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert app.config["BASE_URL"] == "https://from-env.example"
    assert app.config["RATELIMIT_ENABLED"] is False
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "BASE_URL": "https://from-mapping.example"})
    assert app.config["BASE_URL"] == "https://from-mapping.example"


def test_factory_has_no_side_effects_on_the_database(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("WAGECHANNEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("WAGECHANNEL_SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'wagechannel.sqlite3'}"
    engine = make_engine(app.config["DATABASE_URL"])
    assert inspect(engine).get_table_names() == []  # not migrated by the factory
    engine.dispose()


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("WAGECHANNEL_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert oct(os.stat(tmp_path / "secret_key").st_mode)[-3:] == "600"


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    engine.dispose()


def test_sqlite_write_transactions_begin_immediate(tmp_path: Path) -> None:
    """A second writer waits instead of failing: the first holds the write lock from BEGIN."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'lock.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with engine.connect() as conn:
        conn.begin()
        other = sqlite3.connect(tmp_path / "lock.db", timeout=0.1)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            assert "locked" in str(error)
        else:
            raise AssertionError("the write lock was not taken at BEGIN")
        finally:
            other.close()
    engine.dispose()


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(tmp_path: Path) -> None:
    from flask import request

    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "PROXY_FIX_X_FOR": 1})
    seen: list[str | None] = []
    app.add_url_rule("/whoami", "whoami", lambda: seen.append(request.remote_addr) or "ok")
    app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen == ["203.0.113.9"]
    plain = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    plain.add_url_rule("/whoami", "whoami", lambda: seen.append(request.remote_addr) or "ok")
    plain.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen[-1] == "127.0.0.1"

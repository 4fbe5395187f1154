"""The benchmarks' own places: a temporary folder (for a SQLite file, an instance folder) and
PostgreSQL databases made for one run, each removed when the run's ExitStack closes, Ctrl+C
included. The bench scripts import it as `_scratch` (their own folder is first on the path)."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


def scratch_folder(stack: contextlib.ExitStack, prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    return folder


def sqlite_url(folder: Path, filename: str = "wagechannel.sqlite3") -> str:
    return f"sqlite:///{folder / filename}"


@dataclass(frozen=True)
class Database:
    name: str
    version: int  # the server's major version
    url: str  # for the application (postgresql+psycopg)


def postgres_database(stack: contextlib.ExitStack, admin: str, name: str) -> Database:
    """CREATE DATABASE `name` through the admin connection; dropped (WITH FORCE) on exit."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = connection.info.server_version // 10000

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(name)))
    stack.callback(drop)
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)
    return Database(name, version, url)

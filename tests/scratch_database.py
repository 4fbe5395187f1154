"""An empty database of a test's own, on the suite's engine: a SQLite file, or a PostgreSQL
database beside the suite's (`<name>_scratch`, dropped afterwards). For tests of what the
command line does with a database that was never upgraded or is behind the code, which the
suite's shared, migrated database cannot show.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from wagechannel.migrate import alembic_config


@contextmanager
def scratch_database(tmp_path: Path) -> Iterator[str]:
    suite = os.environ.get("WAGECHANNEL_TEST_DATABASE_URL")
    if not suite or suite.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = make_url(suite)
    name = f"{url.database}_scratch"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def revision_before_head() -> str:
    """The revision just before the newest: a database there is behind the code."""
    script = ScriptDirectory.from_config(alembic_config())
    down = script.get_revision(script.get_current_head()).down_revision
    assert isinstance(down, str), "the newest migration should follow exactly one other"
    return down

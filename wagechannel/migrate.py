"""Alembic driven from the application: upgrade, current revision, heads."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from wagechannel.db import make_engine
from wagechannel.resources import resource_dir


def alembic_config(url: str | None = None, connection: Any = None) -> Config:
    directory = resource_dir("migrations")
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.set_main_option("file_template",
                           "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("timezone", "UTC")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Any = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url, connection), revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


class Schema(enum.Enum):
    EMPTY = "empty"      # never upgraded: no revision recorded
    BEHIND = "behind"    # an older revision of this code's migrations
    CURRENT = "current"  # at the head
    UNKNOWN = "unknown"  # a revision this code does not have (a newer release upgraded it)


@dataclass(frozen=True)
class SchemaState:
    schema: Schema
    revisions: tuple[str, ...]


def current_revisions(url: str) -> tuple[str, ...]:
    """The revisions recorded in the database at `url` (empty when never upgraded).

    Read on a connection of its own: on SQLite a plain one, without the app's BEGIN IMMEDIATE,
    so the check never waits for (or blocks) a writer.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool)
    else:
        engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def schema_state(url: str) -> SchemaState:
    """Where the database at `url` stands against this code's migrations."""
    revisions = current_revisions(url)
    script = ScriptDirectory.from_config(alembic_config())
    if not revisions:
        return SchemaState(Schema.EMPTY, revisions)
    if set(revisions) == set(script.get_heads()):
        return SchemaState(Schema.CURRENT, revisions)
    known = {revision.revision for revision in script.walk_revisions()}
    if not set(revisions) <= known:
        return SchemaState(Schema.UNKNOWN, revisions)
    return SchemaState(Schema.BEHIND, revisions)

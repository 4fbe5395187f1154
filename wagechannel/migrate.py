"""Alembic driven from the application: upgrade, current revision, heads."""
from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

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

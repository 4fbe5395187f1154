"""Alembic environment: the URL or connection comes from wagechannel.migrate (or WAGECHANNEL_DATABASE_URL)."""
from __future__ import annotations

from alembic import context

from wagechannel.crypto import EncryptedString
from wagechannel.db import UTCDateTime, make_engine
from wagechannel.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write the app's UTC wrapper as the plain column type, so revisions never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedString):
        return "sa.String(length=512)"
    return False


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from wagechannel.config import default_database_url, from_environment
        url = from_environment().get("DATABASE_URL") or default_database_url("instance")
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

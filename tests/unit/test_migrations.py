from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from wagechannel.db import make_engine
from wagechannel.migrate import heads
from wagechannel.models import Base
from wagechannel.resources import resource_dir


def test_there_is_a_single_head() -> None:
    assert len(heads()) == 1


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_revision_files_are_dated() -> None:
    names = [p.name for p in (resource_dir("migrations") / "versions").glob("*.py")]
    assert names and all(name[:8].isdigit() and name[8] == "_" for name in names)


def test_constraints_are_named_by_convention(database_url: str) -> None:
    from sqlalchemy import inspect
    engine = make_engine(database_url)
    inspector = inspect(engine)
    foreign_keys = inspector.get_foreign_keys("lead")
    engine.dispose()
    assert foreign_keys and all(fk["name"] and fk["name"].startswith("fk_lead_") for fk in foreign_keys)

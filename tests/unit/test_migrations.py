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


def test_upgrade_keeps_rows_written_by_older_revisions(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each revision upgrades a database holding data, on the same kind of database."""
    import uuid

    from sqlalchemy import text

    from wagechannel.migrate import upgrade

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        drop = None
    else:
        name = f"wc_migrate_{uuid.uuid4().hex[:8]}"
        admin = make_engine(database_url.rsplit("/", 1)[0] + "/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = database_url.rsplit("/", 1)[0] + "/" + name

        def drop() -> None:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
    try:
        upgrade(url, revision="a1f0c2d3e4b5")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO region (code, name) VALUES ('440305', '南山区')"))
            conn.execute(text("INSERT INTO contractor (id, name, created_at) "
                              "VALUES (1, '老数据建设公司', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO project (id, contractor_id, region_code, name, address, "
                              "created_at) VALUES (1, 1, '440305', '老项目', '老地址', "
                              "CURRENT_TIMESTAMP)"))
        engine.dispose()
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT name, updated_at FROM project WHERE id = 1")).one()
        engine.dispose()
        assert row[0] == "老项目" and row[1] is not None
    finally:
        if drop:
            drop()

"""The instance folder and the SQLite files are private to their owner (finding 4)."""
import stat
from pathlib import Path

from sqlalchemy import text

from wagechannel import create_app
from wagechannel.migrate import upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_folder_and_database_files_are_private(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        engine = app.extensions["wagechannel_engine"]
        with engine.begin() as connection:  # a write: the WAL file exists now
            connection.execute(text("INSERT INTO region (code, name) VALUES ('110000', '北京市')"))
        files = sorted(instance.glob("wagechannel.sqlite3*"))
        assert {f.name for f in files} >= {"wagechannel.sqlite3", "wagechannel.sqlite3-wal"}
        assert mode(instance) == 0o700
        assert all(mode(f) == 0o600 for f in files), {f.name: oct(mode(f)) for f in files}
        assert all(mode(f) == 0o600 for f in instance.iterdir() if f.is_file())
        engine.dispose()


def test_an_older_open_database_is_narrowed(tmp_path: Path) -> None:
    instance = tmp_path / "old"
    instance.mkdir(mode=0o755)
    database = instance / "wagechannel.sqlite3"
    database.touch(mode=0o644)
    create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    assert mode(instance) == 0o700 and mode(database) == 0o600

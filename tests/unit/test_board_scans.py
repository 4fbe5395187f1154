"""Scan counts (security finding 9): one per address per board per local day, written cheaply,
the addresses kept only as keyed hashes for two days."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, func, select

from wagechannel.boards.models import BoardScan, BoardScanVisitor
from wagechannel.boards.services import (issue_board, purge_scan_visitors, record_scan,
                                         scans_since)
from wagechannel.cache import clear_all

DAY = date(2026, 11, 29)


def count(db, board, day: date = DAY) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(BoardScan.count).where(BoardScan.board_id == board.id,
                                                   BoardScan.day == day)) or 0


def test_an_address_counts_once_a_day_per_board(db, world) -> None:  # type: ignore[no-untyped-def]
    other = issue_board(db, world.project)
    results = [record_scan(db, world.board, DAY, "10.0.0.1") for _ in range(30)]
    assert results == [True] + [False] * 29 and count(db, world.board) == 1
    assert record_scan(db, world.board, DAY, "10.0.0.2") and count(db, world.board) == 2
    assert record_scan(db, other, DAY, "10.0.0.1") and count(db, other) == 1  # another board
    assert record_scan(db, world.board, DAY + timedelta(days=1), "10.0.0.1")  # another day
    assert count(db, world.board, DAY + timedelta(days=1)) == 1
    assert scans_since(db, [world.board.id, other.id], DAY) == {world.board.id: 3, other.id: 1}


def statements(action) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements action() sends (without expiring anything first, unlike count_statements:
    the board stays loaded, as find_board leaves it in a request)."""
    from wagechannel.extensions import db as database
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            sent.append(statement.split()[0].upper())

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        action()
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
    return sent


def test_a_repeat_writes_nothing(db, world) -> None:  # type: ignore[no-untyped-def]
    board = world.board
    assert statements(lambda: record_scan(db, board, DAY, "10.0.0.1")) == ["INSERT", "INSERT"]
    # this process remembers it counted the address: a reload sends no statement at all
    assert statements(lambda: record_scan(db, board, DAY, "10.0.0.1")) == []
    clear_all()  # as another worker meets it: one insert that does nothing, no update
    assert statements(lambda: record_scan(db, board, DAY, "10.0.0.1")) == ["INSERT"]
    assert count(db, board) == 1


def test_without_an_address_the_day_counts_once(db, world) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        record_scan(db, world.board, DAY)
    assert count(db, world.board) == 1


def test_addresses_are_kept_as_keyed_hashes_and_purged_after_two_days(db, world) -> None:  # type: ignore[no-untyped-def]
    for offset in range(4):
        record_scan(db, world.board, DAY - timedelta(days=offset), "203.0.113.7")
    visitors = db.scalars(select(BoardScanVisitor.visitor)).all()
    assert len(visitors) == 4 and len(set(visitors)) == 4  # unlinkable from day to day
    assert not any("203.0.113.7" in visitor for visitor in visitors)
    assert purge_scan_visitors(db, DAY) == 2
    assert sorted(db.scalars(select(BoardScanVisitor.day))) == [DAY - timedelta(days=1), DAY]
    # the counts stay: the silent-boards list and the project page read them
    assert db.scalar(select(func.sum(BoardScan.count))
                     .where(BoardScan.board_id == world.board.id)) == 4


def test_the_scheduler_purges_old_addresses(app, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wagechannel import scheduler
    record_scan(db, world.board, date.today() - timedelta(days=5), "10.0.0.1")
    record_scan(db, world.board, date.today(), "10.0.0.1")
    db.commit()
    monkeypatch.setattr(scheduler, "local_today", lambda: date.today())
    assert scheduler.purge_scan_visitors(app) == 1
    assert db.scalar(select(func.count()).select_from(BoardScanVisitor)) == 1
    jobs = {job.id for job in scheduler.build_scheduler(app).get_jobs()}
    assert "purge_scan_visitors" in jobs

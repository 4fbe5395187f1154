"""The administrator's working-day calendar: entries override, a warning while next year is
unpublished, Chinese messages on bad input."""
from datetime import date

from sqlalchemy import select

from tests.conftest import csrf_token, login
from wagechannel.deadlines.models import CalendarEntry


def test_an_admin_enters_a_holiday_and_a_working_day(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "还没有公布" in page and "2027-02-05" in page  # the statutory festivals listed
    token = csrf_token(client, "/admin/calendar?year=2027")
    response = client.post("/admin/calendar?year=2027", data={
        "csrf_token": token, "day": "2027-02-20", "kind": "working", "note": "国办发明电"})
    assert response.status_code == 303
    entry = db.get(CalendarEntry, date(2027, 2, 20))
    assert entry is not None and entry.working and entry.note == "国办发明电"
    assert "2027-02-20" in client.get("/admin/calendar?year=2027").get_data(as_text=True)
    client.post("/admin/calendar?year=2027", data={"csrf_token": token, "remove": "2027-02-20"})
    assert db.scalar(select(CalendarEntry).where(CalendarEntry.day == date(2027, 2, 20))) is None


def test_bad_input_is_named_and_kept(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    token = csrf_token(client, "/admin/calendar")
    response = client.post("/admin/calendar", data={"csrf_token": token, "day": "2027-13-40",
                                                     "note": "看这里"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写日期" in page and "请选择是放假还是上班" in page and 'value="看这里"' in page


def test_the_warning_until_next_year_is_entered(client, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.deadlines.views.local_today", lambda: date(2026, 11, 29))
    login(client, "admin")
    assert 'id="calendar-warning"' in client.get("/cases").get_data(as_text=True)
    db.add(CalendarEntry(day=date(2027, 1, 1), working=False, note="元旦"))
    db.commit()
    assert 'id="calendar-warning"' not in client.get("/cases").get_data(as_text=True)
    monkeypatch.setattr("wagechannel.deadlines.views.local_today", lambda: date(2026, 6, 1))
    db.delete(db.get(CalendarEntry, date(2027, 1, 1)))
    db.commit()
    assert 'id="calendar-warning"' not in client.get("/cases").get_data(as_text=True)


def test_only_admins(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    assert client.get("/admin/calendar").status_code == 403


def test_an_entry_moves_a_computed_limit(client, db, world) -> None:  # type: ignore[no-untyped-def]
    """A report after the admin declares 2027-02-09 a holiday gets the later last day."""
    from tests.conftest import report_form
    from wagechannel.intake.models import Lead
    db.add(CalendarEntry(day=date(2027, 2, 9), working=False))
    db.commit()
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, employment_status="ended",
                                                  work_end="2026-02-05", work_start=""))
    assert response.status_code == 303
    lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
    assert lead.case.limitation_end == date(2027, 2, 10)

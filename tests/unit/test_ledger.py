"""The ledger (台账) and the period summary: what they hold, in what types, for whom; formula
neutralisation in every cell; the audit event; the `wagechannel export` commands."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta, timezone

import click
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from tests.unit.test_reports_workbook import HOSTILE
from wagechannel.accounts.models import AuditEvent
from wagechannel.bureau.filters import Filters, Period, default_period, parse_filters
from wagechannel.cases.models import Case, CaseRoute
from wagechannel.clock import local_today
from wagechannel.intake.models import Lead
from wagechannel.intake.services import Site, store_report
from wagechannel.intake.validation import parse_lead
from wagechannel.places.services import create_contractor, create_project, ensure_region
from wagechannel.reports.cli import export
from wagechannel.reports.ledger import COLUMNS, export_ledger
from wagechannel.reports.summary import export_summary, summary
from wagechannel.reports.workbook import (DATETIME, INTEGER, YUAN, Column, StreamedSheet,
                                          save_streamed, streamed_workbook)

TODAY = local_today()


def add(db, world, *, project=None, name="张三", boss="王老板", amount="8500.5",  # type: ignore[no-untyped-def]
        phone="13800138001", workers="3"):
    project = project or world.project
    data = parse_lead({"name": name, "phone": phone, "consent": True, "employer_name": boss,
                       "amount_owed": amount, "workers_affected": workers,
                       "employment_status": "ended",
                       "work_end": (TODAY - timedelta(days=30)).isoformat()}, today=TODAY)
    receipt = store_report(db, data, site=Site(None, project.id, project.region_code),
                           channel="qr", today=TODAY)
    return db.get(Lead, receipt.lead_id)


def workbook(export_result):  # type: ignore[no-untyped-def]
    content = export_result.file.read()
    return load_workbook(io.BytesIO(content)), content


def this_period() -> Filters:
    return Filters(period=default_period(TODAY))


def test_the_ledger_round_trips_with_real_types(db, world) -> None:  # type: ignore[no-untyped-def]
    lead = add(db, world)
    case = db.get(Case, lead.case_id)
    closed = datetime(2026, 10, 9, 16, 30, tzinfo=timezone.utc)
    db.execute(update(Case).where(Case.id == case.id).values(
        status="closed", closed_at=closed, outcome="partial", amount_recovered_fen=420050,
        paid_by="general_contractor", application_date=date(2026, 10, 1)))
    db.add(CaseRoute(case_id=case.id, kind="arbitration"))
    db.add(CaseRoute(case_id=case.id, kind="negotiation"))
    db.commit()
    result = export_ledger(db, this_period(), ["440305"], user=world.users["bureau_liaison"],
                           names={}, today=TODAY)
    book, content = workbook(result)
    sheet = book["台账"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == [column.title for column in COLUMNS]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["F"].width == 30
    row = {column.title: cell for column, cell in zip(COLUMNS, sheet[2])}
    assert row["序号"].value == lead.id and row["序号"].data_type == "n"
    received = row["收到时间"].value
    assert isinstance(received, datetime) and row["收到时间"].number_format == "yyyy-mm-dd hh:mm"
    local = lead.created_at.astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None)
    assert abs(received - local) < timedelta(seconds=1)
    assert row["欠薪金额（元）"].value == 8500.5
    assert row["欠薪金额（元）"].number_format == "#,##0.00"
    assert row["案件追回金额（元，整案）"].value == 4200.5
    assert row["涉及人数"].value == 3 and row["涉及人数"].data_type == "n"
    assert row["受理日期"].value == datetime(2026, 10, 1) and row["受理日期"].is_date
    assert row["结案时间"].value == datetime(2026, 10, 10, 0, 30)
    assert row["办理方式"].value == "协商、劳动仲裁" or row["办理方式"].value == "劳动仲裁、协商"
    assert row["结案结果"].value == "部分追回" and row["案件状态"].value == "已结案"
    assert row["地区"].value == "深圳市南山区" and row["项目"].value == world.project.name
    assert row["老板或用人单位"].value == "王老板" and row["案号"].value == case.number
    assert row["反映人"].value == "张*"  # a liaison: masked
    text = content.decode("latin-1")
    assert lead.code not in text and "13800138001" not in text  # no receipt code, no phone
    assert all(lead.code not in str(cell.value) for r in sheet.iter_rows() for cell in r)
    about = {r[0].value: r[1].value for r in book["说明"].iter_rows(min_row=2)}
    assert about["行数"] == "1" and "查询码" in about["不含"]


def test_only_staff_and_lawyers_see_names_whole(db, world) -> None:  # type: ignore[no-untyped-def]
    add(db, world, name="赵大勇")
    for role, shown in (("bureau_liaison", "赵**"), ("admin", "赵**"), ("legal_aid_staff", "赵大勇"),
                        ("lawyer", "赵大勇")):
        book, _content = workbook(export_ledger(db, this_period(), None, user=world.users[role],
                                                names={}))
        assert book["台账"]["J2"].value == shown, role
    book, _content = workbook(export_ledger(db, this_period(), None, user=None, names={},
                                            via="command"))
    assert book["台账"]["J2"].value == "赵**"  # the command line has no role: masked


def test_the_filters_and_the_scope_narrow_the_ledger(db, world) -> None:  # type: ignore[no-untyped-def]
    mine = add(db, world, phone="13800138001")
    other = add(db, world, project=world.other_project, phone="13800138002")
    second = create_project(db, contractor=world.contractor, region_code="440305",
                            name="第二工地", address="深圳市南山区测试路9号")
    db.commit()
    again = add(db, world, project=second, phone="13800138003", boss="李老板")

    def ids(filters, scope):  # type: ignore[no-untyped-def]
        book, _content = workbook(export_ledger(db, filters, scope, user=None, names={}))
        return sorted(row[0] for row in book["台账"].iter_rows(min_row=2, values_only=True))

    everything = this_period()
    assert ids(everything, ["440305"]) == sorted([mine.id, again.id])  # the liaison's scope
    assert ids(everything, ["440304"]) == [other.id]
    assert ids(everything, None) == sorted([mine.id, other.id, again.id])
    assert ids(everything, ["440300"]) == sorted([mine.id, other.id, again.id])  # the city
    assert ids(everything.but(region="440304"), None) == [other.id]
    assert ids(everything.but(project=second.id), None) == [again.id]
    assert ids(everything.but(contractor=world.contractor.id), None) == sorted([mine.id, again.id])
    assert ids(everything.but(state="pending"), None) == sorted([mine.id, other.id, again.id])
    assert ids(everything.but(state="closed"), None) == []
    assert ids(everything.but(tier="urgent"), None) == []
    old = Filters(period=Period(date(2020, 1, 1), date(2020, 12, 31)))
    assert ids(old, None) == []


def test_every_export_is_an_audit_event(db, world) -> None:  # type: ignore[no-untyped-def]
    add(db, world)
    liaison = world.users["bureau_liaison"]
    export_ledger(db, this_period().but(tier="routine"), ["440305"], user=liaison, names={},
                  ip="10.0.0.8")
    export_summary(db, this_period(), ["440305"], user=liaison, names={}, ip="10.0.0.8")
    db.flush()
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    ledger, summary_event = [e for e in events if e.action.startswith("export_")]
    assert ledger.action == "export_ledger" and ledger.actor_id == liaison.id
    assert ledger.ip == "10.0.0.8" and ledger.detail["rows"] == 1
    assert ledger.detail["filters"]["tier"] == "routine" and ledger.detail["masked"] is True
    assert summary_event.action == "export_summary"
    assert summary_event.detail["regions"] == ["440305"]


def test_text_that_would_run_as_a_formula_stays_text_in_both_workbooks(db, world) -> None:  # type: ignore[no-untyped-def]
    for number, hostile in enumerate(HOSTILE):
        ensure_region(db, f"4403{60 + number:02d}", hostile)
    contractor = create_contractor(db, name=HOSTILE[0])
    for number, hostile in enumerate(HOSTILE):
        project = create_project(db, contractor=contractor, region_code=f"4403{60 + number:02d}",
                                 name=f"工地{number}", address="某路1号")
        db.commit()
        data = parse_lead({"name": "=1+1" if number == 0 else "张三", "phone": f"1380013{number:04d}",
                           "consent": True, "employer_name": hostile, "amount_owed": "100"},
                          today=TODAY)
        store_report(db, data, site=Site(None, project.id, project.region_code), channel="qr",
                     today=TODAY)
    for make in (export_ledger, export_summary):
        book, content = workbook(make(db, this_period(), None, user=world.users["legal_aid_staff"]
                                      if make is export_ledger else None, names={}))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"], make
        hostile = [cell for cell in cells if isinstance(cell.value, str)
                   and cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert hostile and all(cell.quotePrefix and cell.data_type == "s" for cell in hostile)
        values = {cell.value for cell in cells}
        # names typed into forms are stored stripped; region names as an administrator gave them
        # (a carriage return is written as &#13; with lxml; without it, XML reads it back as
        # a line feed)
        assert all(name in values or name.replace("\r", "\n") in values or name.strip() in values
                   for name in HOSTILE[:7]), make
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sheets = [archive.read(name) for name in archive.namelist()
                      if name.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)


def test_the_streamed_sheet_leaves_numbers_and_plain_text_alone() -> None:
    book = streamed_workbook()
    sheet = StreamedSheet(book, "表", [Column("文字", 10), Column("数", 6, INTEGER),
                                       Column("元", 8, YUAN), Column("时间", 16, DATETIME)])
    sheet.append(["深圳市南山区", -3, 252000, datetime(2026, 1, 1, 16, 0, tzinfo=timezone.utc)])
    sheet.append(["电话 -1", None, None, None])
    loaded = load_workbook(save_streamed(book))["表"]
    assert [c.value for c in loaded[2]] == ["深圳市南山区", -3, 2520, datetime(2026, 1, 2, 0, 0)]
    assert not any(c.quotePrefix for row in loaded.iter_rows() for c in row)
    assert loaded["A3"].value == "电话 -1" and loaded["B3"].value is None


# --- the summary ---------------------------------------------------------------------------------

def test_the_summary_counts_what_happened_in_the_period(db, world) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    a = add(db, world, phone="13800138001", boss="甲老板", amount="1000")
    b = add(db, world, phone="13800138002", boss="乙老板", amount="2000")
    c = add(db, world, project=world.other_project, phone="13800138003", boss="丙老板",
            amount="4000", workers="12")
    cases = {lead.id: db.get(Case, lead.case_id) for lead in (a, b, c)}
    db.execute(update(Case).where(Case.id == cases[a.id].id).values(
        accepted_at=now, decided_at=now, hardship_basis="exempt_42_3", status="closed",
        closed_at=now, outcome="recovered", amount_recovered_fen=100000, worker_count=1))
    db.execute(update(Case).where(Case.id == cases[b.id].id).values(
        accepted_at=now, decided_at=now, status="refused", refusal_reason="不属于范围"))
    db.execute(update(Case).where(Case.id == cases[c.id].id).values(
        accepted_at=now - timedelta(days=400), decided_at=now, hardship_basis="commitment_41",
        status="decided"))
    db.add(CaseRoute(case_id=cases[a.id].id, kind="mediation", started_at=now))
    db.add(CaseRoute(case_id=cases[a.id].id, kind="negotiation",
                     started_at=now - timedelta(days=500)))
    db.commit()
    result = summary(db, this_period().but(tier="urgent"), None)  # a tier does not narrow it
    assert result.totals == {"reports": 3, "claimed": 700000, "claimed_known": 3, "accepted": 2,
                             "granted": 2, "helped": 1 + 12, "refused": 1, "closed": 1,
                             "recovered": 100000}
    by_region = {code: measures for code, _name, measures in result.regions}
    assert by_region["440305"]["reports"] == 2 and by_region["440304"]["granted"] == 1
    routes = dict(result.routes)
    assert routes["调解"] == {"started": 1, "closed": 1, "workers": 1, "recovered": 100000}
    assert routes["协商"] == {"started": 0, "closed": 1, "workers": 1, "recovered": 100000}
    mine = summary(db, this_period(), ["440305"])
    assert mine.totals["reports"] == 2 and mine.totals["helped"] == 1
    assert [code for code, _n, _m in mine.regions] == ["440305"]
    narrowed, _content = workbook(export_summary(db, this_period().but(tier="urgent", state="open"),
                                                 ["440305"], user=None, names={}))
    about = dict(narrowed["说明"].iter_rows(min_row=2, values_only=True))
    assert "紧急程度、案件状态不适用于汇总" in about["未采用的筛选"]
    book, _content = workbook(export_summary(db, this_period(), ["440305"], user=None, names={}))
    lines = {row[0]: (row[1], row[2]) for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert lines["收到反映（件）"] == (2, None) and lines["追回欠薪金额（元）"] == (None, 1000)
    region_rows = list(book["按地区"].iter_rows(min_row=2, values_only=True))
    assert region_rows[-1][0] == "合计" and region_rows[0][:3] == ("深圳市南山区", "440305", 2)
    assert book["按地区"].freeze_panes == "A2"


# --- the command --------------------------------------------------------------------------------

@pytest.fixture()
def cli(runner, monkeypatch):  # type: ignore[no-untyped-def]
    """The export group as wagechannel/cli.py registers it, on the test's database."""
    from wagechannel.cli import Commands
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    root = Commands(name="wagechannel", commands=[export])

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(root, list(args))
    return invoke


def test_export_ledger_and_summary_from_the_command_line(cli, db, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add(db, world, name="赵大勇")
    add(db, world, project=world.other_project, phone="13800138009")
    target = tmp_path / "台账.xlsx"
    result = cli("export", "ledger", "--region", "440305", "--from", "2026-01-01",
                 "--to", TODAY.isoformat(), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "1 行" in result.output
    rows = list(load_workbook(target)["台账"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][9] == "赵**"
    summary_path = tmp_path / "汇总.xlsx"
    result = cli("export", "summary", "--region", "440305", "--output", str(summary_path))
    assert result.exit_code == 0, result.output
    assert "（1 个地区）" in result.output  # the 合计 row is no region
    assert load_workbook(summary_path)["汇总"]["B2"].value == default_period(TODAY).label
    result = cli("export", "summary", "--output", str(summary_path))
    assert result.exit_code == 0 and "（2 个地区）" in result.output, result.output
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("export_%"))).all()
    assert [(e.action, e.actor_id, e.detail["via"]) for e in events] == [
        ("export_ledger", None, "command"), ("export_summary", None, "command"),
        ("export_summary", None, "command")]


def test_export_refuses_bad_options_in_chinese(cli, db, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = str(tmp_path / "x.xlsx")
    for args, words in ((["--from", "2026-02-30"], "--from：日期应写成"),
                        (["--region", "4403"], "--region：行政区划代码应为6位数字"),
                        (["--region", "999999"], "没有登记行政区划代码为 999999 的地区"),
                        (["--from", "2026-05-01", "--to", "2026-04-01"], "结束日期不能早于开始日期")):
        result = cli("export", "ledger", *args, "--output", out)
        assert result.exit_code == 2 and words in result.output, result.output
    wrong = cli("export", "summary", "--output", str(tmp_path / "x.csv"))
    assert wrong.exit_code == 2 and ".xlsx" in wrong.output
    missing = cli("export", "ledger")
    assert missing.exit_code == 2 and "缺少选项 --output" in missing.output
    unwritable = cli("export", "ledger", "--output", str(tmp_path / "no" / "such" / "x.xlsx"))
    assert unwritable.exit_code != 0 and "无法写入" in unwritable.output
    assert not list(tmp_path.iterdir())


def test_filters_read_the_same_from_the_command_line_and_the_address() -> None:
    filters, errors = parse_filters({"region": "440305", "from": "2026-03-01", "to": None},
                                    today=date(2026, 11, 29), scope=None, boss=False)
    assert not errors and filters.region == "440305"
    assert filters.period == Period(date(2026, 3, 1), date(2026, 11, 29))
    filters, errors = parse_filters({"to": "2026-06-30"}, today=date(2026, 11, 29), scope=None)
    assert filters.period.end == date(2026, 6, 30) and filters.period.days == 84
    _filters, errors = parse_filters({"region": "440304"}, today=date(2026, 11, 29),
                                     scope=["440305"])
    assert "region" in errors
    filters, errors = parse_filters({"region": "440305"}, today=date(2026, 11, 29),
                                    scope=["440300"])
    assert not errors and filters.region == "440305"  # a city bureau narrows to its county
    assert click  # the command group is a click group

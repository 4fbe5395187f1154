"""The ledger (台账): one row per report with its case, for the filters on the dashboard and the
user's scope, streamed into a write-only workbook.

What it never holds: the receipt code (with a phone's last four digits it opens the worker's
messages), the phone or identity-card number (never read, so never decrypted), the worker's own
description. The worker's name is masked unless the role may see it (legal-aid staff and
lawyers; a liaison and an administrator always see it masked). Every export is an audit event.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from wagechannel.accounts.models import User
from wagechannel.accounts.privacy import mask_name
from wagechannel.accounts.services import record
from wagechannel.bureau.aggregates import lead_conditions, needs_case
from wagechannel.bureau.expressions import joined_text
from wagechannel.bureau.filters import Filters, regions_for
from wagechannel.cases.models import (CASE_STATUSES, COLLECTIVE_LEVELS, OUTCOME_LABELS, PAYERS,
                                      ROUTES, TIERS, Case, CaseRoute)
from wagechannel.cases.services import sees_personal_data
from wagechannel.intake.models import CHANNELS, TRADES, WANTS, Lead
from wagechannel.places.models import Contractor, Organisation, Project, Region
from wagechannel.reports.workbook import (DATE, DATETIME, INTEGER, YUAN, Column, StreamedSheet,
                                          save_streamed, streamed_workbook)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FETCH = 2000  # rows fetched at a time (a server-side cursor on PostgreSQL)

COLUMNS = [
    Column("序号", 9, INTEGER), Column("收到时间", 17, DATETIME), Column("来源", 11),
    Column("地区", 16), Column("行政区划代码", 12), Column("项目", 30),
    Column("施工总承包单位", 30), Column("老板或用人单位", 22), Column("工种", 12),
    Column("反映人", 10), Column("涉及人数", 9, INTEGER), Column("欠薪金额（元）", 15, YUAN),
    Column("欠薪月数", 9, INTEGER), Column("诉求", 14), Column("案号", 18),
    Column("法律援助中心", 24), Column("案件状态", 16), Column("紧急程度", 9),
    Column("案件人数", 9, INTEGER), Column("群体性", 20), Column("受理日期", 11, DATE),
    Column("决定时间", 17, DATETIME), Column("指派时间", 17, DATETIME), Column("办理方式", 18),
    Column("结案时间", 17, DATETIME), Column("结案结果", 13),
    Column("案件追回金额（元，整案）", 17, YUAN), Column("支付方", 24),
]


def ledger_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """The ledger's rows, oldest first: the report, its site and county, its case and the
    case's routes (joined once per case, for the cases of these reports only)."""
    centre = aliased(Organisation)
    conditions = lead_conditions(filters, regions)
    reported = select(Lead.case_id).where(*conditions)
    if needs_case(filters):
        reported = reported.join(Case, Case.id == Lead.case_id)
    routes = (select(CaseRoute.case_id, joined_text(CaseRoute.kind).label("kinds"))
              .where(CaseRoute.case_id.in_(reported)).group_by(CaseRoute.case_id)
              .subquery("routes"))
    statement = (select(
        Lead.id, Lead.created_at, Lead.channel, Region.name.label("region_name"),
        Lead.region_code, Project.name.label("project_name"), Lead.site_name,
        Contractor.name.label("contractor_name"), Lead.employer_name, Lead.trade, Lead.name,
        Lead.workers_affected, Lead.amount_owed_fen, Lead.months_unpaid, Lead.wants,
        Case.number, centre.name.label("centre_name"), Case.status, Case.tier,
        Case.worker_count, Case.collective_level, Case.application_date, Case.decided_at,
        Case.assigned_at, routes.c.kinds, Case.closed_at, Case.outcome,
        Case.amount_recovered_fen, Case.paid_by)
        .select_from(Lead))
    statement = (statement.join(Case, Case.id == Lead.case_id) if needs_case(filters)
                 else statement.outerjoin(Case, Case.id == Lead.case_id))
    return (statement.outerjoin(Project, Project.id == Lead.project_id)
            .outerjoin(Contractor, Contractor.id == Project.contractor_id)
            .outerjoin(Region, Region.code == Lead.region_code)
            .outerjoin(centre, centre.id == Case.legal_aid_org_id)
            .outerjoin(routes, routes.c.case_id == Case.id)
            .where(*conditions).order_by(Lead.created_at, Lead.id))


def _label(labels: dict[str, str], value: str | None) -> str | None:
    return None if value is None else labels.get(value, value)


def ledger_values(row: Any, *, full: bool) -> list[Any]:
    kinds = "、".join(ROUTES.get(kind, kind) for kind in sorted(row.kinds.split("、"))) \
        if row.kinds else None
    return [
        row.id, row.created_at, _label(CHANNELS, row.channel), row.region_name,
        row.region_code, row.project_name or row.site_name, row.contractor_name,
        row.employer_name, _label(TRADES, row.trade), row.name if full else mask_name(row.name),
        row.workers_affected, row.amount_owed_fen, row.months_unpaid, _label(WANTS, row.wants),
        row.number, row.centre_name, _label(CASE_STATUSES, row.status) or "未转交",
        _label(TIERS, row.tier), row.worker_count, _label(COLLECTIVE_LEVELS, row.collective_level),
        row.application_date, row.decided_at, row.assigned_at, kinds, row.closed_at,
        _label(OUTCOME_LABELS, row.outcome), row.amount_recovered_fen, _label(PAYERS, row.paid_by),
    ]


def ledger_rows(session: Session, filters: Filters,
                regions: list[str] | None) -> Iterator[Any]:
    """The rows, fetched a few thousand at a time (never the whole ledger in memory)."""
    result = session.execute(ledger_statement(filters, regions)
                             .execution_options(yield_per=FETCH))
    yield from result


@dataclass(frozen=True)
class Export:
    file: IO[bytes]
    rows: int
    filename: str


def ledger_filename(filters: Filters) -> str:
    period = filters.period
    return f"台账_{period.start.isoformat()}_{period.end.isoformat()}.xlsx"


def write_ledger(session: Session, filters: Filters, regions: list[str] | None, *,
                 full: bool, meta: list[tuple[str, str]]) -> Export:
    """The ledger workbook: the rows on the first sheet, what it is on a second (说明)."""
    workbook = streamed_workbook()
    sheet = StreamedSheet(workbook, "台账", COLUMNS)
    for row in ledger_rows(session, filters, regions):
        sheet.append(ledger_values(row, full=full))
    about = StreamedSheet(workbook, "说明", [Column("项目", 18), Column("内容", 80)])
    for name, value in [*meta, ("行数", str(sheet.rows)),
                        ("反映人姓名", "完整" if full else "已隐去部分字（只显示姓）"),
                        ("不含", "查询码、电话、身份证号码和工人填写的情况说明")]:
        about.append([name, value])
    return Export(save_streamed(workbook), sheet.rows, ledger_filename(filters))


def describe(filters: Filters, names: dict[str, str]) -> list[tuple[str, str]]:
    """The filters in words, for a workbook's 说明 sheet and the audit log."""
    lines = [("时间段", filters.period.label)]
    for key, label in (("region", "地区"), ("contractor", "施工总承包单位"), ("project", "项目"),
                       ("boss", "老板（包工头）")):
        if getattr(filters, key) is not None:
            lines.append((label, names.get(key) or str(getattr(filters, key))))
    if filters.tier is not None:
        lines.append(("紧急程度", TIERS.get(filters.tier, filters.tier)))
    if filters.state is not None:
        from wagechannel.bureau.filters import STATES
        lines.append(("案件状态", STATES.get(filters.state, filters.state)))
    return lines


def export_ledger(session: Session, filters: Filters, scope: list[str] | None, *,
                  user: User | None, names: dict[str, str], ip: str | None = None,
                  via: str = "web", today: date | None = None) -> Export:
    """Write the ledger for a user (None: the command line, always masked) and log it. Flushes,
    never commits."""
    full = user is not None and sees_personal_data(user)
    regions = regions_for(filters, scope)
    meta = [("导出", "农民工讨薪绿色通道 台账"),
            ("导出人", user.display_name if user is not None else "命令行"),
            *describe(filters, names)]
    if today is not None:
        meta.append(("导出日期", today.isoformat()))
    export = write_ledger(session, filters, regions, full=full, meta=meta)
    record(session, "export_ledger", actor=user, object_type="ledger", ip=ip, via=via,
           rows=export.rows, masked=not full, filters=filters.args(),
           regions=regions if regions is not None else "all")
    return export


def ledger_count(session: Session, filters: Filters, regions: list[str] | None) -> int:
    statement = select(func.count(Lead.id)).where(*lead_conditions(filters, regions))
    if needs_case(filters):
        statement = statement.join(Case, Case.id == Lead.case_id)
    return int(session.scalar(statement) or 0)

"""The summary workbook for a period (a month, a quarter, a year): what happened in it — reports
received, cases accepted, granted, refused and closed, the workers helped, the amounts claimed
and recovered — in all, by region and by route. The year-end summary a centre sends up in
December is this workbook for the year.

Each number counts events inside the period (bureau/aggregates.py says exactly which): a case
accepted in November and closed in December is accepted in November's summary and closed in
December's. A few aggregate statements, whatever the data size.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.accounts.services import record
from wagechannel.bureau import aggregates as agg
from wagechannel.bureau.filters import Filters, regions_for
from wagechannel.cases.models import ROUTES, Case, CaseRoute
from wagechannel.places.models import Region
from wagechannel.reports.ledger import Export, describe
from wagechannel.reports.workbook import (INTEGER, YUAN, Column, StreamedSheet, save_streamed,
                                          streamed_workbook)

NO_ROUTE = ""
ROUTE_NAMES = ("started", "closed", "workers", "recovered")

LINES = [("reports", "收到反映（件）", INTEGER), ("claimed", "主张欠薪金额（元）", YUAN),
         ("accepted", "受理法律援助申请（件）", INTEGER),
         ("granted", "决定给予法律援助（件）", INTEGER), ("refused", "决定不予法律援助（件）", INTEGER),
         ("closed", "结案（件）", INTEGER), ("helped", "受援农民工（人）", INTEGER),
         ("recovered", "追回欠薪金额（元）", YUAN)]


def summary_filters(filters: Filters) -> Filters:
    """A summary counts events by region, contractor and project; a case's present tier or
    state does not narrow what happened in the period."""
    return filters.but(tier=None, state=None, boss=None)


def by_route_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """Per route: routes started in the period; cases closed in the period that took it (a
    case with two routes counts under each), their workers and what they recovered; and the
    closed cases that took none."""
    started = (select(CaseRoute.kind.label("kind"), func.count(CaseRoute.id).label("started"),
                      literal_column("0").label("closed"), literal_column("0").label("workers"),
                      literal_column("0").label("recovered"))
               .join(Case, Case.id == CaseRoute.case_id)
               .where(CaseRoute.started_at >= filters.period.since,
                      CaseRoute.started_at < filters.period.until,
                      *agg.case_conditions(filters, regions))
               .group_by(CaseRoute.kind))
    kinds = select(CaseRoute.case_id, CaseRoute.kind).distinct().subquery()
    closed_where = [*agg.case_conditions(filters, regions, at=Case.closed_at),
                    Case.status == "closed"]
    closed = (select(kinds.c.kind, literal_column("0"), func.count(Case.id),
                     func.sum(Case.worker_count), func.sum(Case.amount_recovered_fen))
              .join(kinds, kinds.c.case_id == Case.id).where(*closed_where)
              .group_by(kinds.c.kind))
    without = (select(literal_column(f"'{NO_ROUTE}'"), literal_column("0"), func.count(Case.id),
                      func.sum(Case.worker_count), func.sum(Case.amount_recovered_fen))
               .where(*closed_where, ~Case.routes.any()))
    parts = union_all(started, closed, without).subquery()
    return (select(parts.c.kind, *(func.sum(parts.c[name]).label(name) for name in ROUTE_NAMES))
            .group_by(parts.c.kind))


@dataclass
class Summary:
    filters: Filters
    totals: dict[str, int]
    regions: list[tuple[str, str, dict[str, int]]]  # code, name, measures
    routes: list[tuple[str, dict[str, int]]]  # route label, measures


def summary(session: Session, filters: Filters, scope: list[str] | None) -> Summary:
    filters = summary_filters(filters)
    regions = regions_for(filters, scope)
    totals = agg.measures_of(session.execute(
        agg.totals_statement(filters, regions, agg.SUMMARY)).first(), agg.SUMMARY_NAMES)
    by_region = agg.aggregate(agg.SUMMARY, filters, regions, "region")
    rows = session.execute(select(by_region, Region.name.label("label"))
                           .outerjoin(Region, Region.code == by_region.c.key)
                           .order_by(by_region.c.key))
    places = [(row.key, row.label or row.key, agg.measures_of(row, agg.SUMMARY_NAMES))
              for row in rows]
    routes = []
    for row in session.execute(by_route_statement(filters, regions)):
        label = ROUTES.get(row.kind, row.kind) if row.kind != NO_ROUTE else "未记录办理方式"
        routes.append((label, {name: int(getattr(row, name) or 0) for name in ROUTE_NAMES}))
    order = list(ROUTES.values()) + ["未记录办理方式"]
    routes.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return Summary(filters, totals, places, routes)


def write_summary(result: Summary, meta: list[tuple[str, str]]) -> Export:
    workbook = streamed_workbook()
    totals = StreamedSheet(workbook, "汇总", [Column("项目", 26), Column("数值", 18),
                                             Column("金额（元）", 18, YUAN)])
    totals.append(["时间段", result.filters.period.label, None])
    for name, label, kind in LINES:
        value = result.totals[name]
        totals.append([label, None, value] if kind == YUAN else [label, value, None])
    region_columns = [Column("地区", 20), Column("行政区划代码", 12)] + [
        Column(label, 16, kind) for _name, label, kind in LINES]
    by_region = StreamedSheet(workbook, "按地区", region_columns)
    for code, name, measures in result.regions:
        by_region.append([name, code, *(measures[key] for key, _l, _k in LINES)])
    # The total as a value, not a formula: the workbook holds no formula at all.
    by_region.append(["合计", None, *(result.totals[key] for key, _l, _k in LINES)])
    by_route = StreamedSheet(workbook, "按办理方式", [
        Column("办理方式", 18), Column("本期开始办理（件）", 18, INTEGER),
        Column("本期结案（件）", 16, INTEGER), Column("结案涉及农民工（人）", 20, INTEGER),
        Column("追回欠薪金额（元）", 18, YUAN)])
    for label, measures in result.routes:
        by_route.append([label, *(measures[name] for name in ROUTE_NAMES)])
    about = StreamedSheet(workbook, "说明", [Column("项目", 18), Column("内容", 90)])
    for name, value in [*meta, *NOTES]:
        about.append([name, value])
    period = result.filters.period
    return Export(save_streamed(workbook), len(result.regions),
                  f"汇总_{period.start.isoformat()}_{period.end.isoformat()}.xlsx")


NOTES = [
    ("收到反映", "本期收到的反映（线索）；主张欠薪金额为这些反映填写的金额之和（没填的不计）"),
    ("受理", "本期受理法律援助申请的案件"),
    ("给予 / 不予", "本期作出决定的案件（法律援助法第43条）"),
    ("受援农民工", "本期决定给予法律援助的案件涉及的农民工人数（群体性案件按案件人数计一次）"),
    ("结案 / 追回", "本期结案的案件及其追回金额（不含并入其他案件的）"),
    ("按办理方式", "一个案件有几种办理方式的，在每种下各计一次"),
]


def export_summary(session: Session, filters: Filters, scope: list[str] | None, *,
                   user: User | None, names: dict[str, str], ip: str | None = None,
                   via: str = "web", today: date | None = None) -> Export:
    """The summary workbook, logged as an audit event. Flushes, never commits."""
    result = summary(session, filters, scope)
    meta = [("导出", "农民工讨薪绿色通道 汇总"),
            ("导出人", user.display_name if user is not None else "命令行"),
            *describe(result.filters, names)]
    left_out = [label for label, value in (("紧急程度", filters.tier), ("案件状态", filters.state),
                                           ("老板（包工头）", filters.boss)) if value is not None]
    if left_out:
        meta.append(("未采用的筛选", f"汇总只按时间段、地区、施工总承包单位和项目统计；页面上选的"
                                f"{'、'.join(left_out)}不适用于汇总，本表没有按它筛选"))
    if today is not None:
        meta.append(("导出日期", today.isoformat()))
    export = write_summary(result, meta)
    regions = regions_for(result.filters, scope)
    record(session, "export_summary", actor=user, object_type="summary", ip=ip, via=via,
           filters=result.filters.args(), regions=regions if regions is not None else "all")
    return export

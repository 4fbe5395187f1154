"""The HR-bureau liaison's dashboard (/bureau), the lists behind its numbers, and the Excel
downloads. A liaison sees the regions the bureau serves; an administrator sees everywhere and
may narrow to a region. Filters live in the address, so a view can be bookmarked and shared."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import (Blueprint, current_app, flash, render_template, request, send_file,
                   url_for)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.bureau import aggregates as agg
from wagechannel.bureau import charts, lists, services
from wagechannel.bureau.filters import (STATES, Filters, parse_filters, presets, regions_for,
                                        scope_of)
from wagechannel.cases.models import CASE_STATUSES, OUTCOME_LABELS, TIERS
from wagechannel.cases.services import sees_personal_data
from wagechannel.clock import local_today
from wagechannel.deadlines.rules import RULES
from wagechannel.extensions import db
from wagechannel.intake.models import CHANNELS
from wagechannel.money import yuan
from wagechannel.paging import page_number
from wagechannel.reports.ledger import XLSX_MIMETYPE, export_ledger
from wagechannel.reports.summary import export_summary

bp = Blueprint("bureau", __name__)
ROLES = ("bureau_liaison",)  # and administrators (roles_required lets them through)


@dataclass(frozen=True)
class Context:
    """What every page of the dashboard reads from the address: the filters the user may
    apply (a chosen contractor, project or boss outside the user's regions dropped), the
    messages about the ones dropped, the user's regions, today, the names of what was chosen."""

    filters: Filters
    errors: dict[str, str]
    scope: list[str] | None
    today: date
    names: dict[str, str]

    @property
    def regions(self) -> list[str] | None:
        return regions_for(self.filters, self.scope)


def _context() -> Context:
    today = local_today()
    scope = scope_of(current_user)
    filters, errors = parse_filters(request.args, today=today, scope=scope)
    chosen = services.check_chosen(db.session, filters, scope)
    return Context(chosen.filters, {**errors, **chosen.errors}, scope, today, chosen.names)


def _bureau_id() -> int | None:
    return current_user.organisation_id if current_user.role == "bureau_liaison" else None


def _linker(filters: Filters, today: date) -> Any:
    """link(endpoint, **changes): the address of a list with these filters, some changed (a
    value of None drops a filter). The dashboard makes some three hundred: each endpoint's path
    is built once, and the unchanged filters' query string once per set of changed names."""
    base = filters.args(today)
    paths: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}
    rests: dict[frozenset[str], str] = {}

    def link(endpoint: str, **changes: Any) -> str:
        path_values = tuple(sorted((name, value) for name, value in changes.items()
                                   if name in PATH_VALUES))
        path = paths.get((endpoint, path_values))
        if path is None:
            path = paths[(endpoint, path_values)] = url_for(endpoint, **dict(path_values))
        names = frozenset({"start": "from", "end": "to"}.get(name, name) for name in changes
                          if name not in PATH_VALUES)
        rest = rests.get(names)
        if rest is None:
            rest = rests[names] = urlencode({k: v for k, v in base.items() if k not in names})
        added = urlencode({{"start": "from", "end": "to"}.get(name, name):
                           value.isoformat() if isinstance(value, date) else value
                           for name, value in changes.items()
                           if name not in PATH_VALUES and value is not None})
        query = "&".join(part for part in (rest, added) if part)
        return f"{path}?{query}" if query else path
    return link


PATH_VALUES = {"dimension"}  # parts of a path, not of the query string


def _common(context: Context) -> dict[str, Any]:
    """What every page of the dashboard shows: the filter form and its choices."""
    filters, today, scope = context.filters, context.today, context.scope
    return {"filters": filters, "errors": context.errors, "typed": request.args, "today": today,
            "link": _linker(filters, today), "presets": presets(today),
            "region_choices": services.region_choices(db.session, scope),
            "names": context.names, "scope": scope, "tiers": TIERS, "states": STATES,
            "statuses": CASE_STATUSES, "outcomes": OUTCOME_LABELS, "channels": CHANNELS,
            "rules": RULES, "full": sees_personal_data(current_user)}


@bp.route("/bureau")
@roles_required(*ROLES)
def dashboard() -> ResponseReturnValue:
    context = _context()
    filters, today = context.filters, context.today
    board = services.dashboard(
        db.session, filters, context.scope, today=today, bureau_id=_bureau_id(),
        first_contact_days=int(current_app.config.get("FIRST_CONTACT_WORKING_DAYS", 1)))
    link = _linker(filters, today)
    trend = charts.column_chart(
        [charts.Bar(point.label, point.facts["reports"],
                    link("bureau.reports", start=point.start, end=point.end),
                    title=f"{point.start.isoformat()} 至 {point.end.isoformat()}："
                          f"{point.facts['reports']} 条反映")
         for point in board.trend],
        title="每周收到的反映" if board.unit == "week" else "每月收到的反映",
        description="柱子越高，这一段时间收到的反映越多；点柱子看这些反映。",
        chart_id="trend-chart")
    states = charts.bar_chart(
        [charts.Bar(label, board.states.get(status, 0),
                    link("bureau.cases", basis="opened", state=status))
         for status, label in CASE_STATUSES.items()],
        title="本期新立案件的办理状态", description="每种状态的案件数；点一行看这些案件。",
        chart_id="state-chart")
    return render_template("bureau/dashboard.html", board=board, trend_chart=trend,
                           state_chart=states, overdue_kinds=agg.OVERDUE_KINDS,
                           duration=agg.duration_text, yuan=yuan,
                           ranking_labels=agg.RANKING_LABELS,
                           **_common(context))


@bp.route("/bureau/reports")
@roles_required(*ROLES)
def reports() -> ResponseReturnValue:
    context = _context()
    listing = lists.reports_page(db.session, context.filters, context.regions,
                                 page_number(request.args.get("page")))
    return render_template("bureau/reports.html", listing=listing, **_common(context))


@bp.route("/bureau/cases")
@roles_required(*ROLES)
def cases() -> ResponseReturnValue:
    context = _context()
    errors = context.errors
    basis = request.args.get("basis") or "opened"
    if basis not in lists.CASE_BASES:
        errors["basis"] = "请从列表中选择案件范围。"
        basis = "opened"
    reached = request.args.get("reached") or None
    if reached is not None and reached not in lists.REACHED:
        errors["reached"] = "请从列表中选择办理环节。"
        reached = None
    listing = lists.cases_page(db.session, context.filters, context.regions, basis=basis,
                               reached=reached, number=page_number(request.args.get("page")))
    return render_template("bureau/cases.html", listing=listing, basis=basis, reached=reached,
                           bases=lists.CASE_BASES, reached_labels=lists.REACHED,
                           **_common(context))


@bp.route("/bureau/referrals")
@roles_required(*ROLES)
def referrals() -> ResponseReturnValue:
    context = _context()
    listing = lists.referrals_page(db.session, context.filters, context.regions,
                                   _bureau_id(), page_number(request.args.get("page")))
    return render_template("bureau/referrals.html", listing=listing, **_common(context))


@bp.route("/bureau/deadlines")
@roles_required(*ROLES)
def deadlines() -> ResponseReturnValue:
    context = _context()
    errors = context.errors
    kind = request.args.get("kind") or None
    rule = request.args.get("rule") or None
    outcome = request.args.get("outcome") or None
    if kind is not None and kind not in agg.OVERDUE_KINDS:
        errors["kind"] = "请从列表中选择期限的种类。"
        kind = None
    if rule is not None and rule not in lists.STEP_RULES:
        errors["rule"] = "请从列表中选择期限。"
        rule = None
    if outcome is not None and outcome not in lists.DEADLINE_OUTCOMES:
        errors["outcome"] = "请从列表中选择期限的结果。"
        outcome = None
    if kind is None and rule is None:  # the overdue green-channel decisions by default
        kind = "green"
    listing = lists.deadlines_page(db.session, context.filters, context.regions,
                                   today=context.today, kind=kind,
                                   rule=rule if kind is None else None, outcome=outcome,
                                   number=page_number(request.args.get("page")))
    return render_template("bureau/deadlines.html", listing=listing, kind=kind, rule=rule,
                           outcome=outcome, overdue_kinds=agg.OVERDUE_KINDS,
                           deadline_outcomes=lists.DEADLINE_OUTCOMES,
                           **_common(context))


@bp.route("/bureau/boards")
@roles_required(*ROLES)
def boards() -> ResponseReturnValue:
    from wagechannel.boards.services import STALE_DAYS

    context = _context()
    found = lists.boards_page(db.session, context.filters, context.regions, context.today,
                              page_number(request.args.get("page")))
    return render_template("bureau/boards.html", page=found.page, days=STALE_DAYS,
                           scans=found.last_scans, **_common(context))


@bp.route("/bureau/ranking/<dimension>")
@roles_required(*ROLES)
def ranking(dimension: str) -> ResponseReturnValue:
    from flask import abort

    if dimension not in agg.RANKING_LABELS:
        abort(404)
    context = _context()
    ranked = services.ranking(db.session, dimension, context.filters, context.regions,
                              number=page_number(request.args.get("page")), per_page=50)
    return render_template("bureau/ranking.html", ranking=ranked, dimension=dimension,
                           ranking_labels=agg.RANKING_LABELS, **_common(context))


@bp.route("/bureau/ledger.xlsx")
@roles_required(*ROLES)
def ledger() -> ResponseReturnValue:
    return _download(export_ledger)


@bp.route("/bureau/summary.xlsx")
@roles_required(*ROLES)
def summary() -> ResponseReturnValue:
    return _download(export_summary)


def _download(export_with: Any) -> ResponseReturnValue:
    """A workbook for the filters in the address (the export logs itself), sent once it is
    committed; a bad filter exports nothing."""
    context = _context()
    if context.errors:
        return _refuse_export()
    export = export_with(db.session, context.filters, context.scope, user=current_user,
                         names=context.names, ip=request.remote_addr, today=context.today)
    db.session.commit()
    return send_file(export.file, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=export.filename, max_age=0)


def _refuse_export() -> ResponseReturnValue:
    """A download asked for with a bad filter: the dashboard, the filter's message under it,
    and nothing exported (a workbook of other rows than asked for would mislead)."""
    flash("筛选条件有误，没有导出。请改正下面标出的条件后再下载。", "info")
    return dashboard()

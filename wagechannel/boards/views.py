"""Boards: download for print (PNG, PDF, HTML), revoke and reissue, batches, silent boards,
and the board section of a project page (`project_boards`, a template global, so that the
places feature knows nothing of boards)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, send_file, url_for)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.boards.fonts import CJKFont, FontMissing, find_font
from wagechannel.boards.layouts import LayoutError, get_layout, layout_choices
from wagechannel.boards.models import REVOKE_REASONS, Board
from wagechannel.boards.htmlpage import SHRINK_SCRIPT_HASH, render_html
from wagechannel.boards.isolated import BatchFailed, draw_batch, release_memory
from wagechannel.boards.pdf import render_pdf
from wagechannel.boards.plan import BoardDoesNotFit
from wagechannel.boards.png import render_png
from wagechannel.boards.services import (NEW_BOARDS_SHOWN, STALE_DAYS, BatchScope,
                                         BoardIncomplete, batch_selection, board_url,
                                         issue_board, last_scans, missing_items,
                                         new_unscanned_boards, printable_content, revoke_board,
                                         scans_since, stale_boards)
from wagechannel.clock import local_today
from wagechannel.errors import DomainError
from wagechannel.extensions import db
from wagechannel.paging import page_number, paginate
from wagechannel.security import content_security_policy
from wagechannel.places.models import Contractor, Project, Region
from wagechannel.places.services import can_view_project

bp = Blueprint("boards", __name__)
VIEW_ROLES = ("contractor", "legal_aid_staff", "bureau_liaison")
FORMATS = {"png": ("image/png", "png"), "preview": ("image/png", "png"),
           "pdf": ("application/pdf", "pdf"), "html": ("text/html; charset=utf-8", "html")}


def _board_or_404(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None or not can_view_project(current_user, board.project):
        abort(404)
    return board


def _editable_board_or_404(board_id: int) -> Board:
    board = _board_or_404(board_id)
    if current_user.role not in ("admin", "contractor") or board.project.deleted_at is not None:
        abort(403)
    return board


def _font() -> CJKFont:
    return find_font(current_app.config.get("FONT"))


@dataclass(frozen=True)
class ProjectBoards:
    """What the board section of a project page shows (templates/boards/_project.html)."""

    missing: list[str]  # Art. 34 items the project lacks; nothing prints until it is empty
    boards: list[Board]
    urls: dict[int, str]  # board id -> what its QR code encodes
    scans: dict[int, int]  # board id -> scans in the last 30 days
    layouts: list[tuple[str, str]]
    revoke_reasons: dict[str, str]
    font_problem: str | None  # PNG and PDF need a font; the HTML print view does not


@bp.app_template_global("project_boards")
def project_boards(project: Project) -> ProjectBoards:
    base_url = current_app.config["BASE_URL"]
    since = local_today() - timedelta(days=STALE_DAYS - 1)
    try:
        _font()
        font_problem = None
    except FontMissing as missing:
        font_problem = missing.message
    return ProjectBoards(
        missing=missing_items(db.session, project), boards=list(project.boards),
        urls={board.id: board_url(base_url, board.token) for board in project.boards},
        scans=scans_since(db.session, [board.id for board in project.boards], since),
        layouts=layout_choices(), revoke_reasons=REVOKE_REASONS, font_problem=font_problem)


@bp.route("/boards/<int:board_id>/download")
@roles_required(*VIEW_ROLES)
def download(board_id: int) -> ResponseReturnValue:
    board = _board_or_404(board_id)
    fmt = request.args.get("format", "pdf")
    if fmt not in FORMATS:
        abort(404)
    try:
        layout = get_layout(request.args.get("size") or board.layout)
    except LayoutError:
        abort(404)
    try:
        content = printable_content(db.session, board, base_url=current_app.config["BASE_URL"])
    except BoardIncomplete as incomplete:
        return render_template("boards/incomplete.html", board=board,
                               missing=incomplete.missing), 409
    except DomainError as error:
        return render_template("error.html", code=409, message=error.message), 409
    db.session.rollback()  # everything is read; do not hold the database while drawing
    if fmt == "html":
        response = Response(render_html(content, layout), mimetype="text/html")
        response.headers["Content-Security-Policy"] = content_security_policy(
            script_src=f"'self' '{SHRINK_SCRIPT_HASH}'")
        return response
    try:
        font = _font()
    except FontMissing as missing:
        return render_template("error.html", code=503, message=missing.message), 503
    try:
        if fmt == "pdf":
            data = render_pdf(content, layout, font)
        else:
            data = render_png(content, layout, font, dpi=100 if fmt == "preview" else 300).data
    except BoardDoesNotFit as misfit:
        return render_template("error.html", code=422, message=misfit.message), 422
    finally:
        release_memory()  # the font parsed for a PDF: give its heap back (boards.isolated)
    mimetype, extension = FORMATS[fmt]
    suffix = "-preview" if fmt == "preview" else ""
    filename = f"board-{board.token}-{layout.name}{suffix}.{extension}"
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/boards/<int:board_id>/revoke", methods=["POST"])
@roles_required("contractor")
def revoke(board_id: int) -> ResponseReturnValue:
    board = _editable_board_or_404(board_id)
    try:
        replacement = revoke_board(db.session, board, request.form.get("reason", ""))
    except DomainError as error:
        flash(error.message, "info")
        return redirect(url_for("places.project", project_id=board.project_id), code=303)
    record(db.session, "board_revoked", actor=current_user, object_type="board",
           object_id=board.id, ip=request.remote_addr, reason=board.revoked_reason,
           replacement=replacement.id)
    db.session.commit()
    flash(f"告示牌 {board.token} 已作废，新告示牌编号 {replacement.token}，请下载打印后换上。"
          "旧二维码仍能打开页面并反映欠薪。", "info")
    return redirect(url_for("places.project", project_id=board.project_id), code=303)


@bp.route("/projects/<int:project_id>/boards", methods=["POST"])
@roles_required("contractor")
def add(project_id: int) -> ResponseReturnValue:
    project = db.session.get(Project, project_id)
    if project is None or not can_view_project(current_user, project):
        abort(404)
    if project.deleted_at is not None:
        abort(403)
    board = issue_board(db.session, project)
    record(db.session, "board_issued", actor=current_user, object_type="board",
           object_id=board.id, ip=request.remote_addr)
    db.session.commit()
    flash(f"已新增告示牌 {board.token}。", "info")
    return redirect(url_for("places.project", project_id=project.id), code=303)


def _scope_choices() -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """Contractors and regions the current user may print for."""
    if current_user.role == "contractor":
        contractor = db.session.get(Contractor, current_user.contractor_id)
        return [(contractor.id, contractor.name)] if contractor else [], []
    if current_user.role == "admin":
        contractors = [(c.id, c.name) for c in db.session.scalars(
            select(Contractor).order_by(Contractor.name))]
        regions = [(r.code, f"{r.name}（{r.code}）") for r in db.session.scalars(
            select(Region).order_by(Region.code))]
        return contractors, regions
    organisation = current_user.organisation
    regions = [(r.code, f"{r.name}（{r.code}）") for r in organisation.regions] if organisation else []
    return [], regions


@bp.route("/boards/batch")
@roles_required(*VIEW_ROLES)
def batch() -> ResponseReturnValue:
    contractors, regions = _scope_choices()
    values = request.args.to_dict()
    errors: dict[str, str] = {}
    scope: BatchScope | None = None
    if values.get("contractor_id"):
        allowed = {str(cid) for cid, _ in contractors}
        if values["contractor_id"] not in allowed:
            errors["contractor_id"] = "只能选择列表中的施工总承包单位。"
        else:
            scope = BatchScope(contractor_id=int(values["contractor_id"]))
    elif values.get("region_code"):
        if values["region_code"] not in {code for code, _ in regions}:
            errors["region_code"] = "只能选择列表中的地区。"
        else:
            scope = BatchScope(region_code=values["region_code"])
    elif len(contractors) == 1 and not regions:
        scope = BatchScope(contractor_id=contractors[0][0])
        values["contractor_id"] = str(contractors[0][0])
    elif values:  # the form was sent without saying whose boards
        if regions:
            errors["region_code"] = ("请选择施工总承包单位或地区。" if contractors else
                                     "请选择要打印哪个地区的告示牌。")
        elif contractors:
            errors["contractor_id"] = "请选择施工总承包单位。"
        else:
            errors["region_code"] = "您所在的机构还没有登记服务地区，请联系管理员。"
    size = values.get("size") or "A2"
    fmt = values.get("format") or "pdf"
    try:
        layout = get_layout(size)
    except LayoutError:
        errors["size"] = "没有这个尺寸。"
        layout = None
    if fmt not in ("pdf", "zip"):
        errors["format"] = "格式只能是PDF或ZIP。"
    selection = batch_selection(db.session, scope) if scope else None
    context = {"values": {**values, "size": size, "format": fmt}, "errors": errors,
               "contractor_options": contractors, "region_options": regions,
               "layouts": layout_choices(), "selection": selection}
    if values.get("download") and selection and not errors and layout is not None:
        if not selection.ready:
            errors["download"] = "没有可以打印的告示牌。"
            return render_template("boards/batch.html", **context), 409
        contents = list(selection.contents(db.session, current_app.config["BASE_URL"]))
        db.session.rollback()
        try:
            # in a child process: the worker's memory stays as it was (boards.isolated)
            drawn, _count = draw_batch(contents, layout, _font(), fmt, dpi=300)
        except FontMissing as missing:
            return render_template("error.html", code=503, message=missing.message), 503
        except LayoutError as error:  # a board that does not fit says which, in Chinese
            message = getattr(error, "message", None) or f"版式 {layout.name} 有错误，暂时不能用。"
            return render_template("error.html", code=422, message=message), 422
        except BatchFailed:
            return render_template("error.html", code=503,
                                   message="生成打印文件时出错了，请稍后再试；告示牌很多时可以分开打印。"), 503
        name = f"boards-{scope.slug()}-{layout.name}.{fmt}"
        return send_file(drawn, mimetype="application/pdf" if fmt == "pdf" else "application/zip",
                         as_attachment=True, download_name=name)
    return render_template("boards/batch.html", **context), (422 if errors else 200)


@bp.route("/boards/stale")
@roles_required("bureau_liaison")
def stale() -> ResponseReturnValue:
    regions = None
    if current_user.role != "admin":
        regions = [r.code for r in current_user.organisation.regions] if current_user.organisation else []
    today = local_today()
    page = paginate(db.session, stale_boards(regions, today), page_number(request.args.get("page")))
    new = list(db.session.scalars(new_unscanned_boards(regions, today)))
    return render_template("boards/stale.html", page=page, new_boards=new, days=STALE_DAYS,
                           new_limit=NEW_BOARDS_SHOWN,
                           last_scans=last_scans(db.session, [b.id for b in page.items]),
                           since=today - timedelta(days=STALE_DAYS), today=today)

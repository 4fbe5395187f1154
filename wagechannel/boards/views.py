"""Downloading a board as a picture."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.boards.fonts import FontMissing
from wagechannel.boards.models import Board
from wagechannel.boards.services import render_board_png
from wagechannel.extensions import db
from wagechannel.places.services import can_view_project

bp = Blueprint("boards", __name__)


@bp.route("/boards/<int:board_id>.png")
@roles_required("contractor", "legal_aid_staff", "bureau_liaison")
def board_png(board_id: int):  # type: ignore[no-untyped-def]
    board = db.session.get(Board, board_id)
    if board is None or not can_view_project(current_user, board.project):
        abort(404)
    try:
        png = render_board_png(db.session, board, base_url=current_app.config["BASE_URL"],
                               font_path=current_app.config.get("FONT"))
    except FontMissing as missing:
        return render_template("error.html", code=503, message=missing.message), 503
    finally:
        db.session.rollback()  # nothing to write; do not hold the database while drawing
    filename = f"board-{board.token}.png"
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

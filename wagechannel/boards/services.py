"""Boards: issuing tokens, finding a board by what is printed on it, rendering it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.boards.fonts import find_font
from wagechannel.boards.models import Board
from wagechannel.boards.render import render_simple_board
from wagechannel.places.models import LEGAL_AID, Project
from wagechannel.places.services import serving_organisation
from wagechannel.tokens import is_code, normalise, random_code

TOKEN_LENGTH = 10  # 50 random bits: unguessable, short enough to type from the board


def board_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def new_token(session: Session) -> str:
    while True:
        token = random_code(TOKEN_LENGTH)
        if session.scalar(select(Board.id).where(Board.token == token)) is None:
            return token


def issue_board(session: Session, project: Project, layout: str = "A2") -> Board:
    board = Board(project=project, token=new_token(session), layout=layout)
    session.add(board)
    session.flush()
    return board


def find_board(session: Session, token: str) -> Board | None:
    token = normalise(token)
    if not is_code(token, TOKEN_LENGTH):
        return None
    return session.scalar(select(Board).where(Board.token == token))


def render_board_png(session: Session, board: Board, *, base_url: str,
                     font_path: str | None = None) -> bytes:
    project = board.project
    centre = serving_organisation(session, project.region_code, LEGAL_AID)
    return render_simple_board(url=board_url(base_url, board.token), token=board.token,
                               project_name=project.name, contractor_name=project.contractor.name,
                               legal_aid_phone=centre.phone if centre else None,
                               font=find_font(font_path))


def all_boards(session: Session) -> list[Board]:
    return list(session.scalars(select(Board).join(Board.project).order_by(Board.id)))

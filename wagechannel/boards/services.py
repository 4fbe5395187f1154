"""Boards: content and completeness (Art. 34), tokens, revocation, scans, rendering."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from wagechannel.boards.content import (ARREARS_PLATFORM_NOTE, FOOTER, TIME_LIMIT_NOTE, TITLE,
                                        BoardContent, Item)
from wagechannel.boards.models import REVOKE_REASONS, Board, BoardScan, BoardScanVisitor
from wagechannel.cache import ProcessCache
from wagechannel.crypto import keyring
from wagechannel.db import utcnow
from wagechannel.errors import DomainError
from wagechannel.money import yuan_text
from wagechannel.clock import CHINA
from wagechannel.places.models import BUREAU, LEGAL_AID, Organisation, Project
from wagechannel.places.services import (WageStandard, in_regions, project_wage,
                                         region_minimum_wages, serving_organisations_of,
                                         wage_confirmation_current)
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
    # The project comes along: every caller shows or routes by it.
    return session.scalar(select(Board).options(joinedload(Board.project))
                          .where(Board.token == token))


def all_boards(session: Session) -> list[Board]:
    """Every board with its project, in one statement."""
    return list(session.scalars(select(Board).join(Board.project)
                                .options(contains_eager(Board.project)).order_by(Board.id)))


def board_list_rows(session: Session) -> list[Any]:
    """What `wagechannel board list` prints of every board, as plain rows in board order (id,
    project_id, project_name, token, revoked_at): one statement, no objects built."""
    return list(session.execute(
        select(Board.id, Board.project_id, Project.name.label("project_name"), Board.token,
               Board.revoked_at)
        .join(Project, Project.id == Board.project_id).order_by(Board.id)))


# --- Content and completeness (Art. 34 of the wage-payment regulation) ---------------------

NATIONAL_HR_HOTLINE = "12333"  # the national HR-services hotline, not the local inspection
PUBLIC_LEGAL_HOTLINE = "12348"


def _join(*parts: str | None) -> str:
    return "  ".join(part for part in parts if part)


@dataclass(frozen=True)
class ProjectChannels:
    centre: Organisation | None
    bureau: Organisation | None
    wage: WageStandard  # what the board prints: the project's own figures or its region's
    wage_confirmed: bool  # a borrowed city or province figure, confirmed by a person as is
    region_wage: WageStandard  # the region's own (a project's figure may not be below it)


def _channels(project: Project, offices: dict[str, Organisation],
              region_wage: WageStandard) -> ProjectChannels:
    wage = project_wage(project, region_wage)
    return ProjectChannels(centre=offices.get(LEGAL_AID), bureau=offices.get(BUREAU), wage=wage,
                           wage_confirmed=wage_confirmation_current(project, wage),
                           region_wage=region_wage)


def project_channels(session: Session, project: Project) -> ProjectChannels:
    return channels_of(session, [project])[project.id]


def channels_of(session: Session, projects: list[Project]) -> dict[int, ProjectChannels]:
    """project_channels for many projects in two queries (regions, offices), whatever their number."""
    codes = {project.region_code for project in projects}
    wages = region_minimum_wages(session, codes)
    offices = serving_organisations_of(session, codes)
    return {project.id: _channels(project, offices[project.region_code],
                                  wages[project.region_code]) for project in projects}


def wage_problems(project: Project, channels: ProjectChannels) -> list[str]:
    """What stops the minimum wage from being printed as the local standard (Art. 34(2))."""
    wage = channels.wage
    problems = []
    if wage.monthly_fen is None:
        problems.append("当地最低工资标准（月）")
    if wage.hourly_fen is None:
        problems.append("小时最低工资标准（按日、按小时计工资的工人要看）")
    if wage.is_fallback and not channels.wage_confirmed and wage.region is not None:
        problems.append(f"本区县的最低工资标准：现在借用的是{wage.region.name}的标准，"
                        "请管理员登记本区县的标准，或由施工单位核实后在项目页面确认")
    if wage.level == "project":
        county = channels.region_wage
        if county.level == "county" and any(
                own is not None and local is not None and own < local
                for own, local in ((wage.monthly_fen, county.monthly_fen),
                                   (wage.hourly_fen, county.hourly_fen))):
            problems.append("项目自填的最低工资标准低于本区县标准"
                            f"（{_wage_text(county)}），请改正或清空用区县标准")
    return problems


def _wage_text(wage: WageStandard) -> str:
    parts = []
    if wage.monthly_fen is not None:
        parts.append(f"{yuan_text(wage.monthly_fen)}元/月")
    if wage.hourly_fen is not None:
        parts.append(f"{yuan_text(wage.hourly_fen)}元/小时")
    return "，".join(parts)


def missing_items(session: Session, project: Project,
                  channels: ProjectChannels | None = None) -> list[str]:
    """Every Art. 34 item the project still lacks, in the words a contractor understands."""
    channels = channels or project_channels(session, project)
    required = [
        ("建设单位名称", project.construction_unit_name),
        ("施工总承包单位名称", project.contractor.name),
        ("项目部名称", project.project_office_name),
        ("项目部电话", project.project_office_phone),
        ("分包单位（没有请填“无”）", project.subcontractors or project.no_subcontractors or None),
        ("行业工程建设主管部门", project.authority_name),
        ("行业主管部门投诉电话", project.authority_phone),
        ("劳资专管员姓名", project.labour_manager_name),
        ("劳资专管员电话", project.labour_manager_phone),
    ]
    missing = [label for label, value in required if value in (None, "", [])]
    missing += wage_problems(project, channels)
    later = [
        ("工资支付日期", project.pay_day),
        ("本地劳动保障监察投诉电话", project.labour_inspection_phone),
        ("劳动人事争议仲裁委员会名称", project.arbitration_name),
        ("仲裁委地址", project.arbitration_address),
        ("仲裁委电话", project.arbitration_phone),
    ]
    missing += [label for label, value in later if value in (None, "", [])]
    if channels.centre is None:
        missing.append("法律援助中心（本区县还没有登记法律援助中心，请联系管理员）")
    elif not (channels.centre.address and channels.centre.phone):
        missing.append("法律援助中心的地址和电话（请联系管理员补充）")
    return missing


def board_content(session: Session, board: Board, *, base_url: str,
                  channels: ProjectChannels | None = None) -> BoardContent:
    """What the board prints. Call missing_items first: this assumes a complete project."""
    project = board.project
    channels = channels or project_channels(session, project)
    centre = channels.centre
    parties = [
        Item("建设单位", _join(project.construction_unit_name,
                             f"电话 {project.construction_unit_phone}"
                             if project.construction_unit_phone else None)),
        Item("施工总承包单位", _join(project.contractor.name,
                                f"电话 {project.contractor.phone}" if project.contractor.phone else None)),
        Item("项目部", _join(project.project_office_name,
                          f"项目经理 {project.project_manager_name}" if project.project_manager_name else None,
                          f"电话 {project.project_office_phone}")),
        *([Item("分包单位", _join(sub.name, sub.scope, f"电话 {sub.phone}" if sub.phone else None))
           for sub in project.subcontractors] or [Item("分包单位", "无")]),
        Item("行业工程建设主管部门", _join(project.authority_name, f"投诉电话 {project.authority_phone}")),
        Item("劳资专管员", _join(project.labour_manager_name, f"电话 {project.labour_manager_phone}")),
    ]
    wage = _wage_text(channels.wage)
    if channels.wage.is_fallback and channels.wage.region is not None:
        wage += f"（按{channels.wage.region.name}标准）"
    wages = [Item("当地最低工资标准", wage),
             # Art. 14: pay day falling on a public holiday or rest day moves earlier
             Item("工资支付日期",
                  f"每月{project.pay_day}日前支付上月工资（遇法定节假日或休息日提前支付）")]
    inspection = f"本地 {project.labour_inspection_phone}"
    if channels.bureau is not None:
        inspection += f"（{channels.bureau.name}）"
    inspection += f"；全国人社服务热线 {NATIONAL_HR_HOTLINE}"
    channel_items = [
        Item("劳动保障监察投诉", inspection),
        Item("行业主管部门投诉", _join(project.authority_name, project.authority_phone)),
        Item("劳动争议调解仲裁", _join(project.arbitration_name, project.arbitration_address,
                                  project.arbitration_phone)),
        Item("法律援助", _join(centre.name if centre else None, centre.address if centre else None,
                            centre.phone if centre else None)),
        Item("公共法律服务热线", PUBLIC_LEGAL_HOTLINE),
    ]
    hotlines = [Item("法律援助热线", PUBLIC_LEGAL_HOTLINE)]
    if centre is not None and centre.phone:
        hotlines.append(Item("本地法律援助中心", centre.phone))
    hotlines += [Item("本地劳动保障监察", project.labour_inspection_phone or ""),
                 Item("全国人社服务热线", NATIONAL_HR_HOTLINE)]
    notes = [TIME_LIMIT_NOTE]
    if project.show_arrears_platform:
        notes.append(ARREARS_PLATFORM_NOTE)
    return BoardContent(url=board_url(base_url, board.token), token=board.token,
                        lookup_url=f"{base_url.rstrip('/')}/s", title=TITLE,
                        project_name=project.name, project_address=project.address,
                        parties=parties, wages=wages, channels=channel_items, hotlines=hotlines,
                        qr_notes=notes, footer=FOOTER)


class BoardIncomplete(DomainError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__("告示牌内容不全，不能打印：" + "、".join(missing))
        self.missing = missing


def printable_content(session: Session, board: Board, *, base_url: str) -> BoardContent:
    """The content of an active board of a complete project, or BoardIncomplete naming the gaps."""
    if not board.active:
        raise DomainError("这块告示牌已作废，请打印换发的新告示牌。")
    missing = missing_items(session, board.project)
    if missing:
        raise BoardIncomplete(missing)
    return board_content(session, board, base_url=base_url)


# --- Boards over time ------------------------------------------------------------------------

def revoke_board(session: Session, board: Board, reason: str) -> Board:
    """Revoke a board (stolen, defaced, misused) and issue its replacement for the same project.

    The old token keeps working: it opens a page saying the board was replaced, with the
    hotlines, and the worker can still report there.
    """
    if reason not in REVOKE_REASONS:
        raise DomainError("请选择作废原因。", field="reason")
    if not board.active:
        raise DomainError("这块告示牌已经作废了。")
    replacement = issue_board(session, board.project, layout=board.layout)
    board.revoked_at = utcnow()
    board.revoked_reason = reason
    board.replaced_by_id = replacement.id
    session.flush()
    return replacement


SCAN_VISITORS_KEPT_DAYS = 2  # today's and yesterday's: enough to tell a repeat on the day
# Addresses this process has already counted today: a repeat scan sends no statement at all.
_counted = ProcessCache[bool]("board_scan_visitors", ttl=3600.0, max_entries=20_000)


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def scan_visitor(board_id: int, day: date, address: str | None) -> str:
    """Who scanned, as BoardScanVisitor keeps it: a keyed hash (HMAC with the hash key) of the
    board, the day and the address, so rows cannot be linked across boards or days."""
    return keyring().digest(f"board-scan|{board_id}|{day.isoformat()}|{address or ''}")[:32]


def record_scan(session: Session, board: Board, day: date, address: str | None = None) -> bool:
    """Count a scan of a board: once per address per local day, so reloading the page (or a
    script) cannot make a board that was torn down look scanned many times. Returns whether
    it counted.

    Insert-first: the address's row for the day goes in with ON CONFLICT DO NOTHING and the
    day's count rises only when that row is new; a repeat seen by this process sends nothing.
    Without an address every scan of the day shares one, so the day counts once."""
    visitor = scan_visitor(board.id, day, address)
    first: list[bool] = []
    _counted.get((board.id, day, visitor), lambda: first.append(True) or True)
    if not first:
        return False
    insert = _insert(session)
    added = session.execute(insert(BoardScanVisitor)
                            .values(day=day, board_id=board.id, visitor=visitor)
                            .on_conflict_do_nothing()
                            .returning(BoardScanVisitor.board_id)).first()
    if added is None:
        return False
    statement = insert(BoardScan).values(board_id=board.id, day=day, count=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=[BoardScan.board_id, BoardScan.day],
        set_={"count": BoardScan.count + 1}))
    return True


def purge_scan_visitors(session: Session, today: date) -> int:
    """Forget which addresses scanned before yesterday (the counts stay); returns rows deleted."""
    cutoff = today - timedelta(days=SCAN_VISITORS_KEPT_DAYS - 1)
    result = session.execute(delete(BoardScanVisitor).where(BoardScanVisitor.day < cutoff))
    return int(cast(CursorResult[Any], result).rowcount or 0)


def scans_since(session: Session, board_ids: list[int], since: date) -> dict[int, int]:
    if not board_ids:
        return {}
    rows = session.execute(select(BoardScan.board_id, func.sum(BoardScan.count))
                           .where(BoardScan.board_id.in_(board_ids), BoardScan.day >= since)
                           .group_by(BoardScan.board_id))
    return {board_id: int(total) for board_id, total in rows}


STALE_DAYS = 30
NEW_BOARDS_SHOWN = 100


def _issued_before(today: date) -> datetime:
    """Boards issued before this instant are at least STALE_DAYS old (local days)."""
    since = today - timedelta(days=STALE_DAYS)
    return datetime.combine(since + timedelta(days=1), time.min, tzinfo=CHINA)


def _active_boards(region_codes: list[str] | None) -> Select[tuple[Board]]:
    """Active boards of live projects with the project, its contractor and region loaded in the
    same statement, county by county (the index on project (region_code, id))."""
    project = contains_eager(Board.project)
    query = (select(Board).join(Board.project)
             .options(project.joinedload(Project.contractor), project.joinedload(Project.region))
             .where(Board.revoked_at.is_(None), Project.deleted_at.is_(None))
             .order_by(Project.region_code, Project.id, Board.id))
    if region_codes is not None:
        query = query.where(in_regions(Project.region_code, region_codes))
    return query


def _scanned(since: date | None = None) -> Any:
    """Whether the board has a scan (after `since`): probes board_scan's key per board."""
    query = select(BoardScan.board_id).where(BoardScan.board_id == Board.id)
    if since is not None:
        query = query.where(BoardScan.day > since)
    return query.exists()


def stale_boards(region_codes: list[str] | None, today: date) -> Select[tuple[Board]]:
    """Active boards issued at least 30 days ago with no scan in the last 30 days, never
    scanned ones included: perhaps removed or covered up. Limited to the given regions
    (None: everywhere)."""
    since = today - timedelta(days=STALE_DAYS)
    return _active_boards(region_codes).where(Board.created_at < _issued_before(today),
                                              ~_scanned(since))


def new_unscanned_boards(region_codes: list[str] | None, today: date) -> Select[tuple[Board]]:
    """Active boards issued in the last 30 days that nobody has scanned yet: too new to call
    silent, shown apart (at most NEW_BOARDS_SHOWN)."""
    return (_active_boards(region_codes)
            .where(Board.created_at >= _issued_before(today), ~_scanned())
            .limit(NEW_BOARDS_SHOWN))


def last_scans(session: Session, board_ids: list[int]) -> dict[int, date]:
    """The last day each board was scanned; boards never scanned are left out."""
    if not board_ids:
        return {}
    rows = session.execute(select(BoardScan.board_id, func.max(BoardScan.day))
                           .where(BoardScan.board_id.in_(board_ids))
                           .group_by(BoardScan.board_id))
    return {board_id: day for board_id, day in rows}


# --- Batches: every board of a contractor, a region or a project -----------------------------

@dataclass(frozen=True)
class BatchScope:
    project_id: int | None = None
    contractor_id: int | None = None
    region_code: str | None = None

    def slug(self) -> str:
        if self.project_id is not None:
            return f"project-{self.project_id}"
        if self.contractor_id is not None:
            return f"contractor-{self.contractor_id}"
        return f"region-{self.region_code}"


@dataclass
class BatchSelection:
    ready: list[Board]  # active boards of complete projects, in print order
    incomplete: list[tuple[Project, list[str]]]  # projects left out, with what they lack
    channels: dict[int, ProjectChannels] = field(default_factory=dict)  # by project id

    def contents(self, session: Session, base_url: str) -> Iterator[BoardContent]:
        for board in self.ready:
            yield board_content(session, board, base_url=base_url,
                                channels=self.channels.get(board.project_id))


def batch_selection(session: Session, scope: BatchScope) -> BatchSelection:
    """The boards a batch prints and the projects it leaves out. A constant number of
    statements however many projects: the projects with their contractors, subcontractors
    and boards, then the regions and the offices for all of them at once."""
    query = (select(Project).where(Project.deleted_at.is_(None))
             .options(joinedload(Project.contractor), selectinload(Project.subcontractors),
                      selectinload(Project.boards))
             .order_by(Project.region_code, Project.id))
    if scope.project_id is not None:
        query = query.where(Project.id == scope.project_id)
    elif scope.contractor_id is not None:
        query = query.where(Project.contractor_id == scope.contractor_id)
    elif scope.region_code is not None:
        query = query.where(in_regions(Project.region_code, [scope.region_code]))
    else:
        raise DomainError("请选择项目、施工总承包单位或地区。")
    projects = list(session.scalars(query).unique())
    channels = channels_of(session, projects)
    ready: list[Board] = []
    incomplete: list[tuple[Project, list[str]]] = []
    for project in projects:
        missing = missing_items(session, project, channels[project.id])
        if missing:
            incomplete.append((project, missing))
        else:
            for board in project.boards:
                if board.active:
                    # the selectin load does not fill the board's side; drawing reads it
                    set_committed_value(board, "project", project)
                    ready.append(board)
    return BatchSelection(ready=ready, incomplete=incomplete, channels=channels)

"""Reminders: who is told about which deadline, when, and the outbox that sends each message
exactly once.

Stages (rules.py, `Rule.stages`): by default 3 working days before the last day, 1 working day
before, the last day itself, then every working day while overdue. A tick looks only at the
stage each open deadline is in *today*: after days without a tick, each recipient gets one
message per deadline (the current stage), never the stages it slept through.

Recipients:

- the owner: the assigned lawyer, else the centre's legal-aid staff; for a bureau's deadline
  (`responsible == "bureau"`) the bureau's liaisons (supervisors among them only when they are
  the only ones); nobody there: the administrators;
- overdue, from the first overdue working day, also the owner organisation's supervisor
  (SUPERVISORS in config.py: listed accounts supervise their own organisation; where an
  organisation has none, the listed administrators, else every administrator);
- overdue green-channel decisions (`legal_aid_decision`, `legal_aid_assignment`), from the
  second overdue working day, also the liaisons of the bureau serving the case's region.

Escalation stops once someone acknowledges on or after the last day (a signed link in each
message, a button in the inbox); the owner keeps being told until the deadline is met.

The outbox (`Reminder`): one row per (deadline, stage, recipient, channel) under a unique key,
inserted first with ON CONFLICT DO NOTHING, so a second scheduler, or a second tick, adds
nothing. In-app rows are delivered by being written. Other rows are claimed in a short
transaction (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises) that
moves their next attempt a lease ahead, sent outside any transaction, and then marked sent, or
retried with exponential back-off, or failed after REMINDER_MAX_ATTEMPTS (shown to admins).
A process killed between sending and marking sends that message again after the lease: at
least once, never twice while processes live.

Digests: each liaison gets, once a day after DIGEST_HOUR, the region's open deadlines due soon
or overdue, and once a week (from Monday) the headline numbers of the week before
(bureau/weekly.py); both by the same channels, under keys of their own.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import (Date, Integer, String, and_, bindparam, case, exists, literal, null, or_,
                        select, tuple_, update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from wagechannel.accounts.models import AuditEvent, User
from wagechannel.accounts.services import record
from wagechannel.bureau import weekly
from wagechannel.cache import ProcessCache
from wagechannel.cases.models import Case
from wagechannel.clock import CHINA
from wagechannel.deadlines import seeding
from wagechannel.deadlines.calendar import is_working_day
from wagechannel.deadlines.channels import ChannelError, Senders, Unreachable
from wagechannel.deadlines.models import Deadline, Reminder
from wagechannel.deadlines.rules import RULES, WINDOW
from wagechannel.deadlines.settings import ReminderSettings

log = logging.getLogger(__name__)

Unit = Callable[[], AbstractContextManager[Session]]
GREEN_CHANNEL = ("legal_aid_decision", "legal_aid_assignment")
STAFF_ROLES = ("admin", "legal_aid_staff", "lawyer", "bureau_liaison")
PLAN_BATCH = 500
SEED_BATCH = 500
DELIVER_BATCH = 100
DELIVER_ROUNDS = 50  # at most this many batches a tick; the rest wait for the next
LEASE = timedelta(minutes=10)  # a claimed message not marked by then is tried again
MAX_BACKOFF = timedelta(hours=6)
ACK_SALT = "wagechannel-deadline-ack"
ACK_MAX_AGE = 60 * 24 * 3600
DIGEST_SHOWN = 50


# --- stages ----------------------------------------------------------------------------------

def stage_name(days_before: int, due: date) -> str:
    """"before-3@2026-12-04": the stage names the last day, so a deadline moved to another
    day (a corrected trigger) goes through its stages again."""
    return f"{'due' if days_before == 0 else f'before-{days_before}'}@{due.isoformat()}"


def overdue_stage(today: date) -> str:
    return f"overdue-{today.isoformat()}"


def digest_stage(today: date) -> str:
    return f"digest-{today.isoformat()}"


def weekly_stage(today: date) -> str:
    """The weekly digest's stage: named by the Monday of the week it counts."""
    return f"weekly-{weekly.week_before(today).start.isoformat()}"


def working_days_before(day: date, count: int) -> date:
    """The `count`th working day before `day` (`day` itself for 0)."""
    counted = 0
    while counted < count:
        day -= timedelta(days=1)
        counted += is_working_day(day)[0]
    return day


def stage_on(due: date, today: date, stages: Iterable[int]) -> str | None:
    """The stage a deadline not yet overdue is in today: the latest one whose day has come."""
    for days_before in sorted(set(stages)):
        if working_days_before(due, days_before) <= today:
            return stage_name(days_before, due)
    return None


def overdue_working_days(due: date, today: date, cap: int = 2) -> int:
    """Working days after the last day up to today, counted up to `cap`."""
    counted, day = 0, due
    while counted < cap and day < today:
        day += timedelta(days=1)
        counted += is_working_day(day)[0]
    return counted


@dataclass(frozen=True)
class StagePlan:
    """Which last days are in which stage today, rule group by rule group."""

    today: date
    horizon: date  # the latest last day that has a stage today
    groups: tuple[tuple[tuple[str, ...], str, tuple[date, ...]], ...]  # (rules, stage, days)
    overdue: str | None  # today's overdue stage; None on a rest day
    overdue_rules: tuple[str, ...]


def stage_plan(today: date) -> StagePlan:
    by_stages: dict[tuple[int, ...], list[str]] = {}
    for rule in RULES.values():
        by_stages.setdefault(tuple(sorted(set(rule.stages))), []).append(rule.code)
    groups: list[tuple[tuple[str, ...], str, tuple[date, ...]]] = []
    horizon = today
    for stages, codes in by_stages.items():
        days: dict[str, list[date]] = {}
        day = today
        for _ in range(120):  # a stage's day is never this far before the last day
            stage = stage_on(day, today, stages)
            if stage is None:  # later last days are not in any stage yet either
                break
            days.setdefault(stage, []).append(day)
            horizon = max(horizon, day)
            day += timedelta(days=1)
        groups.extend((tuple(codes), stage, tuple(found)) for stage, found in days.items())
    working_today = is_working_day(today)[0]
    return StagePlan(today=today, horizon=horizon, groups=tuple(groups),
                     overdue=overdue_stage(today) if working_today else None,
                     overdue_rules=tuple(code for code, rule in RULES.items()
                                         if rule.unit != WINDOW))


def stage_expression(plan: StagePlan) -> Any:
    """SQL for the stage a deadline row is in today (NULL: none)."""
    whens = [(and_(Deadline.rule.in_(codes), Deadline.due_date.in_(days)), literal(stage, String))
             for codes, stage, days in plan.groups]  # one last day a stage (names are dated)
    if plan.overdue is not None:
        whens.append((and_(Deadline.due_date < plan.today,
                           Deadline.rule.in_(plan.overdue_rules)),
                      literal(plan.overdue, String)))
    if not whens:
        return null()
    return case(*whens, else_=null())


# --- signed acknowledgement links --------------------------------------------------------------

def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=ACK_SALT)


def ack_token(secret: str, deadline_id: int, user_id: int | None,
              organisation_id: int | None = None) -> str:
    return str(_serializer(secret).dumps([deadline_id, user_id or 0, organisation_id or 0]))


@dataclass(frozen=True)
class AckClaim:
    deadline_id: int
    user_id: int | None
    organisation_id: int | None


def read_ack_token(secret: str, token: str, *, max_age: int = ACK_MAX_AGE) -> AckClaim | None:
    try:
        value = _serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # expired links are BadSignature too
        return None
    if not (isinstance(value, list) and len(value) == 3 and all(
            isinstance(item, int) and not isinstance(item, bool) for item in value)):
        return None
    return AckClaim(value[0], value[1] or None, value[2] or None)


def acknowledge(session: Session, deadline: Deadline, *, user: User | None, now: datetime,
                via: str, organisation_id: int | None = None, ip: str | None = None) -> bool:
    """Someone has it in hand: escalation stops (when on or after the last day). Returns
    whether the deadline was still open."""
    if deadline.status != "open":
        return False
    deadline.acknowledged_at = now
    deadline.acknowledged_by_id = user.id if user is not None else None
    record(session, "deadline_acknowledged", actor=user, object_type="case",
           object_id=deadline.case_id, ip=ip, deadline=deadline.id, rule=deadline.rule,
           via=via, organisation=organisation_id)
    session.flush()
    return True


def escalation_stopped(deadline: Deadline) -> bool:
    at = deadline.acknowledged_at
    return at is not None and at.astimezone(CHINA).date() >= deadline.due_date


# --- recipients ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    user: User
    why: str  # owner | supervisor | liaison | fallback


WHY_WORDS = {"owner": "您负责这项期限", "supervisor": "您是主管，期限已逾期",
             "liaison": "您是人社部门联络人",
             "fallback": "负责的机构没有可以接收提醒的账号，转给管理员"}


class Directory:
    """Who works where, loaded once a tick and only for the organisations a batch needs."""

    def __init__(self, session: Session, settings: ReminderSettings) -> None:
        self.session, self.settings = session, settings
        self.by_org: dict[int, list[User]] = {}
        self.by_id: dict[int, User] = {}
        self._admins: list[User] | None = None
        self._supervisors: list[User] | None = None

    def load(self, organisation_ids: Iterable[int | None], user_ids: Iterable[int | None]) -> None:
        orgs = {org for org in organisation_ids if org is not None and org not in self.by_org}
        users = {uid for uid in user_ids if uid is not None and uid not in self.by_id}
        if not orgs and not users:
            return
        conditions = []
        if orgs:
            conditions.append(and_(User.organisation_id.in_(orgs),
                                   User.role.in_(("legal_aid_staff", "bureau_liaison"))))
        if users:
            conditions.append(User.id.in_(users))
        for org in orgs:
            self.by_org[org] = []
        for user in self.session.scalars(select(User).where(or_(*conditions))
                                         .order_by(User.id)):
            self.by_id[user.id] = user
            if user.organisation_id in orgs and user.role in ("legal_aid_staff",
                                                              "bureau_liaison"):
                self.by_org[user.organisation_id].append(user)

    def members(self, organisation_id: int | None, role: str) -> list[User]:
        return [user for user in self.by_org.get(organisation_id or 0, [])
                if user.role == role and user.is_active_account]

    def user(self, user_id: int | None) -> User | None:
        found = self.by_id.get(user_id) if user_id is not None else None
        return found if found is not None and found.is_active_account else None

    def admins(self) -> list[User]:
        if self._admins is None:
            self._admins = list(self.session.scalars(
                select(User).where(User.role == "admin", User.is_active_account.is_(True))
                .order_by(User.id)))
        return self._admins

    def supervisors(self, organisation_id: int | None) -> list[User]:
        if self._supervisors is None:
            names = sorted(self.settings.supervisors)
            self._supervisors = list(self.session.scalars(
                select(User).where(User.username.in_(names), User.is_active_account.is_(True))
                .order_by(User.id))) if names else []
        own = [user for user in self._supervisors
               if organisation_id is not None and user.organisation_id == organisation_id]
        if own:
            return own
        return [user for user in self._supervisors if user.role == "admin"] or self.admins()


@dataclass(frozen=True)
class Due:
    """An open deadline in a stage today, with what the tick needs of its case."""

    deadline: Deadline
    stage: str
    case_number: str
    lawyer_id: int | None
    centre_id: int | None
    bureau_id: int | None
    accepted_at: datetime | None


def owners(directory: Directory, due: Due) -> tuple[list[User], int | None]:
    """The owner(s) and the organisation they act for."""
    rule = RULES[due.deadline.rule]
    if rule.responsible == "bureau":
        found, org = directory.members(due.bureau_id, "bureau_liaison"), due.bureau_id
    else:
        lawyer = directory.user(due.lawyer_id)
        found = [lawyer] if lawyer is not None else directory.members(due.centre_id,
                                                                      "legal_aid_staff")
        org = lawyer.organisation_id if lawyer is not None and lawyer.organisation_id \
            else due.centre_id
    # A supervisor hears of a deadline when it is overdue, not of every one before; unless
    # nobody else works there.
    others = [user for user in found if user.username not in directory.settings.supervisors]
    return others or found, org


def recipients(directory: Directory, due: Due, level: int) -> tuple[list[Recipient], set[int]]:
    """Everyone told at this escalation level, each once, and the organisations whose group
    robots are told."""
    found, org = owners(directory, due)
    chosen = [Recipient(user, "owner") for user in found] or \
        [Recipient(user, "fallback") for user in directory.admins()]
    groups = {org} if org is not None else set()
    if level >= 1:
        chosen += [Recipient(user, "supervisor") for user in directory.supervisors(org)]
    if level >= 2 and due.deadline.rule in GREEN_CHANNEL and due.bureau_id is not None:
        chosen += [Recipient(user, "liaison")
                   for user in directory.members(due.bureau_id, "bureau_liaison")]
        groups.add(due.bureau_id)
    seen: set[int] = set()
    unique = []
    for recipient in chosen:
        if recipient.user.id not in seen:
            seen.add(recipient.user.id)
            unique.append(recipient)
    return unique, groups


# --- messages --------------------------------------------------------------------------------

def _when(due: date, today: date) -> str:
    left = (due - today).days
    if left > 0:
        return f"还剩{left}天"
    if left == 0:
        return "今天是最后一天"
    return f"已逾期{-left}天"


def message(due: Due, today: date, level: int, *, base_url: str, ack_url: str,
            why: str | None) -> tuple[str, str]:
    """(subject, body) in plain Chinese; no worker's personal data (group chats see it)."""
    deadline = due.deadline
    rule = RULES[deadline.rule]
    overdue = deadline.due_date < today
    prefix = "【逾期督办】" if overdue and level >= 1 else "【期限提醒】"
    subject = (f"{prefix}案件{due.case_number}：{rule.label}，{_when(deadline.due_date, today)}"
               f"（{deadline.due_date.isoformat()}）")[:200]
    lines = [f"案件：{due.case_number}", f"期限：{rule.label}", f"依据：{rule.article}",
             f"起算日：{deadline.trigger_date.isoformat()}，最后一天："
             f"{deadline.due_date.isoformat()}（{_when(deadline.due_date, today)}）"]
    if deadline.provisional:
        lines.append("注意：最后一天涉及尚未公布放假安排的年份，是暂定的。")
    if level >= 2 and deadline.rule in GREEN_CHANNEL:
        lines.append("绿色通道的决定或指派已逾期，已同时告知人社部门联络人。")
    elif level >= 1:
        lines.append("已逾期，已同时告知主管。")
    if why:
        lines.append(f"收到原因：{WHY_WORDS[why]}。")
    lines.append(f"打开案件：{base_url}/cases/{deadline.case_id}")
    lines.append(f"确认已在处理：{ack_url}")
    return subject, "\n".join(lines)


def _row(key: str, *, deadline_id: int | None, stage: str, channel: str, user_id: int | None,
         address: str | None, subject: str, body: str, now: datetime,
         failed: str | None = None) -> dict[str, Any]:
    inapp = channel == "inapp"
    return {"key": key[:160], "deadline_id": deadline_id, "stage": stage, "channel": channel,
            "user_id": user_id, "address": address, "subject": subject, "body": body,
            "status": "failed" if failed else ("sent" if inapp else "pending"),
            "attempts": 0, "next_attempt_at": now, "last_error": failed,
            "sent_at": now if inapp and not failed else None, "read_at": None,
            "created_at": now}


def reminder_rows(directory: Directory, due: Due, *, today: date, now: datetime,
                  settings: ReminderSettings) -> list[dict[str, Any]]:
    deadline = due.deadline
    overdue = deadline.due_date < today
    level = 0
    if overdue and not escalation_stopped(deadline):
        level = overdue_working_days(deadline.due_date, today)
    people, groups = recipients(directory, due, level)
    base = settings.base_url
    prefix = f"d{deadline.id}:{due.stage}"
    rows = []
    for person in people:
        ack = f"{base}/reminders/ack/{ack_token(settings.secret_key, deadline.id, person.user.id)}"
        subject, body = message(due, today, level, base_url=base, ack_url=ack, why=person.why)
        common = {"deadline_id": deadline.id, "stage": due.stage, "user_id": person.user.id,
                  "subject": subject, "body": body, "now": now}
        rows.append(_row(f"{prefix}:u{person.user.id}:inapp", channel="inapp", address=None,
                         **common))
        address = settings.emails.get(person.user.username)
        if address and settings.smtp is not None:
            rows.append(_row(f"{prefix}:u{person.user.id}:email", channel="email",
                             address=address, **common))
    for org in sorted(groups):
        hooks = settings.channels_of(org)
        if not hooks:
            continue
        ack = f"{base}/reminders/ack/{ack_token(settings.secret_key, deadline.id, None, org)}"
        subject, body = message(due, today, level, base_url=base, ack_url=ack, why=None)
        for channel in sorted(hooks):
            rows.append(_row(f"{prefix}:o{org}:{channel}", deadline_id=deadline.id,
                             stage=due.stage, channel=channel, user_id=None,
                             address=f"org:{org}", subject=subject, body=body, now=now))
    if not rows:  # nobody to tell: the stage is marked done and the admins' list shows why
        subject, body = message(due, today, level, base_url=base, ack_url="—", why=None)
        rows.append(_row(f"{prefix}:nobody:inapp", deadline_id=deadline.id, stage=due.stage,
                         channel="inapp", user_id=None, address=None, subject=subject,
                         body=body, now=now, failed="没有可以接收提醒的账号"))
    return rows


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert-first: a key already there is skipped (another tick or scheduler wrote it)."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Reminder.__table__
    result = session.execute(insert(table).on_conflict_do_nothing(index_elements=["key"])
                             .returning(table.c.id), list(rows))
    return len(result.all())  # only the rows that went in (rowcount is not kept by every driver)


# --- planning: which deadlines need a message today ----------------------------------------------

def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


Cursor = tuple[date, int]  # (due_date, id) of the last deadline of the batch before


def due_batch(session: Session, plan: StagePlan, *, after: Cursor | None,
              limit: int) -> list[Due]:
    """Open deadlines in a stage today that have no message for it yet, by last day: the scan
    is the range of ix_deadline_open_due up to the horizon, however many deadlines are open
    further off. On PostgreSQL, rows another scheduler holds are skipped (it is planning
    them)."""
    stage = stage_expression(plan)
    query = (select(Deadline, stage.label("stage"), Case.number, Case.lawyer_id,
                    Case.legal_aid_org_id, Case.bureau_org_id, Case.accepted_at)
             .join(Case, Case.id == Deadline.case_id)
             .where(Deadline.status == "open", Deadline.due_date <= plan.horizon,
                    stage.is_not(None),
                    ~exists().where(Reminder.deadline_id == Deadline.id,
                                    Reminder.stage == stage))
             .order_by(Deadline.due_date, Deadline.id).limit(limit))
    if after is not None:
        query = query.where(Deadline.due_date >= after[0], tuple_(
            Deadline.due_date, Deadline.id) > tuple_(literal(after[0], Date()),
                                                     literal(after[1], Integer())))
    if _postgresql(session):
        query = query.with_for_update(of=Deadline, skip_locked=True)
    return [Due(row[0], row[1], row[2] or f"#{row[0].case_id}", row[3], row[4], row[5],
                seeding._aware(row[6])) for row in session.execute(query)]


def settle_met(session: Session, batch: list[Due]) -> list[Due]:
    """A deadline whose meeting event happened where the workflow does not settle it (a
    contact or message through another path; an arbitration filed) is settled, not chased.
    Returns the rest."""
    contact_cases = [due.deadline.case_id for due in batch
                     if due.deadline.rule == seeding.FIRST_CONTACT]
    filing_cases = [due.deadline.case_id for due in batch
                    if due.deadline.rule in seeding.MET_BY_FILING]
    contacted = seeding.first_contacts(session, contact_cases)
    filed = seeding.filings(session, filing_cases)
    rest = []
    for due in batch:
        deadline = due.deadline
        if deadline.rule == seeding.FIRST_CONTACT:
            evidence = [at for at in (contacted.get(deadline.case_id), due.accepted_at) if at]
            if evidence:
                seeding.settle_by(deadline, min(evidence))
                continue
        elif deadline.rule in seeding.MET_BY_FILING:
            days = [day for kind, day in filed.get(deadline.case_id, [])
                    if kind in seeding.MET_BY_FILING[deadline.rule]
                    and day >= deadline.trigger_date]
            if days:
                first = min(days)
                deadline.status = "met" if first <= deadline.due_date else "missed"
                deadline.closed_at = datetime.combine(first, datetime.min.time(), CHINA)
                continue
        rest.append(due)
    session.flush()
    return rest


def plan_batch(session: Session, plan: StagePlan, directory: Directory, *, now: datetime,
               settings: ReminderSettings, after: Cursor | None,
               limit: int = PLAN_BATCH) -> tuple[int, int, Cursor | None]:
    """One batch: (messages written, deadlines settled, next cursor or None when done)."""
    batch = due_batch(session, plan, after=after, limit=limit)
    if not batch:
        return 0, 0, None
    rest = settle_met(session, batch)
    directory.load((org for due in rest for org in (due.centre_id, due.bureau_id)),
                   (due.lawyer_id for due in rest))
    rows = [row for due in rest
            for row in reminder_rows(directory, due, today=plan.today, now=now,
                                     settings=settings)]
    written = insert_rows(session, rows)
    last = batch[-1].deadline
    return written, len(batch) - len(rest), ((last.due_date, last.id) if len(batch) == limit
                                             else None)


# --- the liaisons' daily digest ---------------------------------------------------------------

def _label(code: str) -> str:
    return RULES[code].label if code in RULES else code


_digests_done: ProcessCache[bool] = ProcessCache("reminder digests", ttl=6 * 3600.0)
_weekly_done: ProcessCache[bool] = ProcessCache("weekly digests", ttl=6 * 3600.0)


def digest_rows(session: Session, directory: Directory, plan: StagePlan, *, now: datetime,
                settings: ReminderSettings) -> list[dict[str, Any]]:
    """To each liaison, the region's open deadlines due within the reminder horizon or
    overdue (the bureau's cases), one message a day."""
    today = plan.today
    items: dict[int, list[Any]] = {}
    for row in session.execute(
            select(Deadline.case_id, Deadline.rule, Deadline.due_date, Deadline.provisional,
                   Case.number, Case.bureau_org_id)
            .join(Case, Case.id == Deadline.case_id)
            .where(Deadline.status == "open", Deadline.due_date <= plan.horizon,
                   Case.bureau_org_id.is_not(None))
            .order_by(Deadline.due_date, Deadline.id)):
        items.setdefault(row.bureau_org_id, []).append(row)
    if not items:
        return []
    directory.load(items, ())
    stage = digest_stage(today)
    rows: list[dict[str, Any]] = []
    for bureau, found in sorted(items.items()):
        overdue = sum(1 for row in found if row.due_date < today)
        subject = (f"【每日汇总】{today.isoformat()} 本辖区期限：逾期{overdue}项，"
                   f"临近{len(found) - overdue}项")
        lines = [f"{row.number or '#' + str(row.case_id)}　{_label(row.rule)}"
                 f"　最后一天 {row.due_date.isoformat()}（{_when(row.due_date, today)}）"
                 f"{'（暂定）' if row.provisional else ''}"
                 for row in found[:DIGEST_SHOWN]]
        if len(found) > DIGEST_SHOWN:
            lines.append(f"……另有{len(found) - DIGEST_SHOWN}项，请在系统里查看。")
        lines.append(f"案件列表：{settings.base_url}/cases")
        rows += bureau_rows(directory.members(bureau, "bureau_liaison"), bureau,
                            key=f"digest:{today.isoformat()}", stage=stage, subject=subject,
                            body="\n".join(lines), now=now, settings=settings)
    return rows


def bureau_rows(liaisons: Sequence[User], bureau: int, *, key: str, stage: str, subject: str,
                body: str, now: datetime, settings: ReminderSettings) -> list[dict[str, Any]]:
    """One message to a bureau: to each liaison in the app (and by e-mail when they have an
    address), and to each of the bureau's robots."""
    rows: list[dict[str, Any]] = []
    for user in liaisons:
        common = {"deadline_id": None, "stage": stage, "user_id": user.id,
                  "subject": subject, "body": body, "now": now}
        rows.append(_row(f"{key}:u{user.id}:inapp", channel="inapp", address=None, **common))
        address = settings.emails.get(user.username)
        if address and settings.smtp is not None:
            rows.append(_row(f"{key}:u{user.id}:email", channel="email", address=address,
                             **common))
    for channel in sorted(settings.channels_of(bureau)):
        rows.append(_row(f"{key}:o{bureau}:{channel}", deadline_id=None, stage=stage,
                         channel=channel, user_id=None, address=f"org:{bureau}",
                         subject=subject, body=body, now=now))
    return rows


def weekly_rows(session: Session, directory: Directory, *, today: date, now: datetime,
                settings: ReminderSettings) -> list[dict[str, Any]]:
    """To each liaison (and the bureau's robots), the headline numbers of the week before in
    the regions the bureau serves (bureau/weekly.py), one message a week."""
    regions = weekly.bureau_regions(session)
    directory.load(regions, ())
    stage = weekly_stage(today)
    rows: list[dict[str, Any]] = []
    for bureau, codes in sorted(regions.items()):
        liaisons = directory.members(bureau, "bureau_liaison")
        if not liaisons and not settings.channels_of(bureau):
            continue
        subject, body = weekly.message(weekly.weekly_numbers(session, bureau, codes, today),
                                       settings.base_url)
        rows += bureau_rows(liaisons, bureau, key=stage, stage=stage, subject=subject,
                            body=body, now=now, settings=settings)
    return rows


# --- delivery --------------------------------------------------------------------------------

def backoff(attempts: int, base_seconds: int) -> timedelta:
    """After the n-th failed attempt: base, 2×base, 4×base … at most six hours."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class Delivered:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # left for the next tick: their server was unreachable this tick


_table = Reminder.__table__
_claim = (update(_table).where(_table.c.id == bindparam("rid"))
          .values(attempts=bindparam("claimed"), next_attempt_at=bindparam("lease")))
_finish = (update(_table)
           .where(_table.c.id == bindparam("rid"), _table.c.attempts == bindparam("claimed"),
                  _table.c.status == "pending")
           .values(status=bindparam("new_status"), attempts=bindparam("new_attempts"),
                   next_attempt_at=bindparam("next_at"), last_error=bindparam("error"),
                   sent_at=bindparam("sent")))


def claim(session: Session, *, now: datetime, limit: int) -> list[Any]:
    """Pending messages whose time has come, their next attempt moved a lease ahead."""
    query = (select(_table.c.id, _table.c.attempts, _table.c.channel, _table.c.address,
                    _table.c.subject, _table.c.body)
             .where(_table.c.status == "pending", _table.c.next_attempt_at <= now)
             .order_by(_table.c.next_attempt_at, _table.c.id).limit(limit))
    if _postgresql(session):
        query = query.with_for_update(skip_locked=True)
    rows = list(session.execute(query))
    if rows:
        session.execute(_claim, [{"rid": row.id, "claimed": row.attempts + 1,
                                  "lease": now + LEASE} for row in rows])
    return rows


def deliver(unit: Unit, *, now: datetime, settings: ReminderSettings,
            batch: int = DELIVER_BATCH, rounds: int = DELIVER_ROUNDS) -> Delivered:
    result = Delivered()
    senders = Senders(settings)
    unreachable: set[str] = set()
    try:
        for _ in range(rounds):
            with unit() as session:
                claimed = claim(session, now=now, limit=batch)
            if not claimed:
                break
            outcomes = []
            for row in claimed:
                attempts = row.attempts + 1
                target = senders.target(row.channel, row.address)
                outcome = {"rid": row.id, "claimed": attempts, "new_status": "pending",
                           "new_attempts": attempts, "next_at": now, "error": None,
                           "sent": None}
                if target in unreachable:
                    outcome.update(new_attempts=row.attempts,
                                   next_at=now + backoff(1, settings.backoff_seconds))
                    result.deferred += 1
                    outcomes.append(outcome)
                    continue
                try:
                    senders.send(row.channel, row.address, row.subject, row.body)
                except ChannelError as error:
                    if isinstance(error, Unreachable):
                        unreachable.add(target)
                    text = str(error)[:256]
                    if attempts >= settings.max_attempts:
                        outcome.update(new_status="failed", error=text)
                        result.failed += 1
                    else:
                        outcome.update(error=text,
                                       next_at=now + backoff(attempts, settings.backoff_seconds))
                        result.retrying += 1
                    log.warning("reminder %s (%s) not delivered, attempt %d: %s", row.id,
                                row.channel, attempts, text)
                else:
                    outcome.update(new_status="sent", sent=now)
                    result.sent += 1
                outcomes.append(outcome)
            with unit() as session:
                session.execute(_finish, outcomes)
            if len(claimed) < batch:
                break
    finally:
        senders.close()
    return result


# --- the tick --------------------------------------------------------------------------------

_backfilled: ProcessCache[bool] = ProcessCache("deadline backfill", ttl=24 * 3600.0)


def backfill_done(session: Session) -> bool:
    return _backfilled.get("done", lambda: session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == seeding.BACKFILL_MARK).limit(1))
        is not None)


@dataclass
class TickResult:
    seeded: int = 0
    written: int = 0
    settled: int = 0
    digests: int = 0
    weekly: int = 0
    delivery: Delivered = field(default_factory=Delivered)
    backfilled: bool = False


def seed(unit: Unit, *, now: datetime, settings: ReminderSettings,
         backfill: bool | None = None) -> tuple[int, bool]:
    """Intake deadlines for recent cases and reports; every open case the first time (or when
    `backfill` is True). Returns (deadlines made, whether the backfill ran)."""
    with unit() as session:
        everything = backfill if backfill is not None else not backfill_done(session)
    since = None if everything else seeding.window_start(now, settings.seed_window_days)
    made = 0
    cases: Any = None
    leads: Any = None
    while cases is not seeding.DONE or leads is not seeding.DONE:
        with unit() as session:
            done, cases, leads = seeding.seed_batch(
                session, now=now, working_days=settings.first_contact_days, since=since,
                cases=cases, leads=leads, limit=SEED_BATCH)
        made += done
    if everything:
        with unit() as session:
            record(session, seeding.BACKFILL_MARK, object_type="deadlines", seeded=made)
        _backfilled.clear()
    return made, everything


def tick(unit: Unit, *, now: datetime, settings: ReminderSettings,
         backfill: bool | None = None) -> TickResult:
    """One reminder tick: seed, plan each stage's messages, the digests, deliver. Each step in
    short transactions of its own; `now` is the only clock."""
    result = TickResult()
    result.seeded, result.backfilled = seed(unit, now=now, settings=settings, backfill=backfill)
    today = now.astimezone(CHINA).date()
    plan = stage_plan(today)
    after: Cursor | None = None
    directory: Directory | None = None
    while True:
        with unit() as session:
            directory = Directory(session, settings) if directory is None else directory
            directory.session = session
            written, settled, after = plan_batch(session, plan, directory, now=now,
                                                 settings=settings, after=after)
        result.written += written
        result.settled += settled
        if after is None:
            break
    if now.astimezone(CHINA).hour >= settings.digest_hour:
        def digest() -> bool:  # once a day per process (kept a few hours); the keys do the rest
            with unit() as session:
                result.digests = insert_rows(session, digest_rows(
                    session, Directory(session, settings), plan, now=now, settings=settings))
            return True
        _digests_done.get(today, digest)

        def week() -> bool:  # once a week per process (kept a few hours); the keys do the rest
            with unit() as session:
                result.weekly = insert_rows(session, weekly_rows(
                    session, Directory(session, settings), today=today, now=now,
                    settings=settings))
            return True
        _weekly_done.get(weekly_stage(today), week)
    result.delivery = deliver(unit, now=now, settings=settings)
    return result

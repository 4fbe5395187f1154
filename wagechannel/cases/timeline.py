"""A case's timeline: what was done on it (its audit events, views of personal data among them),
the messages with the worker, the calls and visits staff record, and its deadlines met or
missed, merged newest first.

One page of it costs a constant number of statements however long the case's history grows:
one count over the four sources, and the newest `number * per_page` rows of each (every source
ordered by time, so its index serves it), merged here.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from wagechannel.accounts.models import AuditEvent, User
from wagechannel.accounts.privacy import mask_name
from wagechannel.accounts.services import record
from wagechannel.cases.models import (CASE_STATUSES, CONTACT_CHANNELS, OUTCOME_LABELS, PAYERS,
                                      ROUTE_DATES, ROUTES, Case, CaseContact)
from wagechannel.cases.cooperation import TIMELINE_LABELS
from wagechannel.cases.workflow import TRANSITIONS
from wagechannel.deadlines.models import DEADLINE_STATUSES, Deadline
from wagechannel.deadlines.rules import RULES
from wagechannel.errors import DomainError
from wagechannel.intake.models import Lead, LeadMessage
from wagechannel.money import yuan
from wagechannel.paging import PER_PAGE, Page
from wagechannel.validation import clean_text

MAX_NOTE = 2000
# Actions recorded elsewhere on the case, in words (the workflow's own come from TRANSITIONS).
ACTION_WORDS = {
    "view_personal_data": "查看了当事人的个人信息",
    "case_contact": "记录了和工人的联系",
    "deadline_acknowledged": "确认期限提醒，正在处理",
    **TIMELINE_LABELS,
    "case_merge": "合并案件",
    "case_split": "拆分出当事人",
    "deadline_moved": "更正期限的起算日",
    "message_to_worker": "给工人留言",
    "view_evidence": "查看了照片或录音",
    "staff_intake": "登记了电话或来访线索",
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
}
# Shorter words for the hardship bases in a timeline line.
BASIS_WORDS = {"exempt_42_3": "免予核查经济困难（第42条第3项）",
               "commitment_41": "本人承诺经济困难（第41条）"}


def action_words(action: str) -> str:
    """An audit action in Chinese: `case_accept` -> 受理."""
    if action.startswith("case_") and action[5:] in TRANSITIONS:
        return TRANSITIONS[action[5:]].label
    return ACTION_WORDS.get(action, action)


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # action | view | message | contact | deadline
    who: str
    what: str
    text: str | None = None  # a message or a contact's note, shown to those who see personal data
    order: int = 0  # ties at the same instant: the later row first

    @property
    def key(self) -> tuple[datetime, int]:
        return self.at, self.order


def record_contact(session: Session, case: Case, user: User, *, channel: str, note: str,
                   lead_id: int | None, ip: str | None = None) -> CaseContact:
    """A call, visit or WeChat exchange with a worker of the case, as staff tell it."""
    if channel not in CONTACT_CHANNELS:
        raise DomainError("请选择联系方式。", field="channel")
    text = clean_text(note, multiline=True) if isinstance(note, str) else None
    if not text:
        raise DomainError("请写下联系的情况。", field="note")
    if len(text) > MAX_NOTE:
        raise DomainError(f"太长了，最多{MAX_NOTE}个字。", field="note")
    if lead_id is not None and lead_id not in {lead.id for lead in case.leads}:
        raise DomainError("请从本案的工人中选择。", field="lead_id")
    contact = CaseContact(case_id=case.id, lead_id=lead_id, user_id=user.id, channel=channel,
                          note=text)
    session.add(contact)
    session.flush()
    record(session, "case_contact", actor=user, object_type="case", object_id=case.id, ip=ip,
           contact_id=contact.id, channel=channel, lead_id=lead_id)
    session.flush()
    return contact


def _case_events(case_id: int) -> Any:
    # Contacts show as themselves (with their note): their audit event would say it twice.
    return (AuditEvent.object_type == "case", AuditEvent.object_id == str(case_id),
            AuditEvent.action != "case_contact")


def timeline(session: Session, case: Case, *, number: int = 1, per_page: int = PER_PAGE,
             with_text: bool = True) -> Page[Entry]:
    """Page `number` of the case's timeline, newest first. `with_text` False leaves out the
    words of messages and contact notes (for those who see the case masked)."""
    events_filter = _case_events(case.id)
    settled = (Deadline.case_id == case.id, Deadline.status.in_(("met", "missed")),
               Deadline.closed_at.is_not(None))
    messages_of_case = (select(LeadMessage.id).join(Lead, Lead.id == LeadMessage.lead_id)
                        .where(Lead.case_id == case.id))
    total = session.execute(select(
        select(func.count(AuditEvent.id)).where(*events_filter).scalar_subquery(),
        select(func.count()).select_from(messages_of_case.subquery()).scalar_subquery(),
        select(func.count(CaseContact.id)).where(CaseContact.case_id == case.id)
        .scalar_subquery(),
        select(func.count(Deadline.id)).where(*settled).scalar_subquery())).one()
    count = int(sum(value or 0 for value in total))
    number = min(max(1, number), max(1, -(-count // per_page)))
    newest = number * per_page

    events = session.scalars(
        select(AuditEvent).options(joinedload(AuditEvent.actor)).where(*events_filter)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(newest)).all()
    messages = session.execute(
        select(LeadMessage, Lead.name).join(Lead, Lead.id == LeadMessage.lead_id)
        .options(joinedload(LeadMessage.author)).where(Lead.case_id == case.id)
        .order_by(LeadMessage.created_at.desc(), LeadMessage.id.desc()).limit(newest)).all()
    contacts = session.execute(
        select(CaseContact, Lead.name).outerjoin(Lead, Lead.id == CaseContact.lead_id)
        .options(joinedload(CaseContact.user)).where(CaseContact.case_id == case.id)
        .order_by(CaseContact.at.desc(), CaseContact.id.desc()).limit(newest)).all()
    deadlines = session.scalars(
        select(Deadline).where(*settled)
        .order_by(Deadline.closed_at.desc(), Deadline.id.desc()).limit(newest)).all()
    names = _lawyer_names(session, events)

    streams = [
        [_event_entry(event, names) for event in events],
        [_message_entry(message, name, with_text) for message, name in messages],
        [_contact_entry(contact, name, with_text) for contact, name in contacts],
        [_deadline_entry(deadline) for deadline in deadlines],
    ]
    merged = heapq.merge(*streams, key=lambda entry: entry.key, reverse=True)
    items = list(islice(merged, (number - 1) * per_page, newest))
    return Page(items=items, number=number, per_page=per_page, total=count)


def _lawyer_names(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """Display names of the lawyers named by assignments (one statement, only if any)."""
    usernames = {event.detail.get("lawyer") for event in events
                 if event.action == "case_assign" and isinstance(event.detail, dict)}
    usernames.discard(None)
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name)
                           .where(User.username.in_(usernames)))
    return {username: display for username, display in rows}


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "系统"


def _event_entry(event: AuditEvent, names: dict[str, str]) -> Entry:
    detail = event.detail if isinstance(event.detail, dict) else {}
    kind = "view" if event.action.startswith("view_") else "action"
    return Entry(at=event.at, kind=kind, who=_who(event.actor),
                 what=_event_words(event.action, detail, names), order=event.id)


def _event_words(action: str, detail: dict[str, Any], names: dict[str, str]) -> str:
    words = action_words(action)
    extra = ""
    if action == "case_accept" and detail.get("application_date"):
        extra = f"申请日期 {detail['application_date']}"
    elif action == "case_request_materials":
        extra = "、".join(str(item) for item in detail.get("items") or [])
    elif action == "case_grant":
        extra = BASIS_WORDS.get(str(detail.get("basis")), "")
        if detail.get("aid_before_review"):
            extra += "；先行提供法律援助（第44条）"
    elif action == "case_assign" and detail.get("lawyer"):
        lawyer = str(detail["lawyer"])
        extra = names.get(lawyer, lawyer)
        if detail.get("previous_lawyer_id"):
            words = "改派律师"
    elif action == "case_start_route":
        extra = ROUTES.get(str(detail.get("route")), "")
    elif action == "case_record_date":
        extra = (f"{ROUTES.get(str(detail.get('route')), '')} "
                 f"{ROUTE_DATES.get(str(detail.get('field')), '')} {detail.get('date') or ''}")
    elif action == "case_close":
        parts = [OUTCOME_LABELS.get(str(detail.get("outcome")), "")]
        if detail.get("amount_recovered_fen"):
            parts.append(f"追回 {yuan(int(detail['amount_recovered_fen']))}")
        if detail.get("paid_by"):
            parts.append(PAYERS.get(str(detail["paid_by"]), ""))
        extra = "，".join(part for part in parts if part)
    elif action == "case_reopen" and detail.get("reason"):
        extra = str(detail["reason"])
    elif detail.get("status_to") and detail.get("status_to") != detail.get("status_from"):
        extra = f"状态改为“{CASE_STATUSES.get(str(detail['status_to']), '')}”"
    return f"{words}：{extra.strip()}" if extra.strip() else words


def _message_entry(message: LeadMessage, name: str | None, with_text: bool) -> Entry:
    if message.direction == "to_worker":
        who, what = _who(message.author), "给工人留言"
    else:
        who, what = _worker(name, with_text), "工人留言"
    return Entry(at=message.created_at, kind="message", who=who, what=what,
                 text=message.body if with_text else None, order=message.id)


def _contact_entry(contact: CaseContact, name: str | None, with_text: bool) -> Entry:
    channel = CONTACT_CHANNELS.get(contact.channel, contact.channel)
    whom = f"（{_worker(name, with_text)}）" if contact.lead_id is not None else ""
    return Entry(at=contact.at, kind="contact", who=_who(contact.user),
                 what=f"{channel}联系工人{whom}", text=contact.note if with_text else None,
                 order=contact.id)


def _deadline_entry(deadline: Deadline) -> Entry:
    rule = RULES.get(deadline.rule)
    what = (f"期限{DEADLINE_STATUSES.get(deadline.status, deadline.status)}："
            f"{rule.label if rule else deadline.rule}（最后一天 {deadline.due_date.isoformat()}）")
    return Entry(at=deadline.closed_at or deadline.created_at, kind="deadline", who="—", what=what, order=deadline.id)


def _worker(name: str | None, full: bool) -> str:
    if not name:
        return "工人"
    return f"工人 {name if full else mask_name(name)}"

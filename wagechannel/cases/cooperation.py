"""Working with others on a case: hometown cooperation (异地协作) and referral to the HR
bureau's labour inspection (劳动保障监察; LEGAL.md section 4).

Sharing. Staff of the case's centre share it, read-only, with the legal-aid centre serving the
worker's hometown. That centre's staff find it in their "shared with us" list and open the case
page with personal data masked and nothing to do on it; every view is logged. `can_view_case`
stays the test of everything that acts on a case or shows personal data (messages, evidence
files, the workflow, the API), so a share opens none of them: only the case page asks
`case_access`, which adds the read-only view.

Referral. With the worker's consent recorded, staff or the assigned lawyer refer the case to
the bureau serving the site. The liaison records acceptance (within 5 working days of receipt,
labour-inspection rules art. 18), a refusal with its reason, the order to pay (责令支付,
regulation art. 26) and the result. The case keeps its state and its centre. Each step is an
audit event on the case (its timeline). Nothing here is told to the contractor.

Services flush, never commit; an illegal step raises WorkflowError with a Chinese reason (409
in the API), naming the field where one is at fault.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, case as sql_case, false, select
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from wagechannel.accounts.models import User
from wagechannel.accounts.services import record
from wagechannel.cases.models import Alert, Case, CaseShare, Referral
from wagechannel.cases.services import can_view_case, sees_personal_data
from wagechannel.cases.workflow import WorkflowError
from wagechannel.clock import local, local_today
from wagechannel.db import utcnow
from wagechannel.deadlines import records
from wagechannel.deadlines.rules import due_date
from wagechannel.places.models import LEGAL_AID, Organisation
from wagechannel.validation import clean_text

MAX_TEXT = 2000
# Labour-inspection rules art. 18: a complaint is accepted (or not) within 5 working days of
# its receipt; the referral's date is the receipt.
ACCEPT_WORKING_DAYS = 5
OPEN_REFERRAL = ("referred", "accepted", "ordered")

# What the timeline says for the events recorded here (object_type "case").
TIMELINE_LABELS = {
    "case_share": "共享给老家的法律援助中心（只读）",
    "case_unshare": "取消共享",
    "case_refer_to_bureau": "经工人同意，转人社部门劳动保障监察",
    "case_referral_accept": "人社部门受理",
    "case_referral_decline": "人社部门不予受理",
    "case_referral_order": "人社部门责令支付",
    "case_referral_resolve": "人社部门处理完毕",
    "view_shared_case": "异地协作中心查看（只读）",
}


def _text(raw: Any, field_name: str, label: str, *, required: bool = True) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise WorkflowError(f"{label}格式不对。", field=field_name)
    value = clean_text(raw, multiline=True)
    if required and not value:
        raise WorkflowError(f"请填写{label}。", field=field_name)
    if value and len(value) > MAX_TEXT:
        raise WorkflowError(f"{label}太长了，最多{MAX_TEXT}个字。", field=field_name)
    return value


def _day(raw: Any, field_name: str, *, earliest: date, today: date) -> date:
    if isinstance(raw, date):
        day = raw
    else:
        text = clean_text(raw) if isinstance(raw, str) else None
        if not text:
            raise WorkflowError("请填写日期。", field=field_name)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise WorkflowError("日期格式不对，例如 2026-12-01。", field=field_name) from None
    if day > today:
        raise WorkflowError("日期不能晚于今天。", field=field_name)
    if day < earliest:
        raise WorkflowError(f"日期不能早于 {earliest.isoformat()}。", field=field_name)
    return day


def _row_id(raw: Any) -> int | None:
    """A row id from a form or JSON: ASCII digits within the database's integers."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        return None
    return value if 0 < value < 2**31 else None


# --- hometown cooperation (异地协作) --------------------------------------------------------

def _session(case: Case) -> Session:
    session = object_session(case)
    if session is None:  # a case always comes from a session here
        raise RuntimeError("case is not attached to a session")
    return session


def can_view_shared(user: User, case: Case) -> bool:
    """Legal-aid staff of a centre the case is shared with: read-only, masked."""
    if user.role != "legal_aid_staff" or user.organisation_id is None:
        return False
    return _session(case).scalar(
        select(CaseShare.id).where(CaseShare.case_id == case.id,
                                   CaseShare.organisation_id == user.organisation_id)) is not None


@dataclass(frozen=True)
class CaseAccess:
    full: bool  # personal data shown (the centre's staff, the lawyer)
    shared: bool  # only through a hometown share: read-only, masked


def case_access(session: Session, user: User, case: Case, *,
                ip: str | None = None) -> CaseAccess | None:
    """How a user may see the case page, or None (404). A view through a share is logged
    here (the caller commits); the page logs views of personal data itself."""
    if can_view_case(user, case):
        return CaseAccess(full=sees_personal_data(user), shared=False)
    if can_view_shared(user, case):
        record(session, "view_shared_case", actor=user, object_type="case", object_id=case.id,
               ip=ip, organisation_id=user.organisation_id)
        return CaseAccess(full=False, shared=True)
    return None


def shared_with(user: User) -> Select[tuple[CaseShare]]:
    """The "shared with us" list: cases shared with the user's centre (all shares for an
    administrator), newest first, with what a row shows loaded alongside (constant statements
    per page)."""
    query = (select(CaseShare)
             .options(joinedload(CaseShare.case).joinedload(Case.project),
                      joinedload(CaseShare.case).joinedload(Case.legal_aid_org),
                      joinedload(CaseShare.case).selectinload(Case.claimants),
                      joinedload(CaseShare.organisation))
             .order_by(CaseShare.shared_at.desc(), CaseShare.id.desc()))
    if user.role == "admin":
        return query
    if user.role == "legal_aid_staff" and user.organisation_id is not None:
        return query.where(CaseShare.organisation_id == user.organisation_id)
    return query.where(false())


def may_share(user: User, case: Case) -> bool:
    """Legal-aid staff of the case's centre, or an administrator."""
    if user.role == "admin":
        return True
    return user.role == "legal_aid_staff" and case.legal_aid_org_id == user.organisation_id


def shares_of(session: Session, case: Case) -> list[CaseShare]:
    return list(session.scalars(
        select(CaseShare).options(joinedload(CaseShare.organisation))
        .where(CaseShare.case_id == case.id).order_by(CaseShare.shared_at, CaseShare.id)))


_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$")


def _place_words(name: str) -> set[str]:
    words = {name}
    stripped = _SUFFIX.sub("", name)
    if len(stripped) >= 2:
        words.add(stripped)
    return words


def hometown_matches(hometowns: list[str], organisation: Organisation) -> bool:
    """Does a centre's region look like the worker's free-text hometown? Only a hint beside
    the choice: a person picks the centre."""
    for region in organisation.regions:
        for word in _place_words(region.name):
            if any(word in town or (len(town) >= 2 and town in word) for town in hometowns):
                return True
    return False


def hometowns_of(case: Case) -> list[str]:
    """What the workers said their hometowns are (free text), each once."""
    towns: list[str] = []
    for lead in case.leads:
        if lead.hometown and lead.hometown not in towns:
            towns.append(lead.hometown)
    return towns


def share_targets(session: Session, case: Case,
                  hometowns: list[str]) -> list[tuple[Organisation, bool]]:
    """The registered legal-aid centres a case may be shared with (not its own, not already
    shared), those that look like a worker's hometown first; each with that hint."""
    already = select(CaseShare.organisation_id).where(CaseShare.case_id == case.id)
    centres = session.scalars(
        select(Organisation).options(selectinload(Organisation.regions))
        .where(Organisation.kind == LEGAL_AID, Organisation.id != case.legal_aid_org_id,
               Organisation.id.not_in(already))
        .order_by(Organisation.name, Organisation.id))
    choices = [(centre, hometown_matches(hometowns, centre)) for centre in centres]
    return sorted(choices, key=lambda pair: not pair[1])  # stable: by name within each


def share_case(session: Session, case: Case, user: User, *, organisation_id: Any,
               ip: str | None = None) -> CaseShare:
    """Share a case read-only with another legal-aid centre (the worker's hometown's)."""
    if not may_share(user, case):
        raise WorkflowError("只有本案所在法律援助中心的工作人员可以共享案件。")
    target_id = _row_id(organisation_id)
    target = session.get(Organisation, target_id) if target_id is not None else None
    if target is None or target.kind != LEGAL_AID:
        raise WorkflowError("请选择要共享的法律援助中心。", field="organisation_id")
    if target.id == case.legal_aid_org_id:
        raise WorkflowError("案件本来就在这个中心。", field="organisation_id")
    if session.scalar(select(CaseShare.id).where(CaseShare.case_id == case.id,
                                                 CaseShare.organisation_id == target.id)):
        raise WorkflowError("已经共享给这个中心了。", field="organisation_id")
    share = CaseShare(case_id=case.id, organisation_id=target.id, shared_by_id=user.id,
                      shared_at=utcnow())
    session.add(share)
    session.flush()
    record(session, "case_share", actor=user, object_type="case", object_id=case.id, ip=ip,
           organisation_id=target.id, organisation=target.name)
    session.flush()
    return share


def unshare_case(session: Session, case: Case, user: User, *, organisation_id: Any,
                 ip: str | None = None) -> None:
    """End a share: the other centre's staff get "not found" for the case again."""
    if not may_share(user, case):
        raise WorkflowError("只有本案所在法律援助中心的工作人员可以取消共享。")
    target_id = _row_id(organisation_id)
    if target_id is None:
        raise WorkflowError("没有这个共享。", field="organisation_id")
    share = session.scalar(select(CaseShare).where(CaseShare.case_id == case.id,
                                                   CaseShare.organisation_id == target_id))
    if share is None:
        raise WorkflowError("没有这个共享。", field="organisation_id")
    name = share.organisation.name
    session.delete(share)
    record(session, "case_unshare", actor=user, object_type="case", object_id=case.id, ip=ip,
           organisation_id=target_id, organisation=name)
    session.flush()


# --- referral to the HR bureau ---------------------------------------------------------------

def may_refer(user: User, case: Case) -> bool:
    """As for the workflow's actions: the centre's staff, the assigned lawyer, an admin."""
    if user.role == "admin":
        return True
    if user.role == "legal_aid_staff":
        return case.legal_aid_org_id == user.organisation_id
    if user.role == "lawyer":
        return case.lawyer_id == user.id
    return False


def referrals_of(session: Session, case: Case) -> list[Referral]:
    return list(session.scalars(
        select(Referral).options(joinedload(Referral.bureau_org))
        .where(Referral.case_id == case.id).order_by(Referral.referred_at, Referral.id)))


def open_referral(session: Session, case: Case) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.case_id == case.id,
                                                 Referral.status.in_(OPEN_REFERRAL)))


def referral_day(referral: Referral) -> date:
    """The local date the bureau received the referral."""
    shown = local(referral.referred_at)
    return shown.date() if shown else local_today()


def acceptance_due(referral: Referral) -> tuple[date, bool]:
    """The last day to accept or refuse (5 working days, rules art. 18); provisional where
    the calendar of that year is not yet published."""
    due = due_date("inspection_acceptance", referral_day(referral), amount=ACCEPT_WORKING_DAYS)
    return due.due, due.provisional


def refer_to_bureau(session: Session, case: Case, user: User, *, consent_note: Any,
                    ip: str | None = None) -> Referral:
    """Refer the case, with the worker's consent, to the bureau serving the site. The case
    stays in its state with its centre; the bureau is alerted."""
    if not may_refer(user, case):
        raise WorkflowError("您不能对这个案件做这一步。")
    if case.status == "closed":
        raise WorkflowError("案件已结案，不能再转人社部门；需要时先重新办理。")
    if case.bureau_org_id is None:
        raise WorkflowError("没有服务这个工地的人社部门，无法转交。")
    note = _text(consent_note, "consent_note", "工人同意转交的情况（何时、以何种方式同意）")
    if open_referral(session, case) is not None:
        raise WorkflowError("已经转交人社部门，还没有处理完毕，不能重复转交。")
    referral = Referral(case_id=case.id, bureau_org_id=case.bureau_org_id, status="referred",
                        consent_note=note, referred_by_id=user.id, referred_at=utcnow())
    session.add(referral)
    session.flush()
    due, provisional = acceptance_due(referral)
    # The bureau's own clock, reminded like every other (deadlines/reminders.py).
    records.open_deadline(session, case.id, "inspection_acceptance", referral_day(referral),
                          source=f"referral:{referral.id}")
    session.add(Alert(organisation_id=case.bureau_org_id, case_id=case.id, kind="referral",
                      message=f"法律援助中心转来欠薪案件 {case.number}（工人已同意），"
                              f"请在 {due.isoformat()}{'（暂定）' if provisional else ''} 前"
                              "决定是否受理（劳动保障监察条例实施办法第18条）。"))
    case.updated_at = utcnow()
    record(session, "case_refer_to_bureau", actor=user, object_type="case", object_id=case.id,
           ip=ip, referral_id=referral.id, bureau_org_id=case.bureau_org_id,
           status_from=case.status, status_to=case.status, acceptance_due=due.isoformat())
    session.flush()
    return referral


def referral_queue(user: User) -> Select[tuple[Referral]]:
    """The bureau's referrals: those still waiting for acceptance first, then the ones under
    way, then the finished; oldest first in each. Rows load in constant statements."""
    stage = sql_case((Referral.status == "referred", 0),
                     (Referral.status.in_(OPEN_REFERRAL), 1), else_=2)
    query = (select(Referral)
             .options(joinedload(Referral.case).joinedload(Case.project),
                      joinedload(Referral.case).joinedload(Case.legal_aid_org),
                      joinedload(Referral.case).selectinload(Case.claimants))
             .order_by(stage, Referral.referred_at, Referral.id))
    if user.role == "admin":
        return query
    if user.role == "bureau_liaison" and user.organisation_id is not None:
        return query.where(Referral.bureau_org_id == user.organisation_id)
    return query.where(false())


def may_answer(user: User, referral: Referral) -> bool:
    """The liaison of the bureau the case was referred to (or an administrator)."""
    if user.role == "admin":
        return True
    return user.role == "bureau_liaison" and referral.bureau_org_id == user.organisation_id


@dataclass(frozen=True)
class ReferralStep:
    label: str  # the button and the timeline say this
    sources: tuple[str, ...]
    target: str
    note_label: str | None = None  # a required note: the reason, or the result
    date_field: str = "resolved_on"


REFERRAL_STEPS: dict[str, ReferralStep] = {
    "accept": ReferralStep("受理", ("referred",), "accepted", date_field="accepted_on"),
    "decline": ReferralStep("不予受理", ("referred",), "declined", note_label="不予受理的理由"),
    "order": ReferralStep("责令支付", ("accepted",), "ordered", date_field="ordered_on"),
    "resolve": ReferralStep("处理完毕", ("accepted", "ordered"), "resolved",
                            note_label="处理结果"),
}


def referral_steps(user: User, referral: Referral) -> list[str]:
    """The steps this user may record on the referral now."""
    if not may_answer(user, referral):
        return []
    return [name for name, step in REFERRAL_STEPS.items() if referral.status in step.sources]


def record_referral_step(session: Session, referral: Referral, user: User, *, step: str,
                         on: Any, today: date, note: Any = None,
                         ip: str | None = None) -> Referral:
    """The liaison records what the bureau did, each with its date: acceptance, a refusal
    with its reason, the order to pay, the result with a note. Audited on the case."""
    if step not in REFERRAL_STEPS or not may_answer(user, referral):
        raise WorkflowError("您不能对这个转交做这一步。")
    spec = REFERRAL_STEPS[step]
    if referral.status not in spec.sources:
        raise WorkflowError(f"转交现在是“{referral.status_label}”，不能记录“{spec.label}”。")
    earliest = max([referral_day(referral)]
                   + [day for day in (referral.accepted_on, referral.ordered_on) if day])
    day = _day(on, "on", earliest=earliest, today=today)
    text = _text(note, "note", spec.note_label, required=True) if spec.note_label else None
    before = referral.status
    referral.status = spec.target
    setattr(referral, spec.date_field, day)
    if text is not None:
        referral.result_note = text
    detail: dict[str, Any] = {"referral_id": referral.id, "date": day.isoformat(),
                              "referral_from": before, "referral_to": spec.target}
    if step == "accept":
        due, _provisional = acceptance_due(referral)
        detail["within_limit"] = day <= due
    _referral_deadlines(session, referral, step, day)
    if text is not None:
        detail["note"] = text
    record(session, f"case_referral_{step}", actor=user, object_type="case",
           object_id=referral.case_id, ip=ip, **detail)
    session.flush()
    return referral


def _referral_deadlines(session: Session, referral: Referral, step: str, day: date) -> None:
    """Acceptance (or a refusal) meets the 5 working days; acceptance opens the 60 working
    days of the investigation (regulation art. 17), which the result meets."""
    source = f"referral:{referral.id}"
    if step in ("accept", "decline"):
        records.settle(session, referral.case_id, ["inspection_acceptance"], today=day,
                       source=source)
    if step == "accept":
        records.open_deadline(session, referral.case_id, "inspection_investigation", day,
                              source=source)
    if step == "resolve":
        records.settle(session, referral.case_id, ["inspection_investigation",
                                                   "inspection_investigation_extended"],
                       today=day, source=source)


# --- what the case page shows -------------------------------------------------------------

@dataclass
class ReferralView:
    referral: Referral
    due: date
    due_provisional: bool
    overdue: bool
    steps: list[str]


@dataclass
class Cooperation:
    """The case page's sharing and referral section, for one viewer."""

    today: date
    read_only: bool  # seen through a hometown share
    may_share: bool
    shares: list[CaseShare] = field(default_factory=list)
    targets: list[tuple[Organisation, bool]] = field(default_factory=list)
    hometowns: list[str] = field(default_factory=list)
    referrals: list[ReferralView] = field(default_factory=list)
    may_refer: bool = False
    show_consent: bool = False


def case_cooperation(session: Session, user: User, case: Case, today: date) -> Cooperation:
    read_only = not can_view_case(user, case)
    sharing = may_share(user, case) and not read_only
    hometowns = hometowns_of(case) if sharing else []
    views = []
    for referral in referrals_of(session, case):
        due, provisional = acceptance_due(referral)
        views.append(ReferralView(
            referral=referral, due=due, due_provisional=provisional,
            overdue=referral.status == "referred" and today > due,
            steps=[] if read_only else referral_steps(user, referral)))
    has_open = any(view.referral.status in OPEN_REFERRAL for view in views)
    return Cooperation(
        today=today, read_only=read_only, may_share=sharing,
        shares=shares_of(session, case) if not read_only and user.role != "bureau_liaison"
        else [],
        targets=share_targets(session, case, hometowns) if sharing else [],
        hometowns=hometowns, referrals=views,
        may_refer=(not read_only and may_refer(user, case) and case.status != "closed"
                   and case.bureau_org_id is not None and not has_open),
        show_consent=not read_only)

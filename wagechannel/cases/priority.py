"""Priority inside the green channel: a score for ordering, the reasons a person reads beside it,
and the tier (紧急 / 优先 / 常规) the queue sorts by first.

Each thing that makes a report urgent is a `Factor` (a score, a reason, and the tier it alone
puts a case in). A case takes, for each kind of factor, the strongest among its reports, then
adds what only the case knows: how many workers it stands for (群体性 from 10, 重大 from 30),
the same boss or general contractor in other cases within 90 days, the amount against the
local minimum wage, and the season window (the campaign before the Spring Festival). Its tier
is the most urgent its factors give, or what the score alone reaches, whichever is higher.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from wagechannel.cache import ProcessCache, watch
from wagechannel.cases.models import Case
from wagechannel.clock import CHINA
from wagechannel.deadlines.limits import (AID_BEFORE_REVIEW_DAYS, ARBITRATION, CLOSE_DAYS,
                                          LimitFacts, TimeLimit, days_left_text, facts_of,
                                          governing_limit)
from wagechannel.places.models import Project, Region

OPEN_STATUSES = ("pending", "accepted", "decided", "assigned", "in_progress")
URGENT, PRIORITY, ROUTINE = 0, 1, 2
TIER_OF_RANK = {URGENT: "urgent", PRIORITY: "priority", ROUTINE: "routine"}
COLLECTIVE_AT, MAJOR_AT = 10, 30  # workers in all: 群体性案件, 重大群体性案件
REPEAT_DAYS = 90  # the same boss or contractor in other cases this recent
REPEAT_CAP = 10  # counted up to here ("10件以上"): the count stays cheap
# Other sites of the same general contractor with cases: beyond one site's troubles, a pattern
# (the same boss at any of its sites counts from one other case).
REPEAT_CONTRACTOR_SITES = 2
# The order reasons are read in (the strongest kinds first, notes last).
FACTOR_ORDER = ("conflict", "no_money", "limit", "workers", "minor", "elderly", "disabled",
                "amount", "wage", "repeat_boss", "repeat_contractor", "season", "iou",
                "legal_aid")
DEFAULT_SEASON = "12-01..02-15"
DEFAULT_COLLECTIVE_WINDOW_DAYS = 30


# --- settings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeasonWindow:
    """A stretch of the year, month-day to month-day, that may run over New Year."""

    start: tuple[int, int]
    end: tuple[int, int]

    def contains(self, day: date) -> bool:
        point = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= point <= self.end
        return point >= self.start or point <= self.end

    def changes_on(self, day: date) -> bool:
        """Today is the first day in or the first day out: every open case's reasons change."""
        return self.contains(day) != self.contains(day - timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.start[0]}月{self.start[1]}日至{self.end[0]}月{self.end[1]}日"


SEASON_FORMAT = re.compile(r"^(\d{2})-(\d{2})\.\.(\d{2})-(\d{2})$")


def parse_season(text: Any) -> SeasonWindow | None:
    """"12-01..02-15" -> the window; empty -> no season. Anything else is a configuration error."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    match = SEASON_FORMAT.match(str(text).strip())
    if match is None:
        raise ValueError(f"SEASON_WINDOW 应写成 MM-DD..MM-DD（例如 {DEFAULT_SEASON}），"
                         f"现在是 {text!r}")
    numbers = [int(part) for part in match.groups()]
    try:  # a leap year, so 02-29 is allowed
        date(2000, numbers[0], numbers[1])
        date(2000, numbers[2], numbers[3])
    except ValueError:
        raise ValueError(f"SEASON_WINDOW 里的日期不存在：{text!r}") from None
    return SeasonWindow((numbers[0], numbers[1]), (numbers[2], numbers[3]))


@dataclass(frozen=True)
class CaseSettings:
    """What configuration says about grouping and priority (config.py: COLLECTIVE_WINDOW_DAYS,
    SEASON_WINDOW)."""

    collective_window_days: int = DEFAULT_COLLECTIVE_WINDOW_DAYS
    season: SeasonWindow | None = field(default_factory=lambda: parse_season(DEFAULT_SEASON))


_settings: dict[tuple[Any, Any], CaseSettings] = {}


def settings_from(config: Mapping[str, Any]) -> CaseSettings:
    """Checked once per distinct configuration; a bad value raises ValueError naming it."""
    window = config.get("COLLECTIVE_WINDOW_DAYS", DEFAULT_COLLECTIVE_WINDOW_DAYS)
    season = config.get("SEASON_WINDOW", DEFAULT_SEASON)
    key = (window, season)
    found = _settings.get(key)
    if found is None:
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 365:
            raise ValueError(f"COLLECTIVE_WINDOW_DAYS 应为1到365之间的整数天数，现在是 {window!r}")
        found = _settings[key] = CaseSettings(window, parse_season(season))
    return found


def case_settings() -> CaseSettings:
    """The current application's settings (the defaults outside an application)."""
    from flask import current_app, has_app_context
    return settings_from(current_app.config if has_app_context() else {})


# --- factors ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    key: str  # one of FACTOR_ORDER
    score: int
    reason: str
    rank: int = ROUTINE  # the tier this alone puts a case in


@dataclass(frozen=True)
class Wage:
    """The local monthly minimum wage a case is measured against, and where it comes from."""

    monthly_fen: int
    borrowed_from: str | None = None  # a city's or province's name when the county has none


@dataclass(frozen=True)
class CaseContext:
    """What a case's priority needs beyond its reports."""

    other_boss_cases: int = 0  # other cases within REPEAT_DAYS naming the same boss
    other_contractor_sites: int = 0  # the contractor's other sites with cases within REPEAT_DAYS
    wage: Wage | None = None
    season: SeasonWindow | None = None


def _limit_factor(facts: LimitFacts, today: date, limit: TimeLimit | None) -> Factor | None:
    """Time limits (`limit`: the facts' governing limit): the closer, the higher. A limit that
    seems past is never demoted below "no money for food": a demand for pay restarts the year
    and the employer must raise the limit (LDMAL art. 27), so it needs prompt review."""
    if limit is None:
        if facts.award_kind and facts.award_date is None:
            return Factor("limit", 60, "已收到裁决书或判决书，收到日期不明：起诉期限只有15天，需尽快核实",
                          URGENT)
        if facts.end_unknown:
            return Factor("limit", 60, "离职时间不明，需尽快核实仲裁时效", PRIORITY)
        return None
    days = limit.days_left(today)
    note = "（按离职月份的1日估算）" if limit.estimated else ""
    note += "（含未公布年份的节假日，暂定）" if limit.provisional else ""
    when = f"{limit.label}最后一天 {limit.last_day.isoformat()}，{days_left_text(days)}{note}"
    before_review = f"{when}：可先行提供法律援助（法律援助法第44条）"
    if limit.kind != ARBITRATION:
        if days < 0:
            return Factor("limit", 60, f"{when}：需尽快核实送达日期（劳动争议调解仲裁法第48条、第50条）",
                          PRIORITY)
        return Factor("limit", 100, before_review, URGENT)
    if days < 0:
        return Factor("limit", 65, f"{when}：如曾讨要工资或老板答应支付，时效重新计算，需尽快核实"
                                   "（劳动争议调解仲裁法第27条）", PRIORITY)
    if days < AID_BEFORE_REVIEW_DAYS:
        return Factor("limit", 100, before_review, URGENT)
    if days <= CLOSE_DAYS:
        return Factor("limit", 60, f"{when}（劳动争议调解仲裁法第27条）", PRIORITY)
    return None


def workers_factor(count: int) -> Factor | None:
    if count >= MAJOR_AT:
        return Factor("workers", 70, f"{count}人被欠薪，重大群体性案件", URGENT)
    if count >= COLLECTIVE_AT:
        return Factor("workers", 50, f"{count}人被欠薪，群体性案件", PRIORITY)
    if count >= 3:
        return Factor("workers", 20, f"{count}人被欠薪")
    return None


VULNERABLE_FACTORS = {
    "minor": Factor("minor", 40, "涉及未满18岁的未成年人", URGENT),
    "elderly": Factor("elderly", 30, "60岁以上的老年工人", PRIORITY),
    "disabled": Factor("disabled", 30, "有残疾的工人", PRIORITY),
}


def lead_factors(lead: Any, today: date, context: CaseContext | None = None, *,
                 limit: Any = None) -> list[Factor]:
    """What one report says that makes it urgent. `lead` is a stored Lead, a LeadInput or a
    row with the same attribute names; `limit`, its governing limit when already known."""
    context = context or CaseContext()
    in_season = context.season is not None and context.season.contains(today)
    urgent = getattr(lead, "urgent", None) or ()
    factors: list[Factor] = []
    if "conflict" in urgent:
        factors.append(Factor("conflict", 80, "发生冲突或受到威胁", URGENT))
    if "no_money" in urgent:
        # Before the Spring Festival "no money to go home" is the emergency of the year.
        factors.append(Factor("no_money", 60, "没钱吃饭或回家", URGENT if in_season else PRIORITY))
    facts = facts_of(lead)
    timed = _limit_factor(facts, today, governing_limit(facts) if limit is None else limit or None)
    if timed is not None:
        factors.append(timed)
    workers = workers_factor(getattr(lead, "workers_affected", None) or 1)
    if workers is not None:
        factors.append(workers)
    for key in getattr(lead, "vulnerable", None) or ():
        if key in VULNERABLE_FACTORS:
            factors.append(VULNERABLE_FACTORS[key])
    amount = getattr(lead, "amount_owed_fen", None)
    if amount is not None:
        if amount >= 100_000 * 100:
            factors.append(Factor("amount", 20, "欠薪金额10万元以上"))
        elif amount >= 20_000 * 100:
            factors.append(Factor("amount", 10, "欠薪金额2万元以上"))
        wage = _wage_factor(amount, context.wage)
        if wage is not None:
            factors.append(wage)
    if "iou" in (getattr(lead, "evidence", None) or ()):
        factors.append(Factor("iou", 0, "有工资欠条：可直接向法院起诉（劳动争议司法解释（一）第15条）"))
    if getattr(lead, "wants", None) == "legal_aid":
        factors.append(Factor("legal_aid", 5, "申请法律援助"))
    return factors


def _wage_factor(amount_fen: int, wage: Wage | None) -> Factor | None:
    """The amount against the local monthly minimum wage: months of a living wage withheld."""
    if wage is None or wage.monthly_fen <= 0:
        return None
    months = amount_fen // wage.monthly_fen
    if months < 3:
        return None
    source = f"（按{wage.borrowed_from}的标准）" if wage.borrowed_from else ""
    reason = f"欠薪相当于当地{months}个月以上的最低工资{source}"
    return Factor("wage", 20, reason, PRIORITY) if months >= 6 else Factor("wage", 10, reason)


def context_factors(context: CaseContext, today: date) -> list[Factor]:
    """What only the case knows: other cases of the same boss or contractor, and the season."""
    factors = []
    if context.other_boss_cases >= 1:
        factors.append(Factor("repeat_boss", 20,
                              f"同一老板近{REPEAT_DAYS}天还有{_count_text(context.other_boss_cases)}其他案件",
                              PRIORITY))
    if context.other_contractor_sites >= REPEAT_CONTRACTOR_SITES:
        sites = context.other_contractor_sites
        many = f"{REPEAT_CAP}个以上" if sites >= REPEAT_CAP else f"{sites}个"
        factors.append(Factor("repeat_contractor", 10,
                              f"同一施工总承包单位近{REPEAT_DAYS}天在另外{many}工地也有欠薪案件",
                              PRIORITY))
    if context.season is not None and context.season.contains(today):
        factors.append(Factor("season", 10, f"春节前集中治理欠薪期间（{context.season.label}）"))
    return factors


def _count_text(count: int) -> str:
    return f"{REPEAT_CAP}件以上" if count >= REPEAT_CAP else f"{count}件"


def score_rank(score: int) -> int:
    """The tier the score alone reaches (several lesser reasons together)."""
    if score >= 120:
        return URGENT
    if score >= 50:
        return PRIORITY
    return ROUTINE


def priority_for(lead: Any, today: date) -> tuple[int, list[str]]:
    """A score for ordering the queue, and the reasons a person reads beside it, for one report
    on its own. `lead` is a stored Lead or a LeadInput (the same attribute names)."""
    factors = lead_factors(lead, today)
    return sum(f.score for f in factors), [f.reason for f in factors]


def worker_identity(lead: Any) -> str | None:
    """Who made a report, as the keyed hash of their phone (nothing is decrypted): a stored
    lead or row has it; a report about to be stored is hashed here."""
    if hasattr(lead, "phone_hash"):
        return lead.phone_hash  # type: ignore[no-any-return]
    phone = getattr(lead, "phone", None)
    if not phone:
        return None
    from wagechannel.crypto import keyring
    return keyring().digest(phone)


def workers_for(leads: Sequence[Any]) -> int:
    """How many workers a case stands for: the workers who reported (one phone, one worker),
    or the most any one report names, whichever is more. Never the sum of what each says:
    workers of one crew who each report "12 of us" are 12, not 144; a crew's spokesman who
    says "23" is 23 however few of the others report."""
    identities = [worker_identity(lead) for lead in leads]
    reported = len({identity for identity in identities if identity}) \
        + sum(1 for identity in identities if not identity)
    named = max((getattr(lead, "workers_affected", None) or 1 for lead in leads), default=1)
    return max(reported, named)


def collective_level_for(workers: int) -> str | None:
    if workers >= MAJOR_AT:
        return "major"
    if workers >= COLLECTIVE_AT:
        return "collective"
    return None


PRIORITY_FIELDS = ("priority", "priority_reasons", "limitation_end", "limitation_kind",
                   "limitation_provisional", "tier", "tier_rank", "worker_count",
                   "collective_level")


def case_priority(leads: Sequence[Any], today: date,
                  context: CaseContext | None = None) -> dict[str, Any]:
    """A case's priority, reasons, tier, worker count and nearest time limit, from its leads."""
    context = context or CaseContext()
    workers = workers_for(leads)
    strongest: dict[str, Factor] = {}
    # Each report's governing limit once (working-day arithmetic is the costly part); False: none.
    limits = [governing_limit(facts_of(lead)) for lead in leads]
    for lead, limit in zip(leads, limits):
        for factor in lead_factors(lead, today, context, limit=limit or False):
            if factor.key == "workers":
                continue  # the case's own count below
            if factor.key not in strongest or factor.score > strongest[factor.key].score:
                strongest[factor.key] = factor
    for factor in [workers_factor(workers), *context_factors(context, today)]:
        if factor is not None:
            strongest[factor.key] = factor
    factors = sorted(strongest.values(), key=lambda f: FACTOR_ORDER.index(f.key))
    score = sum(f.score for f in factors)
    rank = min([score_rank(score), *(f.rank for f in factors)])
    known = [limit for limit in limits if limit]
    nearest = min(known, key=lambda limit: limit.last_day) if known else None
    return {"priority": score, "priority_reasons": [f.reason for f in factors],
            "limitation_end": nearest.last_day if nearest else None,
            "limitation_kind": nearest.kind if nearest else None,
            "limitation_provisional": bool(nearest and nearest.provisional),
            "tier": TIER_OF_RANK[rank], "tier_rank": rank, "worker_count": workers,
            "collective_level": collective_level_for(workers)}


def apply_priority(case: Case, leads: Sequence[Any], today: date, *,
                   context: CaseContext | None = None) -> bool:
    """Set a case's priority fields (tier and worker count with them) from its leads; True if
    anything changed. Without a context, the case's own (case_contexts) is not looked up:
    pass one wherever the session is at hand."""
    if not leads:
        return False
    values = case_priority(leads, today, context)
    if all(getattr(case, name) == values[name] for name in PRIORITY_FIELDS):
        return False
    for name in PRIORITY_FIELDS:
        setattr(case, name, values[name])
    return True


def reprioritise(session: Session, case: Case, today: date) -> bool:
    """Recompute one case from its leads and context (after a merge or a split). Flushes."""
    session.flush()
    session.refresh(case, ["leads"])
    changed = apply_priority(case, case.leads, today,
                             context=case_contexts(session, [case], today)[case.id])
    session.flush()
    return changed


# --- context: the minimum wage and the same boss or contractor elsewhere -----------------------

# Wages change when an administrator edits a region or a project: each process keeps them a
# minute, and forgets them at once after its own change.
_wages: ProcessCache[Wage | None] = ProcessCache("minimum wages")
watch(Region, Project)


def local_wage(session: Session, project_id: int | None, region_code: str | None) -> Wage | None:
    """The monthly minimum wage a case's site is measured against: the project's own figure,
    else its county's, else (named) its city's or province's."""
    from wagechannel.places.services import minimum_wage, region_minimum_wage

    def load() -> Wage | None:
        project = session.get(Project, project_id) if project_id is not None else None
        if project is not None:
            standard = minimum_wage(session, project)
        elif region_code is not None:
            standard = region_minimum_wage(session, region_code)
        else:
            return None
        if standard.monthly_fen is None:
            return None
        borrowed = standard.region.name if standard.is_fallback and standard.region else None
        return Wage(standard.monthly_fen, borrowed)
    return _wages.get((project_id, region_code), load)


def repeat_since(today: date) -> datetime:
    """The first moment that counts as "within 90 days" (local midnight, in UTC)."""
    return datetime.combine(today - timedelta(days=REPEAT_DAYS), time(), CHINA)


def case_contexts(session: Session, cases: Sequence[Case], today: date,
                  settings: CaseSettings | None = None) -> dict[int, CaseContext]:
    """Each case's context, for a batch in one aggregate query (the cases at the contractors'
    sites within 90 days, by site and boss) plus the minimum wages (cached per process)."""
    settings = settings or case_settings()
    project_ids = {case.project_id for case in cases if case.project_id is not None}
    contractor_of: dict[int, int] = {
        project_id: contractor_id for project_id, contractor_id in session.execute(
            select(Project.id, Project.contractor_id).where(Project.id.in_(project_ids)))
    } if project_ids else {}
    since = repeat_since(today)
    # (contractor, site, boss) -> cases
    counts: dict[tuple[int, int, str | None], int] = {}
    if contractor_of:
        rows = session.execute(
            select(Project.contractor_id, Case.project_id, Case.employer_key, func.count(Case.id))
            .join(Project, Project.id == Case.project_id)
            .where(Project.contractor_id.in_(set(contractor_of.values())),
                   Case.created_at >= since)
            .group_by(Project.contractor_id, Case.project_id, Case.employer_key))
        counts = {(contractor, site, key): int(count) for contractor, site, key, count in rows}
    contexts = {}
    for case in cases:
        contractor = contractor_of.get(case.project_id) if case.project_id else None
        itself = 1 if case.created_at is not None and case.created_at >= since else 0
        sites = boss_cases = 0
        if contractor is not None:
            sites = len({site for (c, site, _k) in counts if c == contractor
                         and site != case.project_id})
            if case.employer_key:
                boss_cases = sum(n for (c, _s, k), n in counts.items()
                                 if c == contractor and k == case.employer_key) - itself
        contexts[case.id] = CaseContext(
            other_boss_cases=min(REPEAT_CAP, max(0, boss_cases)),
            other_contractor_sites=min(REPEAT_CAP, sites),
            wage=local_wage(session, case.project_id, case.region_code), season=settings.season)
    return contexts


# --- the daily refresh -----------------------------------------------------------------------

REFRESH_BATCH = 500


def _repeat_changed_projects(today: date) -> Any:
    """Projects whose contractor's "other cases within 90 days" may have changed since the last
    run: a case opened in the last two days (a missed night included), or one leaving the
    window today."""
    entered = datetime.combine(today - timedelta(days=2), time(), CHINA)
    left_from = repeat_since(today - timedelta(days=2))
    contractors = (select(Project.contractor_id).join(Case, Case.project_id == Project.id)
                   .where(or_(Case.created_at >= entered,
                              and_(Case.created_at >= left_from,
                                   Case.created_at < repeat_since(today)))))
    return select(Project.id).where(Project.contractor_id.in_(contractors))


def refresh_priorities(session: Session, today: date, *, after_id: int = 0,
                       batch: int = REFRESH_BATCH,
                       settings: CaseSettings | None = None) -> tuple[int, int | None]:
    """Recompute one batch of the open cases whose reasons can change today: those whose
    nearest limit is within CLOSE_DAYS or past (the days left are in their reasons), those of a
    contractor with a case entering or leaving the 90 days, and on the first day in or out of
    the season window every open case. Returns (cases changed, the id to continue after, or
    None when done); leads come in one statement per batch and the context in one more.
    Flushes, never commits."""
    settings = settings or case_settings()
    if settings.season is not None and settings.season.changes_on(today):
        changing: Any = true()
    else:
        changing = or_(and_(Case.limitation_end.is_not(None),
                            Case.limitation_end <= today + timedelta(days=CLOSE_DAYS)),
                       Case.project_id.in_(_repeat_changed_projects(today)))
    cases = list(session.scalars(
        select(Case).options(selectinload(Case.leads))
        .where(Case.status.in_(OPEN_STATUSES), changing, Case.id > after_id)
        .order_by(Case.id).limit(batch)))
    contexts = case_contexts(session, cases, today, settings) if cases else {}
    changed = sum(apply_priority(case, case.leads, today, context=contexts[case.id])
                  for case in cases)
    session.flush()
    return changed, cases[-1].id if len(cases) == batch else None


def tier_label(tier: str | None) -> str:
    from wagechannel.cases.models import TIERS
    return TIERS.get(tier or "routine", "常规")


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
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (Integer, String, and_, bindparam, cast, column, distinct, func,
                        literal_column, null, or_, select, union, union_all, update, values)
from sqlalchemy import case as case_
from sqlalchemy.orm import Session

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
_case, _project = Case.__table__, Project.__table__


def _wage_of(standard: Any) -> Wage | None:
    """A places.services.WageStandard as the priority reads it."""
    if standard.monthly_fen is None:
        return None
    borrowed = standard.region.name if standard.is_fallback and standard.region else None
    return Wage(standard.monthly_fen, borrowed)


def local_wage(session: Session, project_id: int | None, region_code: str | None) -> Wage | None:
    """The monthly minimum wage a case's site is measured against: the project's own figure,
    else its county's, else (named) its city's or province's."""
    from wagechannel.places.services import minimum_wage, region_minimum_wage

    def load() -> Wage | None:
        project = session.get(Project, project_id) if project_id is not None else None
        if project is not None:
            return _wage_of(minimum_wage(session, project))
        if region_code is not None:
            return _wage_of(region_minimum_wage(session, region_code))
        return None
    return _wages.get((project_id, region_code), load)


def repeat_since(today: date) -> datetime:
    """The first moment that counts as "within 90 days" (local midnight, in UTC)."""
    return datetime.combine(today - timedelta(days=REPEAT_DAYS), time(), CHINA)


@dataclass(frozen=True)
class RepeatCounts:
    """Cases within REPEAT_DAYS at some contractors' sites, counted in the database: each
    contractor's sites with such a case, which of the asked-for sites have one, and the cases
    per (contractor, boss)."""

    sites: Mapping[int, int]
    present: frozenset[int]
    bosses: Mapping[tuple[int, str], int]

    def context(self, *, project_id: int | None, contractor_id: int | None,
                employer_key: str | None, created_at: datetime | None, since: datetime,
                wage: Wage | None, season: SeasonWindow | None) -> CaseContext:
        sites = boss_cases = 0
        if contractor_id is not None:
            sites = self.sites.get(contractor_id, 0) - (project_id in self.present)
            if employer_key:
                itself = 1 if created_at is not None and created_at >= since else 0
                boss_cases = self.bosses.get((contractor_id, employer_key), 0) - itself
        return CaseContext(other_boss_cases=min(REPEAT_CAP, max(0, boss_cases)),
                           other_contractor_sites=min(REPEAT_CAP, max(0, sites)),
                           wage=wage, season=season)


def repeat_counts(session: Session, sites: Iterable[tuple[int, int, str | None]],
                  since: datetime) -> RepeatCounts:
    """For cases at these (project, contractor, boss) sites, the cases within the window that
    their context counts: one statement (three aggregates in a UNION ALL), however many cases
    the contractors have."""
    sites = list(sites)
    if not sites:
        return RepeatCounts({}, frozenset(), {})
    projects = sorted({project for project, _contractor, _key in sites})
    contractors = sorted({contractor for _project_id, contractor, _key in sites})
    keys = sorted({key for _project_id, _contractor, key in sites if key})
    case, project = _case.c, _project.c
    at_sites = _case.join(_project, project.id == case.project_id)
    recent = case.created_at >= since
    no_key = cast(null(), String).label("key")
    statement = union_all(
        select(literal_column("0").label("part"), project.contractor_id.label("ref"), no_key,
               func.count(distinct(case.project_id)).label("n"))
        .select_from(at_sites).where(project.contractor_id.in_(contractors), recent)
        .group_by(project.contractor_id),
        select(literal_column("1"), case.project_id, cast(null(), String), func.count())
        .where(case.project_id.in_(projects), recent).group_by(case.project_id),
        select(literal_column("2"), project.contractor_id, case.employer_key, func.count())
        .select_from(at_sites)
        .where(project.contractor_id.in_(contractors), case.employer_key.in_(keys), recent)
        .group_by(project.contractor_id, case.employer_key))
    counted: dict[int, int] = {}
    present: set[int] = set()
    bosses: dict[tuple[int, str], int] = {}
    for part, ref, key, count in session.execute(statement):
        if part == 0:
            counted[ref] = int(count)
        elif part == 1:
            present.add(ref)
        else:
            bosses[ref, key] = int(count)
    return RepeatCounts(counted, frozenset(present), bosses)


def case_contexts(session: Session, cases: Sequence[Case], today: date,
                  settings: CaseSettings | None = None) -> dict[int, CaseContext]:
    """Each case's context (after a merge or a split): the projects' contractors in one
    statement, the cases counted in one more (repeat_counts), the minimum wages cached per
    process."""
    settings = settings or case_settings()
    project_ids = {case.project_id for case in cases if case.project_id is not None}
    contractor_of: dict[int, int] = {
        project_id: contractor_id for project_id, contractor_id in session.execute(
            select(Project.id, Project.contractor_id).where(Project.id.in_(project_ids)))
    } if project_ids else {}
    since = repeat_since(today)
    counts = repeat_counts(session, [(case.project_id, contractor_of[case.project_id],
                                      case.employer_key) for case in cases
                                     if case.project_id in contractor_of], since)
    return {case.id: counts.context(
        project_id=case.project_id, contractor_id=contractor_of.get(case.project_id or 0),
        employer_key=case.employer_key, created_at=case.created_at, since=since,
        wage=local_wage(session, case.project_id, case.region_code), season=settings.season)
        for case in cases}


# --- the daily refresh -----------------------------------------------------------------------

REFRESH_BATCH = 500
# A case's row as the refresh reads it: what its context needs (its project's contractor and
# own minimum wage joined) and the priority fields as stored, to write only what changed.
_REFRESH_ROWS = (_case.c.id, _case.c.status, _case.c.project_id, _case.c.region_code,
                 _case.c.employer_key, _case.c.created_at,
                 *(_case.c[name] for name in PRIORITY_FIELDS),
                 _project.c.id.label("site_id"), _project.c.contractor_id,
                 _project.c.region_code.label("site_region_code"),
                 _project.c.minimum_wage_monthly_fen.label("own_monthly_fen"),
                 _project.c.minimum_wage_hourly_fen.label("own_hourly_fen"))
_REFRESH_UPDATE = (update(_case).where(_case.c.id == bindparam("r_id"))
                   .values({name: bindparam(f"r_{name}")
                            for name in (*PRIORITY_FIELDS, "updated_at")}))


@dataclass(frozen=True)
class RepeatWindow:
    """The cases within REPEAT_DAYS counted (what each case's context reads), and whose counts
    may have changed since the last run: contractors (their other sites) and (contractor,
    boss) pairs (the boss's other cases); see refresh_selection, 2 and 3."""

    counts: RepeatCounts
    contractors: frozenset[int]
    bosses: frozenset[tuple[int, str]]


def repeat_window(session: Session, today: date) -> RepeatWindow:
    """One aggregate over the cases opened since two days before the window's start (by
    ix_legal_case_created_at), per contractor, site and boss, in three stretches: leaving the
    window in the last two days, within it at the last run and today ("between"), and opened
    since the start of the day before yesterday ("recent")."""
    recent = datetime.combine(today - timedelta(days=2), time(), CHINA)
    since, left_from = repeat_since(today), repeat_since(today - timedelta(days=2))
    case, project = _case.c, _project.c

    def stretch(*conditions: Any) -> Any:
        return func.sum(case_((and_(*conditions), 1), else_=0))

    rows = session.execute(
        select(project.contractor_id, case.project_id, case.employer_key,
               stretch(case.created_at < since),
               stretch(case.created_at >= since, case.created_at < recent),
               stretch(case.created_at >= recent))
        .select_from(_case.join(_project, project.id == case.project_id))
        .where(case.created_at >= left_from)
        .group_by(project.contractor_id, case.project_id, case.employer_key))
    owner: dict[int, int] = {}
    site_now: dict[int, int] = {}  # project -> cases within the window today
    site_between: dict[int, int] = {}
    site_moved: set[int] = set()  # a case opened lately or leaving
    boss_now: dict[tuple[int, str], int] = {}
    boss_between: dict[tuple[int, str], int] = {}
    boss_moved: set[tuple[int, str]] = set()
    for contractor, site, key, left, between, opened in rows:
        left, between, opened = int(left or 0), int(between or 0), int(opened or 0)
        owner[site] = contractor
        site_now[site] = site_now.get(site, 0) + between + opened
        site_between[site] = site_between.get(site, 0) + between
        if left or opened:
            site_moved.add(site)
        if key is not None:
            pair = (contractor, key)
            boss_now[pair] = boss_now.get(pair, 0) + between + opened
            boss_between[pair] = boss_between.get(pair, 0) + between
            if left or opened:
                boss_moved.add(pair)
    present = frozenset(site for site, count in site_now.items() if count)
    sites: dict[int, int] = {}
    steady: dict[int, int] = {}
    for site in present:
        sites[owner[site]] = sites.get(owner[site], 0) + 1
    for site, count in site_between.items():
        if count:
            steady[owner[site]] = steady.get(owner[site], 0) + 1
    contractors = frozenset(owner[site] for site in site_moved if not site_between[site]
                            and steady.get(owner[site], 0) <= REPEAT_CAP)
    bosses = frozenset(pair for pair in boss_moved if boss_between[pair] <= REPEAT_CAP)
    counts = RepeatCounts(sites, present, {pair: n for pair, n in boss_now.items() if n})
    return RepeatWindow(counts, contractors, bosses)


def refresh_selection(today: date, settings: CaseSettings, window: RepeatWindow) -> Any:
    """The ids of the open cases whose reasons can change today, in order (a statement;
    `window` from repeat_window). Nothing else in a case's priority depends on the date:

    1. Its nearest time limit is within CLOSE_DAYS or past (`limitation_end`, the nearest of
       its reports' limits, kept on the row): the days left or past are in its reasons, and
       the score steps at AID_BEFORE_REVIEW_DAYS and at the last day. A limit further away
       gives no reason at all, and enters the window on a day this condition already holds.
    2. The other cases of its boss at its contractor's sites within REPEAT_DAYS may have
       changed in number since the last run: a case of that (contractor, boss) was opened
       since the start of the day before yesterday (a missed night included) or left the
       window in the last two days. Not when that boss had more than REPEAT_CAP cases there
       opened between the two: the count shown is capped and stays "10件以上".
    3. Its contractor's other sites with a case within REPEAT_DAYS may have changed in
       number: a site of the contractor with a case opened or leaving as in 2 and no case
       opened between the two (a site with one stays counted). Not when the contractor has
       more than REPEAT_CAP sites with a case opened between the two (capped, as in 2).
    4. It was opened since the start of the day before yesterday: its own context was worked
       out as its first report came in, from counts each process keeps a minute
       (collective.other_sites).
    5. On the first day in or out of the season window, every open case (the season reason,
       and "no money for food" is urgent only in the season).

    Reports added, merges, splits and edits recompute their cases when they happen; a changed
    minimum wage or calendar entry is not a change of date and waits for its case's next
    recomputation. The cases of 2 are found from each pair through the contractor's projects
    and ix_legal_case_grouping, never by testing every open case against every pair."""
    case, project = _case.c, _project.c
    is_open = case.status.in_(OPEN_STATUSES)
    if settings.season is not None and settings.season.changes_on(today):
        return select(case.id).where(is_open).order_by(case.id)
    recent = datetime.combine(today - timedelta(days=2), time(), CHINA)
    dated = (select(case.id).select_from(_case.outerjoin(_project, project.id == case.project_id))
             .where(is_open, or_(and_(case.limitation_end.is_not(None),
                                      case.limitation_end <= today + timedelta(days=CLOSE_DAYS)),
                                 case.created_at >= recent,
                                 project.contractor_id.in_(sorted(window.contractors)))))
    if not window.bosses:
        return dated.order_by(case.id)
    pairs = (values(column("contractor_id", Integer), column("employer_key", String),
                    name="changed_boss").data(sorted(window.bosses)).cte("changed_boss"))
    bosses = (select(case.id)
              .select_from(pairs.join(_project, project.contractor_id == pairs.c.contractor_id)
                           .join(_case, and_(case.project_id == project.id,
                                             case.employer_key == pairs.c.employer_key)))
              .where(is_open))
    chosen = union(dated, bosses).subquery("chosen")
    return select(chosen.c.id).order_by(chosen.c.id)


@dataclass(frozen=True)
class RefreshRun:
    """What a run works out on its first batch and its next batches read: the cases it
    recomputes, and the cases within the window counted. A case opened during the run is
    opened "since the day before yesterday" at the next run as well."""

    ids: list[int]
    counts: RepeatCounts


_runs: dict[date, RefreshRun] = {}


def refresh_run(session: Session, today: date, settings: CaseSettings, *,
                first: bool) -> RefreshRun:
    """The run of `today`: worked out afresh on its first batch (two statements:
    repeat_window, then refresh_selection), kept for the next."""
    run = _runs.get(today)
    if first or run is None:
        window = repeat_window(session, today)
        ids = list(session.scalars(refresh_selection(today, settings, window)))
        _runs.clear()
        run = _runs[today] = RefreshRun(ids, window.counts)
    return run


def _batch_wages(session: Session, rows: Sequence[Any]) -> dict[tuple[Any, Any], Wage | None]:
    """local_wage for a batch of refresh rows: the project's own figures are on the row, the
    regions above the sites in one statement."""
    from wagechannel.places.services import WageStandard, region_minimum_wages

    def own(row: Any) -> bool:
        return row.own_monthly_fen is not None or row.own_hourly_fen is not None

    codes = {row.site_region_code if row.site_id is not None else row.region_code
             for row in rows if not (row.site_id is not None and own(row))}
    standards = region_minimum_wages(session, {code for code in codes if code})
    wages: dict[tuple[Any, Any], Wage | None] = {}
    for row in rows:
        if row.site_id is not None and own(row):
            wage = _wage_of(WageStandard(row.own_monthly_fen, row.own_hourly_fen, "project"))
        else:
            code = row.site_region_code if row.site_id is not None else row.region_code
            wage = _wage_of(standards[code]) if code else None
        wages[row.project_id, row.region_code] = wage
    return wages


def refresh_priorities(session: Session, today: date, *, after_id: int = 0,
                       batch: int = REFRESH_BATCH,
                       settings: CaseSettings | None = None) -> tuple[int, int | None]:
    """Recompute one batch of the open cases whose reasons can change today (refresh_selection
    says which, and why). Returns (cases changed, the id to continue after, or None when done).

    Four statements a batch, whatever the data: the batch's cases by id, with their projects'
    contractor and own minimum wage; their reports' priority columns; the regions above the
    sites (minimum wages); one executemany UPDATE of the rows that changed. A run's first
    batch (after_id 0) sends two more (refresh_run): the cases within the window counted
    (repeat_window), and the ids of the cases to recompute (refresh_selection), both kept for
    the run's next batches. Never commits; cases of the session that were rewritten are
    expired, so they read the new values."""
    from wagechannel.cases.collective import LEAD_PRIORITY_COLUMNS
    from wagechannel.db import utcnow
    from wagechannel.intake.models import Lead

    settings = settings or case_settings()
    run = refresh_run(session, today, settings, first=after_id == 0)
    start = bisect_right(run.ids, after_id)
    ids = run.ids[start:start + batch]
    if not ids:
        return 0, None
    rows = list(session.execute(
        select(*_REFRESH_ROWS)
        .select_from(_case.outerjoin(_project, _project.c.id == _case.c.project_id))
        .where(_case.c.id.in_(ids)).order_by(_case.c.id)))
    lead = Lead.__table__.c
    leads: dict[int, list[Any]] = {}
    for found in session.execute(
            select(lead.case_id, *(lead[name] for name in LEAD_PRIORITY_COLUMNS))
            .where(lead.case_id.in_(ids)).order_by(lead.case_id, lead.id)):
        leads.setdefault(found.case_id, []).append(found)
    wages = _batch_wages(session, rows)
    since = repeat_since(today)
    now = utcnow()
    changes = []
    for row in rows:
        if row.id not in leads or row.status not in OPEN_STATUSES:
            continue
        context = run.counts.context(project_id=row.project_id, contractor_id=row.contractor_id,
                                     employer_key=row.employer_key, created_at=row.created_at,
                                     since=since, wage=wages[row.project_id, row.region_code],
                                     season=settings.season)
        values_ = case_priority(leads[row.id], today, context)
        if any(getattr(row, name) != values_[name] for name in PRIORITY_FIELDS):
            changes.append({"r_id": row.id, "r_updated_at": now,
                            **{f"r_{name}": values_[name] for name in PRIORITY_FIELDS}})
    if changes:
        session.execute(_REFRESH_UPDATE, changes)
        for change in changes:
            held = session.identity_map.get(session.identity_key(Case, change["r_id"]))
            if held is not None:
                session.expire(held, [*PRIORITY_FIELDS, "updated_at"])
    more = start + batch < len(run.ids)
    return len(changes), ids[-1] if more else None


def tier_label(tier: str | None) -> str:
    from wagechannel.cases.models import TIERS
    return TIERS.get(tier or "routine", "常规")


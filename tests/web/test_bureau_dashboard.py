"""The liaison's dashboard (/bureau): every number against a count computed here from the rows
themselves (in Python, not through the dashboard's SQL), every list behind a number holding
exactly what the number counts, the bureau's regions as the limit of everything a liaison sees,
bad filters answered with a message, and the same statements at two data sizes."""
from __future__ import annotations

import html
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tests.conftest import login
from wagechannel.accounts.models import AuditEvent
from wagechannel.boards.models import Board, BoardScan
from wagechannel.bureau.aggregates import BUREAU_RULES, GREEN_RULES, duration_text
from wagechannel.cases.collective import employer_key
from wagechannel.cases.models import Case, CaseContact, Referral
from wagechannel.clock import local_today
from wagechannel.deadlines.models import Deadline
from wagechannel.demo import load_scale
from wagechannel.intake.models import Lead, LeadMessage
from wagechannel.intake.services import Site, store_report
from wagechannel.intake.validation import parse_lead
from wagechannel.money import yuan
from wagechannel.places.models import Project
from wagechannel.places.services import create_project

CHINA = ZoneInfo("Asia/Shanghai")
TODAY = local_today()
LONG = {"from": (TODAY - timedelta(days=800)).isoformat(), "to": TODAY.isoformat()}


# --- the truth, computed here -------------------------------------------------------------------

def local_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date()


def inside(code: str | None, scope: list[str] | None) -> bool:
    """GB/T 2260: a province XX0000 covers XX...., a city XXXX00 covers XXXX.., a county itself."""
    if scope is None:
        return True
    if code is None:
        return False
    for outer in scope:
        prefix = outer[:2] if outer.endswith("0000") else outer[:4] if outer.endswith("00") \
            else outer
        if code.startswith(prefix):
            return True
    return False


@dataclass
class Truth:
    leads: list[Any]
    cases: dict[int, Any]
    contractor_of: dict[int, int]
    start: date
    end: date
    scope: list[str] | None
    narrow: dict[str, Any]

    def in_period(self, moment: datetime | None) -> bool:
        day = local_day(moment)
        return day is not None and self.start <= day <= self.end

    def case_ok(self, case: Any) -> bool:
        narrow = self.narrow
        if case.outcome == "merged" or not inside(case.region_code, self.scope):
            return False
        if "project" in narrow and case.project_id != narrow["project"]:
            return False
        if "contractor" in narrow and \
                self.contractor_of.get(case.project_id) != narrow["contractor"]:
            return False
        if "tier" in narrow and case.tier != narrow["tier"]:
            return False
        if "state" in narrow and case.status != narrow["state"]:
            return False
        return True

    def lead_ok(self, lead: Any) -> bool:
        narrow = self.narrow
        if not self.in_period(lead.created_at) or not inside(lead.region_code, self.scope):
            return False
        if "project" in narrow and lead.project_id != narrow["project"]:
            return False
        if "contractor" in narrow and \
                self.contractor_of.get(lead.project_id) != narrow["contractor"]:
            return False
        if "tier" in narrow or "state" in narrow:
            case = self.cases.get(lead.case_id)
            if case is None or ("tier" in narrow and case.tier != narrow["tier"]) or \
                    ("state" in narrow and case.status != narrow["state"]):
                return False
        return True

    @property
    def reports(self) -> list[Any]:
        return [lead for lead in self.leads if self.lead_ok(lead)]

    @property
    def opened(self) -> list[Any]:
        return [case for case in self.cases.values()
                if self.case_ok(case) and self.in_period(case.created_at)]

    @property
    def closed(self) -> list[Any]:
        return [case for case in self.cases.values() if self.case_ok(case)
                and case.status == "closed" and self.in_period(case.closed_at)]


def truth(db: Any, scope: list[str] | None, start: date, end: date, **narrow: Any) -> Truth:
    leads = db.execute(select(Lead.id, Lead.created_at, Lead.region_code, Lead.project_id,
                              Lead.amount_owed_fen, Lead.case_id)).all()
    cases = {row.id: row for row in db.execute(select(
        Case.id, Case.created_at, Case.closed_at, Case.status, Case.tier, Case.outcome,
        Case.worker_count, Case.amount_recovered_fen, Case.region_code, Case.project_id,
        Case.accepted_at, Case.decided_at, Case.assigned_at, Case.employer_key,
        Case.legal_aid_org_id, Case.materials_requested_at, Case.materials_received_at))}
    projects = dict(db.execute(select(Project.id, Project.contractor_id)).all())
    return Truth(list(leads), cases, projects, start, end, scope, narrow)


def money(rows: list[Any], column: str) -> int:
    return sum(getattr(row, column) or 0 for row in rows)


# --- reading the page ---------------------------------------------------------------------------

def strong(page: str, element_id: str) -> str:
    match = re.search(rf'<strong id="{element_id}">(.*?)</strong>', page) or \
        re.search(rf'id="{element_id}".*?<strong[^>]*>(.*?)</strong>', page, re.S)
    assert match, f"no {element_id} on the page"
    return html.unescape(match.group(1)).strip()


def href(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>\s*<a href="([^"]+)"', page) or \
        re.search(rf'<a href="([^"]+)"[^>]*id="{element_id}"', page)
    assert match, f"no link at {element_id}"
    return html.unescape(match.group(1))


def every_page(client: Any, url: str, attribute: str) -> tuple[list[int], str]:
    """The ids (data-<attribute>) of every row of a paged list, and its first page."""
    first = client.get(url)
    assert first.status_code == 200, url
    text = first.get_data(as_text=True)
    ids = [int(v) for v in re.findall(rf'data-{attribute}="(\d+)"', text)]
    count = re.search(r"第1/(\d+)页", text)
    for number in range(2, int(count.group(1)) + 1 if count else 1):
        joined = f"{url}{'&' if '?' in url else '?'}page={number}"
        page = client.get(joined).get_data(as_text=True)
        ids += [int(v) for v in re.findall(rf'data-{attribute}="(\d+)"', page)]
    return ids, text


def query(**values: Any) -> str:
    from urllib.parse import urlencode
    return urlencode({key: value for key, value in values.items() if value is not None})


# --- data ---------------------------------------------------------------------------------------

@pytest.fixture()
def scaled(db, world):  # type: ignore[no-untyped-def]
    """Synthetic reports across 23 districts (440305 is the world liaison's county), three
    years of them, plus the world's own offices and sites."""
    load_scale(db, 900, seed=11)
    return world


def report(db: Any, world: Any, *, project: Any = None, region: str | None = None,
           boss: str = "王老板", amount: str = "5000", days_ago: int = 0,
           name: str = "张三", boss_phone: str | None = None) -> Case:
    project = project or world.project
    phone = f"139{abs(hash((boss, days_ago, amount, name))) % 10**8:08d}"
    data = parse_lead({"name": name, "phone": phone, "consent": True, "employer_name": boss,
                       "employer_phone": boss_phone,
                       "amount_owed": amount, "employment_status": "ended",
                       "work_end": (TODAY - timedelta(days=days_ago + 10)).isoformat()},
                      today=TODAY)
    receipt = store_report(db, data, site=Site(None, project.id, region or project.region_code),
                           channel="qr", today=TODAY)
    lead = db.get(Lead, receipt.lead_id)
    if days_ago:
        moment = datetime.now(timezone.utc) - timedelta(days=days_ago)
        db.execute(update(Lead).where(Lead.id == lead.id).values(created_at=moment))
        db.execute(update(Case).where(Case.id == lead.case_id).values(created_at=moment))
        db.commit()
    return db.get(Case, lead.case_id)


def close(db: Any, case: Case, *, days_ago: int, recovered: int | None = 300000) -> None:
    moment = datetime.now(timezone.utc) - timedelta(days=days_ago)
    db.execute(update(Case).where(Case.id == case.id).values(
        status="closed", closed_at=moment, outcome="recovered" if recovered else "withdrawn",
        amount_recovered_fen=recovered))
    db.commit()


# --- the headline numbers -----------------------------------------------------------------------

CASES = [("liaison", ["440305"], {}), ("admin", None, {}), ("admin", None, LONG),
         ("liaison", ["440305"], LONG), ("admin", None, {**LONG, "region": "440300"}),
         ("admin", None, {**LONG, "tier": "priority"}),
         ("admin", None, {**LONG, "state": "closed"})]


@pytest.mark.parametrize("user,scope,args", CASES)
def test_every_headline_number_equals_an_independent_count(client, db, scaled, user, scope,  # type: ignore[no-untyped-def]
                                                           args) -> None:
    login(client, user)
    response = client.get(f"/bureau?{query(**args)}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    start = date.fromisoformat(args["from"]) if "from" in args else \
        TODAY - timedelta(days=TODAY.weekday()) - timedelta(weeks=11)
    narrow = {key: args[key] for key in ("tier", "state") if key in args}
    region_scope = [args["region"]] if "region" in args else scope
    facts = truth(db, region_scope, start, TODAY, **narrow)
    reports, opened, closed = facts.reports, facts.opened, facts.closed
    if args:  # the long period has something in every number
        assert reports and opened and (closed or args.get("state") not in (None, "closed"))
    assert strong(page, "n-reports") == str(len(reports))
    assert strong(page, "n-claimed") == yuan(money(reports, "amount_owed_fen"))
    assert strong(page, "n-cases") == str(len(opened))
    assert strong(page, "n-workers") == str(money(opened, "worker_count"))
    assert strong(page, "n-closed") == str(len(closed))
    assert strong(page, "n-recovered") == yuan(money(closed, "amount_recovered_fen"))
    # each table counted with every filter but its own (a row's link chooses its value)
    states = Counter(c.status for c in truth(db, region_scope, start, TODAY, **{
        key: value for key, value in narrow.items() if key != "state"}).opened)
    tiers = Counter(c.tier for c in truth(db, region_scope, start, TODAY, **{
        key: value for key, value in narrow.items() if key != "tier"}).opened)
    for status in ("pending", "accepted", "decided", "assigned", "in_progress", "closed",
                   "refused"):
        assert re.search(rf'id="state-{status}">{states.get(status, 0)}<', page), status
    for tier in ("urgent", "priority", "routine"):
        assert re.search(rf'id="tier-{tier}">{tiers.get(tier, 0)}<', page), tier


def test_the_weekly_trend_counts_each_week(client, db, scaled) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    start = TODAY - timedelta(days=TODAY.weekday()) - timedelta(weeks=20)
    page = client.get(f"/bureau?from={start.isoformat()}").get_data(as_text=True)
    facts = truth(db, None, start, TODAY)
    by_week = Counter((local_day(lead.created_at) - start).days // 7 for lead in facts.reports)
    closed_by_week = Counter((local_day(case.closed_at) - start).days // 7
                             for case in facts.closed)
    rows = re.findall(r'<td data-label="时间">(\S+) 至 (\S+)</td>\s*'
                      r'<td class="num" data-label="收到反映"><a href="([^"]+)">(\d+)</a>.*?'
                      r'data-label="结案"><a href="[^"]+">(\d+)</a>', page, re.S)
    assert len(rows) == 21
    for week, (first, last, link, count, closed) in enumerate(rows):
        assert date.fromisoformat(first) == start + timedelta(weeks=week)
        assert int(count) == by_week.get(week, 0), first
        assert int(closed) == closed_by_week.get(week, 0), first
        if int(count):  # the bar's list holds that week's reports
            ids, _text = every_page(client, html.unescape(link), "lead")
            assert len(ids) == int(count)
    assert 'id="trend-chart"' in page and "<svg" in page and "<script" not in page


def test_each_number_links_to_the_list_behind_it(client, db, scaled) -> None:  # type: ignore[no-untyped-def]
    login(client, "liaison")
    page = client.get(f"/bureau?{query(**LONG)}").get_data(as_text=True)
    facts = truth(db, ["440305"], date.fromisoformat(LONG["from"]), TODAY)
    reports, text = every_page(client, href(page, "n-reports"), "lead")
    assert sorted(reports) == sorted(lead.id for lead in facts.reports)
    assert strong(text, "total-reports") == strong(page, "n-reports")
    assert strong(text, "total-claimed") == strong(page, "n-claimed")
    opened, text = every_page(client, href(page, "n-cases"), "case")
    assert sorted(opened) == sorted(case.id for case in facts.opened)
    assert strong(text, "total-workers") == strong(page, "n-workers")
    closed, text = every_page(client, href(page, "n-closed"), "case")
    assert sorted(closed) == sorted(case.id for case in facts.closed)
    assert strong(text, "total-recovered") == strong(page, "n-recovered")
    for status in ("closed", "in_progress", "refused"):
        ids, _text = every_page(client, href(page, f"state-{status}"), "case")
        assert sorted(ids) == sorted(c.id for c in facts.opened if c.status == status)
    for tier in ("urgent", "priority", "routine"):
        ids, _text = every_page(client, href(page, f"tier-{tier}"), "case")
        assert sorted(ids) == sorted(c.id for c in facts.opened if c.tier == tier)


@pytest.mark.parametrize("args", [{"tier": "urgent"}, {"state": "closed"},
                                  {"tier": "priority", "state": "in_progress"}])
def test_state_and_tier_rows_equal_the_lists_they_open_under_those_filters(  # type: ignore[no-untyped-def]
        client, db, scaled, args) -> None:
    login(client, "admin")
    page = client.get(f"/bureau?{query(**LONG, **args)}").get_data(as_text=True)
    start = date.fromisoformat(LONG["from"])
    shown = 0
    for facet, values in (("state", ("pending", "accepted", "decided", "assigned",
                                     "in_progress", "closed", "refused")),
                          ("tier", ("urgent", "priority", "routine"))):
        others = {key: value for key, value in args.items() if key != facet}
        opened = truth(db, None, start, TODAY, **others).opened
        for value in values:
            number = int(re.search(rf'id="{facet}-{value}">(\d+)<', page).group(1))
            expected = [c.id for c in opened if getattr(c, "status" if facet == "state"
                                                        else "tier") == value]
            assert number == len(expected), (facet, value)
            link = href(page, f"{facet}-{value}")
            assert f"{facet}={value}" in link
            ids, text = every_page(client, link, "case")
            assert strong(text, "total-cases") == str(number), (facet, value, link)
            assert sorted(ids) == sorted(expected), (facet, value)
            shown += number
    assert shown  # the filters leave something to count


def test_rankings_by_region_contractor_and_project_match(client, db, scaled) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    page = client.get(f"/bureau?{query(**LONG)}").get_data(as_text=True)
    facts = truth(db, None, date.fromisoformat(LONG["from"]), TODAY)
    keys = {"region": lambda row: row.region_code,
            "project": lambda row: row.project_id,
            "contractor": lambda row: facts.contractor_of.get(row.project_id)}
    for dimension, key in keys.items():
        reports: dict[Any, list[Any]] = defaultdict(list)
        for lead in facts.reports:
            if key(lead) is not None:
                reports[key(lead)].append(lead)
        opened = defaultdict(list)
        for case in facts.opened:
            opened[key(case)].append(case)
        closed = defaultdict(list)
        for case in facts.closed:
            closed[key(case)].append(case)
        everything = set(reports) | {k for k in opened if k is not None} | \
            {k for k in closed if k is not None}
        ordered = sorted(everything, key=lambda k: (-len(reports[k]),
                                                    -money(reports[k], "amount_owed_fen"), k))
        table = page.split(f'id="ranking-{dimension}"')[1].split("</table>")[0]
        shown = re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', table, re.S)
        assert [str(k) for k in ordered[:10]] == [k for k, _row in shown], dimension
        for raw, row in shown:
            k = raw if dimension == "region" else int(raw)
            numbers = [html.unescape(n)
                       for n in re.findall(r'class="num"[^>]*><a [^>]*>([^<]+)<', row)]
            assert numbers == [str(len(reports[k])), yuan(money(reports[k], "amount_owed_fen")),
                               str(len(opened[k])), str(money(opened[k], "worker_count")),
                               str(len(closed[k])), yuan(money(closed[k], "amount_recovered_fen"))]
        if len(everything) > 10:
            assert f"查看全部 {len(everything)} 个" in page
            full = client.get(f"/bureau/ranking/{dimension}?{query(**LONG)}").get_data(as_text=True)
            assert f'共 <strong id="total-keys">{len(everything)}</strong> 个' in full
    # a row's reports link lists that contractor's reports
    contractor = re.search(r'id="ranking-contractor".*?<tr data-key="(\d+)">.*?data-label="收到反映">'
                           r'<a href="([^"]+)">(\d+)</a>', page, re.S)
    ids, _text = every_page(client, html.unescape(contractor.group(2)), "lead")
    assert len(ids) == int(contractor.group(3))


def test_time_to_each_step_against_its_limit(client, db, scaled) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    page = client.get(f"/bureau?{query(**LONG)}").get_data(as_text=True)
    facts = truth(db, None, date.fromisoformat(LONG["from"]), TODAY)
    opened = {case.id: case for case in facts.opened}
    first: dict[int, datetime] = {}
    for case_id, at in db.execute(select(CaseContact.case_id, CaseContact.at)):
        first[case_id] = min(at, first.get(case_id, at))
    for case_id, at in db.execute(select(Lead.case_id, LeadMessage.created_at)
                                  .join(Lead, Lead.id == LeadMessage.lead_id)
                                  .where(LeadMessage.direction == "to_worker")):
        first[case_id] = min(at, first.get(case_id, at))
    # (from, to) of each step: the first contact from the report; the decision from the
    # application's acceptance (art. 43's 7 days), less the wait for materials; the
    # assignment from the decision (art. 43's 3 days)
    steps = {"contact": lambda c: (c.created_at, min(
                 [t for t in (first.get(c.id), c.accepted_at) if t], default=None)),
             "decision": lambda c: (c.accepted_at, c.decided_at),
             "assignment": lambda c: (c.decided_at, c.assigned_at)}

    def taken(step: str, c: Any) -> float:
        start, end = steps[step](c)
        seconds = (end - start).total_seconds()
        if step == "decision" and c.materials_requested_at is not None:
            until = min(t for t in (c.materials_received_at, end) if t is not None)
            seconds -= (until - c.materials_requested_at).total_seconds()
        return seconds

    for step, when in steps.items():
        hours = sorted(math.floor(taken(step, c) / 3600) for c in opened.values()
                       if None not in when(c))
        row = page.split(f'id="timing-{step}"')[1].split("</tr>")[0]
        cells = [html.unescape(c)
                 for c in re.findall(r'class="num"[^>]*>(?:<a [^>]*>)?([^<]+)<', row)]

        def nearest(fraction: float) -> int | None:
            if not hours:
                return None
            return hours[max(1, math.ceil(fraction * len(hours))) - 1] + 1
        assert cells == [str(len(hours)), duration_text(nearest(0.5)),
                         duration_text(nearest(0.9))], step
    assert "法律援助法第43条" in page and "个工作日内" in page
    assert "从受理申请算起" in page and "从决定给予法律援助算起" in page
    assert "等待补充材料的时间不算" in page
    outcomes = Counter()
    for rule, status, due in db.execute(select(Deadline.rule, Deadline.status, Deadline.due_date)
                                        .where(Deadline.case_id.in_(list(opened)))):
        outcomes[(rule, "late" if status == "open" and due < TODAY else status)] += 1
    for step, rule in (("contact", "first_contact"), ("decision", "legal_aid_decision"),
                       ("assignment", "legal_aid_assignment")):
        for outcome in ("met", "missed", "late", "open"):
            label = re.search(rf'id="outcome-{step}-{outcome}">\S+ (\d+)<', page)
            assert int(label.group(1)) == outcomes[(rule, outcome)], (step, outcome)
        link = href(page, f"outcome-{step}-met")
        ids, _text = every_page(client, link, "deadline")
        assert len(ids) == outcomes[(rule, "met")]


def test_decision_time_runs_from_acceptance_less_the_wait_for_materials(client, db, world) -> None:  # type: ignore[no-untyped-def]
    waited, hurried = report(db, world, days_ago=10), report(db, world, boss="孙志强",
                                                              days_ago=10)
    base = datetime.now(timezone.utc) - timedelta(days=9)
    # accepted; materials asked for 10 hours later, in 24 hours after that; decided 50 hours
    # after acceptance: 26 hours of the 7 days; assigned 2.5 hours after the decision
    db.execute(update(Case).where(Case.id == waited.id).values(
        status="assigned", accepted_at=base, materials_requested_at=base + timedelta(hours=10),
        materials_received_at=base + timedelta(hours=34), decided_at=base + timedelta(hours=50),
        hardship_basis="exempt_42_3", assigned_at=base + timedelta(hours=52, minutes=30)))
    # materials asked for 20 hours after acceptance, decided 30 hours after it before they
    # came (aid before review): the clock stopped at the request, 20 hours
    db.execute(update(Case).where(Case.id == hurried.id).values(
        status="decided", accepted_at=base, materials_requested_at=base + timedelta(hours=20),
        decided_at=base + timedelta(hours=30), hardship_basis="exempt_42_3"))
    db.commit()
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)

    def cells(step: str) -> list[str]:
        row = page.split(f'id="timing-{step}"')[1].split("</tr>")[0]
        return [html.unescape(c)
                for c in re.findall(r'class="num"[^>]*>(?:<a [^>]*>)?([^<]+)<', row)]

    # nearest rank of (20, 26): the median 20 whole hours, the 90th 26; shown rounded up
    assert cells("decision") == ["2", "21小时内", "27小时内"]
    assert cells("assignment") == ["1", "3小时内", "3小时内"]
    row = page.split('id="timing-decision"')[1].split("</tr>")[0]
    link = re.search(r'data-label="已到这一步"><a href="([^"]+)"', row).group(1)
    ids, _text = every_page(client, html.unescape(link), "case")
    assert sorted(ids) == sorted((waited.id, hurried.id))


# --- what is waiting now: referrals, overdue deadlines, silent boards --------------------------

def test_referrals_waiting_and_overdue_deadlines_are_counted_and_listed(client, db, world) -> None:  # type: ignore[no-untyped-def]
    mine, other = report(db, world), report(db, world, project=world.other_project)
    later = report(db, world, boss="李老板")
    old = TODAY - timedelta(days=20)
    rows = [(mine, "inspection_acceptance", old, "open"), (mine, "legal_aid_decision", old, "open"),
            (later, "legal_aid_assignment", old, "open"), (later, "legal_aid_decision", old, "met"),
            (mine, "inspection_investigation", TODAY + timedelta(days=5), "open"),
            (mine, "mediation", old, "open"),  # a lawyer's: neither kind
            (other, "legal_aid_decision", old, "open"),
            (other, "inspection_acceptance", old, "open")]
    for case, rule, due, status in rows:
        db.add(Deadline(case_id=case.id, rule=rule, trigger_date=due - timedelta(days=7),
                        due_date=due, status=status))
    for case, bureau, status in ((mine, world.bureau, "referred"),
                                 (later, world.bureau, "accepted"),
                                 (other, world.other_bureau, "referred")):
        db.add(Referral(case_id=case.id, bureau_org_id=bureau.id, status=status,
                        consent_note="同意"))
    db.commit()
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)
    assert strong(page, "n-referrals") == "1"
    assert strong(page, "n-overdue-bureau") == "1"  # the inspection acceptance only
    assert strong(page, "n-overdue-green") == "2"
    ids, text = every_page(client, href(page, "n-referrals"), "referral")
    assert len(ids) == 1 and mine.number in text and other.number not in text
    green, text = every_page(client, href(page, "n-overdue-green"), "deadline")
    assert len(green) == 2 and other.number not in text and "已逾期20天" in text
    bureau, _text = every_page(client, href(page, "n-overdue-bureau"), "deadline")
    assert len(bureau) == 1
    assert set(BUREAU_RULES) >= {"inspection_acceptance"} and "legal_aid_decision" in GREEN_RULES
    login(client, "admin")
    page = client.get("/bureau").get_data(as_text=True)
    assert strong(page, "n-referrals") == "2" and strong(page, "n-overdue-green") == "3"


def test_silent_boards_name_the_contractor_to_call(client, db, world) -> None:  # type: ignore[no-untyped-def]
    long_ago = datetime.now(timezone.utc) - timedelta(days=90)
    db.execute(update(Board).values(created_at=long_ago))
    db.add(BoardScan(board_id=world.board.id, day=TODAY - timedelta(days=45), count=3))
    db.add(BoardScan(board_id=world.other_board.id, day=TODAY - timedelta(days=2), count=1))
    world.contractor.phone = "0755-12345678"
    db.commit()
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)
    assert strong(page, "n-boards") == "1"
    assert "0755-12345678" in page and world.project.name in page and "第五十六条第四项" in page
    assert world.other_project.name not in page
    listing = client.get(href(page, "n-boards")).get_data(as_text=True)
    assert 'id="total-boards">1<' in listing and world.project.labour_manager_phone in listing
    login(client, "admin")
    assert strong(client.get("/bureau").get_data(as_text=True), "n-boards") == "1"


# --- repeat offenders --------------------------------------------------------------------------

def ranking_row(page: str, dimension: str, key: Any) -> str:
    table = page.split(f'id="ranking-{dimension}"')[1].split("</table>")[0]
    match = re.search(rf'<tr data-key="{re.escape(str(key))}">(.*?)</tr>', table, re.S)
    assert match, f"no row {key} in the {dimension} table"
    return match.group(1)


def boss_table(page: str) -> str:
    if 'id="empty-boss"' in page:
        return ""
    return page.split('id="ranking-boss"')[1].split("</table>")[0]


def test_repeat_contractors_projects_and_bosses_are_marked(client, db, world) -> None:  # type: ignore[no-untyped-def]
    second = create_project(db, contractor=world.contractor, region_code="440305",
                            name="南山区第二工地", address="深圳市南山区测试路2号")
    third = create_project(db, contractor=world.other_contractor, region_code="440305",
                           name="别家的工地", address="深圳市南山区测试路3号")
    db.commit()
    report(db, world, boss="钱大海老板")
    report(db, world, project=second, boss="钱大海（钢筋班组）")  # the same boss, another site
    closed = report(db, world, project=third, boss="孙老板", days_ago=60)
    close(db, closed, days_ago=30)
    report(db, world, project=third, boss="李老板")  # after a closed case at that site
    login(client, "liaison")
    page = client.get(f"/bureau?{query(**LONG)}").get_data(as_text=True)

    def row(dimension: str, key: Any) -> str:
        return ranking_row(page, dimension, key)

    assert "多个工地被反映" in row("contractor", world.contractor.id)
    assert "结案后又被反映" not in row("contractor", world.contractor.id)
    assert "结案后又被反映" in row("contractor", world.other_contractor.id)
    assert "多个工地被反映" not in row("contractor", world.other_contractor.id)
    assert "老板在其他工地也被反映" in row("project", world.project.id)
    assert "老板在其他工地也被反映" in row("project", second.id)
    assert "结案后又被反映" in row("project", third.id)
    assert "老板在其他工地也被反映" not in row("project", third.id)
    bosses = boss_table(page)
    assert "钱大海" in bosses and "2个工地" in bosses and "孙老板" not in bosses
    # the boss's reports, from the boss table
    link = re.search(r'data-label="收到反映"><a href="([^"]+)">2</a>', bosses).group(1)
    ids, text = every_page(client, html.unescape(link), "lead")
    assert len(ids) == 2 and "钱大海" in text and "李老板" not in text


def test_a_surname_alone_is_no_repeat_boss_across_sites(client, db, world) -> None:  # type: ignore[no-untyped-def]
    sites = [world.project] + [
        create_project(db, contractor=world.contractor, region_code="440305",
                       name=f"南山区第{number}工地", address=f"深圳市南山区测试路{number}号")
        for number in (2, 3, 4)]
    db.commit()
    # 王老板, 老王 and 王总 are keyed "王" (one case at a site), but are three bosses
    for site, boss in zip(sites, ("王老板", "老王", "王总")):
        report(db, world, project=site, boss=boss, name=f"工人{site.id}")
    # a surname's case closed at one site, the surname reported at another
    closed = report(db, world, project=sites[3], boss="陈老板", days_ago=60)
    close(db, closed, days_ago=30)
    report(db, world, project=sites[0], boss="老陈")
    # a name of two characters, and a boss known by phone alone, on two sites each
    for site in sites[2:]:
        report(db, world, project=site, boss="王五", name=f"王五的工人{site.id}")
        report(db, world, project=site, boss="", boss_phone="13912345678",
               name=f"没写名字{site.id}")
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)
    bosses = boss_table(page)
    keys = re.findall(r'<tr data-key="([^"]+)">', bosses)
    assert sorted(keys) == ["tel:13912345678", "王五"]
    for site in sites[:2]:
        assert "老板在其他工地也被反映" not in ranking_row(page, "project", site.id)
        assert "结案后又被反映" not in ranking_row(page, "project", site.id)
    for site in sites[2:]:
        assert "老板在其他工地也被反映" in ranking_row(page, "project", site.id)
    full = client.get("/bureau/ranking/boss").get_data(as_text=True)
    assert 'id="total-keys">2<' in full and 'data-key="王"' not in full
    assert 'data-key="陈"' not in full


def test_again_after_a_closed_case_marks_the_boss(client, db, world) -> None:  # type: ignore[no-untyped-def]
    first = report(db, world, boss="周志刚老板", days_ago=90)
    close(db, first, days_ago=50)
    report(db, world, boss="周志刚（木工）", amount="7000")
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)  # the default period: the new one only
    assert "结案后又被反映" in ranking_row(page, "project", world.project.id)
    bosses = boss_table(page)  # one site, but reported after a closed case
    assert "周志刚" in bosses and "1个工地" in bosses and "结案后又被反映" in bosses
    assert "多个工地被反映" not in bosses
    second = create_project(db, contractor=world.contractor, region_code="440305",
                            name="周志刚的第二个工地", address="深圳市南山区测试路5号")
    db.commit()
    report(db, world, project=second, boss="周志刚", amount="6000")
    page = client.get("/bureau").get_data(as_text=True)
    bosses = boss_table(page)
    assert "周志刚" in bosses and "结案后又被反映" in bosses and "2个工地" in bosses


def test_a_boss_who_moves_after_a_closed_case_is_marked_at_the_new_site(client, db, world) -> None:  # type: ignore[no-untyped-def]
    old_site = world.project
    new_site = create_project(db, contractor=world.other_contractor, region_code="440305",
                              name="赵建国去的新工地", address="深圳市南山区测试路6号")
    quiet = create_project(db, contractor=world.other_contractor, region_code="440305",
                           name="没出过事的工地", address="深圳市南山区测试路7号")
    db.commit()
    closed = report(db, world, project=old_site, boss="赵建国老板", days_ago=200)
    close(db, closed, days_ago=150)
    report(db, world, project=new_site, boss="赵建国", amount="8000", name="李四")
    report(db, world, project=new_site, boss="赵建国（包工头）", amount="2000", name="王二")
    report(db, world, project=quiet, boss="孙明亮")
    # closed in another county, reported here: not the liaison's to see
    moved_in = report(db, world, project=world.other_project, boss="钱多多", days_ago=200)
    close(db, moved_in, days_ago=150)
    report(db, world, project=quiet, boss="钱多多", name="赵六")
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)  # the old site has no report in it
    assert "结案后又被反映" in ranking_row(page, "project", new_site.id)
    assert "结案后又被反映" not in ranking_row(page, "project", quiet.id)
    assert f'data-key="{old_site.id}"' not in page.split('id="ranking-project"')[1] \
        .split("</table>")[0]
    bosses = boss_table(page)
    assert re.findall(r'<tr data-key="([^"]+)">', bosses) == ["赵建国"]
    row = ranking_row(page, "boss", "赵建国")
    assert "结案后又被反映" in row and "1个工地" in row
    # the row's numbers are its lists' totals (two workers, one collective case)
    numbers = re.findall(r'class="num"[^>]*><a href="([^"]+)">([^<]+)<', row)
    assert [number for _link, number in numbers] == ["2", yuan(1000000), "1", "2", "0",
                                                     yuan(0)]
    ids, _text = every_page(client, html.unescape(numbers[0][0]), "lead")
    assert len(ids) == 2
    ids, text = every_page(client, html.unescape(numbers[2][0]), "case")
    assert len(ids) == 1 and strong(text, "total-workers") == "2"
    full = client.get("/bureau/ranking/boss").get_data(as_text=True)
    assert 'id="total-keys">1<' in full and "钱多多" not in full
    # everywhere, the administrator sees 钱多多 come back too
    login(client, "admin")
    page = client.get("/bureau").get_data(as_text=True)
    assert "结案后又被反映" in ranking_row(page, "project", quiet.id)
    assert sorted(re.findall(r'<tr data-key="([^"]+)">', boss_table(page))) == [
        "赵建国", "钱多多"]


def test_merged_cases_are_left_out(client, db, world) -> None:  # type: ignore[no-untyped-def]
    kept, merged = report(db, world, boss="吴老板"), report(db, world, boss="郑老板")
    db.execute(update(Case).where(Case.id == merged.id).values(
        status="closed", outcome="merged", closed_at=datetime.now(timezone.utc), worker_count=0))
    db.execute(update(Lead).where(Lead.case_id == merged.id).values(case_id=kept.id))
    db.commit()
    login(client, "liaison")
    page = client.get("/bureau").get_data(as_text=True)
    assert strong(page, "n-reports") == "2" and strong(page, "n-cases") == "1"
    assert strong(page, "n-closed") == "0"


# --- one region's liaison never sees another's -------------------------------------------------

def test_a_liaison_sees_only_the_bureaus_regions(client, db, scaled) -> None:  # type: ignore[no-untyped-def]
    report(db, scaled, project=scaled.other_project, boss="福田的老板", name="福田工人")
    login(client, "liaison")
    page = client.get(f"/bureau?{query(**LONG)}").get_data(as_text=True)
    assert scaled.other_contractor.name not in page and "福田的老板" not in page
    assert "福田区" not in page.split('id="ranking-region"')[1].split("</table>")[0]
    for path in ("/bureau/reports", "/bureau/cases", "/bureau/cases?basis=closed"):
        ids, text = every_page(client, f"{path}{'&' if '?' in path else '?'}{query(**LONG)}",
                               "case" if "cases" in path else "lead")
        assert "福田" not in text
    leads, _text = every_page(client, f"/bureau/reports?{query(**LONG)}", "lead")
    regions = dict(db.execute(select(Lead.id, Lead.region_code)).all())
    assert leads and all(regions[lead] == "440305" for lead in leads)
    # another county asked for by name: a message, and still only the bureau's own
    other = client.get(f"/bureau?region=440304&{query(**LONG)}")
    assert other.status_code == 200
    text = other.get_data(as_text=True)
    assert "只能查看本部门辖区内的地区" in text and "福田的老板" not in text
    assert strong(text, "n-reports") == strong(page, "n-reports")
    assert client.get("/bureau/ranking/contractor?region=440300").status_code == 200
    # the other county's liaison sees theirs and not ours
    login(client, "other_liaison")
    theirs = client.get(f"/bureau?{query(**LONG)}").get_data(as_text=True)
    assert scaled.other_contractor.name in theirs and scaled.contractor.name not in theirs


PAGES = ("/bureau", "/bureau/reports", "/bureau/cases", "/bureau/ranking/project",
         "/bureau/ranking/boss", "/bureau/deadlines", "/bureau/boards", "/bureau/referrals")


def test_a_liaison_cannot_name_another_regions_site_contractor_or_boss(client, db, world) -> None:  # type: ignore[no-untyped-def]
    report(db, world, boss="刘大海老板", name="南山工人")
    report(db, world, project=world.other_project, boss="刘大海（福田那边的叫法）",
           name="福田工人")
    report(db, world, project=world.other_project, boss="福田的何志明")
    secrets = (world.other_project.name, world.other_contractor.name, "福田那边的叫法",
               "福田的何志明", "福田工人")
    login(client, "liaison")
    for args, field in ((f"project={world.other_project.id}", "project"),
                        (f"contractor={world.other_contractor.id}", "contractor"),
                        (f"boss={employer_key('福田的何志明')}", "boss"),
                        ("project=999999", "project"), ("contractor=999999", "contractor")):
        for path in PAGES:
            response = client.get(f"{path}?{args}")
            assert response.status_code == 200, (path, args)
            text = response.get_data(as_text=True)
            assert f'id="e-{field}"' in text and "不在本部门辖区内" in text, (path, args)
            assert not [secret for secret in secrets if secret in text], (path, args)
        # dropped, not applied: the page counts the bureau's whole region
        page = client.get(f"/bureau?{args}").get_data(as_text=True)
        assert strong(page, "n-reports") == "1", args
        for path in ("/bureau/ledger.xlsx", "/bureau/summary.xlsx"):  # nothing exported
            response = client.get(f"{path}?{args}")
            assert response.mimetype == "text/html" and "没有导出" in \
                response.get_data(as_text=True), (path, args)
    # the same boss, named in the bureau's region too: named as written there only
    page = client.get(f"/bureau?boss={employer_key('刘大海老板')}").get_data(as_text=True)
    assert "刘大海老板" in page and "福田那边的叫法" not in page and 'id="e-boss"' not in page
    assert strong(page, "n-reports") == "1"
    # the bureau's own site and contractor are named
    page = client.get(f"/bureau?project={world.project.id}&contractor={world.contractor.id}")
    text = page.get_data(as_text=True)
    assert world.project.name in text and world.contractor.name in text
    assert 'id="e-project"' not in text and 'id="e-contractor"' not in text
    # an administrator sees everywhere, but a site outside the region chosen is dropped too
    login(client, "admin")
    text = client.get(f"/bureau?project={world.other_project.id}").get_data(as_text=True)
    assert world.other_project.name in text and 'id="e-project"' not in text
    text = client.get(f"/bureau?region=440305&project={world.other_project.id}"
                      ).get_data(as_text=True)
    assert "所选地区内没有这个项目" in text and world.other_project.name not in text


def test_staff_lawyers_and_contractors_cannot_open_the_dashboard(client, db, world) -> None:  # type: ignore[no-untyped-def]
    for user in ("staff", "lawyer", "contractor"):
        login(client, user)
        for path in ("/bureau", "/bureau/reports", "/bureau/ledger.xlsx", "/bureau/summary.xlsx"):
            assert client.get(path).status_code == 403, (user, path)
    client.post("/logout")


# --- filters -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args,field,message", [
    ("from=2026-13-01", "from", "日期应写成"), ("to=yesterday", "to", "日期应写成"),
    ("from=2026-11-30&to=2026-11-01", "to", "结束日期不能早于开始日期"),
    ("from=1999-01-01", "from", "2000年到2099年"), ("from=2000-01-03&to=2099-12-31", "to", "最长10年"),
    ("region=44030", "region", "6位数字"), ("region=440304", "region", "只能查看本部门辖区"),
    ("tier=fast", "tier", "紧急程度只能选"), ("state=done", "state", "请从列表中选择案件状态"),
    ("contractor=abc", "contractor", "应为数字"), ("project=-3", "project", "应为数字"),
    ("project=99999999999", "project", "应为数字"), ("contractor=0", "contractor", "应为数字"),
    ("boss=" + "x" * 80, "boss", "太长"),
])
def test_a_bad_filter_gets_a_message_never_an_error(client, db, world, args, field,  # type: ignore[no-untyped-def]
                                                    message) -> None:
    login(client, "liaison")
    for path in ("/bureau", "/bureau/reports", "/bureau/cases", "/bureau/ranking/project",
                 "/bureau/deadlines", "/bureau/boards", "/bureau/referrals"):
        response = client.get(f"{path}?{args}")
        assert response.status_code == 200, (path, args)
        text = response.get_data(as_text=True)
        assert f'id="e-{field}"' in text and message in text, (path, args)
    for path in ("/bureau/ledger.xlsx", "/bureau/summary.xlsx"):  # nothing exported
        response = client.get(f"{path}?{args}")
        assert response.status_code == 200 and response.mimetype == "text/html", path
        assert "没有导出" in response.get_data(as_text=True) and message in \
            response.get_data(as_text=True)
    assert not db.scalar(select(AuditEvent.id).where(AuditEvent.action.like("export_%")))


def test_the_first_day_accepted_is_the_first_of_2000(client, db, world) -> None:  # type: ignore[no-untyped-def]
    # a report on Sunday 2 January 2000 (local), in the week that began on 27 December 1999
    case = report(db, world)
    moment = datetime(2000, 1, 2, 4, tzinfo=timezone.utc)
    db.execute(update(Lead).where(Lead.case_id == case.id).values(created_at=moment))
    db.execute(update(Case).where(Case.id == case.id).values(created_at=moment))
    db.commit()
    login(client, "liaison")
    page = client.get("/bureau?from=2000-01-01&to=2000-02-29").get_data(as_text=True)
    assert 'id="e-from"' not in page and strong(page, "n-reports") == "1"
    weeks = re.findall(r'<td data-label="时间">(\S+) 至 (\S+)</td>\s*'
                       r'<td class="num" data-label="收到反映"><a href="[^"]+">(\d+)</a>', page)
    assert weeks[0] == ("2000-01-01", "2000-01-02", "1")
    assert weeks[1][:2] == ("2000-01-03", "2000-01-09") and weeks[1][2] == "0"
    # an end alone: twelve weeks before it, but not before the first day
    page = client.get("/bureau?to=2000-01-20").get_data(as_text=True)
    assert 'id="e-from"' not in page and "2000-01-01 至 2000-01-20" in page
    page = client.get("/bureau?from=1999-12-31").get_data(as_text=True)
    assert 'id="e-from"' in page and "日期应在2000年到2099年之间" in page


def test_an_administrator_can_narrow_to_any_region_past_the_lists_length(client, db, world,  # type: ignore[no-untyped-def]
                                                                         monkeypatch) -> None:
    from wagechannel.bureau import services

    report(db, world, project=world.other_project, name="福田工人")
    login(client, "admin")
    page = client.get("/bureau").get_data(as_text=True)  # four regions: a list of them all
    assert '<select id="f-region"' in page
    assert all(f'<option value="{code}"' in page
               for code in ("440000", "440300", "440304", "440305"))
    monkeypatch.setattr(services, "REGION_LIST", 2)  # more regions than the list holds
    for path in ("/bureau", "/bureau/reports", "/bureau/ranking/project"):
        text = client.get(f"{path}?region=440304").get_data(as_text=True)
        assert '<select id="f-region"' not in text and 'list="f-region-list"' in text, path
        assert 'value="440304"' in text and "深圳市福田区" in text and 'id="e-region"' not in text
        # the suggestions: the province and the city first
        suggested = text.split('<datalist id="f-region-list">')[1].split("</datalist>")[0]
        assert re.findall(r'<option value="(\d+)">', suggested) == ["440000", "440300"]
    page = client.get("/bureau?region=440304").get_data(as_text=True)
    assert strong(page, "n-reports") == "1"
    typed = client.get("/bureau?region=4403x").get_data(as_text=True)
    assert 'id="e-region"' in typed and 'value="4403x"' in typed
    login(client, "liaison")  # one county: a list of it
    page = client.get("/bureau").get_data(as_text=True)
    assert '<select id="f-region"' in page and "440304" not in page


def test_list_only_parameters_are_checked_too(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    for path, field in (("/bureau/cases?basis=everything", "basis"),
                        ("/bureau/cases?reached=moon", "reached"),
                        ("/bureau/deadlines?kind=all", "kind"),
                        ("/bureau/deadlines?rule=mediation", "rule"),
                        ("/bureau/deadlines?rule=first_contact&outcome=soon", "outcome")):
        response = client.get(path)
        assert response.status_code == 200 and f'id="e-{field}"' in response.get_data(as_text=True)
    assert client.get("/bureau/ranking/planet").status_code == 404
    assert client.get("/bureau/reports?page=abc").status_code == 200
    assert client.get("/bureau/ranking/region?page=999").status_code == 200


def test_filters_stay_in_every_link(client, db, world) -> None:  # type: ignore[no-untyped-def]
    report(db, world)
    login(client, "liaison")
    args = f"from=2026-01-05&to={TODAY.isoformat()}&tier=routine&contractor={world.contractor.id}"
    page = client.get(f"/bureau?{args}").get_data(as_text=True)
    for element in ("n-reports", "n-cases", "n-closed", "n-referrals", "n-overdue-green"):
        link = href(page, element)
        assert "from=2026-01-05" in link and "tier=routine" in link, element
        assert f"contractor={world.contractor.id}" in link
    assert world.contractor.name in page  # the chosen contractor, named, with a way back
    assert "不限单位" in page
    downloads = href(page, "ledger-link")
    assert "ledger.xlsx" in downloads and "tier=routine" in downloads


# --- exports from the dashboard ------------------------------------------------------------------

def test_downloads_are_audited_and_scoped(client, db, world) -> None:  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook

    report(db, world, name="赵大勇")
    report(db, world, project=world.other_project, name="钱二")
    login(client, "liaison")
    response = client.get("/bureau/ledger.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["台账"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][9] == "赵**" and "钱" not in str(rows)
    summary = load_workbook(io.BytesIO(client.get("/bureau/summary.xlsx").data))
    assert [row[0] for row in summary["按地区"].iter_rows(min_row=2, values_only=True)] == [
        "深圳市南山区", "合计"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ("export_ledger", "export_summary"))).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("export_ledger", world.users["bureau_liaison"].id),
        ("export_summary", world.users["bureau_liaison"].id)]
    assert events[0].detail["rows"] == 1 and events[0].detail["masked"] is True
    assert events[0].detail["regions"] == ["440305"]


# --- statements at two sizes ---------------------------------------------------------------------

PATHS = ["/bureau", "/bureau/reports", "/bureau/cases",
         "/bureau/cases?basis=closed&reached=decision",
         "/bureau/ranking/contractor", "/bureau/ranking/project", "/bureau/ranking/boss",
         "/bureau/deadlines", "/bureau/deadlines?rule=first_contact&outcome=met",
         "/bureau/boards", "/bureau/referrals"]


@pytest.mark.parametrize("user", ["liaison", "admin"])
def test_the_dashboard_and_its_lists_cost_the_same_statements_at_two_sizes(  # type: ignore[no-untyped-def]
        client, db, world, count_statements, user) -> None:
    load_scale(db, 300, seed=21)
    login(client, user)
    def address(path: str) -> str:
        return f"{path}{'&' if '?' in path else '?'}{query(**LONG)}"

    small = {path: count_statements(lambda: client.get(address(path))) for path in PATHS}
    load_scale(db, 3000, seed=21)
    large = {path: count_statements(lambda: client.get(address(path))) for path in PATHS}
    assert large == small
    assert small["/bureau"] <= 30, small["/bureau"]


def test_pages_never_decrypt_phone_numbers(client, db, scaled, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.crypto import Keyring
    calls: list[str] = []
    original = Keyring.decrypt
    monkeypatch.setattr(Keyring, "decrypt",
                        lambda self, token: calls.append(token) or original(self, token))
    login(client, "admin")
    for path in PATHS + ["/bureau/ledger.xlsx", "/bureau/summary.xlsx"]:
        assert client.get(path).status_code == 200
    assert calls == []

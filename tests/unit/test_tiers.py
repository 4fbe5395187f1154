"""Priority tiers (紧急 / 优先 / 常规): each rule, the alerts it raises, and the tier kept with the
score wherever priority is set."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.unit.test_collective import case_of, report
from wagechannel.boards.services import issue_board
from wagechannel.cases.models import Alert, Case
from wagechannel.cases.priority import (CaseContext, Wage, case_priority, parse_season,
                                        refresh_priorities, settings_from)
from wagechannel.db import utcnow
from wagechannel.places.models import Region
from wagechannel.places.services import create_project, set_region_wage

TODAY = date(2026, 11, 28)  # outside the default season (12-01..02-15)
SEASON = parse_season("12-01..02-15")


def lead(**fields: Any) -> SimpleNamespace:
    """What a report says, as the priority reads it: still working, nothing urgent."""
    values = {"urgent": [], "evidence": [], "workers_affected": 1, "amount_owed_fen": None,
              "wants": "consult", "employment_status": "working", "work_end": None,
              "work_end_precision": None, "demanded_on": None, "award_kind": None,
              "award_date": None, "vulnerable": None, "phone_hash": None}
    return SimpleNamespace(**{**values, **fields})


def tier(*leads: Any, today: date = TODAY, **context: Any) -> tuple[str, list[str]]:
    values = case_priority(list(leads) or [lead()], today, CaseContext(**context))
    assert values["tier_rank"] == {"urgent": 0, "priority": 1, "routine": 2}[values["tier"]]
    return values["tier"], values["priority_reasons"]


def test_a_plain_report_is_routine() -> None:
    assert tier(lead()) == ("routine", [])


@pytest.mark.parametrize("fields,expected,reason", [
    ({"urgent": ["conflict"]}, "urgent", "发生冲突或受到威胁"),
    ({"urgent": ["no_money"]}, "priority", "没钱吃饭或回家"),
    ({"vulnerable": ["minor"]}, "urgent", "涉及未满18岁的未成年人"),
    ({"vulnerable": ["elderly"]}, "priority", "60岁以上的老年工人"),
    ({"vulnerable": ["disabled"]}, "priority", "有残疾的工人"),
    ({"employment_status": "ended", "work_end": date(2025, 12, 2)}, "urgent", "可先行提供法律援助"),
    ({"employment_status": "ended", "work_end": date(2025, 12, 20)}, "priority", "还剩23天"),
    ({"employment_status": None}, "priority", "离职时间不明"),
    ({"workers_affected": 10}, "priority", "10人被欠薪，群体性案件"),
    ({"workers_affected": 30}, "urgent", "30人被欠薪，重大群体性案件"),
    ({"workers_affected": 3}, "routine", "3人被欠薪"),
])
def test_each_rule_gives_its_tier_and_reason(fields, expected, reason) -> None:  # type: ignore[no-untyped-def]
    got, reasons = tier(lead(**fields))
    assert got == expected and any(reason in r for r in reasons), reasons


def test_many_lesser_reasons_add_up_to_a_higher_tier() -> None:
    # 10万 (20) + 3 workers (20) + legal aid (5) + the season (10): none priority on its own
    many = lead(amount_owed_fen=100_000 * 100, workers_affected=3, wants="legal_aid")
    assert tier(many, today=date(2026, 12, 10), season=SEASON)[0] == "priority"
    assert tier(many)[0] == "routine"


def test_the_amount_is_weighed_against_the_local_minimum_wage() -> None:
    wage = Wage(2520 * 100)
    assert tier(lead(amount_owed_fen=7000 * 100), wage=wage) == ("routine", [])  # under 3 months
    got, reasons = tier(lead(amount_owed_fen=8000 * 100), wage=wage)
    assert got == "routine" and reasons == ["欠薪相当于当地3个月以上的最低工资"]
    got, reasons = tier(lead(amount_owed_fen=16000 * 100), wage=wage)
    assert got == "priority" and reasons == ["欠薪相当于当地6个月以上的最低工资"]
    borrowed = tier(lead(amount_owed_fen=16000 * 100), wage=Wage(2520 * 100, "深圳市"))[1]
    assert borrowed == ["欠薪相当于当地6个月以上的最低工资（按深圳市的标准）"]


def test_the_season_window_raises_no_money_to_urgent() -> None:
    hungry = lead(urgent=["no_money"])
    assert tier(hungry, season=SEASON)[0] == "priority"  # 11-28: not yet
    got, reasons = tier(hungry, today=date(2027, 1, 20), season=SEASON)
    assert got == "urgent" and "春节前集中治理欠薪期间（12月1日至2月15日）" in reasons
    assert tier(lead(), today=date(2026, 12, 1), season=SEASON)[0] == "routine"
    assert tier(lead(), today=date(2027, 2, 16), season=SEASON)[1] == []


def test_the_same_boss_or_contractor_elsewhere_raises_the_tier() -> None:
    got, reasons = tier(lead(), other_boss_cases=1)
    assert got == "priority" and reasons == ["同一老板近90天还有1件其他案件"]
    assert tier(lead(), other_contractor_sites=1) == ("routine", [])
    got, reasons = tier(lead(), other_contractor_sites=2)
    assert got == "priority" and reasons == ["同一施工总承包单位近90天在另外2个工地也有欠薪案件"]
    assert tier(lead(), other_contractor_sites=10)[1] == ["同一施工总承包单位近90天在另外10个以上工地也有欠薪案件"]


@pytest.mark.parametrize("text,inside,outside", [
    ("12-01..02-15", [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 15)],
     [date(2026, 11, 30), date(2027, 2, 16)]),
    ("03-01..03-31", [date(2026, 3, 1), date(2026, 3, 31)], [date(2026, 4, 1)]),
])
def test_season_windows_may_run_over_new_year(text, inside, outside) -> None:  # type: ignore[no-untyped-def]
    season = parse_season(text)
    assert season is not None
    assert all(season.contains(day) for day in inside)
    assert not any(season.contains(day) for day in outside)


def test_bad_settings_stop_the_application_naming_the_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from wagechannel import create_app
    assert parse_season("") is None and settings_from({"SEASON_WINDOW": ""}).season is None
    for config, name in [({"SEASON_WINDOW": "12/01-02/15"}, "SEASON_WINDOW"),
                         ({"SEASON_WINDOW": "02-30..03-01"}, "SEASON_WINDOW"),
                         ({"COLLECTIVE_WINDOW_DAYS": 0}, "COLLECTIVE_WINDOW_DAYS"),
                         ({"COLLECTIVE_WINDOW_DAYS": "thirty"}, "COLLECTIVE_WINDOW_DAYS")]:
        with pytest.raises(ValueError, match=name):
            create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                        "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path), **config})


# --- through the report path -------------------------------------------------------------------

def alerts(db) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    return sorted(((a.kind, a.organisation_id) for a in db.scalars(select(Alert))),
                  key=lambda pair: (pair[0], pair[1] or 0))


def test_conflict_alerts_the_centre_and_the_bureau_at_once(db, world) -> None:  # type: ignore[no-untyped-def]
    threatened = report(db, world, urgent=["conflict"])
    case = case_of(db, threatened)
    assert case.tier == "urgent" and case.tier_rank == 0
    assert alerts(db) == sorted([("conflict", world.centre.id), ("conflict", world.bureau.id)])
    assert all(a.case_id == case.id and case.number in a.message for a in db.scalars(select(Alert)))


def test_a_minor_alerts_the_bureau(db, world) -> None:  # type: ignore[no-untyped-def]
    young = report(db, world, vulnerable=["minor", "disabled"])
    assert young.vulnerable == ["minor", "disabled"]
    assert case_of(db, young).tier == "urgent"
    assert alerts(db) == [("minor", world.bureau.id)]
    older = report(db, world, vulnerable="elderly", employer_name="李老板")
    assert case_of(db, older).tier == "priority" and len(alerts(db)) == 1


def _second_site(db, world, number: int = 2):  # type: ignore[no-untyped-def]
    site = create_project(db, contractor=world.contractor, region_code="440305",
                          name=f"南山区{number}号工地", address=f"南山区测试路{number}号")
    board = issue_board(db, site)
    db.commit()
    return site, board


def test_the_same_boss_at_another_site_within_90_days(db, world) -> None:  # type: ignore[no-untyped-def]
    site, board = _second_site(db, world)
    earlier = report(db, world, project=site, board=board, employer_name="王老板",
                     employment_status="working", work_end=None)
    later = case_of(db, report(db, world, employer_name="王老板（钢筋）",
                               employment_status="working", work_end=None))
    assert "同一老板近90天还有1件其他案件" in later.priority_reasons and later.tier == "priority"
    db.execute(update(Case).where(Case.id == earlier.case_id)
               .values(created_at=utcnow() - timedelta(days=92)))
    db.commit()
    fresh = case_of(db, report(db, world, employer_name="赵老板", employment_status="working",
                               work_end=None))
    assert not any("同一" in reason for reason in fresh.priority_reasons)
    assert fresh.tier == "routine"


def test_the_same_contractor_at_other_sites_within_90_days(db, world) -> None:  # type: ignore[no-untyped-def]
    calm = {"employment_status": "working", "work_end": None}
    for number, boss in [(2, "甲老板"), (2, "乙老板")]:
        site, board = _second_site(db, world, number) if boss == "甲老板" else (site, board)
        report(db, world, project=site, board=board, employer_name=boss)
    for boss in ("丙老板", "丁老板"):  # other bosses at the same site: not a pattern
        report(db, world, employer_name=boss, **calm)
    one_site = case_of(db, report(db, world, employer_name="戊老板", **calm))
    assert one_site.tier == "routine" and not any("同一" in r for r in one_site.priority_reasons)
    site, board = _second_site(db, world, 3)
    report(db, world, project=site, board=board, employer_name="己老板")
    two_sites = case_of(db, report(db, world, employer_name="庚老板", **calm))
    assert "同一施工总承包单位近90天在另外2个工地也有欠薪案件" in two_sites.priority_reasons
    assert two_sites.tier == "priority"


def test_the_county_minimum_wage_or_a_named_fallback(db, world) -> None:  # type: ignore[no-untyped-def]
    owed = {"amount_owed": "16000", "employment_status": "working", "work_end": None}
    assert "欠薪相当于当地6个月以上的最低工资" in case_of(db, report(db, world, **owed)).priority_reasons
    bare = create_project(db, contractor=world.other_contractor, region_code="440304",
                          name="福田区没有自填标准的工地", address="福田区测试路9号")
    board = issue_board(db, bare)
    set_region_wage(db, db.get_one(Region, "440300"), monthly="2360", hourly="22.2")
    db.commit()
    case = case_of(db, report(db, world, project=bare, board=board, **owed))
    assert "欠薪相当于当地6个月以上的最低工资（按深圳市的标准）" in case.priority_reasons


def test_tiers_are_kept_with_the_score_when_priorities_are_refreshed(db, world) -> None:  # type: ignore[no-untyped-def]
    far = report(db, world, urgent=["no_money"], employment_status="working", work_end=None)
    case = case_of(db, far)
    assert case.tier == "priority" and not any("春节" in r for r in case.priority_reasons)
    # far from any limit: only the first day of the season reaches it
    assert refresh_priorities(db, date(2026, 11, 30)) == (0, None)
    assert refresh_priorities(db, date(2026, 12, 1)) == (1, None)
    case = case_of(db, far)
    assert (case.tier, case.tier_rank) == ("urgent", 0)
    assert any("春节前" in reason for reason in case.priority_reasons)
    assert refresh_priorities(db, date(2027, 2, 16)) == (1, None)  # the first day out
    assert case_of(db, far).tier == "priority"

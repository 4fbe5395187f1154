import json

from sqlalchemy import func, select

from wagechannel.accounts.models import User
from wagechannel.boards.models import Board
from wagechannel.cli import main
from wagechannel.places.models import Project


def test_demo_is_idempotent_and_prints_logins(runner, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    for username in ("admin", "staff", "lawyer", "liaison", "contractor"):
        assert username in first.output
    assert "http://wc.test/s/" in first.output
    counts = (db.scalar(select(func.count(User.id))), db.scalar(select(func.count(Board.id))),
              db.scalar(select(func.count(Project.id))))
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0, second.output
    assert (db.scalar(select(func.count(User.id))), db.scalar(select(func.count(Board.id))),
            db.scalar(select(func.count(Project.id)))) == counts == (5, 2, 2)


def test_board_list_json(runner, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    result = runner.invoke(main, ["board", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    mine = next(row for row in rows if row["token"] == world.board.token)
    assert mine == {"board_id": world.board.id, "project_id": world.project.id,
                    "project_name": world.project.name, "token": world.board.token,
                    "url": f"http://wc.test/s/{world.board.token}", "active": True}
    text = runner.invoke(main, ["board", "list"])
    assert world.board.token in text.output


def test_user_add_checks_the_role_and_organisation(runner, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    ok = runner.invoke(main, ["user", "add", "--username", "newstaff", "--role", "legal_aid_staff",
                              "--password", "long-enough-1", "--organisation-id",
                              str(world.centre.id)])
    assert ok.exit_code == 0, ok.output
    wrong = runner.invoke(main, ["user", "add", "--username", "x", "--role", "legal_aid_staff",
                                 "--password", "long-enough-1", "--organisation-id",
                                 str(world.bureau.id)])
    assert wrong.exit_code != 0 and "机构" in wrong.output
    short = runner.invoke(main, ["user", "add", "--username", "y", "--role", "admin",
                                 "--password", "short"])
    assert short.exit_code != 0 and "8位" in short.output
    duplicate = runner.invoke(main, ["user", "add", "--username", "newstaff", "--role", "admin",
                                     "--password", "long-enough-1"])
    assert duplicate.exit_code != 0 and "已存在" in duplicate.output


def test_leads_route_retries_waiting_leads(runner, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from wagechannel.intake.services import store_lead
    from wagechannel.intake.validation import parse_lead
    from wagechannel.places.models import LEGAL_AID
    from wagechannel.places.services import create_organisation, ensure_region

    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    ensure_region(db, "440307", "深圳市龙岗区")
    world.project.region_code = "440307"
    data = parse_lead({"name": "张三", "consent": True}, today=date(2026, 11, 28))
    lead = store_lead(db, data, board=world.board, channel="qr")
    db.commit()
    failed = runner.invoke(main, ["leads", "route"])
    assert failed.exit_code == 1 and "待转交 1 条，已转交 0 条" in failed.output
    create_organisation(db, kind=LEGAL_AID, name="龙岗区法律援助中心", region_codes=["440307"])
    db.commit()
    done = runner.invoke(main, ["leads", "route"])
    assert done.exit_code == 0 and "已转交 1 条" in done.output
    assert db.get(type(lead), lead.id).status == "routed"


def test_scheduler_runs_the_routing_job_every_minute(app) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.scheduler import build_scheduler, route_pending

    job = build_scheduler(app).get_job("route_pending")
    assert job.func is route_pending and job.trigger.interval.total_seconds() == 60
    assert job.max_instances == 1


def test_setting_up_a_county_from_the_command_line(runner, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from wagechannel.places.models import BUREAU, Contractor, Organisation, Region
    from wagechannel.places.services import serving_organisation

    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    for args in (["region", "add", "510000", "四川省"],
                 ["region", "add", "510100", "成都市", "--min-wage-monthly", "2100"],
                 ["region", "add", "510104", "成都市锦江区"],
                 ["org", "add", "--kind", "legal_aid", "--name", "锦江区法律援助中心",
                  "--region", "510104", "--phone", "028-12345678", "--address", "锦江路1号"],
                 ["org", "add", "--kind", "bureau", "--name", "成都市人社局", "--region", "510100"],
                 ["contractor", "add", "四川某建设有限公司", "--phone", "028-87654321"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    assert db.get(Region, "510100").minimum_wage_monthly_fen == 210000
    assert serving_organisation(db, "510104", BUREAU).name == "成都市人社局"
    assert db.scalar(select(Contractor).where(Contractor.name == "四川某建设有限公司")) is not None
    bad = runner.invoke(main, ["region", "add", "12", "x"])
    assert bad.exit_code != 0 and "6位数字" in bad.output
    unknown = runner.invoke(main, ["org", "add", "--kind", "bureau", "--name", "x", "--region", "999999"])
    assert unknown.exit_code != 0 and "服务区域不存在" in unknown.output
    assert db.scalar(select(Organisation).where(Organisation.name == "x")) is None

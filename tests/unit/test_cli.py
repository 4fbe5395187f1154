import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.scratch_database import revision_before_head, scratch_database
from wagechannel.accounts.models import User
from wagechannel.boards.models import Board
from wagechannel.cases.models import Assignment, Case
from wagechannel.cli import UPGRADE_FIRST, main
from wagechannel.migrate import Schema, schema_state, upgrade
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
            db.scalar(select(func.count(Project.id)))) == counts
    users, boards, projects = counts
    assert users >= 5 and boards >= 2 and projects >= 2, counts
    lawyer = db.scalar(select(User).where(User.username == "lawyer"))
    work = db.scalars(select(Case).where(Case.lawyer_id == lawyer.id)).all()
    assert [(case.status, case.hardship_basis) for case in work] == [("assigned", "exempt_42_3")]
    assert db.scalar(select(func.count(Assignment.id))
                     .where(Assignment.lawyer_id == lawyer.id)) == 1  # once, however many runs


def test_board_list_json(runner, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._data_app", lambda: runner.app)
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


DEFAULT_ADDRESS = "http://127.0.0.1:8000"
ADDRESS_WARNING = f"二维码指向 {DEFAULT_ADDRESS}，打印前请设置 WAGECHANNEL_BASE_URL"
ENGLISH = re.compile(r"\b(Error|Usage|Try|Invalid|Missing|No such|Aborted|Traceback)\b")


@pytest.fixture()
def own_database(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Commands configured as on a fresh machine (environment only), on an empty database."""
    from wagechannel import crypto

    monkeypatch.setattr(crypto, "_keyring", crypto._keyring)  # the suite's keys come back after
    for name in ("WAGECHANNEL_BASE_URL", "WAGECHANNEL_DATA_KEYS", "WAGECHANNEL_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAGECHANNEL_INSTANCE_PATH", str(tmp_path / "instance"))
    with scratch_database(tmp_path) as url:
        monkeypatch.setenv("WAGECHANNEL_DATABASE_URL", url)
        yield url


def test_demo_upgrades_a_database_never_upgraded(own_database) -> None:  # type: ignore[no-untyped-def]
    assert schema_state(own_database).schema is Schema.EMPTY
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "admin" in result.stdout and f"{DEFAULT_ADDRESS}/s/" in result.stdout
    assert schema_state(own_database).schema is Schema.CURRENT
    listed = CliRunner().invoke(main, ["board", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout), "the demo's boards are listed"


@pytest.mark.parametrize("never_upgraded", [False, True], ids=["behind", "never-upgraded"])
def test_commands_on_a_database_behind_the_code_say_what_to_run(
        own_database, never_upgraded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not never_upgraded:
        upgrade(own_database, revision=revision_before_head())
    before = schema_state(own_database)
    assert before.schema is (Schema.EMPTY if never_upgraded else Schema.BEHIND)
    commands = [
        ["board", "list"],
        ["board", "list", "--json"],
        ["board", "render", "--project", "1", "--output", str(tmp_path / "out.pdf")],
        ["region", "add", "440305", "深圳市南山区"],
        ["org", "add", "--kind", "legal_aid", "--name", "某法律援助中心", "--region", "440305"],
        ["contractor", "add", "某建设有限公司"],
        ["user", "add", "--username", "u1", "--role", "admin", "--password", "long-enough-1"],
        ["leads", "route"],
        ["keys", "rotate"],
        ["scheduler"],
    ]
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (args, result.output, result.exception)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.stderr == f"错误：{UPGRADE_FIRST}\n", (args, result.output)
        assert result.stdout == "", (args, result.stdout)
    assert schema_state(own_database) == before, "a refused command changed nothing"
    assert not (tmp_path / "out.pdf").exists()


def test_board_commands_and_demo_warn_when_the_qr_address_is_the_default(
        runner, world, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zxingcpp
    from PIL import Image

    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    monkeypatch.setattr("wagechannel.cli._data_app", lambda: runner.app)  # board list's
    monkeypatch.delenv("WAGECHANNEL_BASE_URL", raising=False)
    monkeypatch.setitem(runner.app.config, "BASE_URL", DEFAULT_ADDRESS)
    png = tmp_path / "board.png"
    render = ["board", "render", "--project", str(world.project.id), "--size", "A5",
              "--format", "png", "--dpi", "150", "--output", str(png)]
    for args in (["board", "list"], ["board", "list", "--json"], render, ["demo"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert ADDRESS_WARNING in result.stderr.splitlines(), (args, result.stderr)
        assert ADDRESS_WARNING not in result.stdout, "the warning stays out of what is printed"
        assert f"{DEFAULT_ADDRESS}" in result.stdout, (args, result.stdout)
    board = f"{DEFAULT_ADDRESS}/s/{world.board.token}"
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(png))] == [board]

    public = "https://wc.example.cn"
    monkeypatch.setenv("WAGECHANNEL_BASE_URL", public)
    monkeypatch.setitem(runner.app.config, "BASE_URL", public)
    for args in (["board", "list"], render, ["demo"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert "WAGECHANNEL_BASE_URL" not in result.stderr, (args, result.stderr)
        assert public in result.stdout and DEFAULT_ADDRESS not in result.stdout, result.stdout
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(png))] == \
        [f"{public}/s/{world.board.token}"]


def test_an_unknown_board_size_is_said_in_chinese_without_a_path(
        runner, world, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.boards.layouts import layout_choices

    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    result = runner.invoke(main, ["board", "render", "--project", str(world.project.id),
                                  "--size", "A9", "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：没有 A9 这个版式"), result.stderr
    assert all(name in lines[0] for name, _description in layout_choices())
    assert "/" not in result.output and "toml" not in result.output, result.output
    assert not ENGLISH.search(result.output), result.output
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(("args", "said"), [
    (["board", "render", "--project", "1"], "缺少选项 --output"),
    (["board", "render", "--project", "1", "--format", "docx", "--output", "x"],
     "--format 只能是 pdf、png、zip 之一（给的是 docx）"),
    (["board", "render", "--dpi", "many", "--output", "x"], "--dpi 必须是整数"),
    (["bord", "list"], "没有 bord 这个命令。是不是要用 board？"),
    (["board", "list", "--bogus"], "没有 --bogus 这个选项"),
    (["region", "add", "440305"], "缺少参数 NAME"),
    (["board", "list", "extra"], "多余的参数：extra"),
    (["org", "add", "--kind"], "选项 --kind 后面要给一个值"),
], ids=["missing-option", "choice", "integer", "command", "option", "argument", "extra",
        "option-value"])
def test_click_usage_errors_are_said_in_chinese(args, said) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert said in result.stderr, result.stderr
    assert result.stderr.startswith("错误：") and "--help 查看用法" in result.stderr
    assert not ENGLISH.search(result.output), result.output


def test_user_add_asks_the_password_twice_in_chinese(runner, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    differ = runner.invoke(main, ["user", "add", "--username", "twice", "--role", "admin"],
                           input="long-enough-1\nlong-enough-2\n")
    assert differ.exit_code == 1 and "两次输入的密码不一样" in differ.stderr, differ.output
    assert not ENGLISH.search(differ.output), differ.output
    same = runner.invoke(main, ["user", "add", "--username", "twice", "--role", "admin"],
                         input="long-enough-1\nlong-enough-1\n")
    assert same.exit_code == 0 and "已创建账号 twice" in same.stdout, same.output


def test_a_new_password_or_deactivation_from_the_command_line(runner, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.accounts.models import AuditEvent
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    user_id = world.users["legal_aid_staff"].id

    def state() -> tuple[bool, int]:
        row = db.execute(select(User.is_active_account, User.session_version)
                         .where(User.id == user_id)).one()
        return bool(row[0]), int(row[1])

    active, version = state()
    result = runner.invoke(main, ["user", "password", "staff", "--password", "new-password-9"])
    assert result.exit_code == 0 and "原来的登录都已失效" in result.output
    assert state() == (True, version + 1)
    result = runner.invoke(main, ["user", "deactivate", "staff"])
    assert result.exit_code == 0 and "已停用" in result.output
    assert state() == (False, version + 2)
    assert runner.invoke(main, ["user", "deactivate", "nobody"]).exit_code == 1
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"password_changed", "user_deactivated"} <= actions


def test_demo_scale_and_export_are_commands(runner, db, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    first = runner.invoke(main, ["demo", "--scale", "30", "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert "新加入 30 条反映" in first.output
    again = runner.invoke(main, ["demo", "--scale", "30", "--seed", "7"])
    assert "新加入 0 条反映" in again.output and "此前已有 30 条" in again.output
    output = tmp_path / "ledger.xlsx"
    exported = runner.invoke(main, ["export", "ledger", "--output", str(output)])
    assert exported.exit_code == 0, exported.output
    assert output.stat().st_size > 0

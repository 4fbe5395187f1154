"""Commands for deadlines: `wagechannel deadlines compute`, `wagechannel calendar add|list`,
`wagechannel remind --once` (registered on the top command group in wagechannel/cli.py)."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

import click

from wagechannel.deadlines.rules import RULES

# wagechannel/cli.py imports this module to register its commands, so its helpers are taken
# when a command runs, not at import.


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from wagechannel.cli import with_app as in_app
        return in_app(command)(*args, **kwargs)
    return wrapped


def _usage(message: str, hint: str) -> click.ClickException:
    from wagechannel.cli import CommandUsageError
    return CommandUsageError(message, hint)


def _day(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise _usage(f"{what}应写成 YYYY-MM-DD，例如 2026-11-30（给的是 {raw}）。",
                     "运行 wagechannel --help 查看用法。") from None


def _with_calendar() -> None:
    from wagechannel.scheduler import with_calendar
    with_calendar()


@click.group("deadlines", help="期限")
def deadlines() -> None:
    """期限"""


@deadlines.command("compute", help="按规则和起算日计算期限的最后一天（与案件页的计算器相同）")
@click.argument("rule", type=click.Choice(sorted(RULES)), metavar="RULE")
@click.argument("trigger", metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@with_app
def compute(rule: str, trigger: str, as_json: bool) -> None:
    from flask import current_app

    from wagechannel.deadlines.services import compute_due

    day = _day(trigger, "起算日")
    _with_calendar()
    due = compute_due(rule, day, current_app.config)
    if as_json:
        click.echo(json.dumps(due.as_dict(), ensure_ascii=False))
        return
    mark = "（暂定：涉及尚未公布放假安排的年份）" if due.provisional else ""
    click.echo(f"{due.rule.label}：{due.trigger.isoformat()} 起算，最后一天 "
               f"{due.due.isoformat()}{mark}。依据：{due.rule.article}")


@click.group("calendar", help="工作日历：放假和调休上班的日子（覆盖公布的安排）")
def calendar() -> None:
    """工作日历"""


@calendar.command("add", help="把某天设为放假（--holiday）或上班（--working）")
@click.argument("day", metavar="YYYY-MM-DD")
@click.option("--holiday", "kind", flag_value="holiday", help="这天放假")
@click.option("--working", "kind", flag_value="working", help="这天上班（调休）")
@click.option("--note", default=None, help="说明，例如“春节调休”")
@with_app
def calendar_add(day: str, kind: str | None, note: str | None) -> None:
    from wagechannel.accounts.services import record
    from wagechannel.deadlines.services import set_entry
    from wagechannel.extensions import db

    when = _day(day, "日期")
    if kind is None:
        raise _usage("请用 --holiday 或 --working 说明这天放假还是上班。",
                     "运行 wagechannel calendar add --help 查看用法。")
    from wagechannel.cli import reported
    with reported(), db.unit_of_work() as session:
        set_entry(session, when, working=kind == "working", note=note, user=None)
        record(session, "calendar_entry_set", object_type="calendar", object_id=when.isoformat(),
               working=kind == "working")
    click.echo(f"{when.isoformat()} 已设为{'上班' if kind == 'working' else '放假'}。")


@calendar.command("list", help="列出管理员录入的放假和调休上班日")
@click.option("--year", type=click.IntRange(2004, 2100), default=None, help="只列出这一年")
@with_app
def calendar_list(year: int | None) -> None:
    from wagechannel.deadlines.services import entry_list
    from wagechannel.extensions import db

    with db.unit_of_work() as session:
        entries = entry_list(session, year)
    if not entries:
        click.echo(f"{year}年没有录入。" if year else "没有录入。")
    for entry in entries:
        click.echo(f"{entry.day.isoformat()}\t{'上班' if entry.working else '放假'}\t"
                   f"{entry.note or ''}".rstrip())


@click.command("remind", help="发送期限提醒：--once 运行一次（定时运行请用 wagechannel scheduler）")
@click.option("--once", is_flag=True, help="运行一次就退出")
@click.option("--backfill", is_flag=True, help="同时给所有未结案件补上受理期限（通常只在第一次自动进行）")
def remind(once: bool, backfill: bool) -> None:
    from wagechannel.cli import CommandError, _ready_app
    from wagechannel.scheduler import remind as run

    if not once:
        raise _usage("请加上 --once 运行一次；定时运行请用 wagechannel scheduler。",
                     "运行 wagechannel remind --help 查看用法。")
    app = _ready_app()
    try:
        result = run(app, backfill=True if backfill else None)
    except ValueError as error:  # a setting the application refuses
        raise CommandError(str(error)) from error
    delivery = result.delivery
    click.echo(f"补上期限 {result.seeded} 项，已结 {result.settled} 项，写入提醒 {result.written} 条，"
               f"每日汇总 {result.digests} 条，每周统计 {result.weekly} 条；"
               f"发出 {delivery.sent} 条，待重试 {delivery.retrying} 条，失败 {delivery.failed} 条。")
    if delivery.failed:
        raise SystemExit(1)

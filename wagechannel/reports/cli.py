"""`wagechannel export ledger|summary [--region CODE] [--from DATE] [--to DATE] --output PATH.xlsx`
(registered on the top command group in wagechannel/cli.py).

The command line has no role: the ledger's names are always masked, and each export is an
audit event with no actor (via "command")."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

# wagechannel/cli.py imports this module to register its commands, so its helpers are taken
# when a command runs, not at import.


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from wagechannel.cli import with_app as in_app
        return in_app(command)(*args, **kwargs)
    return wrapped


def _filters(region: str | None, start: str | None, end: str | None) -> Any:
    from wagechannel.bureau.filters import parse_filters
    from wagechannel.cli import CommandUsageError
    from wagechannel.clock import local_today

    filters, errors = parse_filters({"region": region, "from": start, "to": end},
                                    today=local_today(), scope=None, boss=False)
    if errors:
        options = {"region": "--region", "from": "--from", "to": "--to"}
        message = "；".join(f"{options.get(name, name)}：{text}" for name, text in errors.items())
        raise CommandUsageError(message, "运行 wagechannel export --help 查看用法。")
    return filters


def _write(export: Any, output: str) -> None:
    """Copy the finished workbook to its path (a partial file never stays behind)."""
    from wagechannel.cli import CommandError

    partial = f"{output}.part"
    try:
        with open(partial, "wb") as target:
            shutil.copyfileobj(export.file, target)
        os.replace(partial, output)
    except OSError as error:
        if os.path.exists(partial):
            os.remove(partial)
        raise CommandError(f"无法写入 {output}：{error.strerror or error}") from error
    finally:
        export.file.close()


def _run(kind: str, region: str | None, start: str | None, end: str | None,
         output: str) -> None:
    from wagechannel.bureau.services import chosen_names
    from wagechannel.clock import local_today
    from wagechannel.extensions import db as database
    from wagechannel.places.models import Region
    from wagechannel.reports.ledger import export_ledger
    from wagechannel.reports.summary import export_summary

    if not output.lower().endswith(".xlsx"):
        from wagechannel.cli import CommandUsageError
        raise CommandUsageError("--output 的文件名应以 .xlsx 结尾。",
                                "运行 wagechannel export --help 查看用法。")
    filters = _filters(region, start, end)
    write = export_ledger if kind == "ledger" else export_summary
    with database.unit_of_work() as session:
        if filters.region is not None and session.get(Region, filters.region) is None:
            from wagechannel.cli import CommandUsageError
            raise CommandUsageError(f"--region：没有登记行政区划代码为 {filters.region} 的地区。",
                                    "请检查代码，或先用 wagechannel region add 登记。")
        export = write(session, filters, None, user=None, names=chosen_names(session, filters),
                       via="command", today=local_today())
        _write(export, output)
    what = f"{export.rows} 行" if kind == "ledger" else f"{export.rows} 个地区"
    click.echo(f"已导出 {filters.period.label}（{what}）到 {output}")


OPTIONS = [
    click.option("--region", default=None, metavar="CODE",
                 help="只导出一个地区（行政区划代码；市包括所辖区县）"),
    click.option("--from", "start", default=None, metavar="YYYY-MM-DD", help="开始日期（含）"),
    click.option("--to", "end", default=None, metavar="YYYY-MM-DD",
                 help="结束日期（含）；都不给时为最近12周"),
    click.option("--output", required=True, metavar="PATH.xlsx",
                 type=click.Path(dir_okay=False, writable=True), help="写到这个Excel文件"),
]


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(OPTIONS):
        command = option(command)
    return command


@click.group("export", help="导出Excel：台账和汇总")
def export() -> None:
    """导出Excel"""


@export.command("ledger", help="台账：每条反映一行，附其案件（反映人姓名隐去部分字，不含查询码和电话）")
@_options
@with_app
def ledger(region: str | None, start: str | None, end: str | None, output: str) -> None:
    _run("ledger", region, start, end, output)


@export.command("summary", help="汇总：一个时间段（月、季度、年）的收案、受理、给予、不予、结案、受援人数和金额，按地区和办理方式")
@_options
@with_app
def summary(region: str | None, start: str | None, end: str | None, output: str) -> None:
    _run("summary", region, start, end, output)

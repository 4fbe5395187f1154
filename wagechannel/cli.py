"""The `wagechannel` command: thin wrappers over the services."""
from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
from flask import Flask, current_app

from wagechannel.errors import DomainError

UPGRADE_FIRST = "数据库结构不是最新的，请先运行 wagechannel db upgrade"


class CommandError(click.ClickException):
    """What a command says when it cannot go on: one Chinese line on stderr, exit status 1."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file: Any = None) -> None:
        click.echo(f"错误：{self.message}", file=file, err=file is None)
        if self.hint:
            click.echo(self.hint, file=file, err=file is None)


class CommandUsageError(CommandError):
    """The command line itself was wrong (exit status 2, as click's own usage errors)."""

    exit_code = 2


@contextmanager
def reported() -> Iterator[None]:
    """A domain rule's Chinese message becomes the command's error (exit status 1)."""
    from wagechannel.boards.fonts import FontMissing
    from wagechannel.places.services import ProjectInvalid

    try:
        yield
    except (DomainError, FontMissing) as error:
        raise CommandError(error.message) from error
    except ProjectInvalid as invalid:
        raise CommandError("；".join(invalid.errors.values())) from invalid


_CJK = re.compile(r"[\u4e00-\u9fff]")
_QUOTED_VALUE = re.compile(r"""^(['"])(.*?)\1 is """)
_PATH_PROBLEMS = {"does not exist": "不存在", "is a directory": "是一个文件夹",
                  "is a file": "是一个文件", "is not writable": "不能写入",
                  "is not readable": "不能读取", "is not executable": "不能执行"}


def _param_name(error: click.BadParameter) -> str:
    if error.param_hint:
        hint = error.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    param = error.param
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name if param is not None else "参数"


def _bad_value(error: click.BadParameter) -> str:
    name, param = _param_name(error), error.param
    kind = param.type if param is not None else None
    quoted = _QUOTED_VALUE.match(error.message)
    given = f"（给的是 {quoted.group(2)}）" if quoted else ""
    if isinstance(kind, click.Choice):
        return f"{name} 只能是 {'、'.join(map(str, kind.choices))} 之一{given}。"
    if isinstance(kind, (click.IntRange, click.FloatRange)):
        return f"{name} 超出了允许的范围。"
    if isinstance(kind, click.types.IntParamType):
        return f"{name} 必须是整数{given}。"
    if isinstance(kind, click.types.FloatParamType):
        return f"{name} 必须是数字{given}。"
    if isinstance(kind, click.Path):
        problem = next((text for english, text in _PATH_PROBLEMS.items()
                        if english in error.message), "不能用")
        return f"{name} 指定的路径{problem}。"
    if _CJK.search(error.message):
        return f"{name}：{error.message}"
    return f"{name} 的值不对{given}。"


def _in_chinese(error: click.ClickException, command_path: str) -> CommandError:
    """Click's own (English) errors and ours, said in Chinese: the one place they are worded."""
    if isinstance(error, CommandError):
        return error
    ctx = getattr(error, "ctx", None)
    if ctx is not None:  # the parser's own errors come without one: the outer command's path
        command_path = ctx.command_path
    hint = f"运行 {command_path} --help 查看用法。"
    if isinstance(error, click.MissingParameter):
        param = error.param
        if isinstance(param, click.Option):
            message = f"缺少选项 {_param_name(error)}。"
            if isinstance(param.type, click.Choice):
                message += f"可选：{'、'.join(map(str, param.type.choices))}。"
        else:
            message = f"缺少参数 {_param_name(error)}。"
    elif isinstance(error, click.BadParameter):
        message = _bad_value(error)
    elif isinstance(error, click.NoSuchOption):
        message = f"没有 {error.option_name} 这个选项。"
        if error.possibilities:
            message += f"是不是要用 {'、'.join(error.possibilities)}？"
    elif isinstance(error, click.exceptions.NoSuchCommand):
        message = f"没有 {error.command_name} 这个命令。"
        if error.possibilities:
            message += f"是不是要用 {'、'.join(error.possibilities)}？"
    elif isinstance(error, click.BadOptionUsage):
        if "does not take a value" in error.message:
            message = f"选项 {error.option_name} 后面不能带值。"
        else:
            message = f"选项 {error.option_name} 后面要给一个值。"
    elif isinstance(error, click.BadArgumentUsage) and not _CJK.search(error.message):
        message = "参数的个数不对。"
    elif isinstance(error, click.FileError):
        message = f"无法打开文件 {error.ui_filename}。"
    elif _CJK.search(error.message):
        message = error.message
    elif error.message.startswith("Got unexpected extra argument"):
        extra = error.message.partition("(")[2].rstrip(")")
        message = f"多余的参数：{extra}。"
    elif error.message == "Missing command.":
        message = "缺少子命令。"
    else:
        message = "命令的用法不对。"
    if isinstance(error, click.UsageError):
        return CommandUsageError(message, hint)
    return CommandError(message)


@contextmanager
def _said_in_chinese(command_path: str) -> Iterator[None]:
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # the help text itself, shown as click shows it
    except click.ClickException as error:
        raise _in_chinese(error, command_path) from error
    except (click.Abort, KeyboardInterrupt, EOFError) as error:
        raise CommandError("已取消。") from error


class Commands(click.Group):
    """The top command group: every error, click's own included, reaches the user in Chinese."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with _said_in_chinese(info_name or "wagechannel"):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _said_in_chinese(ctx.command_path):
            return super().invoke(ctx)


def _app() -> Flask:
    from wagechannel import create_app
    return create_app()


def _data_app() -> Flask:
    """The configuration and the database only, without the pages: no blueprint (nor what the
    pages import: PDF, images, workbooks) and no key is loaded. For a command that only reads
    rows and prints them (`board list`); its settings are read as create_app reads them."""
    from wagechannel import models  # noqa: F401  (complete metadata before first use)
    from wagechannel.config import (Defaults, default_database_url, from_environment,
                                    private_folder)
    from wagechannel.extensions import db as database

    settings = from_environment()
    instance_path = settings.get("INSTANCE_PATH") or os.environ.get("WAGECHANNEL_INSTANCE_PATH")
    app = Flask("wagechannel",
                instance_path=os.path.abspath(instance_path) if instance_path else None)
    app.config.from_object(Defaults)
    app.config.update(settings)
    if not app.config.get("DATABASE_URL"):
        private_folder(app.instance_path)
        app.config["DATABASE_URL"] = default_database_url(app.instance_path)
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    database.init_app(app)
    return app


def _ensure_schema(app: Flask, *, upgrade: bool = False) -> None:
    """The database at this code's revision: upgraded when asked, else a line saying what to run."""
    from sqlalchemy.exc import DBAPIError

    from wagechannel.migrate import Schema, schema_state
    from wagechannel.migrate import upgrade as upgrade_database

    url = app.config["DATABASE_URL"]
    try:
        state = schema_state(url)
    except DBAPIError as error:
        raise CommandError("连不上数据库，请检查 WAGECHANNEL_DATABASE_URL 和数据库服务是否已启动。") from error
    if state.schema is Schema.CURRENT:
        return
    if state.schema is Schema.UNKNOWN:
        raise CommandError(f"数据库结构（版本 {'、'.join(state.revisions)}）比这个版本的 wagechannel 新，"
                           "请先升级 wagechannel")
    if not upgrade:
        raise CommandError(UPGRADE_FIRST)
    upgrade_database(url)


def _ready_app(*, upgrade: bool = False, data_only: bool = False) -> Flask:
    app = _data_app() if data_only else _app()
    _ensure_schema(app, upgrade=upgrade)
    return app


def with_app(command: Callable[..., Any] | None = None, *,
             upgrade: bool = False, data_only: bool = False) -> Any:
    """Run the command in the app's context, its database at this code's revision
    (`data_only`: an app of the configuration and the database, _data_app)."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            app = _ready_app(upgrade=upgrade, data_only=data_only)
            with app.app_context():
                return command(*args, **kwargs)
        return wrapped
    return decorate(command) if command is not None else decorate


def _warn_base_url(url: str) -> None:
    click.echo(f"二维码指向 {url}，打印前请设置 WAGECHANNEL_BASE_URL", err=True)


def _base_url() -> str:
    """The address QR codes encode; a line on stderr when it is the default nobody chose."""
    from wagechannel.config import Defaults

    url = str(current_app.config["BASE_URL"])
    if not os.environ.get("WAGECHANNEL_BASE_URL") and url == Defaults.BASE_URL.rstrip("/"):
        _warn_base_url(url)
    return url


@click.group(cls=Commands, help="农民工讨薪绿色通道（wagechannel）管理命令")
def main() -> None:
    """The `wagechannel` command."""


@main.group(help="数据库")
def db() -> None:
    """数据库"""


@db.command("upgrade", help="把数据库升级到最新结构")
def db_upgrade() -> None:
    _ready_app(upgrade=True)
    click.echo("数据库已是最新结构。")


def _demo(password: str | None, base_url: str) -> None:
    from wagechannel.boards.services import board_url
    from wagechannel.demo import load_demo
    from wagechannel.extensions import db as database

    with reported(), database.unit_of_work() as session:
        result = load_demo(session, password)
        click.echo("演示账号（用户名 / 密码 / 角色）：")
        for username, pw, role in result.logins:
            click.echo(f"  {username:<11} {pw:<18} {role}")
        board = result.boards[0]
        click.echo(f"告示牌二维码表单：{board_url(base_url, board.token)}")


@main.command(help="载入演示数据（可重复运行；数据库不是最新结构时先升级）")
@click.option("--password", default=None, help="演示账号的密码（至少8位）")
@click.option("--scale", type=click.IntRange(min=1), default=None,
              help="再加入这么多条模拟的欠薪反映（用于试用统计页和性能测试；同一 --seed 重复运行不会重复加入）")
@click.option("--seed", type=int, default=1, show_default=True, help="模拟数据的随机种子")
@with_app(upgrade=True)
def demo(password: str | None, scale: int | None, seed: int) -> None:
    _demo(password, _base_url())
    if scale:
        from wagechannel.demo import load_scale
        from wagechannel.extensions import db as database

        with reported():
            result = load_scale(database.session, scale, seed)
        click.echo(f"模拟数据：新加入 {result.added} 条反映（此前已有 {result.existing} 条），"
                   f"{result.cases} 个案件，用时 {result.seconds:.0f} 秒。")


def _listen_failure(host: str, port: int, error: Exception) -> str:
    code = getattr(error, "errno", None)
    if code == errno.EADDRINUSE:
        return f"端口 {port} 已被占用：请先停止占用它的程序，或用 --port 换一个端口"
    if code == errno.EACCES:
        return f"没有权限使用端口 {port}（1024 以下的端口要有管理员权限），请用 --port 换一个端口"
    return f"无法在 {host}:{port} 上启动网页服务，请检查 --host 和 --port"


@main.command(help="升级数据库并启动网页服务（waitress）")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="同时载入演示数据")
def serve(host: str, port: int, threads: int, with_demo: bool) -> None:
    from waitress import create_server

    app = _app()
    try:  # binds the port: nothing is said to be running before this succeeds
        server = create_server(app, host=host, port=port, threads=threads, ident="wagechannel")
    except (OSError, ValueError) as error:
        raise CommandError(_listen_failure(host, port, error)) from error
    port = int(getattr(server, "effective_port", port))  # --port 0: the one the system chose
    if not os.environ.get("WAGECHANNEL_BASE_URL"):
        # No public address configured: QR codes and printed links point at this server.
        app.config["BASE_URL"] = f"http://{host}:{port}"
        _warn_base_url(app.config["BASE_URL"])
    _ensure_schema(app, upgrade=True)
    if with_demo:
        with app.app_context():
            _demo(None, app.config["BASE_URL"])
    click.echo(f"wagechannel 正在 http://{host}:{port}/ 上运行（Ctrl+C 停止）")
    sys.stdout.flush()
    server.run()


@main.group(help="告示牌")
def board() -> None:
    """告示牌"""


@board.command("list", help="列出全部告示牌及其二维码地址")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出（默认紧凑，一行）")
@click.option("--indent", type=click.IntRange(0, 8), default=None,
              help="JSON 每层缩进的空格数（便于阅读）")
@with_app(data_only=True)
def board_list(as_json: bool, indent: int | None) -> None:
    from wagechannel.boards.services import board_list_rows, board_url
    from wagechannel.extensions import db as database

    base_url = _base_url()
    rows = board_list_rows(database.session)
    if as_json:
        listed = [{"board_id": board_id, "project_id": project_id, "project_name": name,
                   "token": token, "url": board_url(base_url, token),
                   "active": revoked_at is None}
                  for board_id, project_id, name, token, revoked_at in rows]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=indent,
                              separators=None if indent is not None else (",", ":")))
        return
    if not rows:
        click.echo("还没有告示牌。")
        return
    click.echo("\n".join(f"{project_id:>5}  {name}  {token}  {board_url(base_url, token)}"
                         f"{'' if revoked_at is None else '  （已作废）'}"
                         for _board_id, project_id, name, token, revoked_at in rows))


def _layout(size: str) -> Any:
    """The layout called `size`, or a Chinese line naming the sizes there are."""
    from wagechannel.boards.layouts import LayoutError, get_layout, layout_choices, layout_names

    try:
        return get_layout(size)
    except LayoutError as error:
        usable = "、".join(name for name, _description in layout_choices()) or "无"
        if size in layout_names():
            message = f"版式 {size} 的设置文件有错误，暂时不能用。能用的版式：{usable}"
        else:
            message = f"没有 {size} 这个版式。能用的版式：{usable}"
        raise CommandError(message) from error


@board.command("render", help="把告示牌输出为可印刷的文件（PDF、PNG 或 PNG 压缩包）")
@click.option("--project", "project_id", type=int, default=None, help="一个项目的全部告示牌")
@click.option("--contractor", "contractor_id", type=int, default=None, help="一家施工总承包单位的全部告示牌")
@click.option("--region", "region_code", default=None, help="一个地区（行政区划代码）的全部告示牌")
@click.option("--size", default="A2", show_default=True, help="版式：notices/ 下的文件名，如 A1 A2 A3 A5")
@click.option("--format", "fmt", type=click.Choice(["pdf", "png", "zip"]), default="pdf",
              show_default=True, help="pdf：多页PDF；png：单块告示牌的PNG；zip：每块一张PNG")
@click.option("--dpi", default=300, show_default=True, type=int, help="PNG 分辨率")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="输出文件")
@with_app
def board_render(project_id: int | None, contractor_id: int | None, region_code: str | None,
                 size: str, fmt: str, dpi: int, output: str) -> None:
    from wagechannel.boards.batch import write_pdf, write_png_zip
    from wagechannel.boards.fonts import find_font
    from wagechannel.boards.layouts import LayoutError
    from wagechannel.boards.render import render_png
    from wagechannel.boards.services import BatchScope, batch_selection
    from wagechannel.extensions import db as database

    if sum(value is not None for value in (project_id, contractor_id, region_code)) != 1:
        raise CommandUsageError("请指定 --project、--contractor、--region 中的一个。")
    layout = _layout(size)
    with reported():
        font = find_font(current_app.config.get("FONT"))
        selection = batch_selection(database.session, BatchScope(
            project_id=project_id, contractor_id=contractor_id, region_code=region_code))
    for project, missing in selection.incomplete:
        click.echo(f"跳过 {project.id} {project.name}：缺 {'、'.join(missing)}", err=True)
    if not selection.ready:
        raise CommandError("没有可以打印的告示牌。")
    if fmt == "png" and len(selection.ready) != 1:
        raise CommandError(
            f"共有 {len(selection.ready)} 块告示牌，PNG 只能输出一块；多块请用 --format zip 或 pdf。")
    base_url = _base_url()
    contents = selection.contents(database.session, base_url)
    try:
        with open(output, "wb") as handle:
            if fmt == "pdf":
                write_pdf(contents, layout, font, handle)
            elif fmt == "zip":
                write_png_zip(contents, layout, font, handle, dpi=dpi)
            else:
                handle.write(render_png(next(iter(contents)), layout, font, dpi=dpi).data)
    except OSError as error:
        raise CommandError(f"无法写入 {output}：请确认文件夹存在并且可以写入。") from error
    except LayoutError as error:  # a board that does not fit says so in Chinese; keep no half file
        os.remove(output)
        raise CommandError(getattr(error, "message", None)
                           or f"版式 {layout.name} 有错误，无法输出。") from error
    click.echo(f"已输出 {len(selection.ready)} 块告示牌（{layout.name}，{fmt}）到 {output}，"
               f"二维码指向 {base_url}")


@main.group(help="行政区划")
def region() -> None:
    """行政区划"""


@region.command("add", help="登记行政区划（GB/T 2260 六位代码）")
@click.argument("code")
@click.argument("name")
@click.option("--min-wage-monthly", default=None, help="最低工资标准（元/月）")
@click.option("--min-wage-hourly", default=None, help="小时最低工资标准（元/小时）")
@with_app
def region_add(code: str, name: str, min_wage_monthly: str | None,
               min_wage_hourly: str | None) -> None:
    from wagechannel.extensions import db as database
    from wagechannel.places.services import ensure_region, set_region_wage

    with reported(), database.unit_of_work() as session:
        created = ensure_region(session, code, name)
        if min_wage_monthly or min_wage_hourly:
            set_region_wage(session, created, monthly=min_wage_monthly,
                            hourly=min_wage_hourly)
    click.echo(f"已登记 {code} {name}。")


@main.group(help="法律援助中心和人社部门")
def org() -> None:
    """法律援助中心和人社部门"""


@org.command("add", help="登记法律援助中心或人社部门及其服务的行政区划")
@click.option("--kind", required=True, type=click.Choice(["legal_aid", "bureau"]))
@click.option("--name", required=True)
@click.option("--region", "regions", required=True, multiple=True, help="服务的行政区划代码，可多次给出")
@click.option("--phone", default=None)
@click.option("--address", default=None)
@with_app
def org_add(kind: str, name: str, regions: tuple[str, ...], phone: str | None,
            address: str | None) -> None:
    from wagechannel.extensions import db as database
    from wagechannel.places.services import create_organisation

    with reported(), database.unit_of_work() as session:
        created = create_organisation(session, kind=kind, name=name,
                                      region_codes=list(regions), phone=phone,
                                      address=address)
        click.echo(f"已登记 {created.name}（编号 {created.id}）。")


@main.group(help="施工总承包单位")
def contractor() -> None:
    """施工总承包单位"""


@contractor.command("add", help="登记施工总承包单位")
@click.argument("name")
@click.option("--credit-code", default=None, help="统一社会信用代码")
@click.option("--phone", default=None)
@with_app
def contractor_add(name: str, credit_code: str | None, phone: str | None) -> None:
    from wagechannel.extensions import db as database
    from wagechannel.places.services import create_contractor

    with reported(), database.unit_of_work() as session:
        created = create_contractor(session, name=name, credit_code=credit_code, phone=phone)
        click.echo(f"已登记 {created.name}（编号 {created.id}）。")


@main.group(help="账号")
def user() -> None:
    """账号"""


def _ask_password() -> str:
    """Asked twice without echo; click's own prompt would answer a mismatch in English."""
    password = click.prompt("密码", hide_input=True)
    if click.prompt("再输入一次密码", hide_input=True) != password:
        raise CommandError("两次输入的密码不一样。")
    return str(password)


@user.command("add", help="新建账号")
@click.option("--username", required=True)
@click.option("--role", required=True,
              type=click.Choice(["admin", "legal_aid_staff", "lawyer", "bureau_liaison", "contractor"]))
@click.option("--password", default=None, help="不给出时在终端里输入两次")
@click.option("--name", "display_name", default=None, help="显示名")
@click.option("--organisation-id", type=int, default=None, help="所属机构（法援中心或人社部门）")
@click.option("--contractor-id", type=int, default=None, help="所属施工总承包单位")
@with_app
def user_add(username: str, role: str, password: str | None, display_name: str | None,
             organisation_id: int | None, contractor_id: int | None) -> None:
    from wagechannel.accounts.services import create_user
    from wagechannel.extensions import db as database

    if password is None:
        password = _ask_password()
    with reported(), database.unit_of_work() as session:
        created = create_user(session, username=username, password=password, role=role,
                              display_name=display_name, organisation_id=organisation_id,
                              contractor_id=contractor_id)
        click.echo(f"已创建账号 {created.username}（{created.role_label}）。")


def _account(session: object, username: str) -> object:
    from sqlalchemy import select

    from wagechannel.accounts.models import User
    found = session.scalar(select(User).where(User.username == username.strip()))  # type: ignore[attr-defined]
    if found is None:
        raise click.ClickException(f"没有 {username} 这个账号。")
    return found


@user.command("password", help="给账号设置新密码（该账号的所有登录随即失效）")
@click.argument("username")
@click.option("--password", default=None, help="不给出时在终端里输入两次")
@with_app
def user_password(username: str, password: str | None) -> None:
    from wagechannel.accounts.services import record, set_password
    from wagechannel.extensions import db as database

    if password is None:
        password = _ask_password()
    with reported(), database.unit_of_work() as session:
        account = _account(session, username)
        set_password(account, password)  # type: ignore[arg-type]
        record(session, "password_changed", object_type="user", object_id=account.id)  # type: ignore[attr-defined]
    click.echo(f"{username} 的密码已更换，原来的登录都已失效。")


@user.command("deactivate", help="停用账号（该账号的所有登录随即失效）")
@click.argument("username")
@with_app
def user_deactivate(username: str) -> None:
    from wagechannel.accounts.services import record, set_active
    from wagechannel.extensions import db as database

    with reported(), database.unit_of_work() as session:
        account = _account(session, username)
        set_active(account, False)  # type: ignore[arg-type]
        record(session, "user_deactivated", object_type="user", object_id=account.id)  # type: ignore[attr-defined]
    click.echo(f"账号 {username} 已停用，它的所有登录都已失效。")


@main.group(help="案件接口的个人令牌（Authorization: Bearer …）")
def token() -> None:
    """案件接口的个人令牌"""


@token.command("create", help="给账号发放一个新令牌（只显示这一次）")
@click.option("--username", required=True)
@click.option("--label", default=None, help="备注，例如用在哪个系统")
@with_app
def token_create(username: str, label: str | None) -> None:
    from wagechannel.accounts.tokens import create_token
    from wagechannel.extensions import db as database

    with reported(), database.unit_of_work() as session:
        made, raw = create_token(session, _account(session, username), label=label)  # type: ignore[arg-type]
        made_id = made.id
    click.echo(raw)
    click.echo(f"已给 {username} 发放令牌（编号 {made_id}）。令牌只显示这一次，请立即保存；"
               f"丢失后停用它（wagechannel token revoke {made_id}）再发一个。", err=True)


@token.command("revoke", help="停用一个令牌（按编号，见 token list）")
@click.argument("token_id", type=int)
@with_app
def token_revoke(token_id: int) -> None:
    from wagechannel.accounts.tokens import revoke_token
    from wagechannel.extensions import db as database

    with reported(), database.unit_of_work() as session:
        revoke_token(session, token_id)
    click.echo(f"令牌 {token_id} 已停用，用它的请求从现在起都会被拒绝。")


@token.command("list", help="列出账号的令牌（编号、备注、时间；不显示令牌本身）")
@click.option("--username", required=True)
@with_app
def token_list(username: str) -> None:
    from wagechannel.accounts.tokens import tokens_of
    from wagechannel.extensions import db as database
    from wagechannel.templating import when

    with reported(), database.unit_of_work() as session:
        rows = tokens_of(session, _account(session, username))  # type: ignore[arg-type]
        if not rows:
            click.echo(f"{username} 没有令牌。")
        for row in rows:
            state = f"已停用 {when(row.revoked_at)}" if row.revoked_at else "有效"
            used = when(row.last_used_at) if row.last_used_at else "从未使用"
            click.echo(f"{row.id}\t{row.label or '—'}\t发放 {when(row.created_at)}\t"
                       f"最近使用 {used}\t{state}")


@main.group(help="线索")
def leads() -> None:
    """线索"""


@leads.command("route", help="把尚未转交的线索转交给管辖机构（失败的会留待下次）")
def leads_route() -> None:
    from datetime import timedelta

    from wagechannel.scheduler import route_pending

    waiting, routed = route_pending(_ready_app(), min_age=timedelta(0))
    click.echo(f"待转交 {waiting} 条，已转交 {routed} 条。")
    if routed < waiting:
        sys.exit(1)


@main.group(help="个人信息加密密钥")
def keys() -> None:
    """个人信息加密密钥"""


@keys.command("rotate", help="换用新密钥并重新加密全部手机号和身份证号")
@click.option("--new-key/--no-new-key", default=None,
              help="在实例目录的密钥文件里生成新密钥（默认：密钥来自实例目录时生成）")
def keys_rotate(new_key: bool | None) -> None:
    from wagechannel import crypto
    from wagechannel.extensions import db as database

    app = _ready_app()
    from_instance = not app.config.get("DATA_KEYS")
    if new_key is None:
        new_key = from_instance
    if new_key and not from_instance:
        raise CommandError("密钥来自 WAGECHANNEL_DATA_KEYS：请把新密钥放在最前面后再运行本命令。")
    if new_key:
        crypto.add_instance_key(app.instance_path)
        app = _app()  # the new key first
    with app.app_context():
        keyring = crypto.keyring()
        with database.engine.begin() as connection:
            count = crypto.rotate_all(connection, keyring)
    click.echo(f"已用最新密钥重新加密 {count} 个值。旧密钥仍可保留一段时间用于解密备份。")


@main.command(help="启动定时任务进程（每个部署只运行一个）")
def scheduler() -> None:
    import logging

    from wagechannel.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = _ready_app()
    click.echo("定时任务已启动（Ctrl+C 停止）：每分钟转交未转交的线索、发送期限提醒；"
               "每天刷新案件的紧急程度、删除过期的个人信息和扫码地址。")
    try:
        build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("定时任务已停止。")


def _deadline_commands() -> None:
    """`deadlines`, `calendar` and `remind` (wagechannel/deadlines/cli.py); `export`
    (wagechannel/reports/cli.py)."""
    from wagechannel.deadlines.cli import calendar, deadlines, remind
    from wagechannel.reports.cli import export
    for command in (deadlines, calendar, remind, export):
        main.add_command(command)


_deadline_commands()


if __name__ == "__main__":
    main()

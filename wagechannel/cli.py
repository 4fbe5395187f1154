"""The `wagechannel` command: thin wrappers over the services."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
from flask import Flask, current_app

from wagechannel.errors import DomainError


def _app() -> Flask:
    from wagechannel import create_app
    return create_app()


@contextmanager
def reported() -> Iterator[None]:
    """A domain rule's Chinese message becomes the command's error (exit status 1)."""
    from wagechannel.places.services import ProjectInvalid

    try:
        yield
    except DomainError as error:
        raise click.ClickException(error.message) from error
    except ProjectInvalid as invalid:
        raise click.ClickException("；".join(invalid.errors.values())) from invalid


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        app = _app()
        with app.app_context():
            return command(*args, **kwargs)
    return wrapped


@click.group(help="农民工讨薪绿色通道（wagechannel）管理命令")
def main() -> None:
    """The `wagechannel` command."""


@main.group(help="数据库")
def db() -> None:
    """数据库"""


def _upgrade() -> None:
    from wagechannel.migrate import upgrade
    upgrade(current_app.config["DATABASE_URL"])


@db.command("upgrade", help="把数据库升级到最新结构")
@with_app
def db_upgrade() -> None:
    _upgrade()
    click.echo("数据库已是最新结构。")


def _demo(password: str | None) -> None:
    from wagechannel.boards.services import board_url
    from wagechannel.demo import load_demo
    from wagechannel.extensions import db as database

    with database.unit_of_work() as session:
        result = load_demo(session, password)
        base_url = current_app.config["BASE_URL"]
        click.echo("演示账号（用户名 / 密码 / 角色）：")
        for username, pw, role in result.logins:
            click.echo(f"  {username:<11} {pw:<18} {role}")
        board = result.boards[0]
        click.echo(f"告示牌二维码表单：{board_url(base_url, board.token)}")


@main.command(help="载入演示数据（可重复运行）")
@click.option("--password", default=None, help="演示账号的密码（至少8位）")
@with_app
def demo(password: str | None) -> None:
    with reported():
        _demo(password)


@main.command(help="升级数据库并启动网页服务（waitress）")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="同时载入演示数据")
def serve(host: str, port: int, threads: int, with_demo: bool) -> None:
    import os

    import waitress

    app = _app()
    if not os.environ.get("WAGECHANNEL_BASE_URL"):
        # No public address configured: QR codes and printed links point at this server.
        app.config["BASE_URL"] = f"http://{host}:{port}"
    with app.app_context():
        _upgrade()
        if with_demo:
            _demo(None)
    click.echo(f"wagechannel 正在 http://{host}:{port}/ 上运行（Ctrl+C 停止）")
    sys.stdout.flush()
    waitress.serve(app, host=host, port=port, threads=threads, ident="wagechannel")


@main.group(help="告示牌")
def board() -> None:
    """告示牌"""


@board.command("list", help="列出全部告示牌及其二维码地址")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
@with_app
def board_list(as_json: bool) -> None:
    from wagechannel.boards.services import all_boards, board_url
    from wagechannel.extensions import db as database

    base_url = current_app.config["BASE_URL"]
    rows = [{"board_id": b.id, "project_id": b.project_id, "project_name": b.project.name,
             "token": b.token, "url": board_url(base_url, b.token), "active": b.active}
            for b in all_boards(database.session)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("还没有告示牌。")
    for row in rows:
        state = "" if row["active"] else "  （已作废）"
        click.echo(f"{row['project_id']:>5}  {row['project_name']}  {row['token']}  {row['url']}{state}")


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
    from wagechannel.boards.fonts import FontMissing, find_font
    from wagechannel.boards.layouts import LayoutError, get_layout
    from wagechannel.boards.render import render_png
    from wagechannel.boards.services import BatchScope, batch_selection
    from wagechannel.extensions import db as database

    if sum(value is not None for value in (project_id, contractor_id, region_code)) != 1:
        raise click.UsageError("请指定 --project、--contractor、--region 中的一个。")
    try:
        layout = get_layout(size)
        font = find_font(current_app.config.get("FONT"))
        selection = batch_selection(database.session, BatchScope(
            project_id=project_id, contractor_id=contractor_id, region_code=region_code))
    except (LayoutError, FontMissing, DomainError) as error:
        raise click.ClickException(str(getattr(error, "message", error))) from error
    for project, missing in selection.incomplete:
        click.echo(f"跳过 {project.id} {project.name}：缺 {'、'.join(missing)}", err=True)
    if not selection.ready:
        raise click.ClickException("没有可以打印的告示牌。")
    if fmt == "png" and len(selection.ready) != 1:
        raise click.ClickException(
            f"共有 {len(selection.ready)} 块告示牌，PNG 只能输出一块；多块请用 --format zip 或 pdf。")
    contents = selection.contents(database.session, current_app.config["BASE_URL"])
    with open(output, "wb") as handle:
        if fmt == "pdf":
            write_pdf(contents, layout, font, handle)
        elif fmt == "zip":
            write_png_zip(contents, layout, font, handle, dpi=dpi)
        else:
            handle.write(render_png(next(iter(contents)), layout, font, dpi=dpi).data)
    click.echo(f"已输出 {len(selection.ready)} 块告示牌（{layout.name}，{fmt}）到 {output}")


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


@user.command("add", help="新建账号")
@click.option("--username", required=True)
@click.option("--role", required=True,
              type=click.Choice(["admin", "legal_aid_staff", "lawyer", "bureau_liaison", "contractor"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default=None, help="显示名")
@click.option("--organisation-id", type=int, default=None, help="所属机构（法援中心或人社部门）")
@click.option("--contractor-id", type=int, default=None, help="所属施工总承包单位")
@with_app
def user_add(username: str, role: str, password: str, display_name: str | None,
             organisation_id: int | None, contractor_id: int | None) -> None:
    from wagechannel.accounts.services import create_user
    from wagechannel.extensions import db as database

    with reported(), database.unit_of_work() as session:
        created = create_user(session, username=username, password=password, role=role,
                              display_name=display_name, organisation_id=organisation_id,
                              contractor_id=contractor_id)
        click.echo(f"已创建账号 {created.username}（{created.role_label}）。")


@main.group(help="线索")
def leads() -> None:
    """线索"""


@leads.command("route", help="把尚未转交的线索转交给管辖机构（失败的会留待下次）")
def leads_route() -> None:
    from datetime import timedelta

    from wagechannel.scheduler import route_pending

    waiting, routed = route_pending(_app(), min_age=timedelta(0))
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

    app = _app()
    from_instance = not app.config.get("DATA_KEYS")
    if new_key is None:
        new_key = from_instance
    if new_key and not from_instance:
        raise click.ClickException("密钥来自 WAGECHANNEL_DATA_KEYS：请把新密钥放在最前面后再运行本命令。")
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
    app = _app()
    click.echo("定时任务已启动（Ctrl+C 停止）：每分钟重试转交未转交的线索。")
    try:
        build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("定时任务已停止。")


if __name__ == "__main__":
    main()

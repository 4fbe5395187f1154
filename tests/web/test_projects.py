"""Project records with every Art. 34 item: create, edit, completeness, regions' minimum wage."""
import re

from sqlalchemy import select

from tests.conftest import COMPLETE_PROJECT, csrf_token, login
from wagechannel.places.models import Project, Region


def form_data(client, url, **overrides):  # type: ignore[no-untyped-def]
    data = {"name": "新项目一期", "address": "深圳市南山区新路1号", "region_code": "440305",
            **COMPLETE_PROJECT, "csrf_token": csrf_token(client, url)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_contractor_creates_a_complete_project(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    response = client.post("/projects/new", data=form_data(client, "/projects/new"))
    assert response.status_code == 303
    project = db.scalar(select(Project).where(Project.name == "新项目一期"))
    assert project.contractor_id == world.contractor.id
    assert [s.name for s in project.subcontractors] == ["测试劳务有限公司"]
    assert project.subcontractors[0].scope == "钢筋" and project.subcontractors[0].phone == "0755-26660001"
    assert project.minimum_wage_monthly_fen == 252000 and project.pay_day == 15
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "还不能打印" not in page and "测试区劳动人事争议仲裁委员会" in page


def test_bad_fields_get_chinese_messages_and_keep_input(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    response = client.post("/projects/new", data=form_data(
        client, "/projects/new", name="", pay_day="32", authority_phone="abc",
        minimum_wage_monthly="-5", region_code="999999", arbitration_name="仲" * 201))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("请填写项目名称", "工资支付日应为每月1到31日", "电话号码格式不对", "金额不能是负数",
                    "没有这个行政区划", "太长了"):
        assert message in page, message
    assert 'value="32"' in page and 'value="abc"' in page and "测试劳务有限公司" in page
    assert db.scalar(select(Project).where(Project.address == "深圳市南山区新路1号")) is None


def test_an_incomplete_project_lists_exactly_what_is_missing(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    response = client.post("/projects/new", data=form_data(
        client, "/projects/new", arbitration_phone="", subcontractors="", pay_day=""))
    project_url = response.headers["Location"]
    page = client.get(project_url).get_data(as_text=True)
    missing = page.split('id="missing"')[1].split("</ul>")[0]
    assert "缺少以下3项" in page
    for item in ("仲裁委电话", "分包单位（没有请填“无”）", "工资支付日期"):
        assert item in missing
    assert "建设单位名称" not in missing
    project = db.scalar(select(Project).where(Project.name == "新项目一期"))
    from wagechannel.boards.services import issue_board
    board = issue_board(db, project)
    db.commit()
    refused = client.get(f"/boards/{board.id}/download?format=pdf")
    assert refused.status_code == 409
    assert "仲裁委电话" in refused.get_data(as_text=True)


def test_editing_keeps_the_board_token(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert world.project.name in form and "测试劳务有限公司，钢筋，0755-26660001" in form
    token = world.board.token
    response = client.post(url, data=form_data(client, url, name="改名后的工程"))
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Project, world.project.id).name == "改名后的工程"
    assert world.board.token == token and db.get(type(world.board), world.board.id).token == token
    assert client.get(f"/s/{token}").status_code == 200


def test_contractors_cannot_edit_other_projects(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    assert client.get(f"/projects/{world.other_project.id}/edit").status_code == 404
    url = f"/projects/{world.project.id}/edit"
    token = csrf_token(client, url)
    assert client.post(f"/projects/{world.other_project.id}/edit",
                       data={"csrf_token": token, "name": "x"}).status_code == 404


def test_office_roles_cannot_edit(client, world) -> None:  # type: ignore[no-untyped-def]
    for role in ("legal_aid_staff", "bureau_liaison", "lawyer"):
        login(client, world.users[role].username)
        assert client.get(f"/projects/{world.project.id}/edit").status_code == 403
        assert client.get("/projects/new").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})


def test_admin_picks_the_contractor(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    missing = client.post("/projects/new", data=form_data(client, "/projects/new"))
    assert missing.status_code == 422 and "请选择施工总承包单位" in missing.get_data(as_text=True)
    response = client.post("/projects/new", data=form_data(
        client, "/projects/new", contractor_id=str(world.other_contractor.id)))
    assert response.status_code == 303
    assert db.scalar(select(Project).where(Project.name == "新项目一期")).contractor_id == \
        world.other_contractor.id


def test_region_minimum_wage_is_the_default(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    token = csrf_token(client, "/admin/regions")
    bad = client.post("/admin/regions", data={"csrf_token": token, "code": "440300",
                                              "minimum_wage_monthly": "abc"})
    assert bad.status_code == 422 and 'value="abc"' in bad.get_data(as_text=True)
    ok = client.post("/admin/regions", data={"csrf_token": token, "code": "440300",
                                             "minimum_wage_monthly": "2520",
                                             "minimum_wage_hourly": "23.7"})
    assert ok.status_code == 303
    assert db.get(Region, "440300").minimum_wage_hourly_fen == 2370
    world.project.minimum_wage_monthly_fen = None
    world.project.minimum_wage_hourly_fen = None
    db.commit()
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    wage = page.split('id="wage"')[1].split("</dd>")[0]
    assert "2,520 元/月" in wage and "23.70 元/小时" in wage and "深圳市（市标准）" in wage
    assert "23.7" in client.get("/admin/regions").get_data(as_text=True)


def test_only_admin_edits_regions(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    assert client.get("/admin/regions").status_code == 403


def test_deleting_a_project_keeps_its_qr_useful(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}"
    response = client.post(f"{url}/delete", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已删除" in listing  # the flash names it once
    assert f'>{world.project.name}</a>' not in client.get("/projects").get_data(as_text=True)
    page = client.get(f"/s/{world.board.token}").get_data(as_text=True)
    assert "已经停用" in page and "12348" in page and 'name="phone"' in page
    assert world.project.name not in page


def test_a_site_without_subcontractors_can_print(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}/edit"
    assert client.post(url, data=form_data(client, url, subcontractors="无")).status_code == 303
    db.expire_all()
    project = db.get(Project, world.project.id)
    assert project.no_subcontractors and project.subcontractors == []
    assert ">无</textarea>" in client.get(url).get_data(as_text=True)
    html = client.get(f"/boards/{world.board.id}/download?format=html").get_data(as_text=True)
    assert "分包单位" in html and client.get(
        f"/boards/{world.board.id}/download?format=pdf").status_code == 200


def test_a_county_without_its_own_minimum_wage_cannot_print_until_confirmed(client, db, world) -> None:  # type: ignore[no-untyped-def]
    """Standards are set per county tier: a city's figure is printed only once a person says so,
    and only as long as it stays the figure they confirmed."""
    login(client, "admin")
    token = csrf_token(client, "/admin/regions")
    client.post("/admin/regions", data={"csrf_token": token, "code": "440300",
                                        "minimum_wage_monthly": "2520",
                                        "minimum_wage_hourly": "23.7"})
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}/edit"
    client.post(url, data=form_data(client, url, minimum_wage_monthly="", minimum_wage_hourly=""))
    project_url = f"/projects/{world.project.id}"
    page = client.get(project_url).get_data(as_text=True)
    assert "深圳市（市标准）" in page.split('id="wage"')[1].split("</dd>")[0]
    assert "本区县的最低工资标准" in page.split('id="missing"')[1].split("</ul>")[0]
    assert 'id="wage-fallback"' in page
    download = f"/boards/{world.board.id}/download?format=html"
    refused = client.get(download)
    assert refused.status_code == 409 and "借用的是深圳市的标准" in refused.get_data(as_text=True)

    confirmed = client.post(f"{project_url}/wage/confirm",
                            data={"csrf_token": csrf_token(client, project_url)})
    assert confirmed.status_code == 303
    page = client.get(project_url).get_data(as_text=True)
    assert 'id="missing"' not in page and 'id="wage-confirmed"' in page
    assert world.users["contractor"].display_name in page
    board = client.get(download)
    assert board.status_code == 200
    assert "2520元/月，23.7元/小时（按深圳市标准）" in re.sub(r"<[^>]+>", "", board.get_data(as_text=True))

    # the city changes its figure: what was confirmed no longer holds
    login(client, "admin")
    client.post("/admin/regions", data={"csrf_token": csrf_token(client, "/admin/regions"),
                                        "code": "440300", "minimum_wage_monthly": "2600",
                                        "minimum_wage_hourly": "25"})
    assert client.get(download).status_code == 409
    page = client.get(project_url).get_data(as_text=True)
    assert "之前的确认已经失效" in page and 'id="wage-confirmed"' not in page
    # the county gets its own figure: printed without anyone confirming anything
    client.post("/admin/regions", data={"csrf_token": csrf_token(client, "/admin/regions"),
                                        "code": "440305", "minimum_wage_monthly": "2520",
                                        "minimum_wage_hourly": "23.7"})
    assert client.get(download).status_code == 200
    assert "深圳市南山区（区县标准）" in client.get(project_url).get_data(as_text=True)


def test_offices_cannot_confirm_a_minimum_wage(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["bureau_liaison"].username)
    url = f"/projects/{world.project.id}"
    response = client.post(f"{url}/wage/confirm", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 403
    assert db.get(Project, world.project.id).wage_confirmed_at is None


def test_the_hourly_minimum_wage_is_required_to_print(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}/edit"
    client.post(url, data=form_data(client, url, minimum_wage_hourly=""))
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    missing = page.split('id="missing"')[1].split("</ul>")[0]
    assert "小时最低工资标准" in missing and "项目自填" in page
    assert client.get(f"/boards/{world.board.id}/download?format=pdf").status_code == 409


def test_a_project_figure_below_the_countys_cannot_print(client, db, world) -> None:  # type: ignore[no-untyped-def]
    db.get(Region, "440305").minimum_wage_monthly_fen = 252000
    db.get(Region, "440305").minimum_wage_hourly_fen = 2370
    world.project.minimum_wage_monthly_fen = 200000
    db.commit()
    login(client, world.users["contractor"].username)
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "低于本区县标准（2520元/月，23.7元/小时）" in page.split('id="missing"')[1]


def test_bad_input_on_the_platform_choice_and_wages_keeps_the_form(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}/edit"
    response = client.post(url, data=form_data(client, url, minimum_wage_hourly="二十",
                                               show_arrears_platform="0"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="二十"' in page and "请填写数字金额" in page
    assert 'name="show_arrears_platform" value="1">' in page  # left unticked, as it was sent

"""What the worker is told must be true: the time limit, what a report here is not, who learns
of it, and the personal-information notice (LEGAL.md sections 2, 3 and 6)."""
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import login, report_form
from wagechannel.clock import local_today
from wagechannel.deadlines.limits import arbitration_limit
from wagechannel.intake.models import Lead


def last_lead(db):  # type: ignore[no-untyped-def]
    return db.scalar(select(Lead).order_by(Lead.id.desc()))


def submit(client, world, **fields):  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, **fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def chinese_date(day) -> str:  # type: ignore[no-untyped-def]
    return f"{day.year}年{day.month}月{day.day}日"


def test_the_form_never_promises_the_boss_will_not_learn(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{world.board.token}").get_data(as_text=True)
    assert "不会告诉老板" not in page and "不会告诉老板和施工单位" not in page
    assert "我们不会把您的名字告诉施工单位或老板" in page
    assert "法律规定要写上您的名字，工作人员会先问您" in page
    assert "不等于申请劳动仲裁" in page


def test_the_form_names_who_receives_the_report_and_for_how_long(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{world.board.token}").get_data(as_text=True)
    start = page.index('id="privacy-summary"')
    summary = page[start:page.index("</div>", start)]
    assert world.centre.name in summary and world.bureau.name in summary
    assert "保存3年" in summary and "/privacy" in summary
    assert "为什么要" in page and "对您的影响" in page  # the ID number's own consent (art. 30)
    notice = client.get("/privacy")
    assert notice.status_code == 200
    text = notice.get_data(as_text=True)
    assert "保存多久" in text and "撤回同意" in text and "敏感个人信息" in text


def test_the_receipt_gives_the_workers_own_last_day(client, world) -> None:  # type: ignore[no-untyped-def]
    end = local_today() - timedelta(days=100)
    page = submit(client, world, employment_status="ended", work_end=end.isoformat(), work_start="")
    limit = arbitration_limit(work_end=end, demanded_on=None)
    assert limit is not None
    assert "不等于申请劳动仲裁，也不等于向劳动保障监察投诉" in page
    assert "不会让仲裁时效停下来" in page
    assert f'<strong id="last-day">{chinese_date(limit.last_day)}</strong>' in page
    assert 'id="limit-warning"' not in page  # far away: no alarm
    # The progress page (opened later with the code) says the same.
    code = last_lead_code(client, page)
    progress = client.get(f"/q/{code}").get_data(as_text=True)
    assert chinese_date(limit.last_day) in progress and "不等于申请劳动仲裁" in progress


def last_lead_code(client, page: str) -> str:  # type: ignore[no-untyped-def]
    start = page.index('id="receipt-code">') + len('id="receipt-code">')
    return page[start:page.index("<", start)].strip()


def test_a_close_limit_says_call_12348_today(client, world) -> None:  # type: ignore[no-untyped-def]
    end = local_today() - timedelta(days=362)
    page = submit(client, world, employment_status="ended", work_end=end.isoformat(), work_start="")
    warning = page[page.index('id="limit-warning"'):]
    assert "今天就打" in warning and "12348" in warning and "法律援助法第44条" in warning


def test_a_past_limit_says_it_may_restart(client, world) -> None:  # type: ignore[no-untyped-def]
    end = local_today() - timedelta(days=500)
    page = submit(client, world, employment_status="ended", work_end=end.isoformat(), work_start="")
    assert "可能已经过了" in page and "重新算" in page and "12348" in page


def test_still_working_says_when_the_year_starts(client, world) -> None:  # type: ignore[no-untyped-def]
    page = submit(client, world, employment_status="working", work_end="")
    assert "从不干那天才开始算" in page


def test_a_blank_end_date_is_not_still_working(client, db, world) -> None:  # type: ignore[no-untyped-def]
    page = submit(client, world, work_end="")
    assert 'id="limit-unknown"' in page
    lead = last_lead(db)
    assert lead.employment_status is None and lead.work_end is None
    assert "离职时间不明，需尽快核实仲裁时效" in lead.case.priority_reasons
    login(client, "staff")
    case_page = client.get(f"/cases/{lead.case_id}").get_data(as_text=True)
    assert "离职时间不明，需尽快核实仲裁时效" in case_page
    assert "没有说" in case_page or "不明" in case_page


def test_stopped_but_only_the_month_is_remembered(client, db, world) -> None:  # type: ignore[no-untyped-def]
    month = (local_today() - timedelta(days=62)).strftime("%Y-%m")
    page = submit(client, world, employment_status="ended_unknown", work_end="",
                  work_end_month=month)
    lead = last_lead(db)
    assert lead.work_end.isoformat() == month + "-01" and lead.work_end_precision == "month"
    assert "按那个月1日算" in page


def test_ended_without_a_date_asks_for_it_and_keeps_the_input(client, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, employment_status="ended",
                                                  work_end="", name="李四"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请填写哪天不干的" in page
    assert 'value="李四"' in page and 'value="ended" checked' in page


def test_an_award_date_gives_fifteen_days_on_the_receipt(client, db, world) -> None:  # type: ignore[no-untyped-def]
    received = local_today() - timedelta(days=3)
    page = submit(client, world, employment_status="ended", award_kind="award",
                  award_date=received.isoformat())
    assert "15天内向法院起诉" in page
    lead = last_lead(db)
    assert lead.case.limitation_kind == "sue"
    assert any("不服裁决向法院起诉最后一天" in r for r in lead.case.priority_reasons)
    assert lead.case.priority >= 100


def test_a_complaint_choice_files_nothing_and_says_so(client, world) -> None:  # type: ignore[no-untyped-def]
    page = submit(client, world, wants="complaint")
    note = page[page.index('id="complaint-note"'):]
    assert "还不算正式投诉" in note
    assert world.centre.name in note and f"{world.bureau.name}也能看到" in note
    assert world.project.labour_inspection_phone in note and "12333" in note


def test_the_case_page_and_queue_always_show_the_last_day(client, db, world) -> None:  # type: ignore[no-untyped-def]
    end = local_today() - timedelta(days=100)
    submit(client, world, employment_status="ended", work_end=end.isoformat())
    lead = last_lead(db)
    limit = arbitration_limit(work_end=end, demanded_on=None)
    login(client, "staff")
    queue = client.get("/cases").get_data(as_text=True)
    assert limit.last_day.isoformat() in queue
    detail = client.get(f"/cases/{lead.case_id}").get_data(as_text=True)
    assert limit.last_day.isoformat() in detail and "申请劳动仲裁" in detail


def test_the_home_page_leads_to_the_form_and_the_progress_check(client, db) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").get_data(as_text=True)
    assert 'href="/report"' in page and "没有二维码？直接反映欠薪" in page
    assert 'href="/q"' in page and "查进度" in page
    assert "一年内申请" in page

"""Closed cases' personal data are erased after the retention period (PIPL art. 19)."""
from datetime import timedelta

from sqlalchemy import func, select

from wagechannel.accounts.models import AuditEvent
from wagechannel.cases.messages import add_message
from wagechannel.cases.routing import route_lead
from wagechannel.db import utcnow
from wagechannel.intake.evidence import process_voice
from wagechannel.intake.models import EvidenceFile, Lead, LeadMessage
from wagechannel.intake.services import evidence_row, store_lead
from wagechannel.intake.validation import parse_lead
from wagechannel.scheduler import erase_expired_personal_data
from wagechannel.clock import local_today

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def closed_case(db, world, *, closed_days_ago: int, phone: str):  # type: ignore[no-untyped-def]
    data = parse_lead({"name": "张三", "phone": phone, "consent": True, "hometown": "四川",
                       "id_number": "11010519491231002X", "id_consent": True,
                       "description": "老板欠我八千"}, today=local_today())
    lead = store_lead(db, data, board=world.board, channel="qr")
    db.add(evidence_row(process_voice(WAV), lead_id=lead.id))
    case = route_lead(db, lead, today=local_today())
    add_message(db, lead, "请带上欠条", direction="to_worker")
    case.status = "closed"
    case.closed_at = utcnow() - timedelta(days=closed_days_ago)
    db.flush()
    return lead


def test_personal_data_of_old_closed_cases_is_erased(app, db, world) -> None:  # type: ignore[no-untyped-def]
    old = closed_case(db, world, closed_days_ago=3 * 366, phone="13800138011")
    recent = closed_case(db, world, closed_days_ago=2 * 365, phone="13800138012")
    db.commit()
    old_id, old_amount, recent_id = old.id, old.amount_owed_fen, recent.id
    assert erase_expired_personal_data(app) == 1  # its own transactions (the session ends)
    gone = db.get(Lead, old_id)
    assert gone.erased_at is not None
    assert (gone.name, gone.phone, gone.phone_hash, gone.id_number, gone.id_number_hash,
            gone.hometown, gone.description) == (None,) * 7
    assert gone.amount_owed_fen == old_amount  # statistics keep what identifies nobody
    assert gone.case.claimants[0].name is None
    assert db.scalar(select(func.count()).select_from(EvidenceFile)
                     .where(EvidenceFile.lead_id == old_id)) == 0
    assert db.scalar(select(func.count()).select_from(LeadMessage)
                     .where(LeadMessage.lead_id == old_id)) == 0
    kept = db.get(Lead, recent_id)
    assert kept.phone == "13800138012" and kept.erased_at is None and kept.files
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "personal_data_erased"))
    assert event is not None and event.detail["leads"] == 1
    assert erase_expired_personal_data(app) == 0  # nothing twice


def test_the_retention_period_is_configurable(app, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lead = closed_case(db, world, closed_days_ago=400, phone="13800138013")
    db.commit()
    lead_id = lead.id
    monkeypatch.setitem(app.config, "RETENTION_YEARS", 1)
    assert erase_expired_personal_data(app) == 1
    assert db.get(Lead, lead_id).phone is None


def test_an_erased_report_says_so_on_the_case_page(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login
    lead = closed_case(db, world, closed_days_ago=3 * 366, phone="13800138014")
    db.commit()
    from wagechannel.cases.retention import erase_batch
    erase_batch(db, now=utcnow(), years=3)
    db.commit()
    login(client, "staff")
    page = client.get(f"/cases/{lead.case_id}").get_data(as_text=True)
    assert "已按保存期限删除个人信息" in page

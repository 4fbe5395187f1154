"""Case lists at scale: paged (50 a page, links, the total), a constant number of statements
whatever the data size, nothing decrypted that the page does not show."""
from datetime import date

import pytest

from tests.conftest import login
from wagechannel.clock import local_today
from wagechannel.intake.services import Site, store_report
from wagechannel.intake.validation import parse_lead
from wagechannel.places.services import ensure_region


def add_reports(db, world, count: int, *, start: int = 0, routed: bool = True) -> None:  # type: ignore[no-untyped-def]
    project = world.project
    ensure_region(db, "440307", "深圳市龙岗区")  # no centre serves it: reports wait unrouted
    db.commit()
    for number in range(start, start + count):
        data = parse_lead({"name": f"工人{number}", "phone": f"139{number:08d}", "consent": True,
                           "employment_status": "ended", "work_end": "2026-06-01",
                           "amount_owed": str(1000 + number)}, today=date(2026, 11, 28))
        site = Site(board_id=world.board.id, project_id=project.id,
                    region_code=project.region_code if routed else "440307")
        store_report(db, data, site=site, channel="qr", today=local_today())


def test_the_queue_is_paged_with_a_total(client, db, world) -> None:  # type: ignore[no-untyped-def]
    add_reports(db, world, 55)
    login(client, "staff")
    first = client.get("/cases").get_data(as_text=True)
    assert "共 55 条" in first and first.count('data-label="案号"') == 50
    assert 'href="/cases?page=2"' in first
    second = client.get("/cases?page=2").get_data(as_text=True)
    assert second.count('data-label="案号"') == 5
    assert client.get("/cases?page=99").status_code == 200  # past the end: the last page
    assert client.get("/cases?page=abc").status_code == 200


@pytest.mark.parametrize("path,user", [("/cases", "staff"), ("/cases", "liaison"),
                                       ("/cases", "admin"), ("/leads/unrouted", "admin")])
def test_a_list_costs_the_same_statements_at_two_sizes(client, db, world, count_statements,  # type: ignore[no-untyped-def]
                                                         path, user) -> None:
    routed = path == "/cases"
    add_reports(db, world, 3, routed=routed)
    login(client, user)
    client.get(path)  # per-process caches (the calendar's entries for the limits shown) warm
    small = count_statements(lambda: client.get(path))
    add_reports(db, world, 70, start=100, routed=routed)
    large = count_statements(lambda: client.get(path))
    assert large == small, f"{path}: {small} statements with 3 rows, {large} with 73"
    assert client.get(path).status_code == 200


def test_lists_never_decrypt_phone_numbers(client, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_reports(db, world, 3)
    add_reports(db, world, 2, start=50, routed=False)
    from wagechannel.crypto import Keyring
    calls = []
    original = Keyring.decrypt
    monkeypatch.setattr(Keyring, "decrypt", lambda self, token: calls.append(token) or original(self, token))
    login(client, "staff")
    assert client.get("/cases").status_code == 200
    login(client, "admin")
    assert client.get("/cases").status_code == 200
    assert client.get("/leads/unrouted").status_code == 200
    assert calls == []

"""Personal API tokens: made on the command line and shown once, stored only as a keyed hash,
listed without the token, revoked; a revoked token or a deactivated account opens nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from wagechannel.accounts.models import ApiToken, AuditEvent
from wagechannel.accounts.services import set_active
from wagechannel.accounts.tokens import (bearer, create_token, revoke_token, tokens_of,
                                         user_for_bearer)
from wagechannel.cli import main
from wagechannel.db import utcnow
from wagechannel.errors import DomainError


@pytest.fixture()
def cli(runner, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    return lambda *args: runner.invoke(main, list(args))


def test_create_list_and_revoke_on_the_command_line(cli, db, world) -> None:  # type: ignore[no-untyped-def]
    made = cli("token", "create", "--username", "staff", "--label", "案件系统对接")
    assert made.exit_code == 0, made.output
    raw = made.stdout.strip()
    assert raw.startswith("wc_") and len(raw) > 40 and "\n" not in raw  # the token alone on stdout
    assert "只显示这一次" in made.stderr
    row = db.scalar(select(ApiToken).where(ApiToken.user_id == world.users["legal_aid_staff"].id))
    assert row is not None and row.label == "案件系统对接"
    assert raw not in row.token_hash and len(row.token_hash) == 64  # only the keyed hash is kept
    assert user_for_bearer(db, f"Bearer {raw}").username == "staff"

    listed = cli("token", "list", "--username", "staff")
    assert listed.exit_code == 0, listed.output
    assert str(row.id) in listed.output and "案件系统对接" in listed.output
    assert "有效" in listed.output and "最近使用" in listed.output
    assert raw not in listed.output and row.token_hash not in listed.output

    revoked = cli("token", "revoke", str(row.id))
    assert revoked.exit_code == 0 and "已停用" in revoked.output, revoked.output
    db.expire_all()  # the command committed in a session of its own
    assert user_for_bearer(db, f"Bearer {raw}") is None
    assert "已停用" in cli("token", "list", "--username", "staff").output
    again = cli("token", "revoke", str(row.id))
    assert again.exit_code == 1 and "已经停用" in again.output
    missing = cli("token", "revoke", "999999")
    assert missing.exit_code == 1 and "没有编号为 999999 的令牌" in missing.output
    actions = list(db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "api_token", AuditEvent.object_id == str(row.id))))
    assert actions == ["api_token_created", "api_token_revoked"]


def test_the_command_line_refuses_unknown_and_inactive_accounts(cli, db, world) -> None:  # type: ignore[no-untyped-def]
    set_active(world.users["lawyer"], False)
    db.commit()
    unknown = cli("token", "create", "--username", "nobody")
    assert unknown.exit_code == 1 and "没有 nobody 这个账号" in unknown.output
    assert cli("token", "list", "--username", "nobody").exit_code == 1
    inactive = cli("token", "create", "--username", "lawyer")
    assert inactive.exit_code == 1 and "已停用" in inactive.output
    long_label = cli("token", "create", "--username", "staff", "--label", "长" * 65)
    assert long_label.exit_code == 1 and "64" in long_label.output
    assert cli("token", "list", "--username", "staff").output.strip() == "staff 没有令牌。"
    assert cli("token", "revoke", "abc").exit_code == 2  # not a number: a usage error


def test_each_token_is_new_and_only_its_hash_matches(db, world) -> None:  # type: ignore[no-untyped-def]
    staff = world.users["legal_aid_staff"]
    first, raw_first = create_token(db, staff, label="一")
    second, raw_second = create_token(db, staff)
    assert raw_first != raw_second and first.token_hash != second.token_hash
    assert [token.id for token in tokens_of(db, staff)] == [first.id, second.id]
    assert user_for_bearer(db, f"Bearer {raw_first}") is staff
    assert user_for_bearer(db, f"bearer {raw_second}") is staff  # the scheme in any case
    for header in (None, "", raw_first, f"Basic {raw_first}", "Bearer ", "Bearer wc_nothing",
                   f"Bearer {raw_first}x", f"Bearer {first.token_hash}", "Bearer " + "x" * 5000,
                   "Bearer 令牌"):
        assert user_for_bearer(db, header) is None, header
    assert bearer("Bearer  abc ") == "abc"


def test_a_revoked_token_or_a_deactivated_account_opens_nothing(db, world) -> None:  # type: ignore[no-untyped-def]
    lawyer = world.users["lawyer"]
    token, raw = create_token(db, lawyer)
    revoke_token(db, token.id)
    assert user_for_bearer(db, f"Bearer {raw}") is None
    with pytest.raises(DomainError, match="已经停用"):
        revoke_token(db, token.id)
    _, raw_active = create_token(db, lawyer)
    assert user_for_bearer(db, f"Bearer {raw_active}") is lawyer
    set_active(lawyer, False)
    assert user_for_bearer(db, f"Bearer {raw_active}") is None
    with pytest.raises(DomainError, match="已停用"):
        create_token(db, lawyer)


def test_last_use_is_written_at_most_once_a_minute(db, world) -> None:  # type: ignore[no-untyped-def]
    token, raw = create_token(db, world.users["legal_aid_staff"])
    assert token.last_used_at is None
    start = utcnow()
    user_for_bearer(db, f"Bearer {raw}", now=start)
    assert token.last_used_at == start
    user_for_bearer(db, f"Bearer {raw}", now=start + timedelta(seconds=59))
    assert token.last_used_at == start
    later = start + timedelta(seconds=61)
    user_for_bearer(db, f"Bearer {raw}", now=later)
    assert token.last_used_at == later

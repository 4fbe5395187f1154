"""Alerts: what an office must see at once, in the app (the reminders work adds other channels).

A report of conflict or threat alerts the centre and the HR bureau together; a minor alerts the
bureau (child and juvenile labour is theirs to check); a case that only a centre above its
county serves alerts the administrators (organisation None).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, false, func, insert, select, update
from sqlalchemy.orm import Session, joinedload

from wagechannel.accounts.models import User
from wagechannel.cases.models import Alert
from wagechannel.db import utcnow

ALERT_ROLES = ("legal_aid_staff", "bureau_liaison", "admin")
_INSERT_ALERTS = insert(Alert.__table__)  # built once: it runs on the report path


def report_alerts(lead: Any, *, case_id: int, number: str | None, centre_id: int,
                  bureau_id: int | None, routed_above: bool = False,
                  region_code: str | None = None, centre_name: str | None = None,
                  now: Any = None) -> list[dict[str, Any]]:
    """The alert rows a new report raises on its case (none for most reports)."""
    now = now or utcnow()
    rows: list[dict[str, Any]] = []

    def add(organisation_id: int | None, kind: str, message: str) -> None:
        rows.append({"organisation_id": organisation_id, "case_id": case_id, "kind": kind,
                     "message": message, "created_at": now})

    label = f"案件 {number}" if number else "一个案件"
    if "conflict" in (getattr(lead, "urgent", None) or ()):
        message = (f"{label}：工人反映发生冲突或受到威胁。请立即联系工人，"
                   "有人身危险的请其拨打110。")
        add(centre_id, "conflict", message)
        if bureau_id is not None:
            add(bureau_id, "conflict", message)
    if "minor" in (getattr(lead, "vulnerable", None) or ()):
        # No bureau serves the site: the administrators see it instead of nobody.
        add(bureau_id, "minor", f"{label}：有未满18岁的工人反映欠薪，请核查是否违法使用童工或未成年工。")
    if routed_above:
        add(None, "routed_above",
            f"{label}：工地所在区县（{region_code or '未知'}）没有登记法律援助中心，"
            f"已由上级的{centre_name or '法律援助中心'}受理。请核实，并为该区县登记法律援助中心。")
    return rows


def insert_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_ALERTS, list(rows))


def _scope(user: User) -> Any:
    if user.role == "admin":
        return Alert.organisation_id.is_(None)
    if user.role in ("legal_aid_staff", "bureau_liaison") and user.organisation_id is not None:
        return Alert.organisation_id == user.organisation_id
    return false()


def visible_alerts(user: User) -> Select[tuple[Alert]]:
    """A user's alerts, unread first, newest first, with their case (one statement a page)."""
    return (select(Alert).options(joinedload(Alert.case)).where(_scope(user))
            .order_by(Alert.read_at.is_not(None), Alert.created_at.desc(), Alert.id.desc()))


def unread_count(session: Session, user: User) -> int:
    if user.role not in ALERT_ROLES:
        return 0
    return int(session.scalar(select(func.count(Alert.id))
                              .where(_scope(user), Alert.read_at.is_(None))) or 0)


def alert_for(session: Session, user: User, alert_id: int) -> Alert | None:
    """The alert, if it is this user's to see."""
    return session.scalar(select(Alert).where(Alert.id == alert_id, _scope(user)))


def mark_read(session: Session, user: User, alert: Alert) -> None:
    if alert.read_at is None:
        alert.read_at = utcnow()
        alert.read_by_id = user.id
        session.flush()


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(update(Alert).where(_scope(user), Alert.read_at.is_(None))
                             .values(read_at=utcnow(), read_by_id=user.id)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

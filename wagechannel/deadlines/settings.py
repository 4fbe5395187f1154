"""What configuration says about intake deadlines and reminders (config.py documents each
setting). Parsed once per distinct configuration; a bad value raises ValueError naming the
setting, so the application refuses to start instead of failing at the first reminder."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

WEBHOOK_CHANNELS = ("wecom", "dingtalk")
TLS_MODES = ("auto", "ssl", "starttls", "none")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str | None = None  # DingTalk's signing secret (加签), when the robot has one


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    tls: str


@dataclass(frozen=True)
class ReminderSettings:
    first_contact_days: int = 1
    seed_window_days: int = 60
    supervisors: frozenset[str] = frozenset()
    emails: Mapping[str, str] = field(default_factory=dict)
    # organisation id -> channel -> webhook
    webhooks: Mapping[int, Mapping[str, Webhook]] = field(default_factory=dict)
    smtp: SmtpSettings | None = None
    max_attempts: int = 6
    backoff_seconds: int = 60
    digest_hour: int = 8
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""

    def channels_of(self, organisation_id: int | None) -> dict[str, Webhook]:
        return dict(self.webhooks.get(organisation_id, {})) if organisation_id else {}


def _int(config: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = config.get(name, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} 应是 {low} 到 {high} 之间的整数，现在是 {value!r}")
    return value


def _mapping(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A JSON object, an already parsed mapping, or (for simple values) "a=b,c=d"."""
    raw = config.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    text = str(raw).strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise ValueError(f"{name} 不是有效的 JSON：{error}") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"{name} 应是一个 JSON 对象")
        return parsed
    pairs: dict[str, Any] = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{name} 应写成 用户名=地址,用户名=地址（或 JSON 对象），"
                             f"这一项不对：{part!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _names(raw: Any) -> frozenset[str]:
    if raw is None:
        return frozenset()
    items = raw if isinstance(raw, list | tuple | set | frozenset) else str(raw).split(",")
    return frozenset(str(item).strip() for item in items if str(item).strip())


def _url(name: str, value: Any) -> str:
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} 里的地址应以 http:// 或 https:// 开头，现在是 {text!r}")
    return text


def _webhooks(config: Mapping[str, Any]) -> dict[int, dict[str, Webhook]]:
    found: dict[int, dict[str, Webhook]] = {}
    for key, channels in _mapping(config, "WEBHOOKS").items():
        if not str(key).strip().isdigit():
            raise ValueError(f"WEBHOOKS 的键应是机构编号，现在是 {key!r}")
        if not isinstance(channels, Mapping):
            raise ValueError(f"WEBHOOKS[{key}] 应是 {{\"wecom\": 地址, \"dingtalk\": 地址}}")
        unknown = set(channels) - {*WEBHOOK_CHANNELS, "dingtalk_secret"}
        if unknown:
            raise ValueError(f"WEBHOOKS[{key}] 里有不认识的项：{'、'.join(sorted(unknown))}"
                             f"（只能是 wecom、dingtalk、dingtalk_secret）")
        hooks = {channel: Webhook(_url(f"WEBHOOKS[{key}]", channels[channel]),
                                  str(channels.get("dingtalk_secret") or "") or None
                                  if channel == "dingtalk" else None)
                 for channel in WEBHOOK_CHANNELS if channels.get(channel)}
        if hooks:
            found[int(str(key).strip())] = hooks
    return found


def _emails(config: Mapping[str, Any]) -> dict[str, str]:
    emails = {}
    for username, address in _mapping(config, "REMINDER_EMAILS").items():
        text = str(address or "").strip()
        if not _EMAIL.match(text):
            raise ValueError(f"REMINDER_EMAILS 里 {username} 的地址不像电子邮件地址：{text!r}")
        emails[str(username).strip()] = text
    return emails


def _smtp(config: Mapping[str, Any]) -> SmtpSettings | None:
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    tls = str(config.get("SMTP_TLS") or "auto").strip().lower()
    if tls not in TLS_MODES:
        raise ValueError(f"SMTP_TLS 只能是 {'、'.join(TLS_MODES)} 之一，现在是 {tls!r}")
    sender = str(config.get("SMTP_FROM") or config.get("SMTP_USER") or "").strip()
    if not _EMAIL.match(sender):
        raise ValueError("设置了 SMTP_HOST 就要设置发件地址 SMTP_FROM（例如 reminders@example.cn）")
    user = str(config.get("SMTP_USER") or "").strip() or None
    password = config.get("SMTP_PASSWORD")
    return SmtpSettings(host=host, port=_int(config, "SMTP_PORT", 25, 1, 65535), user=user,
                        password=None if password is None else str(password), sender=sender,
                        tls=tls)


_cache: dict[str, ReminderSettings] = {}


def reminder_settings(config: Mapping[str, Any]) -> ReminderSettings:
    names = ("FIRST_CONTACT_WORKING_DAYS", "SEED_WINDOW_DAYS", "SUPERVISORS", "REMINDER_EMAILS",
             "WEBHOOKS", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM",
             "SMTP_TLS", "REMINDER_MAX_ATTEMPTS", "REMINDER_BACKOFF_SECONDS", "DIGEST_HOUR",
             "BASE_URL", "SECRET_KEY")
    key = repr([config.get(name) for name in names])
    found = _cache.get(key)
    if found is None:
        found = ReminderSettings(
            first_contact_days=_int(config, "FIRST_CONTACT_WORKING_DAYS", 1, 1, 30),
            seed_window_days=_int(config, "SEED_WINDOW_DAYS", 60, 1, 3650),
            supervisors=_names(config.get("SUPERVISORS")),
            emails=_emails(config), webhooks=_webhooks(config), smtp=_smtp(config),
            max_attempts=_int(config, "REMINDER_MAX_ATTEMPTS", 6, 1, 50),
            backoff_seconds=_int(config, "REMINDER_BACKOFF_SECONDS", 60, 1, 86400),
            digest_hour=_int(config, "DIGEST_HOUR", 8, 0, 23),
            base_url=str(config.get("BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            secret_key=str(config.get("SECRET_KEY") or ""))
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = found
    return found

"""Configuration: defaults here, then WAGECHANNEL_* from the environment, then a test's mapping."""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "WAGECHANNEL_"


class Defaults:
    DATABASE_URL: str | None = None  # None: SQLite in the instance folder
    SECRET_KEY: str | None = None  # None: generated once and kept in the instance folder
    BASE_URL = "http://127.0.0.1:8000"
    FONT: str | None = None
    SQLITE_BUSY_TIMEOUT_MS = 15000
    WTF_CSRF_TIME_LIMIT = 6 * 3600  # a worker may take a while to fill the form
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Six photos of 10 MB and a voice note; fields other than files stay small.
    MAX_CONTENT_LENGTH = 80 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 200 * 1024
    INTAKE_MIN_FILL_SECONDS = 3  # faster than this, a form was filled by a script
    # Many phones share one carrier address, so per address the limit is loose; per board and
    # per phone number it is tight. Only stored reports count against board and phone.
    INTAKE_LIMIT_IP = "300 per hour"
    INTAKE_LIMIT_BOARD = "300 per hour"  # a whole site may report at once in a collective dispute
    INTAKE_LIMIT_PHONE = "5 per hour"
    LOOKUP_LIMIT = "10 per hour"  # guesses at a phone's last four digits
    # Closed cases' personal data (phone, ID number, photos, voice notes) are erased this many
    # years after closing (PIPL art. 19).
    RETENTION_YEARS = 3
    PROXY_FIX_X_FOR = 0  # how many reverse proxies to trust for the client's address
    SESSION_IDLE_MINUTES = 480  # a staff session idle this long ends
    LOGIN_ACCOUNT_LIMIT = "5 per 15 minutes"  # failed logins per account, from any address
    # Reports from one site naming the same boss join the open case opened within this many
    # days (群体性案件); the campaign before the Spring Festival raises priorities ("MM-DD..MM-DD",
    # may run over New Year; empty: no season). Checked when the application starts.
    COLLECTIVE_WINDOW_DAYS = 30
    SEASON_WINDOW = "12-01..02-15"
    # Deadlines and reminders (wagechannel/deadlines/settings.py checks these at start).
    # The centre's first contact with a worker who reported: a service target, not a statute.
    FIRST_CONTACT_WORKING_DAYS = 1
    # Each reminder tick seeds the intake deadlines of cases and reports this young (the first
    # tick ever seeds every open case once).
    SEED_WINDOW_DAYS = 60
    # Supervisors (主管): usernames, comma-separated. Each supervises its own organisation; a
    # listed admin, or every admin where an organisation has none listed, supervises the rest.
    SUPERVISORS = ""
    # E-mail addresses of recipients, by username: JSON {"zhang": "zhang@example.cn"} or
    # "zhang=zhang@example.cn,li=li@example.cn". Users without one get the in-app inbox only.
    REMINDER_EMAILS = ""
    # Group robots per organisation: JSON {"<organisation id>": {"wecom": "https://...",
    # "dingtalk": "https://...", "dingtalk_secret": "SEC..."}}.
    WEBHOOKS = ""
    SMTP_HOST: str | None = None  # None: no e-mail
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: str | None = None
    SMTP_TLS = "auto"  # auto (SSL on 465, else STARTTLS when offered) | ssl | starttls | none
    REMINDER_MAX_ATTEMPTS = 6  # then the reminder shows as failed at /admin/reminders
    REMINDER_BACKOFF_SECONDS = 60  # doubled after each failed attempt, at most six hours
    DIGEST_HOUR = 8  # the liaisons' daily digest goes out from this hour (China time)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"


def _coerce(value: str) -> Any:
    lowered = value.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    try:
        return int(value)
    except ValueError:
        return value


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every WAGECHANNEL_NAME becomes NAME; values that look like booleans or integers are typed."""
    environ = os.environ if environ is None else environ
    return {key[len(PREFIX):]: _coerce(value) for key, value in environ.items()
            if key.startswith(PREFIX) and len(key) > len(PREFIX)}


def private_folder(path: str | Path) -> None:
    """The instance folder holds the keys and the SQLite file: only its owner may enter it."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    with contextlib.suppress(OSError):  # a folder someone else owns stays as it is
        os.chmod(path, 0o700)


def instance_secret_key(instance_path: str | Path) -> str:
    """The key kept in the instance folder, made on first use so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together keep one key between them.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def default_database_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'wagechannel.sqlite3'}"

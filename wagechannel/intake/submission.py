"""What every report form shares: reading the post, files, bot checks, storing exactly once."""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import FileStorage

from wagechannel.crypto import keyring
from wagechannel.intake.evidence import MAX_PHOTOS, ProcessedFile, process_photo, process_voice
from wagechannel.validation import Invalid

MULTI_FIELDS = ("evidence", "urgent", "vulnerable")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass
class Posted:
    values: dict[str, Any]  # what the person typed, for showing the form again
    nonce: str
    files: list[ProcessedFile] = field(default_factory=list)
    file_errors: dict[str, str] = field(default_factory=dict)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="intake-form-started")


def fresh_form_fields() -> dict[str, str]:
    """Hidden fields of a newly shown form: its nonce (one report per form) and start time."""
    return {"nonce": secrets.token_urlsafe(18), "started": _serializer().dumps(time.time())}


def restarted(values: dict[str, Any]) -> dict[str, Any]:
    """The same form shown again: same nonce (its uploads wait under it) and the same start
    time, so a quick correction is not taken for a bot. A missing or forged start time is
    replaced by now."""
    try:
        float(_serializer().loads(values.get("started") or ""))
    except (BadSignature, TypeError, ValueError):
        return {**values, "started": _serializer().dumps(time.time())}
    return values


def read_post(*, with_files: bool = True) -> Posted:
    """The form's values and files, processed before any database work (photos take time, and
    on SQLite a transaction holds the write lock). Only call with files for a request that
    passed its form token and rate limits."""
    values: dict[str, Any] = request.form.to_dict()
    for name in MULTI_FIELDS:
        values[name] = request.form.getlist(name)
    nonce = values.get("nonce", "")
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        nonce = secrets.token_urlsafe(18)
        values["nonce"] = nonce
    values.pop("csrf_token", None)
    posted = Posted(values=values, nonce=nonce)
    if not with_files:
        return posted
    photos = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(photos) > MAX_PHOTOS:
        posted.file_errors["photos"] = f"照片最多{MAX_PHOTOS}张。"
        photos = photos[:MAX_PHOTOS]
    for photo in photos:
        _read(photo, process_photo, "photos", posted)
    voice = request.files.get("voice")
    if voice is not None and voice.filename:
        _read(voice, process_voice, "voice", posted)
    return posted


def _read(upload: FileStorage, process: Any, field_name: str, posted: Posted) -> None:
    try:
        posted.files.append(process(upload.read()))
    except Invalid as invalid:
        posted.file_errors.setdefault(field_name, str(invalid))


def repeat_key(posted: Posted) -> str:
    """One report per form *and content*: a double tap sends the same again and gets the first
    receipt; a worker who goes back and fills the same form for a workmate makes a new one."""
    ignored = {"started", "website", "nonce"}
    content = json.dumps({k: v for k, v in sorted(posted.values.items()) if k not in ignored},
                         ensure_ascii=False, sort_keys=True)
    # Keyed (HMAC with the hash key): the form holds a phone number, and a bare hash of it
    # could be reversed by trying every mobile number.
    digest = keyring().digest(content + "".join(f.sha256 for f in posted.files))
    return f"form:{posted.nonce}:{digest[:32]}"


def looks_like_a_bot(values: dict[str, Any]) -> bool:
    """A filled honeypot, or a form sent back faster than a person can fill it."""
    if (values.get("website") or "").strip():
        return True
    try:
        started = float(_serializer().loads(values.get("started") or ""))
    except (BadSignature, TypeError, ValueError):
        return True
    return time.time() - started < float(current_app.config["INTAKE_MIN_FILL_SECONDS"])


def limit_photos(posted: Posted, stashed_photos: int) -> None:
    """Photos kept from an earlier try count too: at most MAX_PHOTOS in all."""
    photos = [f for f in posted.files if f.kind == "photo"]
    room = max(0, MAX_PHOTOS - stashed_photos)
    if len(photos) > room:
        posted.file_errors["photos"] = f"照片最多{MAX_PHOTOS}张。"
        extra = photos[room:]
        posted.files = [f for f in posted.files if not any(f is e for e in extra)]

"""Personal data at rest: Fernet encryption (MultiFernet, so keys can rotate) and keyed hashes.

Phone and identity-card numbers are stored encrypted (PIPL art. 51); a keyed hash beside them
finds a number again (lookups, duplicate reports) without decrypting anything. Keys come from
WAGECHANNEL_DATA_KEYS (comma-separated Fernet keys, newest first) and WAGECHANNEL_HASH_KEY, or
are generated once and kept in the instance folder.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

KEYS_FILE = "data_keys"
HASH_KEY_FILE = "hash_key"


class KeysMissing(RuntimeError):
    """No key is configured, or a stored value does not decrypt with the configured keys."""


class Keyring:
    def __init__(self, data_keys: list[str], hash_key: str) -> None:
        if not data_keys:
            raise KeysMissing("no data encryption key configured")
        self.data_keys = data_keys
        self.fernet = MultiFernet([Fernet(key.encode()) for key in data_keys])
        self.hash_key = hash_key.encode()

    def encrypt(self, value: str) -> str:
        return self.fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self.fernet.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        return self.fernet.rotate(token.encode()).decode()

    def digest(self, value: str) -> str:
        return hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()


_keyring: Keyring | None = None


def configure(keyring: Keyring) -> None:
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise KeysMissing("encryption keys are not configured; create the app first")
    return _keyring


def _create_once(path: Path, make: Any) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    value = make()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def keys_from_config(config: Any, instance_path: str) -> Keyring:
    """Keys from configuration, else from (or newly into) the instance folder."""
    instance = Path(instance_path)
    raw = config.get("DATA_KEYS")
    if raw:
        data_keys = [key.strip() for key in str(raw).split(",") if key.strip()]
    else:
        stored = _create_once(instance / KEYS_FILE, lambda: Fernet.generate_key().decode())
        data_keys = [key.strip() for key in stored.split(",") if key.strip()]
    hash_key = config.get("HASH_KEY") or _create_once(instance / HASH_KEY_FILE,
                                                      lambda: secrets.token_urlsafe(32))
    return Keyring(data_keys, str(hash_key))


def add_instance_key(instance_path: str) -> list[str]:
    """Put a new primary key first in the instance folder's key file; older keys still decrypt."""
    path = Path(instance_path) / KEYS_FILE
    keys = [k for k in path.read_text().strip().split(",") if k] if path.exists() else []
    keys.insert(0, Fernet.generate_key().decode())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(",".join(keys))
    os.replace(tmp, path)
    return keys


class EncryptedString(TypeDecorator[str]):
    """A string stored as a Fernet token; reads decrypt with any configured key."""

    impl = String(512)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        try:
            return keyring().decrypt(value)
        except InvalidToken as error:
            raise KeysMissing("a stored value does not decrypt with the configured keys") from error


def rotate_all(connection: Any, keys: Keyring, batch: int = 500) -> int:
    """Re-encrypt every encrypted column with the newest key; returns the values rewritten.

    Works on raw column values (no decryption into Python objects of the app), in batches.
    """
    from sqlalchemy import column, select, table, update

    rewritten = 0
    for table_name, columns in ENCRYPTED_COLUMNS.items():
        for column_name in columns:
            source = table(table_name, column("id"), column(column_name))
            last_id = 0
            while True:
                rows = connection.execute(
                    select(source.c.id, source.c[column_name])
                    .where(source.c.id > last_id, source.c[column_name].is_not(None))
                    .order_by(source.c.id).limit(batch)).all()
                if not rows:
                    break
                for row_id, token in rows:
                    connection.execute(update(source).where(source.c.id == row_id)
                                       .values({column_name: keys.rotate(token)}))
                    rewritten += 1
                last_id = rows[-1][0]
    return rewritten


# Every column stored with EncryptedString; `wagechannel keys rotate` rewrites them all.
ENCRYPTED_COLUMNS = {"lead": ("phone", "id_number")}

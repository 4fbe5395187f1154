"""Small per-process caches of rarely changed rows on the report path (boards, serving offices).

Each entry lives at most `ttl` seconds, so a change made in another process (another gunicorn
worker or host) is seen within that time; a change committed in this process clears every
cache at once, so an administrator's own next request already sees it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

V = TypeVar("V")
DEFAULT_TTL = 60.0
_MISSING = object()
_caches: list[ProcessCache[Any]] = []
_watched: tuple[type, ...] = ()


class ProcessCache(Generic[V]):
    """key -> value, each kept `ttl` seconds; `get(key, load)` calls load on a miss."""

    def __init__(self, name: str, ttl: float = DEFAULT_TTL, max_entries: int = 10_000) -> None:
        self.name, self.ttl, self.max_entries = name, ttl, max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        now = time.monotonic()
        entry = self._entries.get(key, _MISSING)
        if entry is not _MISSING and entry[0] > now:  # type: ignore[index]
            return entry[1]  # type: ignore[index,no-any-return]
        value = load()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # rare: more boards than fit; start again
            self._entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    for cache in _caches:
        cache.clear()


def watch(*models: type) -> None:
    """Clear every cache after a commit that changed a row of one of these models."""
    global _watched
    _watched = tuple({*_watched, *models})


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if not _watched:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, _watched):
            session.info["clear_caches"] = True
            return


@event.listens_for(Session, "after_commit")
def _clear_after_commit(session: Session) -> None:
    if session.info.pop("clear_caches", False):
        clear_all()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("clear_caches", None)

"""URL converters."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter


class BoundedIntConverter(IntegerConverter):
    """Ids in URLs fit a 32-bit database integer; anything larger is simply not found."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: A002
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)

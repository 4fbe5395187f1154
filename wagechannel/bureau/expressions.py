"""SQL the dashboard needs in both databases: local weeks and months of a UTC timestamp, hours
and milliseconds between two timestamps, the earliest of several (NULLs ignored), a list of
texts as one parameter.

China Standard Time is UTC+8 all year (no daylight saving since 1991), so a fixed eight-hour
shift gives the local day on SQLite; PostgreSQL is asked for Asia/Shanghai by name. SQLite
keeps these columns as 'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC (db.UTCDateTime), which
julianday() reads and which sorts as time does.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (BigInteger, Boolean, DateTime, Dialect, Integer, String,
                        TypeDecorator, bindparam)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

# Week numbers count Mondays from this one (a Monday): week n starts EPOCH_MONDAY + 7n days.
# It is the Monday of the earliest day the filters accept (2000-01-01, filters.FIRST_DAY), so
# no day asked about has a negative week, which SQL's division would round the other way.
EPOCH_MONDAY = date(1999, 12, 27)
_EPOCH_JULIAN = EPOCH_MONDAY.toordinal() + 1721424.5  # julianday('1999-12-27')
_FAR = "'9999-12-31 00:00:00.000000'"


def week_start(number: int) -> date:
    return EPOCH_MONDAY + timedelta(days=7 * number)


def week_of(day: date) -> int:
    return (day - EPOCH_MONDAY).days // 7


def month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


class local_week(FunctionElement[int]):
    """The local (China) week of a timestamp, as a number of weeks since EPOCH_MONDAY."""

    type = Integer()
    inherit_cache = True


class local_month(FunctionElement[int]):
    """The local (China) month of a timestamp, as year * 12 + month - 1."""

    type = Integer()
    inherit_cache = True


class whole_hours_between(FunctionElement[int]):
    """Whole hours from the first timestamp to the second, rounded down."""

    type = Integer()
    inherit_cache = True


class milliseconds_between(FunctionElement[int]):
    """Whole milliseconds from the first timestamp to the second (rounded): exact integers, so
    durations can be added and subtracted before they are cut to whole hours."""

    type = BigInteger()
    inherit_cache = True


class earliest(FunctionElement[Any]):
    """The earliest of several timestamps, ignoring NULLs (NULL when all are)."""

    type = DateTime(timezone=True)
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(argument, **kw) for argument in element.clauses]


@compiles(local_week, "sqlite")
def _week_sqlite(element: local_week, compiler: Any, **kw: Any) -> str:
    (at,) = _args(element, compiler, **kw)
    return f"CAST((julianday({at}, '+8 hours') - {_EPOCH_JULIAN}) / 7 AS INTEGER)"


@compiles(local_week, "postgresql")
def _week_postgresql(element: local_week, compiler: Any, **kw: Any) -> str:
    (at,) = _args(element, compiler, **kw)
    return (f"((CAST(({at}) AT TIME ZONE 'Asia/Shanghai' AS DATE) - DATE "
            f"'{EPOCH_MONDAY.isoformat()}') / 7)")


@compiles(local_month, "sqlite")
def _month_sqlite(element: local_month, compiler: Any, **kw: Any) -> str:
    (at,) = _args(element, compiler, **kw)
    return (f"(CAST(strftime('%Y', {at}, '+8 hours') AS INTEGER) * 12 "
            f"+ CAST(strftime('%m', {at}, '+8 hours') AS INTEGER) - 1)")


@compiles(local_month, "postgresql")
def _month_postgresql(element: local_month, compiler: Any, **kw: Any) -> str:
    (at,) = _args(element, compiler, **kw)
    local = f"(({at}) AT TIME ZONE 'Asia/Shanghai')"
    return (f"(CAST(EXTRACT(YEAR FROM {local}) AS INTEGER) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM {local}) AS INTEGER) - 1)")


@compiles(whole_hours_between, "sqlite")
def _whole_hours_sqlite(element: whole_hours_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    # Durations are never negative here (a step comes after the report): truncation is floor.
    return f"CAST((julianday({end}) - julianday({start})) * 24.0 AS INTEGER)"


@compiles(whole_hours_between, "postgresql")
def _whole_hours_postgresql(element: whole_hours_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM (({end}) - ({start}))) / 3600.0) AS INTEGER)"


@compiles(milliseconds_between, "sqlite")
def _milliseconds_sqlite(element: milliseconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"


@compiles(milliseconds_between, "postgresql")
def _milliseconds_postgresql(element: milliseconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM (({end}) - ({start}))) * 1000) AS BIGINT)"


@compiles(earliest, "sqlite")
def _earliest_sqlite(element: earliest, compiler: Any, **kw: Any) -> str:
    # SQLite's min(a, b, ...) is NULL when any argument is: stand a far date in for NULL.
    values = ", ".join(f"COALESCE({argument}, {_FAR})"
                       for argument in _args(element, compiler, **kw))
    return f"NULLIF(MIN({values}), {_FAR})"


@compiles(earliest, "postgresql")
def _earliest_postgresql(element: earliest, compiler: Any, **kw: Any) -> str:
    return f"LEAST({', '.join(_args(element, compiler, **kw))})"


class TextList(TypeDecorator[list[str]]):
    """Any number of texts bound as one parameter: an array on PostgreSQL, JSON text on SQLite
    (read back with json_each), so a statement is the same whatever their number."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        texts = [str(text) for text in value or ()]
        return texts if dialect.name == "postgresql" else json.dumps(texts, ensure_ascii=False)


def text_list(name: str, texts: Iterable[str]) -> Any:
    """A parameter holding these texts (for in_texts)."""
    return bindparam(name, sorted(texts), type_=TextList())


class in_texts(FunctionElement[bool]):
    """Whether a column's value is one of the texts of a text_list parameter."""

    type = Boolean()
    inherit_cache = True


@compiles(in_texts, "sqlite")
def _in_texts_sqlite(element: in_texts, compiler: Any, **kw: Any) -> str:
    column, texts = _args(element, compiler, **kw)
    return f"({column} IN (SELECT value FROM json_each({texts})))"


@compiles(in_texts, "postgresql")
def _in_texts_postgresql(element: in_texts, compiler: Any, **kw: Any) -> str:
    column, texts = _args(element, compiler, **kw)
    return f"({column} = ANY({texts}))"


class joined_text(FunctionElement[str]):
    """An aggregate: the group's distinct texts joined with "、" (order unspecified)."""

    type = String()
    inherit_cache = True


@compiles(joined_text, "sqlite")
def _joined_sqlite(element: joined_text, compiler: Any, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    # SQLite's group_concat takes no separator with DISTINCT: join with commas, then swap.
    return f"replace(group_concat(DISTINCT {value}), ',', '、')"


@compiles(joined_text, "postgresql")
def _joined_postgresql(element: joined_text, compiler: Any, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return f"string_agg(DISTINCT {value}, '、')"

"""One page of a long list: the rows it shows, how many there are, and where the other pages are.

Every list a person sees is paged (50 rows); a page loads its rows in one statement (plus the
eager loads its query asks for) and counts them in one more, or in the same one when it reads
plain rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # from 1
    per_page: int
    total: int

    @property
    def count(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


def page_number(raw: str | None) -> int:
    """The page asked for in the address; anything odd is the first page."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) < 7:
        return max(1, int(raw))
    return 1


def paginate(session: Session, query: Select[tuple[T]], number: int,
             per_page: int = PER_PAGE, *, count: Select[Any] | None = None,
             rows: bool = False) -> Page[T]:
    """Page `number` of query (ordered by the caller); past the end gives the last page.

    `count`: a statement that counts the rows, for a list whose query joins and reads more
    than its count needs (a count over the table and its conditions can be answered from an
    index alone); by default the query's rows are counted in a subquery. `rows`: the items
    are the query's rows (Core columns), not ORM objects, and the count rides along in the
    same statement (_rows_page)."""
    counting = count if count is not None else select(func.count()).select_from(
        query.order_by(None).subquery())
    if rows:
        return _rows_page(session, query, counting, max(1, number), per_page)
    total = int(session.scalar(counting) or 0)
    number = min(max(1, number), max(1, -(-total // per_page)))
    window = query.limit(per_page).offset((number - 1) * per_page)
    return Page(items=list(session.scalars(window).unique()), number=number,
                per_page=per_page, total=total)


def _rows_page(session: Session, query: Select[Any], counting: Select[Any], number: int,
               per_page: int) -> Page[Any]:
    """A page of rows and the total in one statement: the count is an uncorrelated subquery
    in the row's columns (`page_total`, computed once). Only a page past the end costs more:
    the count alone, then the last page."""
    total_column = counting.correlate(None).scalar_subquery().label("page_total")

    def fetch(page: int) -> list[Any]:
        return list(session.execute(query.add_columns(total_column).limit(per_page)
                                    .offset((page - 1) * per_page)))
    found = fetch(number)
    if found:
        return Page(items=found, number=number, per_page=per_page,
                    total=int(found[0].page_total))
    total = int(session.scalar(counting) or 0)
    last = max(1, -(-total // per_page))
    if number > last and total:
        return Page(items=fetch(last), number=last, per_page=per_page, total=total)
    return Page(items=[], number=min(number, last), per_page=per_page, total=total)


def count_of(table: Any, *conditions: Any) -> Select[tuple[int]]:
    """A plain count of a table's rows under some conditions (paginate's `count`)."""
    return select(func.count()).select_from(table).where(*conditions)

"""Money is kept as integer fen; these write it as yuan for people."""
from __future__ import annotations


def yuan_text(fen: int | None) -> str:
    """2520 -> "25.2"; 252000 -> "2520"; None -> "" (as a form field shows it)."""
    if fen is None:
        return ""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}".rstrip("0") if cents else str(whole)


def yuan(fen: int | None) -> str:
    """For reading: "8,500 元", "不清楚" when unknown."""
    if fen is None:
        return "不清楚"
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d} 元" if cents else f"{whole:,} 元"

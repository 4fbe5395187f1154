"""Random, unguessable codes in Crockford base32 (no I, L, O, U: nothing to misread on a board)."""
from __future__ import annotations

import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def random_code(length: int) -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalise(code: str) -> str:
    """What a person typed (lower case, spaces, O for 0) to the canonical code."""
    return code.strip().upper().replace("-", "").replace(" ", "").translate(_CONFUSABLE)


def is_code(value: str, max_length: int) -> bool:
    return 0 < len(value) <= max_length and all(ch in CROCKFORD for ch in value)

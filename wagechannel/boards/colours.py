"""The four inks of a board: RGB for the PNG and PDF back-ends, CSS for the print page."""
from __future__ import annotations

import enum


class Ink(enum.Enum):
    """The four colours of a board. PNG palette indices are chosen so antialiasing works (below)."""

    BLACK = "black"
    GREY = "grey"
    RED = "red"
    WHITE = "white"


RGB: dict[Ink, tuple[int, int, int]] = {
    Ink.BLACK: (0, 0, 0),
    Ink.GREY: (64, 64, 64),
    Ink.RED: (176, 0, 0),
    Ink.WHITE: (255, 255, 255),
}
CSS = {ink: "#{:02x}{:02x}{:02x}".format(*rgb) for ink, rgb in RGB.items()}

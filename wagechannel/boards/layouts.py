"""Board layouts: one TOML file per paper size or variant in notices/, validated on load.

A layout names its paper in millimetres and places blocks on it (x, y, width,
height in millimetres from the top-left corner), each with a font size in
points. Blocks named in `[flow]` print one under another: each starts where the
text of the one above ends, so room one does not need passes to the next instead
of standing empty. Adding a layout means adding a file; its name is the file stem
(`notices/A2.toml` is layout "A2"). Any mistake in a file raises LayoutError
naming the file and the key, so a broken layout fails when it is loaded, not
when a contractor's print shop finds a clipped board.
"""
from __future__ import annotations

import logging
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from wagechannel.boards.qr import qr_modules
from wagechannel.resources import resource_dir

BLOCK_TYPES = ("title", "parties", "wages", "channels", "qr", "hotlines", "footer")

# Art. 34 lists what a site board must show, so a full board needs every block;
# a card (dormitories, canteens) only points to help: the code and the hotlines.
REQUIRED_BLOCKS: Mapping[str, frozenset[str]] = {
    "board": frozenset(BLOCK_TYPES),
    "card": frozenset({"title", "qr", "hotlines"}),
}

# Modules of at least 1 mm keep the code readable from a couple of metres on
# site boards; the rule applies to A3 and larger (short side >= 297 mm).
MIN_MODULE_MM = 1.0
LARGE_PAPER_SHORT_SIDE_MM = 297.0
# The longest URL we expect to print ({BASE_URL}/s/<10-char token}); at error
# correction Q it needs a version 4 code: 33 modules + 2 * 4 quiet = 41.
LONGEST_URL = "https://" + "w" * 19 + "/s/" + "X" * 10
# Lines of text the QR block carries besides the code: the call to action
# above; the token, the lookup hint, the time limit and the arrears platform
# below (estimated at the minimum size).
QR_TEXT_LINES = 5
# Blocks that cannot flow: the title is a filled bar, the code is centred in its block.
NOT_FLOWING = ("title", "qr")

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_EPSILON = 1e-6


class LayoutError(ValueError):
    """A layout file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Box:
    """A rectangle (x0, y0) - (x1, y1), y downwards, in whatever unit its owner says."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def scaled(self, factor: float) -> Box:
        return Box(self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor)

    def inset(self, by: float) -> Box:
        return Box(self.x0 + by, self.y0 + by, self.x1 - by, self.y1 - by)

    def contains(self, other: Box, tolerance: float = 1e-6) -> bool:
        return (other.x0 >= self.x0 - tolerance and other.y0 >= self.y0 - tolerance
                and other.x1 <= self.x1 + tolerance and other.y1 <= self.y1 + tolerance)

    def overlaps(self, other: Box, tolerance: float = 1e-6) -> bool:
        """True when the two share some area; touching edges do not count."""
        return (min(self.x1, other.x1) - max(self.x0, other.x0) > tolerance
                and min(self.y1, other.y1) - max(self.y0, other.y0) > tolerance)


@dataclass(frozen=True)
class Block:
    """One region of the board. `name` is its type: what it draws (see BLOCK_TYPES)."""

    name: str
    box: Box  # millimetres
    font_pt: float  # the block's main text size; headings and details scale from it
    padding_mm: float = 0.0
    heading: str | None = None  # printed above the items (wording lives with the layout)

    @property
    def inner(self) -> Box:
        return self.box.inset(self.padding_mm)


@dataclass(frozen=True)
class Layout:
    name: str  # the file stem
    description: str
    kind: str  # "board" or "card"
    width_mm: float
    height_mm: float
    min_font_pt: float  # text shrinks to here before it goes any smaller
    line_spacing: float  # line pitch as a multiple of the font size
    blocks: tuple[Block, ...]
    source: Path | None = None
    flow: tuple[str, ...] = ()  # blocks printed one under another, top to bottom
    flow_gap_mm: float = 0.0  # between two flowing blocks

    @property
    def flow_blocks(self) -> tuple[Block, ...]:
        return tuple(block for name in self.flow for block in self.blocks if block.name == name)

    @property
    def paper(self) -> Box:
        return Box(0.0, 0.0, self.width_mm, self.height_mm)

    @property
    def min_module_mm(self) -> float:
        """Smallest QR module allowed when printed: 1 mm on A3 and larger, no rule below."""
        if min(self.width_mm, self.height_mm) >= LARGE_PAPER_SHORT_SIDE_MM - 0.5:
            return MIN_MODULE_MM
        return 0.0

    def block(self, name: str) -> Block | None:
        return next((block for block in self.blocks if block.name == name), None)


def notices_dir() -> Path:
    return resource_dir("notices")


def load_layouts(directory: Path | str | None = None) -> dict[str, Layout]:
    """Every `*.toml` layout in directory (default: notices/), by name; the first bad file raises."""
    folder = Path(directory) if directory is not None else notices_dir()
    return {path.stem: load_layout(path) for path in sorted(folder.glob("*.toml"))}


def layout_names(directory: Path | str | None = None) -> list[str]:
    folder = Path(directory) if directory is not None else notices_dir()
    return sorted(path.stem for path in folder.glob("*.toml"))


def layout_choices(directory: Path | str | None = None) -> list[tuple[str, str]]:
    """(name, description) of every usable layout, for a size picker.

    A broken file is logged and left out rather than taking every page with a
    picker down; get_layout() still raises for it, naming the file and key.
    """
    choices: list[tuple[str, str]] = []
    for name in layout_names(directory):
        try:
            choices.append((name, get_layout(name, directory).description))
        except LayoutError as error:
            log.error("layout left out of the choices: %s", error)
    return choices


def get_layout(name: str, directory: Path | str | None = None) -> Layout:
    """The layout in `<directory>/<name>.toml`; re-read when the file changes."""
    if not _NAME.match(name):
        raise LayoutError(f"{name!r}: not a layout name (letters, digits, '-' and '_')")
    folder = Path(directory) if directory is not None else notices_dir()
    path = folder / f"{name}.toml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:  # no such file (or a name the file system refuses)
        known = ", ".join(layout_names(folder)) or "none"
        raise LayoutError(f"{name}.toml: no such layout in {folder} (known: {known})") from None
    return _load_cached(str(path), stamp)


@lru_cache(maxsize=64)
def _load_cached(path: str, _stamp: int) -> Layout:
    return load_layout(Path(path))


def load_layout(path: Path | str) -> Layout:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise LayoutError(f"{path.name}: invalid TOML: {error}") from None
    except OSError as error:
        raise LayoutError(f"{path.name}: cannot read: {os.strerror(error.errno or 0)}") from None
    return parse_layout(path.stem, data, source=path)


def parse_layout(name: str, data: Mapping[str, Any], *, source: Path | None = None) -> Layout:
    """Check a decoded TOML document and build the Layout; errors name `<name>.toml` and the key."""
    reader = _Reader(f"{name}.toml")
    reader.only_keys("", data, {"description", "kind", "paper", "text", "blocks", "flow"})
    kind = reader.choice("kind", data.get("kind", "board"), tuple(REQUIRED_BLOCKS))
    description = reader.string("description", data.get("description", name))

    paper = reader.table("paper", data)
    reader.only_keys("paper", paper, {"width_mm", "height_mm"})
    width_mm = reader.positive("paper.width_mm", paper)
    height_mm = reader.positive("paper.height_mm", paper)

    text = reader.table("text", data)
    reader.only_keys("text", text, {"min_font_pt", "line_spacing"})
    min_font_pt = reader.positive("text.min_font_pt", text)
    line_spacing = reader.number("text.line_spacing", text.get("line_spacing", 1.5))
    if not 1.0 <= line_spacing <= 3.0:
        reader.fail("text.line_spacing", "must be between 1.0 and 3.0")

    blocks_table = reader.table("blocks", data)
    blocks = tuple(_parse_block(reader, block_name, body, min_font_pt)
                   for block_name, body in blocks_table.items())

    for required in sorted(REQUIRED_BLOCKS[kind] - {block.name for block in blocks}):
        reader.fail(f"blocks.{required}", f"missing: a {kind} layout needs the blocks "
                    + ", ".join(sorted(REQUIRED_BLOCKS[kind])))
    paper_box = Box(0.0, 0.0, width_mm, height_mm)
    for block in blocks:
        if not paper_box.contains(block.box):
            reader.fail(f"blocks.{block.name}",
                        f"outside the paper: spans x {block.box.x0:g}-{block.box.x1:g} mm, "
                        f"y {block.box.y0:g}-{block.box.y1:g} mm on {width_mm:g} x {height_mm:g} mm")
    for index, block in enumerate(blocks):
        for other in blocks[index + 1:]:
            if block.box.overlaps(other.box):
                reader.fail(f"blocks.{other.name}", f"overlaps blocks.{block.name}")

    _check_footer_size(reader, blocks)
    flow, gap = _parse_flow(reader, data, blocks)

    layout = Layout(name=name, description=description, kind=kind, width_mm=width_mm,
                    height_mm=height_mm, min_font_pt=min_font_pt, line_spacing=line_spacing,
                    blocks=blocks, source=source, flow=flow, flow_gap_mm=gap)
    _check_qr_room(reader, layout)
    return layout


def _check_footer_size(reader: _Reader, blocks: tuple[Block, ...]) -> None:
    """The footer says what the service promises: readable from where section three is read,
    so never smaller than its body text (on a card, than the QR block's)."""
    sizes = {block.name: block.font_pt for block in blocks}
    body = sizes.get("channels", sizes.get("qr"))
    if "footer" in sizes and body is not None and sizes["footer"] < body - _EPSILON:
        reader.fail("blocks.footer.font_pt",
                    f"must be at least the body size of the board ({body:g}), so the footer "
                    "can be read from the same distance")


def _parse_flow(reader: _Reader, data: Mapping[str, Any],
                blocks: tuple[Block, ...]) -> tuple[tuple[str, ...], float]:
    """`[flow] blocks = [...]`: same column, top to bottom, text blocks only."""
    if "flow" not in data:
        return (), 0.0
    flow = reader.table("flow", data)
    reader.only_keys("flow", flow, {"blocks", "gap_mm"})
    names = flow.get("blocks")
    if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names):
        reader.fail("flow.blocks", "must be a list of at least two block names")
    by_name = {block.name: block for block in blocks}
    for block_name in names:
        if block_name not in by_name:
            reader.fail("flow.blocks", f"{block_name}: no such block in this layout")
        if block_name in NOT_FLOWING:
            reader.fail("flow.blocks", f"{block_name}: this block cannot flow")
    if len(set(names)) != len(names):
        reader.fail("flow.blocks", "names a block twice")
    column = [by_name[block_name] for block_name in names]
    for above, below in zip(column, column[1:]):
        if (abs(above.box.x0 - below.box.x0) > _EPSILON
                or abs(above.box.x1 - below.box.x1) > _EPSILON):
            reader.fail("flow.blocks", f"{below.name} must have the same x_mm and width_mm as "
                        f"{above.name}")
        if below.box.y0 < above.box.y1 - _EPSILON:
            reader.fail("flow.blocks", f"{below.name} must be below {above.name}")
    gap = reader.number("flow.gap_mm", flow.get("gap_mm", 0.0))
    if gap < 0:
        reader.fail("flow.gap_mm", "must be a number of at least 0")
    return tuple(names), gap


def _parse_block(reader: _Reader, name: str, body: Any, min_font_pt: float) -> Block:
    key = f"blocks.{name}"
    if name not in BLOCK_TYPES:
        reader.fail(key, f"unknown block type (known: {', '.join(BLOCK_TYPES)})")
    if not isinstance(body, dict):
        reader.fail(key, "must be a table")
    reader.only_keys(key, body, {"x_mm", "y_mm", "width_mm", "height_mm", "font_pt",
                                 "padding_mm", "heading"})
    x = reader.non_negative(f"{key}.x_mm", body)
    y = reader.non_negative(f"{key}.y_mm", body)
    width = reader.positive(f"{key}.width_mm", body)
    height = reader.positive(f"{key}.height_mm", body)
    font_pt = reader.positive(f"{key}.font_pt", body)
    if font_pt < min_font_pt:
        reader.fail(f"{key}.font_pt", f"must not be smaller than text.min_font_pt ({min_font_pt:g})")
    padding = reader.number(f"{key}.padding_mm", body.get("padding_mm", 0.0))
    if padding < 0 or 2 * padding >= min(width, height):
        reader.fail(f"{key}.padding_mm", "must be at least 0 and leave room inside the block")
    heading = body.get("heading")
    if heading is not None:
        heading = reader.string(f"{key}.heading", heading)
    return Block(name=name, box=Box(x, y, x + width, y + height), font_pt=font_pt,
                 padding_mm=padding, heading=heading)


def _check_qr_room(reader: _Reader, layout: Layout) -> None:
    """On A3 and larger the QR block must hold a 1 mm-module code of the longest URL plus its text."""
    block = layout.block("qr")
    if block is None or not layout.min_module_mm:
        return
    side_mm = qr_modules(LONGEST_URL) * layout.min_module_mm
    text_mm = QR_TEXT_LINES * layout.min_font_pt * layout.line_spacing * 25.4 / 72
    inner = block.inner
    if inner.width < side_mm:
        reader.fail("blocks.qr.width_mm",
                    f"too small for a QR code with {layout.min_module_mm:g} mm modules: the inside "
                    f"must be at least {math.ceil(side_mm)} mm wide (is {inner.width:g} mm)")
    if inner.height < side_mm + text_mm:
        reader.fail("blocks.qr.height_mm",
                    f"too small for a QR code with {layout.min_module_mm:g} mm modules and its text: "
                    f"the inside must be at least {math.ceil(side_mm + text_mm)} mm high "
                    f"(is {inner.height:g} mm)")


class _Reader:
    """Typed access to a decoded TOML document that fails with `<file>: <key>: <problem>`."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, key: str, problem: str) -> Any:
        raise LayoutError(f"{self.filename}: {key}: {problem}" if key else f"{self.filename}: {problem}")

    def only_keys(self, key: str, table: Mapping[str, Any], allowed: set[str]) -> None:
        for unknown in sorted(set(table) - allowed):
            self.fail(f"{key}.{unknown}" if key else unknown,
                      f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def table(self, key: str, parent: Mapping[str, Any]) -> dict[str, Any]:
        if key not in parent:
            self.fail(key, "missing")
        value = parent[key]
        if not isinstance(value, dict):
            self.fail(key, "must be a table")
        return dict(value)

    def number(self, key: str, value: Any) -> float:
        # bool is an int in Python; `true` is never a size
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(key, "must be a number")
        return float(value)

    def _required_number(self, key: str, table: Mapping[str, Any],
                         problem: str = "must be a number") -> float:
        leaf = key.rsplit(".", 1)[-1]
        if leaf not in table:
            self.fail(key, "missing")
        value = table[leaf]
        # bool is an int in Python; `true` is never a size
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(key, problem)
        return float(value)

    def positive(self, key: str, table: Mapping[str, Any]) -> float:
        value = self._required_number(key, table, problem="must be a positive number")
        if not value > 0:
            self.fail(key, "must be a positive number")
        return value

    def non_negative(self, key: str, table: Mapping[str, Any]) -> float:
        value = self._required_number(key, table)
        if value < 0:
            self.fail(key, "must be a number of at least 0")
        return value

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be a non-empty string")
        return str(value)

    def choice(self, key: str, value: Any, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.fail(key, f"must be one of {', '.join(allowed)}")
        return str(value)

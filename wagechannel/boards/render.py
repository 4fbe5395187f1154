"""Draw a board from its BoardContent and a Layout: PNG (300 dpi print, 100 dpi preview) and HTML.

One planner serves every output. It is given the output's own text metrics
(whole-pixel FreeType advances for PNG, the embedded font's widths for PDF, a
generic estimate for HTML, which the browser measures itself), wraps the text
of each block, and shrinks a block's text step by step until it fits: first
down to the layout's minimum size, then further if it must, never clipping.
Every renderer returns the boxes it drew, per block, so a test can check that
nothing leaves its block whatever the length of the names.

PDF output lives in pdf.py, batches in batch.py.
"""
from __future__ import annotations

import enum
import io
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal, Protocol

import qrcode
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.image.svg import SvgPathImage

from wagechannel.boards.content import BoardContent, Item
from wagechannel.boards.fonts import CJKFont
from wagechannel.boards.layouts import Block, Box, Layout, LayoutError
from wagechannel.resources import resource_dir

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
PRINT_DPI = 300
PREVIEW_DPI = 100
MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

# A palette image holds a byte per pixel, a third of RGB, and encodes that much faster;
# zlib level 1 costs little over a blank canvas. bench/boards.py uses these exact settings.
PNG_SAVE_OPTIONS: dict[str, object] = {"compress_level": 1, "optimize": False}

GLYPH_CACHE_BYTES = 64 * 1024 * 1024  # rasterised glyphs kept for the whole process
SHRINK_STEP = 0.95  # each step makes a block's text 5 % smaller
ABSOLUTE_MIN_PT = 3.0  # below this nobody can read it: refuse instead of printing it


class BoardDoesNotFit(LayoutError):
    """The content cannot be printed on this layout without clipping, even at the smallest size."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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

# The PNG is a palette image drawn with antialiased text. Pillow blends a glyph's
# coverage into an 8-bit image numerically (index = ink * a + background * (1 - a)),
# so the palette holds two ramps that meet at white: indices 0..128 run red -> white,
# 128..255 white -> black. Black or grey text on white, red text on white and white
# text on the red title bar then all blend through the right colours.
WHITE_INDEX = 128
INDEX: dict[Ink, int] = {Ink.RED: 0, Ink.WHITE: WHITE_INDEX, Ink.GREY: 223, Ink.BLACK: 255}


def _palette() -> list[int]:
    red, white = RGB[Ink.RED], RGB[Ink.WHITE]
    colours: list[int] = []
    for index in range(256):
        if index <= WHITE_INDEX:
            t = index / WHITE_INDEX
            colours += [round(r + (w - r) * t) for r, w in zip(red, white, strict=True)]
        else:
            t = (index - WHITE_INDEX) / (255 - WHITE_INDEX)
            colours += [round(255 * (1 - t))] * 3
    return colours


PALETTE = _palette()


# ---------------------------------------------------------------------------------------
# QR code


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules including the 4-module quiet zone, error correction Q; True is dark."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def qr_image(url: str, module_px: int) -> Image.Image:
    """A 1-bit QR image, error correction Q, whole pixels per module, 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=module_px, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("1")


def qr_modules(url: str) -> int:
    """Modules per side including the quiet zone, to size the code before drawing it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return int(code.modules_count) + 2 * QUIET_ZONE


def qr_tile(matrix: Sequence[Sequence[bool]], module_px: int) -> Image.Image:
    """The code as a board-palette image, `module_px` whole pixels per module, quiet zone included."""
    side = len(matrix)
    dark, light = INDEX[Ink.BLACK], WHITE_INDEX
    raw = bytes(dark if cell else light for row in matrix for cell in row)
    tile = Image.frombytes("P", (side, side), raw)
    tile.putpalette(PALETTE)
    return tile.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


def qr_svg(url: str) -> str:
    """The code as an inline <svg> (qrcode's path factory) that scales to its box and prints sharp."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE,
                         image_factory=SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # the factory sizes the svg in mm (1 mm per module); the print page sizes it by CSS instead
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    return svg.replace("<svg", '<svg class="qr" role="img" preserveAspectRatio="xMidYMid meet" '
                       'shape-rendering="crispEdges"', 1)


# ---------------------------------------------------------------------------------------
# Wrapping

# Chinese line-breaking rules (禁则): these never start a line, so they travel with the
# character before them; opening brackets never end one, so they travel with the next.
# ASCII punctuation stays inside its Latin word instead ("23.7", a URL), so only
# full-width marks are listed.
NO_LINE_START = set("，。、；：？！）》」』】〉”’…—·％")
NO_LINE_END = set("（《「『【〈“‘")


@dataclass(frozen=True)
class Run:
    text: str
    ink: Ink = Ink.BLACK


def _tokens(text: str) -> list[str]:
    """Latin words (with their trailing space) as one token, every other character alone.

    Punctuation that may not begin a line is glued to the token before it, an opening
    bracket to the token after it, so a break never lands between them.
    """
    tokens: list[str] = []
    word = ""
    glue_next = ""
    for char in text:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            tokens.append(glue_next + word)
            word = glue_next = ""
        if char.isspace() and tokens and not glue_next:
            tokens[-1] += char
        elif char in NO_LINE_START and tokens and not glue_next:
            tokens[-1] += char
        elif char in NO_LINE_END:
            glue_next += char
        else:
            tokens.append(glue_next + char)
            glue_next = ""
    if word or glue_next:
        tokens.append(glue_next + word)
    return tokens


Line = list[Run]


def wrap_runs(runs: Sequence[Run], measure: Callable[[str], float], max_width: float, *,
              additive: bool = True) -> list[Line]:
    """Break coloured runs into lines no wider than max_width.

    Pillow does not wrap CJK text (it has no spaces to break at): Chinese breaks
    between any two characters, Latin words and numbers stay whole unless a
    single one is wider than the line; "\\n" forces a break. With `additive`,
    measure(a + b) == measure(a) + measure(b) is assumed (true for boards, which
    measure per character), which keeps wrapping linear in the text length.
    """
    lines: list[Line] = []
    line: list[tuple[str, Ink]] = []
    line_text = ""
    line_width = 0.0

    def width_with(token: str) -> float:
        if additive:
            return line_width + measure(token)
        return measure(line_text + token)

    def close() -> None:
        nonlocal line, line_text, line_width
        lines.append(_merge(line))
        line, line_text, line_width = [], "", 0.0

    def add(token: str, ink: Ink) -> None:
        nonlocal line_text, line_width
        line.append((token, ink))
        line_width = width_with(token)
        line_text += token

    for run in runs:
        for part_index, part in enumerate(run.text.split("\n")):
            if part_index:
                close()
            for token in _tokens(part):
                if width_with(token.rstrip()) <= max_width:
                    add(token, run.ink)
                    continue
                if line:
                    close()
                if measure(token.rstrip()) <= max_width:
                    add(token, run.ink)
                    continue
                for char in token:  # a single word wider than the line: break it anywhere
                    if line and width_with(char) > max_width:
                        close()
                    add(char, run.ink)
    close()
    return lines


def _merge(parts: list[tuple[str, Ink]]) -> Line:
    """Join neighbouring tokens of one colour, drop the spaces at the end of the line."""
    merged: list[Run] = []
    for text, ink in parts:
        if merged and merged[-1].ink == ink:
            merged[-1] = Run(merged[-1].text + text, ink)
        else:
            merged.append(Run(text, ink))
    while merged and not merged[-1].text.rstrip():
        merged.pop()
    if merged:
        merged[-1] = Run(merged[-1].text.rstrip(), merged[-1].ink)
    return merged


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break text into lines no wider than max_width, measured with font as drawn by Pillow."""
    lines = wrap_runs([Run(text)], font.getlength, max_width, additive=False)
    return ["".join(run.text for run in line) for line in lines]


# ---------------------------------------------------------------------------------------
# What each block says


Align = Literal["left", "center"]


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    scale: float = 1.0  # of the block's font size
    align: Align = "left"
    space_before: float = 0.0  # in ems of this paragraph's size; ignored at the top of a block


@dataclass(frozen=True)
class BlockText:
    """What one block draws: paragraphs (above the code, for the QR block) and how it sits."""

    paragraphs: tuple[Paragraph, ...]
    below: tuple[Paragraph, ...] = ()  # QR block: under the code
    fill: Ink | None = None  # background of the whole block
    centred: bool = False  # vertically


def _items(items: Sequence[Item], label_ink: Ink, text_ink: Ink, *, align: Align = "left",
           separator: str = "：", space_before: float = 0.3) -> list[Paragraph]:
    return [Paragraph((Run(f"{item.label}{separator}", label_ink), Run(item.text, text_ink)),
                      align=align, space_before=space_before) for item in items]


def _notes(notes: Sequence[str]) -> list[Paragraph]:
    """Lines under the code: the first (the arbitration time limit) in red, the rest in black."""
    return [Paragraph((Run(note, Ink.RED if index == 0 else Ink.BLACK),),
                      scale=1.0 if index == 0 else 0.85, align="center",
                      space_before=0.5 if index == 0 else 0.2)
            for index, note in enumerate(notes)]


def block_text(content: BoardContent, block: Block) -> BlockText:
    """The wording of one block. Headings come from the layout file, everything else from content."""
    name = block.name
    centred = name in ("hotlines", "qr")
    heading = [Paragraph((Run(block.heading, Ink.RED),), scale=1.15,
                         align="center" if centred else "left")] if block.heading else []
    if name == "title":
        return BlockText((
            Paragraph((Run(content.title, Ink.WHITE),), align="center"),
            Paragraph((Run(content.project_name, Ink.WHITE),), scale=0.42, align="center",
                      space_before=0.4),
            Paragraph((Run(content.project_address, Ink.WHITE),), scale=0.34, align="center",
                      space_before=0.2),
        ), fill=Ink.RED, centred=True)
    if name in ("parties", "wages", "channels"):
        items = {"parties": content.parties, "wages": content.wages,
                 "channels": content.channels}[name]
        return BlockText(tuple(heading + _items(items, Ink.RED, Ink.BLACK)))
    if name == "hotlines":
        return BlockText(tuple(heading + _items(content.hotlines, Ink.BLACK, Ink.RED,
                                                align="center", separator="  ", space_before=0.2)),
                         centred=True)
    if name == "footer":
        return BlockText((Paragraph((Run(content.footer, Ink.GREY),)),) if content.footer else (),
                         centred=True)
    if name == "qr":
        return BlockText(
            (*heading, Paragraph((Run(content.call_to_action, Ink.BLACK),), scale=1.15,
                                 align="center")),
            below=(Paragraph((Run("编号 ", Ink.BLACK), Run(content.token, Ink.RED)), scale=1.1,
                             align="center"),
                   Paragraph((Run(f"扫不了码？用手机浏览器打开 {content.lookup_url} 输入编号", Ink.GREY),),
                             scale=0.75, align="center", space_before=0.2),
                   *_notes(content.qr_notes)),
            centred=True)
    raise LayoutError(f"{name}: no renderer for this block type")


# ---------------------------------------------------------------------------------------
# Planning: where every line and the code go, in the output's own unit


class Metrics(Protocol):
    """How an output measures: its unit per millimetre and per point, and text widths."""

    unit: str
    per_mm: float
    per_pt: float
    ascent: float  # ems above the baseline that any glyph may reach
    descent: float  # ems below it
    whole_pixels: bool  # PNG: glyphs and QR modules sit on whole pixels

    def snap(self, size: float) -> float: ...

    def measure(self, size: float) -> Callable[[str], float]: ...


@dataclass(frozen=True)
class PlacedLine:
    runs: tuple[tuple[Run, float], ...]  # each run with its x
    baseline: float
    size: float  # font size in the output's unit
    box: Box  # the line's extent from the metrics: advances across, ascent/descent down

    @property
    def text(self) -> str:
        return "".join(run.text for run, _x in self.runs)


@dataclass(frozen=True)
class PlacedQR:
    matrix: tuple[tuple[bool, ...], ...]
    x: float
    y: float
    module: float

    @property
    def box(self) -> Box:
        side = self.module * len(self.matrix)
        return Box(self.x, self.y, self.x + side, self.y + side)


@dataclass(frozen=True)
class BlockPlan:
    block: Block
    box: Box  # the block in the output's unit
    fill: Ink | None
    lines: tuple[PlacedLine, ...]
    qr: PlacedQR | None
    font_pt: float  # the block's main size after shrinking
    below_minimum: bool  # had to go under the layout's minimum to fit


@dataclass(frozen=True)
class BoardPlan:
    layout: Layout
    width: float
    height: float
    blocks: tuple[BlockPlan, ...]


def plan_board(content: BoardContent, layout: Layout, metrics: Metrics) -> BoardPlan:
    matrix = qr_matrix(content.url)
    flowed = _plan_flow(content, layout, metrics, matrix)
    blocks = tuple(flowed.get(block.name) or _plan_block(content, layout, block, metrics, matrix)
                   for block in layout.blocks)
    return BoardPlan(layout, layout.width_mm * metrics.per_mm, layout.height_mm * metrics.per_mm,
                     blocks)


_FIT_MM = 1e-3
FLOW_SHARE_MAX_GAPS = 4  # spare room added between flowing blocks: at most this many gaps  # rounding slack when a block is given exactly the height its text needs


def _moved(block: Block, y0: float, y1: float) -> Block:
    return replace(block, box=Box(block.box.x0, y0, block.box.x1, y1))


def _natural_height_mm(content: BoardContent, block: Block, layout: Layout,
                       metrics: Metrics) -> float | None:
    """The height a block needs at its design size, padding included; None if a line is too wide."""
    inner = block.inner.scaled(metrics.per_mm)
    laid = _layout_paragraphs(block_text(content, block).paragraphs, inner, block.font_pt,
                              layout, metrics)
    if laid is None:
        return None
    return laid[1] / metrics.per_mm + 2 * block.padding_mm + _FIT_MM


def _text_bottom_mm(plan: BlockPlan, metrics: Metrics) -> float:
    bottom = max((line.box.y1 for line in plan.lines), default=plan.box.y0 / metrics.per_mm)
    return bottom / metrics.per_mm + plan.block.padding_mm


def _plan_flow(content: BoardContent, layout: Layout, metrics: Metrics,
               matrix: tuple[tuple[bool, ...], ...]) -> dict[str, BlockPlan]:
    """The flowing blocks, one under another from the first one's top to the last one's bottom.

    When all of them fit at their design sizes each takes just the height it needs and the
    room left over is shared out below each one (a little; the rest stays under the last). Otherwise each, in turn, gets the room down to
    what the blocks below it need at their design sizes (at least its own box), and shrinks
    within that as any block does; what it then leaves unused passes on down.
    """
    column = layout.flow_blocks
    if not column:
        return {}
    top, bottom, gap = column[0].box.y0, column[-1].box.y1, layout.flow_gap_mm
    plans: dict[str, BlockPlan] = {}
    natural = [_natural_height_mm(content, block, layout, metrics) for block in column]
    heights = [height for height in natural if height is not None]
    spare = bottom - top - sum(heights) - gap * (len(column) - 1)
    if len(heights) == len(column) and spare >= 0:
        # the room left over is shared out under each block, so no one gap stands out, but
        # never more than a few gaps' worth between two sections: the rest stays at the end
        cursor, extra = top, min(spare / len(column), FLOW_SHARE_MAX_GAPS * gap)
        for index, (block, height) in enumerate(zip(column, heights, strict=True)):
            end = bottom if index == len(column) - 1 else cursor + height
            plans[block.name] = _plan_block(content, layout, _moved(block, cursor, end), metrics,
                                            matrix)
            cursor = end + gap + extra
        return plans
    needs = [height if height is not None else block.box.height
             for block, height in zip(column, natural, strict=True)]
    cursor = top
    for index, block in enumerate(column):
        start = cursor
        below = sum(needs[index + 1:]) + gap * (len(column) - 1 - index)
        end = max(block.box.y1, bottom - below)
        plan = _plan_block(content, layout, _moved(block, start, end), metrics, matrix)
        if index < len(column) - 1:  # give back what it did not use
            end = min(_text_bottom_mm(plan, metrics), end)
            moved = _moved(block, start, end)
            plan = replace(plan, block=moved, box=moved.box.scaled(metrics.per_mm))
            cursor = end + gap
        plans[block.name] = plan
    return plans


def font_steps(font_pt: float) -> list[float]:
    """The sizes a block tries, largest first: 5 % smaller each step, down to ABSOLUTE_MIN_PT."""
    steps: list[float] = []
    size = font_pt
    while size >= ABSOLUTE_MIN_PT:
        steps.append(size)
        size *= SHRINK_STEP
    return steps or [font_pt]


def _plan_block(content: BoardContent, layout: Layout, block: Block, metrics: Metrics,
                matrix: tuple[tuple[bool, ...], ...]) -> BlockPlan:
    text = block_text(content, block)
    box = block.box.scaled(metrics.per_mm)
    inner = block.inner.scaled(metrics.per_mm)

    def attempt(font_pt: float) -> BlockPlan | None:
        placed: tuple[list[PlacedLine], PlacedQR | None] | None
        if block.name == "qr":
            placed = _place_qr(text, inner, font_pt, layout, metrics, matrix)
        else:
            placed = _place_text(text, inner, font_pt, layout, metrics)
        if placed is None:
            return None
        lines, qr = placed
        return BlockPlan(block, box, text.fill, tuple(lines), qr, font_pt, False)

    steps = font_steps(block.font_pt)
    plan = _largest_fitting(steps, attempt)
    if plan is None and block.name == "qr":
        raise BoardDoesNotFit(f"二维码放不下：网址 {content.url} 太长，{layout.name} 版面上的二维码"
                              f"每格会小于 {layout.min_module_mm:g} 毫米，远处扫不出来。"
                              "请缩短网址（BASE_URL）或换用更大的版面。")
    if plan is None:
        raise BoardDoesNotFit(f"“{_BLOCK_NAMES.get(block.name, block.name)}”内容太多，"
                              f"{layout.name} 版面放不下。请精简文字或换用更大的版面。")
    smallest = min((p.scale for p in text.paragraphs + text.below), default=1.0)
    below_minimum = plan.font_pt * smallest < layout.min_font_pt - 1e-9
    return BlockPlan(plan.block, plan.box, plan.fill, plan.lines, plan.qr, plan.font_pt,
                     below_minimum)


_BLOCK_NAMES = {"title": "标题", "parties": "参建单位", "wages": "工资支付", "channels": "维权渠道",
                "qr": "二维码", "hotlines": "热线", "footer": "页脚"}


def _largest_fitting(steps: list[float],
                     attempt: Callable[[float], BlockPlan | None]) -> BlockPlan | None:
    """The plan at the largest step that fits; most blocks fit at the first.

    Past the first step a binary search keeps long content cheap. Smaller text needs
    no more room (wrapping only gets easier), up to whole-pixel rounding, so this finds
    what trying every step in turn would; whatever it returns has been checked to fit.
    """
    first = attempt(steps[0])
    if first is not None:
        return first
    low, high = 1, len(steps) - 1
    best = attempt(steps[high]) if high >= low else None
    if best is None:
        return None
    while low < high:  # invariant: steps[high] fits, steps[low - 1] does not
        middle = (low + high) // 2
        plan = attempt(steps[middle])
        if plan is None:
            low = middle + 1
        else:
            best, high = plan, middle
    return best


def _layout_paragraphs(paragraphs: Sequence[Paragraph], inner: Box, font_pt: float,
                       layout: Layout, metrics: Metrics) -> tuple[list[PlacedLine], float] | None:
    """Lines placed from y = 0 at the left/centre of inner; None when a line is too wide."""
    lines: list[PlacedLine] = []
    y = 0.0
    em_height = metrics.ascent + metrics.descent
    for index, paragraph in enumerate(paragraphs):
        size = metrics.snap(font_pt * paragraph.scale * metrics.per_pt)
        measure = metrics.measure(size)
        if index:
            y += paragraph.space_before * size
        slot = max(size * layout.line_spacing, size * em_height)
        for line in wrap_runs(paragraph.runs, measure, inner.width):
            widths = [measure(run.text) for run in line]
            total = sum(widths)
            if total > inner.width + 1e-6:
                return None
            x = inner.x0 + ((inner.width - total) / 2 if paragraph.align == "center" else 0.0)
            if metrics.whole_pixels:  # whole pixels: glyphs land where they were measured
                x = float(math.floor(x))
            baseline = y + (slot - size * em_height) / 2 + size * metrics.ascent
            placed: list[tuple[Run, float]] = []
            run_x = x
            for run, width in zip(line, widths, strict=True):
                placed.append((run, run_x))
                run_x += width
            lines.append(PlacedLine(tuple(placed), baseline, size,
                                    Box(x, baseline - size * metrics.ascent, x + total,
                                        baseline + size * metrics.descent)))
            y += slot
    return lines, y


def _shift(lines: list[PlacedLine], dy: float, whole: bool) -> list[PlacedLine]:
    if whole:
        dy = float(math.floor(dy))
    return [PlacedLine(line.runs, line.baseline + dy, line.size,
                       Box(line.box.x0, line.box.y0 + dy, line.box.x1, line.box.y1 + dy))
            for line in lines]


def _place_text(text: BlockText, inner: Box, font_pt: float, layout: Layout,
                metrics: Metrics) -> tuple[list[PlacedLine], None] | None:
    laid = _layout_paragraphs(text.paragraphs, inner, font_pt, layout, metrics)
    if laid is None or laid[1] > inner.height:
        return None
    lines, height = laid
    offset = inner.y0 + ((inner.height - height) / 2 if text.centred else 0.0)
    return _shift(lines, offset, metrics.whole_pixels), None


def _place_qr(text: BlockText, inner: Box, font_pt: float, layout: Layout, metrics: Metrics,
              matrix: tuple[tuple[bool, ...], ...]) -> tuple[list[PlacedLine], PlacedQR] | None:
    """Text above and below, the code as large as the rest allows; None if its modules get too small."""
    above = _layout_paragraphs(text.paragraphs, inner, font_pt, layout, metrics)
    below = _layout_paragraphs(text.below, inner, font_pt, layout, metrics)
    if above is None or below is None:
        return None
    (above_lines, above_height), (below_lines, below_height) = above, below
    modules = len(matrix)
    side = min(inner.width, inner.height - above_height - below_height)
    module = side / modules
    if metrics.whole_pixels:
        module = float(math.floor(module))
        if module < 1:
            return None
    # 1 mm modules on A3 and larger (the layout knows); checked on what is actually printed
    if module / metrics.per_mm < layout.min_module_mm - 1e-9:
        return None
    side = module * modules
    top = inner.y0 + (inner.height - above_height - side - below_height) / 2
    if metrics.whole_pixels:
        top = float(math.floor(top))
    qr_x = inner.x0 + (inner.width - side) / 2
    qr_y = top + above_height
    if metrics.whole_pixels:
        qr_x, qr_y = float(math.floor(qr_x)), float(math.ceil(qr_y))
    lines = _shift(above_lines, top, metrics.whole_pixels) \
        + _shift(below_lines, qr_y + side, metrics.whole_pixels)
    return lines, PlacedQR(matrix, qr_x, qr_y, module)


# ---------------------------------------------------------------------------------------
# What the renderers hand back


@dataclass(frozen=True)
class Drawn:
    kind: Literal["text", "qr", "fill"]
    box: Box
    text: str = ""  # the line of text, or the URL the code encodes


@dataclass(frozen=True)
class BlockBoxes:
    name: str
    box: Box  # the block, in the result's unit
    drawn: tuple[Drawn, ...]
    font_pt: float  # the main size it was drawn at
    below_minimum: bool  # shrunk under the layout's minimum to fit


@dataclass(frozen=True)
class RenderResult:
    data: bytes
    boxes: tuple[BlockBoxes, ...]
    unit: str  # "px" for PNG, "pt" for PDF
    width: float
    height: float

    def block(self, name: str) -> BlockBoxes:
        return next(boxes for boxes in self.boxes if boxes.name == name)


# ---------------------------------------------------------------------------------------
# PNG


class _GlyphCache:
    """Glyph coverage masks and advances per (font, pixel size, character), for the whole process.

    Rasterising a glyph costs 50-200 us and a board has a few hundred distinct ones,
    which would otherwise be most of the drawing time; boards share their wording,
    so a web worker or a batch draws each glyph once. Bounded: past the budget it
    starts afresh (dict reads and writes are atomic; the lock guards the reset).
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._advances: dict[tuple[str, int, int], dict[str, float]] = {}
        self._glyphs: dict[tuple[str, int, int], dict[str, _Glyph]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def advances(self, font: CJKFont, size_px: int) -> dict[str, float]:
        return self._advances.setdefault((font.path, font.index, size_px), {})

    def glyphs(self, font: CJKFont, size_px: int) -> dict[str, _Glyph]:
        return self._glyphs.setdefault((font.path, font.index, size_px), {})

    def add(self, table: dict[str, _Glyph], char: str, glyph: _Glyph) -> None:
        table[char] = glyph
        if glyph.mask is not None:
            self._bytes += glyph.mask.width * glyph.mask.height
        if self._bytes > self.budget_bytes:
            self.clear()

    def clear(self) -> None:
        with self._lock:
            self._advances.clear()
            self._glyphs.clear()
            self._bytes = 0


@dataclass
class _Glyph:
    mask: Image.Image | None  # coverage, None for spaces
    left: int  # from the pen position
    top: int  # from the baseline (negative: above it)


GLYPHS = _GlyphCache(GLYPH_CACHE_BYTES)


def clear_glyph_cache() -> None:
    """Forget every rasterised glyph (benchmarks measure a cold start with it)."""
    GLYPHS.clear()


class PixelMetrics:
    """Measuring in whole-pixel font sizes with the advances FreeType will draw with."""

    unit = "px"
    whole_pixels = True

    def __init__(self, font: CJKFont, dpi: int) -> None:
        self.font = font
        self.dpi = dpi
        self.per_mm = dpi / MM_PER_INCH
        self.per_pt = dpi / PT_PER_INCH
        self.ascent, self.descent = font.vertical_metrics()

    def snap(self, size: float) -> float:
        return float(max(1, round(size)))

    def measure(self, size: float) -> Callable[[str], float]:
        size_px = int(size)
        table = GLYPHS.advances(self.font, size_px)
        face = self.font.face(size_px)

        def width(text: str) -> float:
            total = 0.0
            for char in text:
                advance = table.get(char)
                if advance is None:
                    advance = table[char] = face.getlength(char)
                total += advance
            return total

        return width


@dataclass
class PngRenderer:
    """Draws boards of one layout at one resolution."""

    layout: Layout
    font: CJKFont
    dpi: int = PRINT_DPI
    metrics: PixelMetrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = PixelMetrics(self.font, self.dpi)

    def render(self, content: BoardContent) -> RenderResult:
        plan = plan_board(content, self.layout, self.metrics)
        size = (round(plan.width), round(plan.height))
        image = Image.new("P", size, WHITE_INDEX)
        image.putpalette(PALETTE)
        draw = ImageDraw.Draw(image)
        boxes = tuple(self._draw_block(image, draw, block, content.url) for block in plan.blocks)
        output = io.BytesIO()
        image.save(output, format="PNG", dpi=(self.dpi, self.dpi), **PNG_SAVE_OPTIONS)
        return RenderResult(output.getvalue(), boxes, "px", size[0], size[1])

    def _draw_block(self, image: Image.Image, draw: ImageDraw.ImageDraw, plan: BlockPlan,
                    url: str) -> BlockBoxes:
        drawn: list[Drawn] = []
        if plan.fill is not None:
            fill = (round(plan.box.x0), round(plan.box.y0), round(plan.box.x1), round(plan.box.y1))
            image.paste(INDEX[plan.fill], fill)
            drawn.append(Drawn("fill", Box(*fill)))
        for line in plan.lines:
            ink_box = self._draw_line(draw, line, plan.fill)
            if ink_box is not None:
                drawn.append(Drawn("text", ink_box, line.text))
        if plan.qr is not None:
            tile = qr_tile(plan.qr.matrix, int(plan.qr.module))
            image.paste(tile, (int(plan.qr.x), int(plan.qr.y)))
            drawn.append(Drawn("qr", Box(plan.qr.x, plan.qr.y, plan.qr.x + tile.width,
                                         plan.qr.y + tile.height), url))
        return BlockBoxes(plan.block.name, plan.box, tuple(drawn), plan.font_pt, plan.below_minimum)

    def _draw_line(self, draw: ImageDraw.ImageDraw, line: PlacedLine,
                   background: Ink | None) -> Box | None:
        """Blend each glyph's cached coverage in its ink; returns the box of the ink drawn.

        Far cheaper than letting Pillow rasterise every line afresh, which dominated
        the time of a board.
        """
        size = int(line.size)
        measure = self.metrics.measure(line.size)
        glyphs = GLYPHS.glyphs(self.font, size)
        baseline = int(round(line.baseline))
        x0 = y0 = math.inf
        x1 = y1 = -math.inf
        for run, run_x in line.runs:
            # only white blends cleanly on the red ramp of the palette
            ink = INDEX[Ink.WHITE if background == Ink.RED else run.ink]
            pen = run_x
            for char in run.text:
                glyph = glyphs.get(char)
                if glyph is None:
                    glyph = self._rasterise(glyphs, size, char)
                if glyph.mask is not None:
                    left, top = int(pen) + glyph.left, baseline + glyph.top
                    draw.bitmap((left, top), glyph.mask, fill=ink)
                    x0, y0 = min(x0, left), min(y0, top)
                    x1, y1 = max(x1, left + glyph.mask.width), max(y1, top + glyph.mask.height)
                pen += measure(char)
        if x0 is math.inf:
            return None
        return Box(x0, y0, x1, y1)

    def _rasterise(self, table: dict[str, _Glyph], size: int, char: str) -> _Glyph:
        face = self.font.face(size)
        # "ls": relative to the pen on the baseline; whole pixels at a whole-pixel size
        left, top, right, bottom = (int(v) for v in face.getbbox(char, anchor="ls"))
        mask = None
        if right > left and bottom > top:
            mask = Image.new("L", (right - left, bottom - top), 0)
            ImageDraw.Draw(mask).text((-left, -top), char, font=face, fill=255, anchor="ls")
            if mask.getbbox() is None:
                mask = None
        glyph = _Glyph(mask, left, top)
        GLYPHS.add(table, char, glyph)
        return glyph


def render_png(content: BoardContent, layout: Layout, font: CJKFont,
               dpi: int = PRINT_DPI) -> RenderResult:
    """The board as a palette PNG carrying its dpi: 300 for print, 100 for a preview."""
    return PngRenderer(layout, font, dpi).render(content)


def render_preview_png(content: BoardContent, layout: Layout, font: CJKFont) -> RenderResult:
    return render_png(content, layout, font, dpi=PREVIEW_DPI)


# ---------------------------------------------------------------------------------------
# HTML print view


class EstimateMetrics:
    """A browser's metrics guessed without any font file: CJK 1 em, Latin 0.6 em, in mm.

    Only used to choose starting sizes for the print page; the page itself lets the
    browser wrap and shrinks any block that still overflows.
    """

    unit = "mm"
    per_mm = 1.0
    per_pt = MM_PER_INCH / PT_PER_INCH
    ascent = 1.16
    descent = 0.288
    whole_pixels = False

    def snap(self, size: float) -> float:
        return size

    def measure(self, size: float) -> Callable[[str], float]:
        def width(text: str) -> float:
            return size * sum(0.6 if char.isascii() else 1.0 for char in text)
        return width


@dataclass(frozen=True)
class HtmlRun:
    text: str
    colour: str  # CSS
    nowrap: bool = False  # a Latin word or number: whole on one line, as in the PNG and PDF


@dataclass(frozen=True)
class HtmlParagraph:
    runs: tuple[HtmlRun, ...]
    scale: float
    align: Align
    space_before: float


@dataclass(frozen=True)
class HtmlBlock:
    name: str
    box: Box  # mm
    padding_mm: float
    font_pt: float  # starting size; the page shrinks a block further if the browser needs it
    background: str | None
    centred: bool
    paragraphs: tuple[HtmlParagraph, ...]
    below: tuple[HtmlParagraph, ...]  # QR block: under the code
    has_qr: bool


_LATIN_WORD = re.compile(r"([!-~]+)")


def _html_runs(run: Run, fill: Ink | None) -> list[HtmlRun]:
    # browsers break "0755-26661234" at the hyphen; boards keep numbers whole
    colour = CSS[Ink.WHITE if fill == Ink.RED else run.ink]
    return [HtmlRun(piece, colour, nowrap=bool(index % 2))
            for index, piece in enumerate(_LATIN_WORD.split(run.text)) if piece]


def _html_paragraphs(paragraphs: Sequence[Paragraph], fill: Ink | None) -> tuple[HtmlParagraph, ...]:
    return tuple(HtmlParagraph(tuple(piece for run in paragraph.runs
                                     for piece in _html_runs(run, fill)),
                               paragraph.scale, paragraph.align, paragraph.space_before)
                 for paragraph in paragraphs)


@lru_cache(maxsize=1)
def _jinja() -> Environment:
    return Environment(loader=FileSystemLoader(str(resource_dir("templates"))),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True, undefined=StrictUndefined)


def render_html(content: BoardContent, layout: Layout) -> str:
    """A standalone print page: @page at the paper size, blocks placed in mm, the code as SVG.

    Needs no font file on the server: the browser draws the text with its own CJK
    font, starting from sizes planned with estimated widths and shrinking any block
    that still overflows (a few lines of script), so nothing is clipped.
    """
    plan = plan_board(content, layout, EstimateMetrics())
    blocks = []
    for block_plan in plan.blocks:
        block = block_plan.block
        text = block_text(content, block)
        blocks.append(HtmlBlock(
            name=block.name, box=block.box, padding_mm=block.padding_mm,
            font_pt=round(block_plan.font_pt, 2),
            background=CSS[text.fill] if text.fill else None, centred=text.centred,
            paragraphs=_html_paragraphs(text.paragraphs, text.fill),
            below=_html_paragraphs(text.below, text.fill), has_qr=block_plan.qr is not None))
    return _jinja().get_template("boards/print.html").render(
        content=content, layout=layout, blocks=blocks, qr_svg=Markup(qr_svg(content.url)),
        line_spacing=layout.line_spacing, min_pt=ABSOLUTE_MIN_PT)

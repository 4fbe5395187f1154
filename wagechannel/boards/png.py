"""The PNG back-end: a palette image of the board at 300 dpi for print, 100 dpi for a preview.

Glyphs are rasterised once per process and blended in their ink (the palette below
makes antialiasing work); the code is pasted as whole-pixel modules.
"""
from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from wagechannel.boards.colours import RGB, Ink
from wagechannel.boards.content import BoardContent
from wagechannel.boards.fonts import CJKFont
from wagechannel.boards.layouts import Box, Layout
from wagechannel.boards.plan import (MM_PER_INCH, PT_PER_INCH, BlockBoxes, BlockPlan, Drawn,
                                     PlacedLine, RenderResult, plan_board)

PRINT_DPI = 300
PREVIEW_DPI = 100

# A palette image holds a byte per pixel, a third of RGB, and encodes that much faster;
# zlib level 1 costs little over a blank canvas. bench/boards.py uses these exact settings.
PNG_SAVE_OPTIONS: dict[str, object] = {"compress_level": 1, "optimize": False}

GLYPH_CACHE_BYTES = 64 * 1024 * 1024  # rasterised glyphs kept for the whole process


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


def qr_tile(matrix: Sequence[Sequence[bool]], module_px: int) -> Image.Image:
    """The code as a board-palette image, `module_px` whole pixels per module, quiet zone included."""
    side = len(matrix)
    dark, light = INDEX[Ink.BLACK], WHITE_INDEX
    raw = bytes(dark if cell else light for row in matrix for cell in row)
    tile = Image.frombytes("P", (side, side), raw)
    tile.putpalette(PALETTE)
    return tile.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


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

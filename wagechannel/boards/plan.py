"""Planning a board for one output: where every line of text and the code go, in its unit.

One planner serves every output. It is given the output's own text metrics
(whole-pixel FreeType advances for PNG, the embedded font's widths for PDF, a
generic estimate for HTML, which the browser measures itself), wraps the text
of each block, and shrinks a block's text step by step until it fits: first
down to the layout's minimum size, then further if it must, never clipping.
Blocks the layout lets flow are placed one under another. Every back-end
returns the boxes it drew, per block (RenderResult), so a test can check that
nothing leaves its block whatever the length of the names.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from wagechannel.boards.colours import Ink
from wagechannel.boards.content import BoardContent
from wagechannel.boards.fitting import Run, font_steps, largest_fitting, wrap_runs
from wagechannel.boards.layouts import Block, Box, Layout, LayoutError
from wagechannel.boards.qr import qr_matrix
from wagechannel.boards.wording import BlockText, Paragraph, block_text

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
_FIT_MM = 1e-3  # rounding slack when a block is given exactly the height its text needs
FLOW_SHARE_MAX_GAPS = 4  # spare room added between flowing blocks: at most this many gaps


class BoardDoesNotFit(LayoutError):
    """The content cannot be printed on this layout without clipping, even at the smallest size."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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

    When all of them fit at their design sizes each takes just the height it needs, and the
    room left over is shared out below each one (a little; the rest stays under the last).
    Otherwise each, in turn, gets the room down to what the blocks below it need at their
    design sizes (at least its own box), and shrinks within that as any block does; what it
    then leaves unused passes on down.
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
    plan = largest_fitting(steps, attempt)
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
# What the back-ends hand back


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

"""Boards as print-ready PDF: vector text in an embedded subset of the CJK font, the QR as filled shapes.

fpdf2 embeds the Noto Sans CJK face straight from its .ttc collection (CFF outlines
become a CIDFontType0C subset holding only the glyphs used), so nothing is ever
rasterised: no JPEG, no resampling, sharp at any print size. Each page is exactly
the layout's paper size (mm * 72 / 25.4 points; fpdf2 writes it to 0.01 pt).

The same planner as the PNG lays the page out, measured with the embedded font's
own advance widths, so the boxes it reports are the ones the PDF draws.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from fpdf import FPDF
from fpdf.enums import PathPaintRule

from wagechannel.boards.content import BoardContent
from wagechannel.boards.fonts import CJKFont
from wagechannel.boards.layouts import Layout
from wagechannel.boards.colours import RGB, Ink
from wagechannel.boards.plan import (MM_PER_INCH, PT_PER_INCH, BlockBoxes, BlockPlan, Drawn,
                                     PlacedQR, RenderResult, plan_board)

FAMILY = "boardcjk"
_MEASURE_SIZE = 1000.0  # widths are read at 1000 pt, i.e. in thousandths of an em


class PdfMetrics:
    """Widths from the font fpdf2 embeds (the same table it writes into the PDF)."""

    unit = "pt"
    per_mm = PT_PER_INCH / MM_PER_INCH
    per_pt = 1.0
    whole_pixels = False

    def __init__(self, pdf: FPDF, font: CJKFont) -> None:
        self._pdf = pdf
        self.ascent, self.descent = font.vertical_metrics()
        self._em: dict[str, float] = {}

    def snap(self, size: float) -> float:
        return round(size, 2)  # fpdf2 writes font sizes with two decimals

    def measure(self, size: float) -> Callable[[str], float]:
        def width(text: str) -> float:
            total = 0.0
            for char in text:
                em = self._em.get(char)
                if em is None:
                    em = self._em[char] = self._em_width(char)
                total += em
            return total * size

        return width

    def _em_width(self, char: str) -> float:
        # set_font is lazy in fpdf2: it writes nothing until text is drawn, so measuring
        # between pages or between lines leaves the page untouched
        self._pdf.set_font(FAMILY, size=_MEASURE_SIZE)
        return self._pdf.get_string_width(char) / _MEASURE_SIZE


@dataclass
class PdfBoardWriter:
    """One PDF of many boards of one layout: add() a board per page, then output().

    Pages are vector content streams of a few kilobytes; the font is embedded once,
    subset to the glyphs of all pages. Nothing is rasterised, so memory grows only by
    those small streams however many boards the batch has.
    """

    layout: Layout
    font: CJKFont
    title: str = "农民工维权信息告示牌"
    pdf: FPDF = field(init=False)
    metrics: PdfMetrics = field(init=False)

    def __post_init__(self) -> None:
        width_pt = self.layout.width_mm * PT_PER_INCH / MM_PER_INCH
        height_pt = self.layout.height_mm * PT_PER_INCH / MM_PER_INCH
        orientation = "L" if width_pt > height_pt else "P"
        self.pdf = FPDF(orientation=orientation, unit="pt", format=(width_pt, height_pt))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.pdf.set_creator("wagechannel")
        self.pdf.set_lang("zh-CN")
        self.pdf.set_title(self.title)
        self.pdf.add_font(FAMILY, fname=self.font.path, collection_font_number=self.font.index)
        self.metrics = PdfMetrics(self.pdf, self.font)

    def add(self, content: BoardContent) -> tuple[BlockBoxes, ...]:
        """Draw one board on a new page; returns what was drawn where, in points."""
        plan = plan_board(content, self.layout, self.metrics)
        self.pdf.add_page()
        return tuple(self._draw_block(block, content.url) for block in plan.blocks)

    def output(self, stream: BinaryIO) -> None:
        stream.write(self.pdf.output())

    def _draw_block(self, plan: BlockPlan, url: str) -> BlockBoxes:
        pdf = self.pdf
        drawn: list[Drawn] = []
        if plan.fill is not None:
            pdf.set_fill_color(*RGB[plan.fill])
            pdf.rect(plan.box.x0, plan.box.y0, plan.box.width, plan.box.height, style="F")
            drawn.append(Drawn("fill", plan.box))
        for line in plan.lines:
            pdf.set_font(FAMILY, size=line.size)
            for run, x in line.runs:
                ink = Ink.WHITE if plan.fill == Ink.RED else run.ink
                pdf.set_text_color(*RGB[ink])
                pdf.text(x, line.baseline, run.text)
            drawn.append(Drawn("text", line.box, line.text))
        if plan.qr is not None:
            self._draw_qr(plan.qr)
            drawn.append(Drawn("qr", plan.qr.box, url))
        return BlockBoxes(plan.block.name, plan.box, tuple(drawn), plan.font_pt, plan.below_minimum)

    def _draw_qr(self, qr: PlacedQR) -> None:
        """Dark modules as one filled path, a rectangle per horizontal run.

        One path, filled once, leaves no hairline seams between touching modules
        (separately filled squares show them in many viewers and some RIPs).
        """
        with self.pdf.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as path:
            path.style.fill_color = "#000000"
            for row_index, row in enumerate(qr.matrix):
                y = qr.y + row_index * qr.module
                column = 0
                while column < len(row):
                    if not row[column]:
                        column += 1
                        continue
                    start = column
                    while column < len(row) and row[column]:
                        column += 1
                    path.rectangle(qr.x + start * qr.module, y, (column - start) * qr.module,
                                   qr.module)


def render_pdf_result(content: BoardContent, layout: Layout, font: CJKFont) -> RenderResult:
    """One board as a one-page PDF, with the boxes drawn (in points)."""
    writer = PdfBoardWriter(layout, font, title=f"{content.title} · {content.project_name}")
    boxes = writer.add(content)
    data = bytes(writer.pdf.output())
    return RenderResult(data, boxes, "pt", writer.pdf.w, writer.pdf.h)


def render_pdf(content: BoardContent, layout: Layout, font: CJKFont) -> bytes:
    """One board as a one-page PDF at the layout's exact paper size."""
    return render_pdf_result(content, layout, font).data


def write_pdf(contents: Iterable[BoardContent], layout: Layout, font: CJKFont,
              output: BinaryIO) -> int:
    """Many boards, one page each, into output; returns the number of pages.

    Boards are drawn one at a time from the iterable (a generator is fine) and only
    their vector pages are kept until the file is written.
    """
    writer = PdfBoardWriter(layout, font)
    count = 0
    for content in contents:
        writer.add(content)
        count += 1
    if count:
        writer.output(output)
    else:
        raise ValueError("没有可以打印的告示牌。")
    return count


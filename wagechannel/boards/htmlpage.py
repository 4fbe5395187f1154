"""The HTML back-end: a standalone print page at the paper's size, the code as inline SVG.

No font file is needed on the server: sizes are planned with estimated widths and
the page shrinks any block the browser's own font makes overflow.
"""
from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from wagechannel.boards.colours import CSS, Ink
from wagechannel.boards.content import BoardContent
from wagechannel.boards.fitting import ABSOLUTE_MIN_PT, Run
from wagechannel.boards.layouts import Box, Layout
from wagechannel.boards.plan import MM_PER_INCH, PT_PER_INCH, plan_board
from wagechannel.boards.qr import qr_svg
from wagechannel.boards.wording import Align, Paragraph, block_text
from wagechannel.resources import resource_dir


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


# The print view is also saved and opened from disk, so its one script is inline; the page is
# served with a Content-Security-Policy naming this script's hash (no 'unsafe-inline').
SHRINK_SCRIPT = """
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
(function () {
  // The server has no font to measure with: shrink, step by step, any block the browser's
  // own font makes overflow, so nothing is cut off or overlaps.
  var sheet = document.querySelector(".sheet");
  var minimum = parseFloat(sheet.dataset.minPt);
  sheet.querySelectorAll(".block").forEach(function (block) {
    var size = parseFloat(block.dataset.fontPt);
    while ((block.scrollHeight > block.clientHeight + 1 || block.scrollWidth > block.clientWidth + 1)
           && size > minimum) {
      size *= 0.95;
      block.style.fontSize = size + "pt";
    }
  });
})();
"""
SHRINK_SCRIPT_HASH = "sha256-" + base64.b64encode(
    hashlib.sha256(SHRINK_SCRIPT.encode()).digest()).decode()


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
        line_spacing=layout.line_spacing, min_pt=ABSOLUTE_MIN_PT, script=Markup(SHRINK_SCRIPT))

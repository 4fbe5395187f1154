"""Drawing boards, for callers outside this package (the command line, the benchmarks).

A board is drawn in layers; each module imports only the ones before it:

    content.py    what a board says (BoardContent), no drawing
    layouts.py    where each block sits (notices/*.toml), using qr.py to size the code
    qr.py         the code itself
    colours.py    the four inks
    fitting.py    Chinese line wrapping, and the sizes a block shrinks through
    wording.py    each block's paragraphs
    plan.py       lines and the code placed for one output's metrics; what back-ends return
    png.py, pdf.py, htmlpage.py   the back-ends
    batch.py      many boards into one PDF or ZIP
"""
from __future__ import annotations

from wagechannel.boards.htmlpage import render_html
from wagechannel.boards.plan import BoardDoesNotFit, RenderResult, plan_board
from wagechannel.boards.png import (PALETTE, PNG_SAVE_OPTIONS, PREVIEW_DPI, PRINT_DPI, WHITE_INDEX,
                                    PngRenderer, clear_glyph_cache, qr_tile, render_png,
                                    render_preview_png)
from wagechannel.boards.qr import qr_matrix, qr_modules

__all__ = ["PALETTE", "PNG_SAVE_OPTIONS", "PREVIEW_DPI", "PRINT_DPI", "WHITE_INDEX",
           "BoardDoesNotFit", "PngRenderer", "RenderResult", "clear_glyph_cache", "plan_board",
           "qr_matrix", "qr_modules", "qr_tile", "render_html", "render_png",
           "render_preview_png"]

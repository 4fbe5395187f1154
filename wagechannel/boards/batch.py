"""Many boards at once: one multi-page PDF, or a ZIP with one PNG per board.

Both take any iterable of BoardContent (a generator is best) and draw one board at
a time, so memory stays bounded however many boards a contractor or a region prints:
the PDF keeps only small vector pages, the ZIP holds one raster at a time.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterable
from typing import BinaryIO

from wagechannel.boards.content import BoardContent
from wagechannel.boards.fonts import CJKFont
from wagechannel.boards.layouts import Layout
from wagechannel.boards.pdf import write_pdf
from wagechannel.boards.png import PRINT_DPI, PngRenderer


def write_png_zip(contents: Iterable[BoardContent], layout: Layout, font: CJKFont,
                  output: BinaryIO, dpi: int = PRINT_DPI) -> int:
    """A ZIP of `<token>.png`, one per board, written as each is drawn; returns the count.

    PNGs are already deflated, so they are stored, not compressed again. Only the
    board being drawn is held as a raster.
    """
    renderer = PngRenderer(layout, font, dpi)
    names: set[str] = set()
    count = 0
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
        for content in contents:
            name = f"{content.token}.png"
            suffix = 2
            while name in names:  # the same board twice: keep both rather than overwrite
                name = f"{content.token}-{suffix}.png"
                suffix += 1
            names.add(name)
            archive.writestr(name, renderer.render(content).data)
            count += 1
    return count


__all__ = ["write_pdf", "write_png_zip"]

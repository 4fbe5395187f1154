"""What each block of a board says: paragraphs of coloured runs, with their sizes and alignment.

Headings come from the layout file, everything else from the BoardContent; no
measuring happens here (that is plan.py's work).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from wagechannel.boards.colours import Ink
from wagechannel.boards.content import BoardContent, Item
from wagechannel.boards.fitting import Run
from wagechannel.boards.layouts import Block, LayoutError


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

"""Text fitting: Chinese line wrapping, and the sizes a block's text shrinks through.

Pillow does not wrap CJK text, so wrap_runs does, with the Chinese line-breaking rules;
a block that does not fit tries font_steps, largest first, and largest_fitting finds the
largest that fits without trying them all.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from PIL import ImageFont

from wagechannel.boards.colours import Ink

SHRINK_STEP = 0.95  # each step makes a block's text 5 % smaller
ABSOLUTE_MIN_PT = 3.0  # below this nobody can read it: refuse instead of printing it

T = TypeVar("T")


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


def font_steps(font_pt: float) -> list[float]:
    """The sizes a block tries, largest first: 5 % smaller each step, down to ABSOLUTE_MIN_PT."""
    steps: list[float] = []
    size = font_pt
    while size >= ABSOLUTE_MIN_PT:
        steps.append(size)
        size *= SHRINK_STEP
    return steps or [font_pt]


def largest_fitting(steps: list[float], attempt: Callable[[float], T | None]) -> T | None:
    """What `attempt` returns at the largest step that fits; most blocks fit at the first.

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

"""Find a CJK font for boards: WAGECHANNEL_FONT first, then the usual Debian locations."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

INSTALL_HINT = ("未找到中文字体。请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
                "或用 WAGECHANNEL_FONT 指定字体文件。")

CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
)


class FontMissing(RuntimeError):
    def __init__(self, detail: str = INSTALL_HINT) -> None:
        super().__init__(detail)
        self.message = detail


@dataclass(frozen=True)
class CJKFont:
    path: str
    index: int

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(self.path, size=size, index=self.index)

    def face(self, size_px: int) -> ImageFont.FreeTypeFont:
        """The face for board drawing: basic layout, so a line is exactly the sum of its glyphs.

        Boards measure text one character at a time (cached) and draw glyph by glyph;
        raqm's shaping (kerning, ligatures) would make a line differ from that sum.
        """
        return _face(self.path, self.index, size_px)

    def vertical_metrics(self) -> tuple[float, float]:
        """(ascent, descent) in ems: every glyph of the face lies between them."""
        return _vertical_metrics(self.path, self.index)


@lru_cache(maxsize=256)
def _face(path: str, index: int, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size_px, index=index, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=16)
def _vertical_metrics(path: str, index: int) -> tuple[float, float]:
    ascent, descent = _face(path, index, 1000).getmetrics()
    return ascent / 1000, descent / 1000


def _simplified_chinese_index(path: str) -> int:
    """In a .ttc collection pick the Simplified Chinese face (Noto: "... CJK SC")."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(32):
        try:
            face = ImageFont.truetype(path, size=12, index=index)
        except OSError:
            break
        family = face.getname()[0] or ""
        if family.endswith(" SC") or "CJK SC" in family or "Zen Hei" in family or "Micro Hei" in family:
            return index
    return 0


def find_font(configured: str | None = None) -> CJKFont:
    """The configured font if it opens, else the first system candidate; FontMissing if none."""
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(f"WAGECHANNEL_FONT 指定的字体文件不存在：{configured}。{INSTALL_HINT}")
        return CJKFont(configured, _simplified_chinese_index(configured))
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return CJKFont(candidate, _simplified_chinese_index(candidate))
    raise FontMissing()

"""Draw a board: the QR code that opens the worker's form, the project, and the hotlines."""
from __future__ import annotations

import io

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q

from wagechannel.boards.fonts import CJKFont

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


def qr_image(url: str, module_px: int) -> Image.Image:
    """A 1-bit QR image, error correction Q, whole pixels per module, 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=module_px, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("1")


def qr_modules(url: str) -> int:
    """Modules per side including the quiet zone, to size the code before drawing it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return code.modules_count + 2 * QUIET_ZONE


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break text into lines no wider than max_width.

    Pillow does not wrap CJK text (it has no spaces to break at): Chinese breaks
    between any two characters, Latin words and numbers stay whole unless a
    single one is wider than the line.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            if font.getlength((line + token).rstrip()) <= max_width:
                line += token
                continue
            if line:
                lines.append(line.rstrip())
                line = ""
            if font.getlength(token.rstrip()) <= max_width:
                line = token
                continue
            for char in token:
                if line and font.getlength(line + char) > max_width:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Latin words (with their trailing space) as one token, every other character alone."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            tokens.append(word)
            word = ""
        if char.isspace() and tokens:
            tokens[-1] += char
        else:
            tokens.append(char)
    if word:
        tokens.append(word)
    return tokens


def draw_block(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
               box: tuple[int, int, int, int], *, fill: str = "black",
               align: str = "left", line_spacing: float = 1.25) -> int:
    """Draw wrapped text inside box (x0, y0, x1, y1); returns the y under the last line."""
    x0, y0, x1, _y1 = box
    line_height = int(font.size * line_spacing)
    y = y0
    for line in wrap_text(text, font, x1 - x0):
        width = font.getlength(line)
        x = x0 + (x1 - x0 - width) / 2 if align == "center" else x0
        draw.text((x, y), line, font=font, fill=fill)
        y += line_height
    return y


def render_simple_board(*, url: str, token: str, project_name: str, contractor_name: str,
                        legal_aid_phone: str | None, font: CJKFont, width: int = 1754,
                        height: int = 2480) -> bytes:
    """An A3 portrait board at 150 dpi: title, project, the QR with its token, hotlines."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    margin = width // 14
    inner = (margin, 0, width - margin, height)
    draw.rectangle((0, 0, width, height // 9), fill="#b00000")
    draw_block(draw, "农民工维权信息告示牌", font.at(width // 15),
               (margin, height // 36, width - margin, height // 9), fill="white", align="center")
    y = height // 9 + margin // 2
    y = draw_block(draw, f"项目：{project_name}", font.at(width // 28), (inner[0], y, inner[2], height))
    y = draw_block(draw, f"施工总承包单位：{contractor_name}", font.at(width // 36),
                   (inner[0], y + 10, inner[2], height))
    y += margin // 2
    draw_block(draw, "被拖欠工资？用手机扫码，两分钟告诉我们", font.at(width // 26),
               (inner[0], y, inner[2], height), align="center")
    y += int(width // 26 * 1.25) * 2 + 20
    modules = qr_modules(url)
    module_px = max(1, (width // 2) // modules)
    qr = qr_image(url, module_px)
    image.paste(qr, ((width - qr.width) // 2, y))
    y += qr.height + 10
    lookup = url.rsplit("/", 1)[0]
    y = draw_block(draw, f"扫不了码？打开 {lookup} 输入编号：{token}", font.at(width // 34),
                   (inner[0], y, inner[2], height), align="center")
    y += margin // 2
    hotlines = "法律援助热线 12348    劳动保障监察 12333"
    if legal_aid_phone:
        hotlines += f"\n本地法律援助中心 {legal_aid_phone}"
    draw_block(draw, hotlines, font.at(width // 24), (inner[0], y, inner[2], height), align="center")
    output = io.BytesIO()
    image.save(output, format="PNG", dpi=(150, 150), optimize=False)
    return output.getvalue()

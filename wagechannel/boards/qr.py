"""The code a board carries: error correction Q and a 4-module quiet zone (ISO/IEC 18004).

layouts.py sizes QR blocks with qr_modules; the PNG and PDF back-ends draw qr_matrix,
the print page embeds qr_svg.
"""
from __future__ import annotations

import re

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.image.svg import SvgPathImage

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules including the 4-module quiet zone, error correction Q; True is dark."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def qr_modules(url: str) -> int:
    """Modules per side including the quiet zone, to size the code before drawing it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return int(code.modules_count) + 2 * QUIET_ZONE


def qr_image(url: str, module_px: int) -> Image.Image:
    """A 1-bit QR image, error correction Q, whole pixels per module, 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=module_px, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("1")


def qr_svg(url: str) -> str:
    """The code as an inline <svg> (qrcode's path factory) that scales to its box and prints sharp."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE,
                         image_factory=SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # the factory sizes the svg in mm (1 mm per module); the print page sizes it by CSS instead
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    return svg.replace("<svg", '<svg class="qr" role="img" preserveAspectRatio="xMidYMid meet" '
                       'shape-rendering="crispEdges"', 1)

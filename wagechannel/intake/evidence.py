"""Photos and voice notes sent with a report: checked by content, never by file name.

Photos are decoded and re-encoded as JPEG, which drops EXIF (GPS position, phone model) and
anything hidden after the image data. Voice notes are kept as recorded, once their first bytes
show a known audio container.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from wagechannel.validation import Invalid

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
MAX_VOICE_BYTES = 12 * 1024 * 1024  # two minutes, even as uncompressed 16 kHz WAV
MAX_PHOTO_SIDE = 2560  # enough to read a pay slip; keeps the database small
# Decoded size, read from the header before any decoding. A phone camera's JPEG (up to 50
# megapixels) is decoded at a reduced scale (draft mode); other formats (screenshots) are
# decoded whole, so they get a smaller cap. A tiny file that claims a huge image is a bomb.
MAX_PIXELS = 50_000_000
MAX_PIXELS_FULL_DECODE = 16_000_000
PHONE_FORMATS = ("JPEG", "PNG", "WEBP")  # what phones send (JPEG opens MPO too); nothing else
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, for any other caller


@dataclass(frozen=True)
class ProcessedFile:
    kind: str  # photo | voice
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def process_photo(raw: bytes) -> ProcessedFile:
    if not raw:
        raise Invalid("照片是空的，请重新选择。")
    if len(raw) > MAX_PHOTO_BYTES:
        raise Invalid("照片太大了，每张不能超过10MB。")
    try:
        with warnings.catch_warnings():
            # Pillow warns of a bomb on opening; here that is the size refusal below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(raw), formats=PHONE_FORMATS)
        with probe:
            pixels = probe.width * probe.height
            reducible = probe.format in ("JPEG", "MPO")
            if pixels > (MAX_PIXELS if reducible else MAX_PIXELS_FULL_DECODE):
                raise Invalid("照片尺寸太大了，请换一张。")
            probe.verify()
        with Image.open(io.BytesIO(raw), formats=PHONE_FORMATS) as image:
            if reducible:  # decode at 1/2, 1/4 or 1/8 scale: no more pixels than needed
                image.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
    except Invalid:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Invalid("照片尺寸太大了，请换一张。") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid("这不是照片，请选择手机里的图片。") from None
    rgb.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    output = io.BytesIO()
    rgb.save(output, format="JPEG", quality=85, optimize=True)  # no exif= : nothing carried over
    return ProcessedFile(kind="photo", content_type="image/jpeg", data=output.getvalue())


# First bytes of the audio containers phones and browsers produce.
AUDIO_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x1aE\xdf\xa3", "audio/webm"),  # MediaRecorder in Chrome / WeChat's browser
    (0, b"OggS", "audio/ogg"),
    (0, b"#!AMR", "audio/amr"),  # Android voice recorders
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
)


def sniff_audio(raw: bytes) -> str | None:
    for offset, signature, content_type in AUDIO_SIGNATURES:
        if raw[offset:offset + len(signature)] == signature:
            return content_type
    if raw[:4] == b"RIFF" and raw[8:12] == b"WAVE":
        return "audio/wav"
    if raw[4:8] == b"ftyp":  # MP4 / M4A (iPhone, Safari's MediaRecorder)
        return "audio/mp4"
    if len(raw) > 1 and raw[0] == 0xFF and raw[1] & 0xE0 == 0xE0:  # bare MPEG audio frame
        return "audio/mpeg"
    return None


def process_voice(raw: bytes) -> ProcessedFile:
    if not raw:
        raise Invalid("录音是空的，请重新录。")
    if len(raw) > MAX_VOICE_BYTES:
        raise Invalid("录音太长了，最多两分钟。")
    content_type = sniff_audio(raw)
    if content_type is None:
        raise Invalid("这不是录音文件，请重新录音或选择录音文件。")
    return ProcessedFile(kind="voice", content_type=content_type, data=raw)

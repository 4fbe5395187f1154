"""Batches for the web drawn in a short-lived child process, so a web worker's memory stays
where it was however many batches it serves.

Why a process: fpdf2 parses the whole CJK font (about 65,000 glyphs) for every PDF and
fontTools subsets it when the file is written, some 50 MB of small Python objects per batch.
All of it is freed, but a long-lived process cannot give freed small objects back to the
system: a web worker's resident size rose by about 26 MB over a few 200-board batches and
stayed there, and even `gc.collect()` with glibc's `malloc_trim` after each batch left it
rising (bench/boards.py prints both). A child that draws one batch and exits returns every
page of it; the worker pays only the child's start (about half a second against several
seconds of drawing).

The child reads its work (the boards' content, the layout, the font, the format) as a pickle
on stdin, from this module only, writes the file into a descriptor it inherits, and answers
one line of JSON on stdout: the number of boards, or the error to raise in the parent.

A single board (the download of one PDF or PNG) is drawn in the worker, followed by
`release_memory()`, which bounds what the parse leaves behind.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from wagechannel.boards.content import BoardContent
from wagechannel.boards.fonts import CJKFont, FontMissing
from wagechannel.boards.layouts import Layout, LayoutError
from wagechannel.boards.plan import BoardDoesNotFit
from wagechannel.boards.png import PRINT_DPI

log = logging.getLogger(__name__)
FORMATS = ("pdf", "zip")
TIMEOUT_SECONDS = 15 * 60  # a region's thousands of boards; a stuck child is killed after this
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class BatchFailed(RuntimeError):
    """The child died or timed out: no file, nothing the user can change."""


def draw_batch(contents: Iterable[BoardContent], layout: Layout, font: CJKFont, fmt: str,
               dpi: int = PRINT_DPI, timeout: float = TIMEOUT_SECONDS) -> tuple[IO[bytes], int]:
    """Draw many boards as one PDF or a ZIP of PNGs in a child process.

    Returns an anonymous temporary file holding the result, at its start, and the number of
    boards; the caller sends and closes it. Raises BoardDoesNotFit or LayoutError as drawing
    in this process would, FontMissing, or BatchFailed."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown batch format {fmt!r}")
    work = pickle.dumps({"contents": list(contents), "layout": layout, "font": font,
                         "fmt": fmt, "dpi": dpi}, protocol=pickle.HIGHEST_PROTOCOL)
    result = tempfile.TemporaryFile()
    try:
        answer = _run_child(work, result.fileno(), timeout)
        if "count" not in answer:
            _raise(answer)
        result.seek(0)
        return result, int(answer["count"])
    except BaseException:
        result.close()
        raise


def _run_child(work: bytes, fd: int, timeout: float) -> dict[str, Any]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        part for part in (_PACKAGE_PARENT, environment.get("PYTHONPATH")) if part)
    try:
        child = subprocess.run([sys.executable, "-m", "wagechannel.boards.isolated", str(fd)],
                               input=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               pass_fds=(fd,), env=environment, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        raise BatchFailed(f"board batch took over {timeout:.0f} s and was stopped") from expired
    lines = child.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or not answer:
        detail = child.stderr.decode("utf-8", "replace")[-2000:]
        log.error("board batch child exited %s: %s", child.returncode, detail)
        raise BatchFailed(f"board batch child exited {child.returncode}")
    return answer


def _raise(answer: dict[str, Any]) -> None:
    message = str(answer.get("message") or "")
    kind = answer.get("error")
    if kind == "does_not_fit":
        raise BoardDoesNotFit(message)
    if kind == "layout":
        raise LayoutError(message)
    if kind == "font_missing":
        raise FontMissing(message) if message else FontMissing()
    raise BatchFailed(message or "board batch failed")


def _child(fd: int) -> dict[str, Any]:
    """In the child: draw what stdin asks into the inherited descriptor."""
    from wagechannel.boards.batch import write_pdf, write_png_zip

    work = pickle.load(sys.stdin.buffer)  # written by draw_batch in the parent, nobody else
    with os.fdopen(fd, "wb", closefd=False) as output:
        try:
            if work["fmt"] == "pdf":
                count = write_pdf(work["contents"], work["layout"], work["font"], output)
            else:
                count = write_png_zip(work["contents"], work["layout"], work["font"], output,
                                      dpi=work["dpi"])
        except BoardDoesNotFit as misfit:
            return {"error": "does_not_fit", "message": misfit.message}
        except LayoutError as error:
            return {"error": "layout", "message": str(error)}
        except FontMissing as missing:
            return {"error": "font_missing", "message": missing.message}
        except ValueError as error:
            return {"error": "empty", "message": str(error)}
    return {"count": count}


def release_memory() -> None:
    """After drawing in this process: collect the font's reference cycles now and hand the
    freed heap back to the system where the C library can (glibc's malloc_trim)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have none
        return None


if __name__ == "__main__":
    print(json.dumps(_child(int(sys.argv[1]))), flush=True)

"""Board rendering benchmark: `python bench/boards.py`.

1. Time: one A2 board as a 300 dpi PNG against a baseline doing the same work
   without the board (a blank canvas of that size in the same palette mode, the QR
   pasted, PNG-encoded with the same settings), measured in the same run. Target: the
   ratio stays at or under 1.5. The board is timed twice: as a server or a batch
   draws it (glyphs already rasterised by an earlier board: the target) and cold
   (the glyph cache emptied before every run, as for the first board of a process).
2. Memory: the peak resident size of a fresh child process writing a 200-board PDF
   batch and of one writing a 20-board batch (each child reports its own ru_maxrss);
   their ratio should be about 1 (pages are small vector streams).
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from PIL import Image

from wagechannel.boards.content import BoardContent, sample_content
from wagechannel.boards.fonts import find_font
from wagechannel.boards.layouts import get_layout
from wagechannel.boards.render import (
    PALETTE,
    PNG_SAVE_OPTIONS,
    PRINT_DPI,
    WHITE_INDEX,
    clear_glyph_cache,
    qr_matrix,
    qr_tile,
    render_png,
)

LAYOUT = "A2"


def median_seconds(work: Callable[[], object], runs: int,
                   before: Callable[[], None] | None = None) -> float:
    """Median wall time of work(); before() runs untimed ahead of each run."""
    work()  # warm up: imports, the font file in the page cache
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline_png(content: BoardContent, size: tuple[int, int], module_px: int) -> bytes:
    """The floor: a canvas of the board's size and mode, the same QR pasted, the same encoding."""
    image = Image.new("P", size, WHITE_INDEX)
    image.putpalette(PALETTE)
    image.paste(qr_tile(qr_matrix(content.url), module_px), (size[0] // 10, size[1] // 2))
    output = io.BytesIO()
    image.save(output, format="PNG", dpi=(PRINT_DPI, PRINT_DPI), **PNG_SAVE_OPTIONS)
    return output.getvalue()


def time_table(runs: int) -> float:
    font = find_font()
    layout = get_layout(LAYOUT)
    content = sample_content()
    first = render_png(content, layout, font, dpi=PRINT_DPI)
    qr = next(d for boxes in first.boxes for d in boxes.drawn if d.kind == "qr")
    module_px = round(qr.box.width) // len(qr_matrix(content.url))
    size = (round(first.width), round(first.height))

    board = median_seconds(lambda: render_png(content, layout, font, dpi=PRINT_DPI), runs)
    cold = median_seconds(lambda: render_png(content, layout, font, dpi=PRINT_DPI), runs,
                          before=clear_glyph_cache)
    base = median_seconds(lambda: baseline_png(content, size, module_px), runs)
    ratio = board / base
    print(f"{LAYOUT} PNG at {PRINT_DPI} dpi: {size[0]}x{size[1]} px, palette mode, "
          f"{PNG_SAVE_OPTIONS}, median of {runs} runs")
    print(f"{'work':<50}{'median ms':>10}{'ratio':>8}")
    print(f"{'baseline: blank canvas + QR + PNG encode':<50}{base * 1000:>10.1f}{1:>8.2f}")
    print(f"{'board: render_png (target ratio <= 1.5)':<50}{board * 1000:>10.1f}{ratio:>8.2f}")
    print(f"{'board, cold glyph cache (first of a process)':<50}{cold * 1000:>10.1f}"
          f"{cold / base:>8.2f}")
    return ratio


def write_batch(count: int) -> None:
    """Child process: write a `count`-board PDF batch of distinct boards; print peak RSS in KiB."""
    from wagechannel.boards.batch import write_pdf

    font = find_font()
    layout = get_layout(LAYOUT)
    template = sample_content()
    contents = (replace(template, token=f"B{index:09d}", url=f"https://wc.example.cn/s/B{index:09d}",
                        project_name=f"{template.project_name}（{index}号楼）")
                for index in range(count))
    with open(os.devnull, "wb") as sink:
        write_pdf(contents, layout, font, sink)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss_mib(count: int) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of a fresh child writing a `count`-board PDF."""
    start = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--child-batch", str(count)], check=True,
                           capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return int(child.stdout.split()[-1]) / 1024, seconds


def memory_table() -> float:
    small_rss, small_time = peak_rss_mib(20)
    large_rss, large_time = peak_rss_mib(200)
    ratio = large_rss / small_rss
    print()
    print(f"{LAYOUT} PDF batch, peak resident memory of a fresh process")
    print(f"{'boards':>8}{'peak MiB':>12}{'seconds':>10}")
    print(f"{20:>8}{small_rss:>12.1f}{small_time:>10.1f}")
    print(f"{200:>8}{large_rss:>12.1f}{large_time:>10.1f}")
    print(f"ratio 200 / 20 boards (should be about 1): {ratio:.2f}"
          f"  ({(large_rss - small_rss) * 1024 / 180:.0f} KiB per extra board)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child-batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_batch:
        write_batch(args.child_batch)
        return
    time_table(args.runs)
    memory_table()


if __name__ == "__main__":
    main()

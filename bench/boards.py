"""Board rendering benchmark: `python bench/boards.py`.

1. Time: one A2 board as a 300 dpi PNG against a baseline doing the same work
   without the board (a blank canvas of that size in the same palette mode, the QR
   pasted, PNG-encoded with the same settings), measured in the same run. Target: the
   ratio stays at or under 1.5. The board is timed twice: as a server or a batch
   draws it (glyphs already rasterised by an earlier board: the target) and cold
   (the glyph cache emptied before every run, as for the first board of a process).
2. Memory: a web worker serving four 200-board PDF batches one after another. The
   resident size of this process (as a worker) after each batch, drawn as the web
   draws it (boards.isolated: in a child process), beside a fresh process drawing the
   same four batches itself (gc and malloc_trim after each). Target: the worker's
   size after four batches equals its size after one (ratio 1.00).
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


BATCH_BOARDS = 200
BATCHES = 4


def batch_contents(batch: int, count: int = BATCH_BOARDS) -> list[BoardContent]:
    """`count` distinct boards (own token, URL and name), different in every batch."""
    template = sample_content()
    return [replace(template, token=f"B{batch}{index:08d}",
                    url=f"https://wc.example.cn/s/B{batch}{index:08d}",
                    project_name=f"{template.project_name}（{batch}期{index}号楼）")
            for index in range(count)]


def rss_mib() -> float:
    """This process's resident size now (not its peak), in MiB."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: the peak is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batches_in_process(release: bool) -> None:
    """Child process: draw the batches here, as the web did before (`release`: with gc and
    malloc_trim after each); print RSS and seconds per batch."""
    from wagechannel.boards.batch import write_pdf
    from wagechannel.boards.isolated import release_memory

    font, layout = find_font(), get_layout(LAYOUT)
    for batch in range(BATCHES):
        start = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            write_pdf(batch_contents(batch), layout, font, sink)
        if release:
            release_memory()
        print(f"{rss_mib():.1f} {time.perf_counter() - start:.2f}", flush=True)


def memory_table() -> float:
    from wagechannel.boards.isolated import draw_batch

    font, layout = find_font(), get_layout(LAYOUT)
    before = rss_mib()
    isolated: list[tuple[float, float]] = []
    for batch in range(BATCHES):
        start = time.perf_counter()
        drawn, count = draw_batch(batch_contents(batch), layout, font, "pdf")
        assert count == BATCH_BOARDS
        with drawn:
            size = len(drawn.read())
        isolated.append((rss_mib(), time.perf_counter() - start))

    def in_child(*flags: str) -> list[tuple[float, float]]:
        child = subprocess.run([sys.executable, __file__, "--child-in-process", *flags],
                               check=True, capture_output=True, text=True)
        return [(float(rss), float(seconds)) for rss, seconds in
                (line.split() for line in child.stdout.splitlines() if line)]

    before_change = in_child("--no-release")
    in_process = in_child()
    ratio = isolated[-1][0] / isolated[0][0]
    print()
    print(f"{LAYOUT} PDF, {BATCHES} batches of {BATCH_BOARDS} boards one after another "
          f"({size / 2**20:.1f} MiB each); resident size after each batch, MiB")
    print(f"{'batch':>6}{'worker: batch in a child':>26}{'s':>6}"
          f"{'in process (before)':>22}{'s':>6}{'in process + trim':>20}{'s':>6}")
    print(f"{'start':>6}{before:>26.1f}")
    for number, (child, plain, trimmed) in enumerate(
            zip(isolated, before_change, in_process, strict=True), start=1):
        print(f"{number:>6}{child[0]:>26.1f}{child[1]:>6.1f}{plain[0]:>22.1f}{plain[1]:>6.1f}"
              f"{trimmed[0]:>20.1f}{trimmed[1]:>6.1f}")
    print(f"ratio RSS after {BATCHES} batches / after 1 (target 1.00): worker {ratio:.2f};"
          f" in process {before_change[-1][0] / before_change[0][0]:.2f},"
          f" with trim {in_process[-1][0] / in_process[0][0]:.2f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child-in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-release", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_in_process:
        batches_in_process(release=not args.no_release)
        return
    time_table(args.runs)
    memory_table()


if __name__ == "__main__":
    main()

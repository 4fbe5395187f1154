"""Board layouts in notices/: every shipped file loads, and a broken one says which file and key."""
from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wagechannel.boards.layouts import (
    BLOCK_TYPES,
    LONGEST_URL,
    LayoutError,
    get_layout,
    layout_choices,
    load_layouts,
    notices_dir,
)
from wagechannel.boards.qr import qr_modules

A2_TEXT = (notices_dir() / "A2.toml").read_text(encoding="utf-8")


def test_every_shipped_layout_loads() -> None:
    layouts = load_layouts()
    assert {"A1", "A2", "A3", "A5"} <= set(layouts)
    for name, layout in layouts.items():
        assert layout.name == name == get_layout(name).name
        assert layout.description
        assert all(layout.paper.contains(block.box) for block in layout.blocks)
    for name in ("A1", "A2", "A3"):
        assert layouts[name].kind == "board"
        assert {block.name for block in layouts[name].blocks} == set(BLOCK_TYPES)
        assert layouts[name].min_module_mm == 1.0
    card = layouts["A5"]
    assert card.kind == "card" and card.min_module_mm == 0.0
    assert {block.name for block in card.blocks} == {"title", "qr", "hotlines", "footer"}
    assert (card.width_mm, card.height_mm) == (148, 210)


def test_paper_sizes_are_the_iso_sizes() -> None:
    sizes = {name: (layout.width_mm, layout.height_mm) for name, layout in load_layouts().items()}
    assert sizes["A1"] == (594, 841) and sizes["A2"] == (420, 594) and sizes["A3"] == (297, 420)


def test_title_and_hotlines_are_the_largest_text() -> None:
    for layout in load_layouts().values():
        sizes = {block.name: block.font_pt for block in layout.blocks}
        others = [size for name, size in sizes.items() if name not in ("title", "hotlines")]
        assert sizes["title"] > max(others) and sizes["hotlines"] >= max(others)


def test_the_footer_is_at_least_the_body_size_of_section_three() -> None:
    """The footer carries the service's promise: readable from where the board is read."""
    for name, layout in load_layouts().items():
        body = layout.block("channels") or layout.block("qr")  # a card has no section three
        assert layout.block("footer").font_pt >= body.font_pt, name  # type: ignore[union-attr]


def test_the_three_sections_flow_on_every_board() -> None:
    for name, layout in load_layouts().items():
        if layout.kind == "board":
            assert layout.flow == ("parties", "wages", "channels"), name


def test_qr_blocks_on_a3_and_larger_hold_one_millimetre_modules() -> None:
    modules = qr_modules(LONGEST_URL)
    assert len(LONGEST_URL) == 40 and modules == 41  # version 4 at level Q, 4-module quiet zone
    for name in ("A1", "A2", "A3"):
        inner = get_layout(name).block("qr").inner  # type: ignore[union-attr]
        assert min(inner.width, inner.height) >= modules


def test_adding_a_layout_is_adding_a_file(tmp_path: Path) -> None:
    (tmp_path / "B4.toml").write_text(A2_TEXT.replace('description = "A2', 'description = "B4'),
                                      encoding="utf-8")
    assert list(load_layouts(tmp_path)) == ["B4"]
    assert get_layout("B4", tmp_path).description.startswith("B4")
    assert layout_choices(tmp_path) == [("B4", get_layout("B4", tmp_path).description)]


def test_an_unknown_layout_names_the_file_and_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "A2.toml").write_text(A2_TEXT, encoding="utf-8")
    with pytest.raises(LayoutError, match=r"^A0\.toml: no such layout .*known: A2"):
        get_layout("A0", tmp_path)
    with pytest.raises(LayoutError):
        get_layout("../A2", tmp_path)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "A2.toml"
    path.write_text(A2_TEXT, encoding="utf-8")
    assert get_layout("A2", tmp_path).min_font_pt == 14
    path.write_text(A2_TEXT.replace("min_font_pt = 14", "min_font_pt = 12"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert get_layout("A2", tmp_path).min_font_pt == 12


# ---------------------------------------------------------------------------------------
# Broken files: each mistake is reported as "<file>: <key>: <problem>"


def dump_toml(data: dict[str, Any]) -> str:
    """Enough TOML for layout files: top-level scalars, then tables and tables of tables."""
    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, str):
            return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return repr(item)

    def table(prefix: str, body: dict[str, Any]) -> list[str]:
        lines = [f"[{prefix}]"] if prefix else []
        lines += [f"{key} = {value(item)}" for key, item in body.items() if not isinstance(item, dict)]
        for key, item in body.items():
            if isinstance(item, dict):
                lines += ["", *table(f"{prefix}.{key}" if prefix else key, item)]
        return lines

    return "\n".join(table("", data)) + "\n"


def a2() -> dict[str, Any]:
    return tomllib.loads(A2_TEXT)


def without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return data


def with_value(data: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return data


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "negative size": (lambda d: with_value(d, -190, "blocks", "qr", "width_mm"),
                      "blocks.qr.width_mm: must be a positive number"),
    "missing key": (lambda d: without(d, "blocks", "wages", "font_pt"),
                    "blocks.wages.font_pt: missing"),
    "wrong type": (lambda d: with_value(d, "large", "blocks", "title", "font_pt"),
                   "blocks.title.font_pt: must be a positive number"),
    "true is not a size": (lambda d: with_value(d, True, "paper", "width_mm"),
                           "paper.width_mm: must be a positive number"),
    "unknown block type": (lambda d: with_value(d, dict(d["blocks"]["footer"]), "blocks", "logo"),
                           "blocks.logo: unknown block type"),
    "typo in a key": (lambda d: with_value(d, 30, "blocks", "title", "font_size"),
                      "blocks.title.font_size: unknown key"),
    "missing table": (lambda d: without(d, "paper"), "paper: missing"),
    "block a board needs": (lambda d: without(d, "blocks", "wages"), "blocks.wages: missing"),
    "outside the paper": (lambda d: with_value(d, 300, "blocks", "hotlines", "x_mm"),
                          "blocks.hotlines: outside the paper"),
    "overlapping blocks": (lambda d: with_value(d, 480, "blocks", "footer", "y_mm"),
                           "blocks.footer: overlaps blocks.hotlines"),
    "qr too narrow for 1 mm modules": (
        lambda d: with_value(with_value(d, 40, "blocks", "qr", "width_mm"), 150, "blocks",
                             "hotlines", "width_mm"),
        "blocks.qr.width_mm: too small for a QR code with 1 mm modules"),
    "qr too low for code and text": (lambda d: with_value(d, 50, "blocks", "qr", "height_mm"),
                                     "blocks.qr.height_mm: too small"),
    "font below the minimum": (lambda d: with_value(d, 8, "blocks", "footer", "font_pt"),
                               "blocks.footer.font_pt: must not be smaller than text.min_font_pt"),
    "unknown kind": (lambda d: with_value(d, "poster", "kind"), "kind: must be one of board, card"),
    "footer smaller than section three": (
        lambda d: with_value(d, 16, "blocks", "footer", "font_pt"),
        "blocks.footer.font_pt: must be at least the body size of the board (23)"),
    "flow names a block the layout lacks": (
        lambda d: with_value(d, ["parties", "notes"], "flow", "blocks"),
        "flow.blocks: notes: no such block"),
    "the code cannot flow": (lambda d: with_value(d, ["channels", "qr"], "flow", "blocks"),
                             "flow.blocks: qr: this block cannot flow"),
    "flow out of order": (lambda d: with_value(d, ["wages", "parties"], "flow", "blocks"),
                          "flow.blocks: parties must be below wages"),
    "flow across columns": (lambda d: with_value(d, ["hotlines", "footer", "wages"], "flow",
                                                 "blocks"),
                            "flow.blocks: wages must have the same x_mm and width_mm"),
    "negative flow gap": (lambda d: with_value(d, -1, "flow", "gap_mm"),
                          "flow.gap_mm: must be a number of at least 0"),
}


@pytest.mark.parametrize("mistake", sorted(BROKEN))
def test_a_broken_layout_names_the_file_and_the_key(tmp_path: Path, mistake: str) -> None:
    break_it, expected = BROKEN[mistake]
    (tmp_path / "Broken.toml").write_text(dump_toml(break_it(a2())), encoding="utf-8")
    with pytest.raises(LayoutError) as error:
        get_layout("Broken", tmp_path)
    assert str(error.value).startswith(f"Broken.toml: {expected}"), str(error.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "A2.toml").write_text(A2_TEXT + "\n[blocks.qr\n", encoding="utf-8")
    with pytest.raises(LayoutError, match=r"^A2\.toml: invalid TOML"):
        load_layouts(tmp_path)


def test_the_unchanged_file_round_trips(tmp_path: Path) -> None:
    """The mistakes above are the only difference: the dumped A2 itself loads."""
    (tmp_path / "A2.toml").write_text(dump_toml(a2()), encoding="utf-8")
    assert get_layout("A2", tmp_path).blocks == get_layout("A2").blocks


def test_a_card_may_have_a_small_code(tmp_path: Path) -> None:
    card = tomllib.loads((notices_dir() / "A5.toml").read_text(encoding="utf-8"))
    with_value(card, 35, "blocks", "qr", "width_mm")  # < 41 mm: fine below A3
    (tmp_path / "Card.toml").write_text(dump_toml(card), encoding="utf-8")
    assert get_layout("Card", tmp_path).block("qr").box.width == 35  # type: ignore[union-attr]


def test_choices_leave_out_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "A2.toml").write_text(A2_TEXT, encoding="utf-8")
    (tmp_path / "Bad.toml").write_text("kind = 3\n", encoding="utf-8")
    assert [name for name, _label in layout_choices(tmp_path)] == ["A2"]
    with pytest.raises(LayoutError, match=r"^Bad\.toml: kind"):
        get_layout("Bad", tmp_path)

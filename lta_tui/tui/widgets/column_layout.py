"""Fitting table columns into a terminal width, and cell text into a column (no Textual)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from rich.cells import cell_len, set_cell_size

MARGIN = 1  # blank cell left of the first column
FLEX_MIN = 6
_CONTROL = {i: " " for i in range(32)} | {127: " "}


class ColumnLike(Protocol):
    """What a table needs to know of a column (`store.paging.Column` has it)."""

    key: str
    title: str
    width: int
    right: bool
    sortable: bool
    priority: int
    flex: bool


class Slot(NamedTuple):
    index: int  # position in the source's columns
    x: int  # first cell
    width: int
    right: bool


class Layout(NamedTuple):
    gap: int
    slots: tuple[Slot, ...]


def fit_columns(columns: Sequence[ColumnLike], width: int) -> Layout:
    """Choose the columns that fit `width` (lowest priority number first, priority 0 always),
    give the spare cells to flex columns, and place them in their defined order."""
    chosen: set[int] = set()
    used = MARGIN
    for i in sorted(range(len(columns)), key=lambda i: (columns[i].priority, i)):
        need = columns[i].width + (1 if chosen else 0)
        if columns[i].priority == 0 or used + need <= width:
            chosen.add(i)
            used += need
    order = sorted(chosen)
    widths = {i: columns[i].width for i in order}
    gap = 2 if used + len(order) - 1 <= width else 1
    used += (gap - 1) * (len(order) - 1)
    flex = [i for i in order if columns[i].flex]
    spare = width - used
    for n, i in enumerate(flex):
        share = spare // (len(flex) - n) if spare > 0 else max(spare, FLEX_MIN - widths[i])
        widths[i] += share
        spare -= share
    slots, x = [], MARGIN
    for i in order:
        slots.append(Slot(i, x, widths[i], columns[i].right))
        x += widths[i] + gap
    return Layout(gap, tuple(slots))


def fit_cell(text: str, width: int, right: bool = False) -> str:
    """`text` as exactly `width` cells: control characters as spaces, cut with "…", padded."""
    if width <= 0:
        return ""
    if text.isascii() and text.isprintable():
        size = len(text)
        if size > width:
            text, size = text[: width - 1] + "…", width
    else:
        text = text.translate(_CONTROL)
        size = cell_len(text)
        if size > width:
            text, size = set_cell_size(text, width - 1) + "…", width
    pad = " " * (width - size)
    return pad + text if right else text + pad


def fit_middle(text: str, width: int) -> str:
    """`text` as `width` cells, cut in the middle when too long: identifiers (PO numbers such
    as UNSECRETARIAT-2026-000123) differ at their end, which must stay visible."""
    if len(text) <= width or not (text.isascii() and text.isprintable()) or width < 8:
        return fit_cell(text, width)
    tail = (width - 1) * 2 // 3
    return text[: width - 1 - tail] + "…" + text[-tail:]


def join_cells(cells: Sequence[str], layout: Layout) -> str:
    """One table line (without the trailing fill) from a row's cells; the first column (the
    record's identifier) is cut in the middle, the others at their end."""
    parts = []
    for n, (index, _x, width, right) in enumerate(layout.slots):
        text = cells[index]
        if len(text) <= width and text.isascii() and text.isprintable():
            parts.append(text.rjust(width) if right else text.ljust(width))  # the usual case
        elif n == 0 and not right:
            parts.append(fit_middle(text, width))
        else:
            parts.append(fit_cell(text, width, right))
    return " " * MARGIN + (" " * layout.gap).join(parts)

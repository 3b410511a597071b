"""The dashboard's lists as lines of aligned columns that fit the panel: on a narrow terminal
the least useful columns drop out and the last one (a reference or a title) is cut with an
ellipsis; on a wide one every column shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.bar_chart import compact_amount

if TYPE_CHECKING:
    from lta_tui.services.dashboard import Dashboard

GAP = 2
LAST_MIN = 18  # the last column keeps at least this many cells before others drop


@dataclass(frozen=True)
class ListLines:
    head: Text | None  # column headings (and a summary), or None when the list is empty
    lines: list[Text]
    ids: list[str]  # "kind:id" of each line, for opening its record
    empty: str


def aligned(
    rows: Sequence[Sequence[str]],
    width: int,
    right: set[int] = frozenset(),
    drop: Sequence[int] = (),
) -> list[Text]:
    """Rows of cells (the first holds the headings) as lines with aligned columns.

    Columns of `drop` leave, in that order, while the last column would get fewer than
    `LAST_MIN` cells of `width`.
    """
    if not rows:
        return []
    last = len(rows[0]) - 1
    widths = {i: max(len(r[i]) for r in rows) for i in range(last)}
    keep = list(range(last))
    for column in [None, *drop]:
        if column is not None and column in keep:
            keep.remove(column)
        if width - sum(widths[i] + GAP for i in keep) >= LAST_MIN:
            break
    # One space between columns when that is what the last one (a PO number) needs to show whole.
    need = max(len(r[last]) for r in rows)
    room = width - sum(widths[i] for i in keep)
    gap = 1 if room - GAP * len(keep) < need <= room - len(keep) else GAP
    lines = []
    for row in rows:
        cells = [row[i].rjust(widths[i]) if i in right else row[i].ljust(widths[i]) for i in keep]
        text = (" " * gap).join([*cells, row[last]])
        lines.append(Text(text, no_wrap=True, overflow="ellipsis"))
    return lines


def competition_lines(board: Dashboard, width: int) -> ListLines:
    # References carry the agency (UNDP-MC-2026-001), so no agency column is needed; on a
    # narrow panel the title matters more than the reference (enter opens the record).
    rows = [["Left", "Lot", "Reference", "Deadline (UTC)", "Invited", "Offers", "Title"]]
    for c in board.open_competitions:
        deadline = c.deadline.strftime("%Y-%m-%d %H:%M") if c.deadline else "—"
        rows.append(
            [
                formats.time_left(c.remaining),
                str(c.lot),
                c.reference,
                deadline,
                str(c.invited),
                str(c.offers),
                c.title,
            ]
        )
    head, *lines = aligned(rows, width, right={0, 1, 4, 5}, drop=(4, 5, 3, 2))
    return ListLines(
        head if lines else None,
        lines,
        [f"competition:{c.id}" for c in board.open_competitions],
        "No open competition.",
    )


def awaiting_lines(board: Dashboard, width: int) -> ListLines:
    a = board.awaiting
    summary = "Nothing awaits delivery."
    if a.count:
        summary = f"{a.value_usd:,.0f} USD · oldest {formats.day(a.oldest)}"
    rows = [["Days", "USD", "Holder", "Status", "Ordered", "PO number"]]
    for o in a.top:
        rows.append(
            [
                str(o.days_waiting),
                compact_amount(o.total_usd),
                o.consolidator,
                formats.label(o.status),
                formats.day(o.order_date),
                o.po_number,
            ]
        )
    head, *lines = aligned(rows, width, right={0, 1}, drop=(4, 3))
    return ListLines(
        Text.assemble(summary, "\n", head) if lines else Text(summary),
        lines,
        [f"order:{o.id}" for o in a.top],
        "No order awaits delivery.",
    )


def sub_lta_lines(board: Dashboard, width: int) -> ListLines:
    # References carry the agency (UNDP/SLTA/2025/035): no agency column is needed.
    rows = [["Used", "Days", "Ends", "Holder", "Why", "Consumed USD", "Ceiling", "Reference"]]
    for alert in board.sub_lta_alerts:
        c = alert.consumption
        why = " + ".join(
            w for w, on in (("ceiling", alert.near_ceiling), ("ends soon", alert.expiring)) if on
        )
        rows.append(
            [
                formats.percent(c.pct),
                str(alert.days_left),
                formats.day(alert.valid_to),
                alert.consolidator,
                why,
                formats.usd(c.consumed_usd),
                formats.money(c.ceiling, c.currency),
                alert.reference,
            ]
        )
    head, *lines = aligned(rows, width, right={0, 1, 5, 6}, drop=(5, 6))
    return ListLines(
        head if lines else None,
        lines,
        [f"sub_lta:{a.id}" for a in board.sub_lta_alerts],
        "No sub-LTA needs attention.",
    )

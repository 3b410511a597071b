"""A read-only record: headings, label/value fields, small tables and notes.

Screens describe a record as plain blocks; this widget styles them with theme-driven component
classes. Every value is shown as plain text (no markup is parsed from data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text
from textual.widget import Widget


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Fields:
    pairs: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]  # a label ending in ">" is right-aligned (the ">" is not shown)
    rows: Sequence[Sequence[str]]
    empty: str = "none"
    #: Cells to draw as muted (row, column), e.g. sealed prices.
    muted: set[tuple[int, int]] = field(default_factory=set)
    #: The column (a description) that takes the width left and wraps; the others never wrap.
    flex: int | None = None
    #: Columns to leave out, in this order, while the flexible one would be narrower than
    #: `FLEX_MIN` (a narrow terminal).
    drop: Sequence[int] = ()


FLEX_MIN = 24


@dataclass(frozen=True)
class Note:
    text: str
    alert: bool = False


Block = Heading | Fields | Table | Note


class RecordView(Widget):
    COMPONENT_CLASSES = {
        "record-view--heading",
        "record-view--label",
        "record-view--muted",
        "record-view--alert",
    }

    DEFAULT_CSS = """
    RecordView { height: auto; padding: 0 1; }
    RecordView > .record-view--heading { color: $text-accent; text-style: bold; }
    RecordView > .record-view--label { color: $text-muted; }
    RecordView > .record-view--muted { color: $text-muted; text-style: italic; }
    RecordView > .record-view--alert { color: $text-warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._blocks: list[Block] = []

    @property
    def blocks(self) -> list[Block]:
        return list(self._blocks)

    def show(self, blocks: Sequence[Block]) -> None:
        self._blocks = list(blocks)
        self.refresh(layout=True)

    def plain_text(self) -> str:
        """Everything the record shows, as plain text (for tests and copying)."""
        parts: list[str] = []
        for block in self._blocks:
            if isinstance(block, Heading | Note):
                parts.append(block.text)
            elif isinstance(block, Fields):
                parts.extend(f"{k}: {v}" for k, v in block.pairs)
            else:
                parts.append(" | ".join(block.columns))
                parts.extend(" | ".join(row) for row in block.rows)
        return "\n".join(parts)

    def render(self) -> RenderableType:
        style = {
            name: self.get_component_rich_style(f"record-view--{name}", partial=True)
            for name in ("heading", "label", "muted", "alert")
        }
        out: list[RenderableType] = []
        for block in self._blocks:
            if isinstance(block, Heading):
                if out:
                    out.append(Text(""))
                out.append(Text(block.text, style=style["heading"]))
            elif isinstance(block, Note):
                out.append(
                    Text(block.text, style=style["alert"] if block.alert else style["muted"])
                )
            elif isinstance(block, Fields):
                grid = RichTable.grid(padding=(0, 2))
                grid.add_column(style=style["label"], no_wrap=True)
                grid.add_column()
                for key, value in block.pairs:
                    grid.add_row(Text(key), Text(value))
                out.append(grid)
            else:
                out.append(self._table(block, style, self.content_region.width))
        return Group(*out)

    @staticmethod
    def _table(block: Table, style: dict, width: int) -> RenderableType:
        if not block.rows:
            return Text(block.empty, style=style["muted"])
        keep = _columns_that_fit(block, width)
        table = RichTable(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            header_style=style["label"],
            expand=block.flex is not None,
        )
        for i, label in enumerate(block.columns):
            if i not in keep:
                continue
            right = label.endswith(">")
            table.add_column(
                label.rstrip(">"),
                justify="right" if right else "left",
                no_wrap=i != block.flex,
                ratio=1 if i == block.flex else None,
            )
        for r, row in enumerate(block.rows):
            table.add_row(
                *(
                    Text(cell, style=style["muted"] if (r, c) in block.muted else "")
                    for c, cell in enumerate(row)
                    if c in keep
                )
            )
        return table


def _columns_that_fit(block: Table, width: int) -> set[int]:
    """All columns, less those of `block.drop` needed to leave the flexible one `FLEX_MIN`."""
    keep = set(range(len(block.columns)))
    if block.flex is None or not width:
        return keep
    natural = {
        i: max(len(block.columns[i].rstrip(">")), *(len(row[i]) for row in block.rows))
        for i in keep
    }
    for column in [None, *block.drop]:
        if column is not None:
            keep.discard(column)
        fixed = sum(natural[i] + 2 for i in keep if i != block.flex)
        if width - fixed >= FLEX_MIN:
            break
    return keep

"""Charts in the terminal, drawn with block characters: horizontal bars for a few named values
(spend by lot, by consolidator) and columns for a series over time (spend by month, a unit
price's history). Both fit any width and say what they show in text as well, so a screen reader
or a copy of the screen keeps the figures."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

_EIGHTHS = " ▏▎▍▌▋▊▉█"
_LEVELS = " ▁▂▃▄▅▆▇█"


def compact(value: Decimal | float | int) -> str:
    """1234567.89 → "1.23M", 45600 → "45.6k", 12.5 → "12.50": short figures for chart labels."""
    number = float(value)
    sign = "-" if number < 0 else ""
    number = abs(number)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if number >= limit:
            scaled = number / limit
            return f"{sign}{scaled:.3g}{suffix}" if scaled < 100 else f"{sign}{scaled:.0f}{suffix}"
    return f"{sign}{number:,.2f}" if number < 100 else f"{sign}{number:,.0f}"


def bar(value: float, largest: float, width: int) -> str:
    """A bar of `width` cells at most, to eighths of a cell."""
    if largest <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = round(value / largest * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


class BarChart(Widget):
    """Labelled horizontal bars: `set_data([(label, value), …], unit="USD")`, drawn largest
    first unless `keep_order`. A share of the total follows each value."""

    DEFAULT_CSS = """
    BarChart { height: auto; min-height: 1; }
    """
    COMPONENT_CLASSES = {"bar-chart--bar", "bar-chart--label", "bar-chart--title"}

    items: reactive[tuple[tuple[str, Decimal], ...]] = reactive((), layout=True)

    def __init__(self, title: str = "", *, unit: str = "", keep_order: bool = False, **kw):
        super().__init__(**kw)
        self.title = title
        self.unit = unit
        self.keep_order = keep_order

    def set_data(self, items: Sequence[tuple[str, Decimal]], *, title: str | None = None) -> None:
        if title is not None:
            self.title = title
        rows = tuple((str(label), Decimal(value)) for label, value in items)
        if not self.keep_order:
            rows = tuple(sorted(rows, key=lambda r: r[1], reverse=True))
        self.items = rows
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.items) + (1 if self.title else 0) or 1

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        title_style = self.get_component_rich_style("bar-chart--title", partial=True)
        bar_style = self.get_component_rich_style("bar-chart--bar", partial=True)
        if self.title:
            unit = f" ({self.unit})" if self.unit else ""
            text.append(f"{self.title}{unit}\n", title_style)
        if not self.items:
            text.append("no data")
            return text
        total = sum((v for _, v in self.items), Decimal(0))
        largest = float(max(v for _, v in self.items))
        label_width = min(max(len(label) for label, _ in self.items), 16)
        figures = [
            f"{compact(v)}" + (f" {float(v / total):>4.0%}" if total > 0 else "")
            for _, v in self.items
        ]
        figure_width = max(len(f) for f in figures)
        room = max(self.size.width - label_width - figure_width - 3, 1)
        for i, ((label, value), figure) in enumerate(zip(self.items, figures, strict=True)):
            if i:
                text.append("\n")
            text.append(f"{label[:label_width]:<{label_width}} ")
            drawn = bar(float(value), largest, room)
            text.append(f"{drawn:<{room}}", bar_style)
            text.append(f" {figure:>{figure_width}}")
        return text


class ColumnChart(Widget):
    """Columns over time: `set_data([(period, value), …])` in time order, `height` rows tall;
    the first and last periods and the largest value are written under and above them. With more
    periods than columns, neighbouring periods are summed (or averaged, `mean=True`), and the
    title says how many make a column. `from_zero=False` (prices) scales the columns between just
    under the lowest value and the largest, so that small moves show; the title gives both."""

    DEFAULT_CSS = """
    ColumnChart { height: 8; }
    """
    COMPONENT_CLASSES = {"column-chart--bar", "column-chart--title"}

    items: reactive[tuple[tuple[str, Decimal], ...]] = reactive(())

    def __init__(
        self, title: str = "", *, unit: str = "", mean: bool = False, from_zero: bool = True, **kw
    ):
        super().__init__(**kw)
        self.title = title
        self.unit = unit
        self.mean = mean
        self.from_zero = from_zero

    def set_data(self, items: Sequence[tuple[str, Decimal]], *, title: str | None = None) -> None:
        if title is not None:
            self.title = title
        self.items = tuple((str(label), Decimal(value)) for label, value in items)

    def _columns(self, width: int) -> list[tuple[str, float]]:
        items = self.items
        if len(items) <= width:
            return [(label, float(value)) for label, value in items]
        per = -(-len(items) // width)
        grouped = []
        for start in range(0, len(items), per):
            chunk = items[start : start + per]
            values = [float(v) for _, v in chunk]
            value = sum(values) / len(values) if self.mean else sum(values)
            grouped.append((chunk[0][0], value))
        return grouped

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        title_style = self.get_component_rich_style("column-chart--title", partial=True)
        bar_style = self.get_component_rich_style("column-chart--bar", partial=True)
        width = max(self.size.width, 1)
        unit = f" ({self.unit})" if self.unit else ""
        if not self.items:
            text.append(f"{self.title}{unit}\n" if self.title else "", title_style)
            text.append("no data")
            return text
        columns = self._columns(width)
        largest = max(value for _, value in columns)
        per = -(-len(self.items) // len(columns))
        scale = f"  max {compact(largest)}"
        floor = 0.0
        if not self.from_zero:
            lowest = min(value for _, value in columns)
            scale = f"  min {compact(lowest)} · max {compact(largest)}"
            # the lowest column a quarter of the highest (all alike: all full)
            floor = lowest - (largest - lowest) / 3 if largest > lowest else 0.0
        if per > 1:
            scale += f" · {per} periods a column"
        text.append(f"{self.title}{unit}{scale}"[:width], title_style)
        rows = max(self.size.height - 2, 1)
        largest -= floor
        # a few periods get wide columns (at most 6 cells, a blank between from 3 on)
        step = max(1, min(6, width // len(columns)))
        bar = step - 1 if step >= 3 else step
        for level in range(rows, 0, -1):
            text.append("\n")
            line = []
            for _, value in columns:
                share = max(value - floor, 0) / largest if largest > 0 else 0
                eighths = round(share * rows * 8)
                filled = eighths - (level - 1) * 8
                line.append(_LEVELS[max(0, min(filled, 8))] * bar + " " * (step - bar))
            text.append("".join(line).rstrip(" ").ljust(1), bar_style)
        first, last = columns[0][0], columns[-1][0]
        gap = max(len(columns) * step - len(first) - len(last), 1)
        text.append("\n" + (first + " " * gap + last if len(columns) > 1 else first)[:width])
        return text

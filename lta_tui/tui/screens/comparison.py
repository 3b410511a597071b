"""The side-by-side comparison of a competition's offers (`v` on a competition).

One column per offer, ranked ones first: rank and score (points per criterion), the landed
total in the offer's currency, the rate and the total in USD, goods and each service, the unit
price of each requirement line with the lowest marked, the terms, compliance, lateness and the
check of the offer's hash. The warnings R8 (few valid offers) and R9 (abnormally low) are on
top. The first column stays put while the offers scroll sideways (← →), so any number of
offers can be read at 80 columns; a wide terminal shows each line's amount beside its price.

While the offers are sealed (R5) it lists who answered and when, and "sealed" where a price
would be: the comparison it is given holds none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from lta_tui.domain.money import format_amount
from lta_tui.tui.widgets import formats

if TYPE_CHECKING:
    from lta_tui.services.competition_compare import Comparison, OfferFigures

SEALED = "sealed"
LOWEST = "*"
SERVICE_LABELS = {
    "freight": "Freight",
    "export_licensing": "Export licensing",
    "installation_support": "Installation",
    "warranty": "Warranty",
}
CRITERION_LABELS = {
    "price": "price",
    "delivery_time": "delivery time",
    "warranty": "warranty",
    "sustainability": "sustainability",
    "past_performance": "past performance",
}
#: A terminal this wide shows each line's amount beside its unit price.
WIDE = 120
_LABEL_MIN, _LABEL_MAX = 18, 72  # cells of the first column
_SPREAD = 4  # cells an offer's column may grow beyond its content, on a wide terminal
_BESIDE = 4  # the screen's padding and the table's scrollbar

Row = tuple[str, list[Text]]  # the label of the first column, one cell per offer


class ComparisonScreen(Screen[None]):
    """The comparison of `comparison`'s offers; `award(then)` (from the competition's detail)
    opens the award modal, `then(result)` runs when it closes."""

    CSS_PATH = "comparison.tcss"
    HELP: ClassVar[str] = (
        "The offers side by side, ranked ones first. Landed total = goods (each line's "
        "quantity × unit price) + freight + export licensing + installation + warranty, in the "
        "offer's currency, and in USD at the UN operational rate in force on the competition's "
        "FX rate date. Scores per criterion: price = weight × lowest USD total ÷ this USD total; "
        "delivery = weight × fewest days ÷ these days; warranty = weight × these months ÷ most "
        "months; sustainability = weight × (take-back + energy label) ÷ 2; past performance = "
        "weight × review average ÷ 4 (2.5 without reviews). Only valid offers (on time, "
        "compliant, holder eligible) are scored and ranked. * marks each line's lowest unit "
        "price (compared in USD). ↑ ↓ move, ← → scroll the offers sideways, a awards, esc goes "
        "back. Sealed offers show no price (R5)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the competition"),
        Binding("a", "award", "Award", tooltip="Award to an offer and create the order"),
    ]

    def __init__(
        self,
        comparison: Comparison,
        *,
        award: Callable[[Callable[[object], None]], None] | None = None,
    ) -> None:
        super().__init__()
        self.comparison = comparison
        self.award = award
        self._width = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="comparison-title", markup=False)
        yield Static(id="comparison-warnings", markup=False)
        yield DataTable(
            id="comparison-table", cursor_type="row", zebra_stripes=True, fixed_columns=1
        )
        yield Footer()

    def on_mount(self) -> None:
        c = self.comparison
        self.sub_title = f"Comparison · {c.reference}"
        self.query_one("#comparison-title", Static).update(_title(c))
        warnings = self.query_one("#comparison-warnings", Static)
        texts = [w.message for w in c.warnings]
        warnings.update(Text("\n".join(texts)))
        warnings.display = bool(texts)
        self._fill()
        self.query_one(DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if abs(event.size.width - self._width) >= 2:
            self._fill()

    def _fill(self) -> None:
        c = self.comparison
        self._width = width = self.size.width
        rows = _sealed_rows(c) if c.sealed else _rows(c, wide=width >= WIDE)
        offers = [r.consolidator for r in c.received] if c.sealed else _headers(c)
        cells = [len(h) for h in offers]
        for _, values in rows:
            for n, value in enumerate(values):
                cells[n] = max(cells[n], value.cell_len)
        # the labels take what the offers leave (whole descriptions on a wide terminal), and
        # what they leave in turn spreads the offers apart
        room = width - _BESIDE - sum(w + 2 for w in cells) - 2
        longest = max((len(label) for label, _ in rows), default=0)
        label_width = max(_LABEL_MIN, min(_LABEL_MAX, room, longest))
        if cells and room > label_width:
            cells = [w + min(_SPREAD, (room - label_width) // len(cells)) for w in cells]
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column(Text("Offer"), width=label_width, key="label")
        for n, header in enumerate(offers):
            table.add_column(Text(header, justify="right"), width=cells[n], key=f"offer-{n}")
        for n, (label, values) in enumerate(rows):
            shown = Text(label, no_wrap=True, overflow="ellipsis")
            if label and not label.startswith(" ") and not values:
                shown.stylize("bold")
            table.add_row(shown, *(values or [Text("")] * len(offers)), key=str(n))
        if not offers:
            table.add_row(Text("No offer was received.", style="italic"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "award":
            return self.award is not None and not self.comparison.sealed
        return True

    def action_award(self) -> None:
        if self.award is not None:
            self.award(self._awarded)

    def _awarded(self, result: object) -> None:
        if result is not None:
            self.dismiss()  # back on the competition, which shows the award and its order

    def action_back(self) -> None:
        self.dismiss()


def _title(c: Comparison) -> Text:
    """What is compared, and how: three lines at most at 80 columns."""
    weights = " · ".join(f"{CRITERION_LABELS.get(k, k)} {w}" for k, w in c.weights)
    method = "lowest price, technically compliant" if c.lowest_price_method else weights
    text = Text(f"{c.reference} · {c.title}", style="bold", overflow="ellipsis", no_wrap=True)
    state = formats.label(c.status)
    if c.sealed:
        text.append(f"\n{state} · sealed until the opening is recorded (R5)")
    else:
        when = c.opened_at.strftime("%Y-%m-%d %H:%M") if c.opened_at else "—"
        figures = "figures of the evaluation" if c.stored else "figures computed now"
        text.append(f"\n{state} · opened {when} by {c.opened_by or '—'} · {figures}")
    text.append(f"\n{method}", style="dim")
    return text


def _headers(c: Comparison) -> list[str]:
    return [o.consolidator for o in c.offers]


def _right(text: str, style: str = "") -> Text:
    return Text(text, justify="right", style=style)


def _sealed_rows(c: Comparison) -> list[Row]:
    """Who answered and when, nothing priced (R5)."""
    offers = c.received
    sealed = [_right(SEALED, "italic dim") for _ in offers]
    return [
        ("Received (UTC)", [_right(o.received_at.strftime("%Y-%m-%d %H:%M")) for o in offers]),
        ("Currency", [_right(o.currency) for o in offers]),
        ("Late (R6)", [_right("late: excluded" if o.late else "on time") for o in offers]),
        ("Landed total", sealed),
        ("Total USD", list(sealed)),
        ("Rank", list(sealed)),
    ]


def _rows(c: Comparison, *, wide: bool) -> list[Row]:
    offers = c.offers
    money = _money_cells
    received = "%Y-%m-%d %H:%M" if wide else "%Y-%m-%d"  # the detail has the time
    rows: list[Row] = [
        ("Rank", [_rank(o) for o in offers]),
        ("Score", [_right("—" if o.score is None else f"{o.score:.2f}", "bold") for o in offers]),
    ]
    for criterion, weight in c.weights if not c.lowest_price_method else ():
        label = f"  {CRITERION_LABELS.get(criterion, criterion)} ({weight})"
        rows.append((label, [_points(o, criterion) for o in offers]))
    rows += [
        ("Currency", [_right(o.currency) for o in offers]),
        ("Landed total", [_right(format_amount(o.total, o.currency), "bold") for o in offers]),
        ("Total USD", [_right("no rate" if o.total_usd is None
                              else format_amount(o.total_usd, "USD"), "bold") for o in offers]),
        ("  units per USD", [_right("—" if o.units_per_usd is None
                                    else f"{o.units_per_usd.normalize():f}") for o in offers]),
        ("  rate of", [_right(formats.day(o.rate_date)) for o in offers]),
        ("Goods", money(offers, lambda o: o.goods)),
    ]  # fmt: skip
    for code in c.services:
        label = f"  {SERVICE_LABELS.get(code, code)}"
        rows.append((label, money(offers, lambda o, code=code: o.service_price(code))))
    rows.append((f"Unit prices ({LOWEST} lowest in USD)", []))
    for line in c.lines:
        label = f"{line.line_no} {line.description} × {formats.quantity(line.quantity)}"
        rows.append((label, [_line_price(o, line.line_no) for o in offers]))
        if wide:
            rows.append(("    amount", [_line_amount(o, line.line_no) for o in offers]))
    rows += [
        ("Terms", []),
        ("  delivery", [_right(f"{o.delivery_days} days") for o in offers]),
        ("  warranty", [_right(f"{o.warranty_months} months") for o in offers]),
        ("  valid until", [_right(formats.day(o.valid_until)) for o in offers]),
        ("  takes back equipment", [_right(_yes(o.takes_back_equipment)) for o in offers]),
        ("  energy label", [_right(_yes(o.energy_label)) for o in offers]),
        ("  past performance", [_right("no reviews" if o.past_performance is None
                                       else f"{o.past_performance:.2f}") for o in offers]),
        ("Checks", []),
        ("  compliant", [_right("yes" if o.compliant else "no", "" if o.compliant else "bold")
                         for o in offers]),
        ("  on time", [_right("late (R6)", "bold") if o.late else _right("yes")
                       for o in offers]),
        ("  hash", [_hash(o) for o in offers]),
        ("  received (UTC)", [_right(o.received_at.strftime(received)) for o in offers]),
    ]  # fmt: skip
    if any(o.abnormally_low for o in offers):
        rows.append(
            ("  abnormally low", [_right("R9", "bold") if o.abnormally_low else _right("")
                                  for o in offers])
        )  # fmt: skip
    if any(o.excluded for o in offers):
        rows.append(("  excluded", [_right(o.excluded or "") for o in offers]))
    return rows


def _money_cells(offers, amount_of: Callable[[OfferFigures], object]) -> list[Text]:
    cells = []
    for o in offers:
        amount = amount_of(o)
        cells.append(_right("—" if amount is None else format_amount(amount, o.currency)))
    return cells


def _rank(o: OfferFigures) -> Text:
    if o.rank is None:
        return _right("not ranked", "italic")
    return _right(str(o.rank), "bold reverse" if o.rank == 1 else "bold")


def _points(o: OfferFigures, criterion: str) -> Text:
    points = dict(o.criteria).get(criterion)
    return _right("—" if points is None else f"{points:.2f}")


def _line_price(o: OfferFigures, line_no: int) -> Text:
    line = next((x for x in o.lines if x.line_no == line_no), None)
    if line is None:
        return _right("—")
    mark = f" {LOWEST}" if line.lowest else "  "
    return _right(format_amount(line.unit_price, o.currency) + mark, "bold" if line.lowest else "")


def _line_amount(o: OfferFigures, line_no: int) -> Text:
    line = next((x for x in o.lines if x.line_no == line_no), None)
    return _right("—" if line is None else format_amount(line.amount, o.currency) + "  ", "dim")


def _hash(o: OfferFigures) -> Text:
    if o.hash_ok is None:
        return _right("not checked", "italic")
    return _right("ok") if o.hash_ok else _right("CHANGED", "bold reverse")


def _yes(value: bool) -> str:
    return "yes" if value else "no"

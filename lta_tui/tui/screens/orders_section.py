"""Section 3: the Orders screen (written apart, in `orders.py`) inside the app's shell, with the
section bar under its header; a stand-in while that screen cannot be imported."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from lta_tui.tui.widgets.section_bar import SectionBar

HELP = (
    "Every order, newest first, in a table that pages from the database. / filters, s sorts, "
    "S reverses, l switches between orders and order lines, enter opens the order."
)


class OrdersStandIn(Screen):
    """Shown while `lta_tui.tui.screens.orders` is missing or cannot be imported."""

    HELP = "The Orders screen is not available in this build."

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield Header()
        yield SectionBar("orders")
        yield Static(
            f"The Orders screen is not available yet ({self.reason}).",
            id="orders-stand-in",
            markup=False,
        )
        yield Footer()


try:
    from lta_tui.tui.screens.orders import OrdersScreen
except ImportError as exc:  # the Orders screen is written apart; the shell runs without it
    OrdersScreen = None
    _MISSING = str(exc)

if OrdersScreen is not None:

    class OrdersSection(OrdersScreen):
        SUB_TITLE = None  # keep the app's title: who the user is
        HELP = getattr(OrdersScreen, "HELP", HELP)

        def compose(self) -> ComposeResult:
            for widget in super().compose():
                yield widget
                if isinstance(widget, Header):
                    yield SectionBar("orders")


def orders_screen() -> Screen:
    """The Orders section's screen, with the section bar under its header."""
    if OrdersScreen is None:
        return OrdersStandIn(_MISSING)
    return OrdersSection()

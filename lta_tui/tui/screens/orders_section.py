"""Section 3: the Orders screen (written apart, in `orders.py`) inside the app's shell, with the
section bar under its header."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header

from lta_tui.tui.screens.orders import OrdersScreen
from lta_tui.tui.widgets.section_bar import SectionBar


class OrdersSection(OrdersScreen):
    SUB_TITLE = None  # keep the app's title: who the user is

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, Header):
                yield SectionBar("orders")


def orders_screen() -> Screen:
    """The Orders section's screen, with the section bar under its header."""
    return OrdersSection()

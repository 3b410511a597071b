"""`?` / F1: the keys of the screen underneath, with what they do, and the app's conventions."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen

from lta_tui.tui.widgets.record_view import Block, Heading, Note, RecordView, Table

CONVENTIONS = (
    "1–6 switch sections (Dashboard, Competitions, Orders, Sub-LTAs, Consolidators, Exchange "
    "rates); each section keeps its place. In a list, / filters (enter returns to the list, esc "
    "clears the filter), s sorts on the next column and S reverses, a click on a column header "
    "sorts on it, and enter opens the highlighted record; esc goes back. a switches between "
    "your agency and all agencies. ctrl+p opens the command palette with every action. q quits "
    "(but types a q while you are in a text box)."
)


def screen_keys(app: App, screen: Screen) -> list[tuple[str, str, str]]:
    """(group, key, description) of every active binding of `screen` that says what it does."""
    groups = {"screen": "This screen", "widget": "The focused list or box", "app": "Everywhere"}
    found: dict[tuple[str, str], list[str]] = {}
    for active in screen.active_bindings.values():
        binding: Binding = active.binding
        if not binding.description or binding.system:
            continue
        node = active.node
        group = groups["app"] if node is app else groups["screen" if node is screen else "widget"]
        keys = found.setdefault((group, binding.description), [])
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    order = list(groups.values())
    rows = [(g, ", ".join(k), d) for (g, d), k in found.items()]
    return sorted(rows, key=lambda r: order.index(r[0]))  # stable: bindings keep their order


class HelpScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_name("help.tcss")
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("f1", "close", "Close", show=False),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str, str]], about: str) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", can_focus=True) as box:
            box.border_title = f"Help · {self.title_text}"
            box.border_subtitle = "esc closes"
            yield RecordView(id="help-body")

    def on_mount(self) -> None:
        blocks: list[Block] = []
        if self.about:
            blocks += [Heading(self.title_text), Note(self.about)]
        groups: dict[str, list[list[str]]] = {}
        for group, key, description in self.keys:
            groups.setdefault(group, []).append([key, description])
        for group, rows in groups.items():
            blocks += [Heading(group), Table(["Key", "Does"], rows)]
        blocks += [Heading("Conventions"), Note(CONVENTIONS)]
        self.query_one("#help-body", RecordView).show(blocks)
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss()

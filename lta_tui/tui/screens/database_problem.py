"""Shown instead of the sections when the database is missing, empty or behind the code: what
is wrong and the command that fixes it. `q` quits and the message is printed again."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

COMMANDS = (
    "lta-tui init          create the database with the reference data\n"
    "lta-tui demo          … or fill it with a realistic demo data set\n"
    "lta-tui db upgrade    bring an older database up to this version"
)


class DatabaseProblemScreen(Screen[None]):
    CSS_PATH = Path(__file__).with_name("database_problem.tcss")
    BINDINGS = [Binding("q,escape", "quit_with_message", "Quit")]

    def __init__(self, message: str, url: str) -> None:
        super().__init__()
        self.message = message
        self.url = url

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="problem") as box:
            box.border_title = "The database is not ready"
            yield Static(Text(_sentence(self.message)), id="problem-message")
            yield Static(Text(f"Database: {self.url}"), id="problem-url")
            yield Static(Text(COMMANDS), id="problem-commands")
            yield Static(
                Text(
                    "Run the command in a shell with the same --config or --db you gave here, "
                    "then start lta-tui again."
                )
            )
        yield Footer()

    def action_quit_with_message(self) -> None:
        self.app.exit(self.message)


def _sentence(message: str) -> str:
    """The message with a capital first letter, unless it starts with a URL or a path."""
    first = message.split(" ", 1)[0]
    return message if "://" in first or "/" in first else message[:1].upper() + message[1:]

"""A record opened from a list: loaded by a worker, shown read-only, `esc` goes back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message

from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.widgets.record_view import Block, Note, RecordView

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class DetailScreen(SectionScreen):
    CSS_PATH = Path(__file__).with_name("detail.tcss")
    BINDINGS = [Binding("escape", "back", "Back", tooltip="Back to the list")]
    NOUN: ClassVar[str] = "record"

    class Loaded(Message):
        def __init__(self, record: Any) -> None:
            super().__init__()
            self.record = record

    def __init__(self, record_id: int) -> None:
        super().__init__()
        self.record_id = record_id
        self.record: Any = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail", can_focus=True):
            yield RecordView(id="record")

    def on_mount(self) -> None:
        self.query_one("#detail").loading = True
        self.query_one("#detail").focus()
        super().on_mount()

    def reload(self) -> None:
        super().reload()
        self._load()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load(self) -> None:
        with self.app.engine().connect() as conn:
            record = self.fetch(conn)
        self.post_message(self.Loaded(record))

    def fetch(self, conn: Connection) -> Any:
        raise NotImplementedError

    def describe(self, record: Any) -> list[Block]:
        raise NotImplementedError

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.record = message.record
        self.query_one("#record", RecordView).show(self.describe(message.record))
        self.query_one("#detail").loading = False

    def load_failed(self) -> None:
        self.query_one("#record", RecordView).show([Note(f"Could not load the {self.NOUN}.", True)])
        self.query_one("#detail").loading = False

    def action_back(self) -> None:
        self.dismiss()

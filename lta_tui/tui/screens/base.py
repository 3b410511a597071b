"""What every section screen shares: header, section bar, footer, loading after the database
is ready, the agency scope, and one error path for failed workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from lta_tui.tui.widgets.section_bar import SectionBar

if TYPE_CHECKING:
    from lta_tui.tui.app import LtaApp

_NOT_LOADED = object()


class SectionScreen(Screen):
    """A screen of one section. Subclasses yield their body and implement `reload`."""

    SECTION: ClassVar[str] = "dashboard"
    #: Short text for the help screen: what the screen shows and how to use it.
    HELP: ClassVar[str] = ""
    #: Whether the screen follows the app's agency scope (own agency / all agencies).
    SCOPED: ClassVar[bool] = False
    #: Whether it shows an agency's spend, feedback or reports, which R26 keeps to the own
    #: agency for a focal point or viewer (`app.records_scope`) whatever `a` chose elsewhere.
    OWN_RECORDS: ClassVar[bool] = False

    BINDINGS = [
        Binding("a", "all_agencies", "All agencies", tooltip="Show every agency's records"),
        Binding("a", "own_agency", "Own agency", tooltip="Show only your agency's records"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    app: LtaApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.loaded_scope: object = _NOT_LOADED

    def compose(self) -> ComposeResult:
        yield Header()
        yield SectionBar(self.SECTION)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.app.when_database_ready(self, self.reload)

    @property
    def scope(self) -> str | None:
        """The agency whose records the screen shows, None for every agency's."""
        return self.app.records_scope if self.OWN_RECORDS else self.app.agency_scope

    def _others_refused(self) -> bool:
        """R26 keeps this screen to the own agency for this user."""
        return self.OWN_RECORDS and not self.app.reads_every_agency

    def on_screen_resume(self) -> None:
        scope = self.scope
        if self.SCOPED and self.loaded_scope is not _NOT_LOADED and self.loaded_scope != scope:
            self.reload()

    def reload(self) -> None:
        """(Re)load the screen's data in a worker; remember the scope it was loaded for."""
        self.loaded_scope = self.scope

    def load_failed(self) -> None:
        """A worker of this screen failed: leave any loading state."""

    def action_reload(self) -> None:
        if self.app.database_ready:
            self.reload()

    def action_all_agencies(self) -> None:
        if self._others_refused():
            self.notify(self.app.records_refusal(), severity="warning", markup=False)
            return
        self.app.set_agency_scope(all_agencies=True)

    def action_own_agency(self) -> None:
        self.app.set_agency_scope(all_agencies=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.SCOPED and self._others_refused():  # `a` says why (R26)
            return action != "own_agency"
        if action == "all_agencies":
            return self.SCOPED and self.app.agency_scope is not None
        if action == "own_agency":
            return self.SCOPED and self.app.agency_scope is None
        return True

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        self.load_failed()
        error = event.worker.error
        self.app.report_error(error)

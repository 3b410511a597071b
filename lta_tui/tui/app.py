"""The lta-tui Textual application: the shell around the sections.

Contract every screen relies on:
- `app.config`: the validated `Config`.
- `app.today()`: the date the app treats as today (fixed in tests and snapshots); `app.now()`
  the matching moment (UTC).
- `app.engine()`: the SQLAlchemy engine, created on first use; call it only from thread workers
  (it imports the database stack, which must not delay the first paint).
- `app.agency_scope`: the agency code whose records scoped screens show, or None for all.
- `app.when_database_ready(node, callback)`: run `callback` once the database is open.

Each section is a Textual mode with its own screen stack, so a section keeps its list, filter,
sort and opened record while another is shown. The database is opened by a worker started
after the first frame; if it is missing, empty or out of date a message screen names the
command that fixes it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen

from lta_tui.config import Config, Role
from lta_tui.tui.widgets.section_bar import SECTIONS, SectionBar


def _dashboard() -> Screen:
    from lta_tui.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


def _competitions() -> Screen:
    from lta_tui.tui.screens.competitions import CompetitionsScreen

    return CompetitionsScreen()


def _orders() -> Screen:
    from lta_tui.tui.screens.orders_section import orders_screen

    return orders_screen()


def _sub_ltas() -> Screen:
    from lta_tui.tui.screens.sub_ltas import SubLtasScreen

    return SubLtasScreen()


def _consolidators() -> Screen:
    from lta_tui.tui.screens.consolidators import ConsolidatorsScreen

    return ConsolidatorsScreen()


def _rates() -> Screen:
    from lta_tui.tui.screens.rates import RatesScreen

    return RatesScreen()


def _spend() -> Screen:
    from lta_tui.tui.screens.spend import SpendScreen

    return SpendScreen()


def _monitor() -> Screen:
    from lta_tui.tui.screens.monitor import MonitorScreen

    return MonitorScreen()


class LtaApp(App[str]):
    TITLE = "lta-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    MODES = {
        "dashboard": _dashboard,
        "competitions": _competitions,
        "orders": _orders,
        "sub_ltas": _sub_ltas,
        "consolidators": _consolidators,
        "rates": _rates,
        "spend": _spend,
        "monitor": _monitor,
    }
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        *(Binding(s.key, f"section('{s.mode}')", f"Go to {s.label}", show=False) for s in SECTIONS),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),
        Binding("q", "quit", "Quit"),
    ]

    class DatabaseReady(Message):
        """The database is open and at the current schema."""

    class DatabaseUnavailable(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(
        self,
        config: Config,
        *,
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.today = today
        self._now = now
        self._engine = None
        self._engine_lock = threading.Lock()
        self.database_ready = False
        self.database_problem: str | None = None
        self._waiting: list[tuple[DOMNode, Callable[[], Any]]] = []
        # A focal point starts on the own agency's records; the Working Group reads all.
        self._all_agencies = config.user.role == Role.working_group
        user = config.user
        self.title = f"lta-tui · {config.lta.reference}"
        self.sub_title = f"{user.name} · {user.agency} · {user.role.value.replace('_', ' ')}"

    # --- the contract -------------------------------------------------------------------------

    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from lta_tui.services.database import check_ready, open_engine

                engine = open_engine(self.config, create=False)
                try:
                    check_ready(engine)
                except Exception:
                    engine.dispose()
                    raise
                self._engine = engine
            return self._engine

    def now(self) -> datetime:
        """The current moment in UTC; midnight of `today()` when the clock is fixed."""
        if self._now is not None:
            return self._now()
        if self.today == date.today:  # a new bound method on every access: not `is`
            return datetime.now(timezone.utc)
        return datetime.combine(self.today(), time(0), tzinfo=timezone.utc)

    @property
    def agency_scope(self) -> str | None:
        return None if self._all_agencies else self.config.user.agency

    def _every_agency_refused(self) -> list:
        """R26 asked whether this user reads every agency's records (empty: yes)."""
        from lta_tui.domain.rules import check_permission

        user = self.config.user
        return check_permission(user.role, user.agency, "read", "every agency")

    @property
    def reads_every_agency(self) -> bool:
        """R26: whether this user reads every agency's records (the Working Group)."""
        return not self._every_agency_refused()

    @property
    def records_scope(self) -> str | None:
        """The agency whose spend, feedback and consolidator reports the screens show (None:
        every agency's). R26: only the Working Group reads every agency's; a focal point or a
        viewer sees the own agency's, whatever `a` chose on the other screens."""
        return self.agency_scope if self.reads_every_agency else self.config.user.agency

    def records_refusal(self) -> str:
        """Why `a` does not show every agency's spend, feedback and reports to this user (R26)."""
        return "; ".join(f.message for f in self._every_agency_refused())

    def set_agency_scope(self, *, all_agencies: bool) -> None:
        if all_agencies == self._all_agencies:
            return
        self._all_agencies = all_agencies
        shown = "all agencies" if all_agencies else f"{self.config.user.agency} only"
        self.notify(f"Showing {shown}.", timeout=2, markup=False)
        screen = self.screen
        if getattr(screen, "SCOPED", False) and self.database_ready:
            screen.reload()  # type: ignore[attr-defined]
        screen.refresh_bindings()

    def when_database_ready(self, node: DOMNode, callback: Callable[[], Any]) -> None:
        if self.database_ready:
            node.call_later(callback)
        elif self.database_problem is None:
            self._waiting.append((node, callback))

    # --- opening the database, after the first frame ------------------------------------------

    def on_ready(self) -> None:
        self._open_database()

    @work(thread=True, exit_on_error=False, group="database")
    def _open_database(self) -> None:
        try:
            self.engine()
        except Exception as exc:  # shown to the user as a message, never a traceback
            self.post_message(self.DatabaseUnavailable(_reason(exc)))
        else:
            self.post_message(self.DatabaseReady())

    @on(DatabaseReady)
    def _database_ready(self) -> None:
        self.database_ready = True
        # What is alive now (modules, classes, the database stack, the first screen) lives as
        # long as the app: out of the collector's full passes, which otherwise rescan all of it
        # and stall a keystroke for 100 ms and more once the heap has grown.
        gc.freeze()
        waiting, self._waiting = self._waiting, []
        for node, callback in waiting:
            if node.is_attached:
                node.call_later(callback)

    @on(DatabaseUnavailable)
    def _database_unavailable(self, message: DatabaseUnavailable) -> None:
        self.show_database_problem(message.reason)

    def show_database_problem(self, reason: str) -> None:
        if self.database_problem is not None:
            return
        from lta_tui.tui.screens.database_problem import DatabaseProblemScreen

        self.database_problem = reason
        self._waiting.clear()
        self.push_screen(DatabaseProblemScreen(reason, _safe_url(self.config.database.url)))

    def report_error(self, error: BaseException | None) -> None:
        """The one error path of the screens' workers."""
        if error is None:
            return
        from lta_tui.services.database import DatabaseNotReady

        if isinstance(error, DatabaseNotReady):
            self.show_database_problem(str(error))
            return
        self.notify(
            str(error) or error.__class__.__name__,
            title=f"Could not load: {error.__class__.__name__}",
            severity="error",
            timeout=8,
            markup=False,
        )

    # --- sections, records, help --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("section", "help") and self.database_problem is not None:
            return False
        if action == "section" and self.open_form() is not None:
            return False  # a section key never leaves a form (what was typed would wait unseen)
        return True

    def open_form(self) -> Screen | None:
        """The record form (order, competition, offer) open in the current section, if any:
        the topmost, under any question or help shown over it."""
        from lta_tui.tui.screens.record_form import RecordForm

        return next((s for s in reversed(self.screen_stack) if isinstance(s, RecordForm)), None)

    async def action_quit(self) -> None:
        """Quit; with a form open where something was typed, only once the user said yes to
        discarding it (the same question as `esc` on the form)."""
        form = self.open_form()
        if form is None:
            self.exit()
        else:
            form.confirm_discard(self.exit)  # type: ignore[attr-defined]

    def action_section(self, mode: str) -> None:
        if self.database_problem is None and self.open_form() is None:
            self.switch_mode(mode)

    @on(SectionBar.Selected)
    def _section_clicked(self, message: SectionBar.Selected) -> None:
        self.action_section(message.mode)

    def open_record(self, kind: str, record_id: int) -> None:
        """Open a record over the current screen (from the dashboard): `competition`, `order` or
        `sub_lta`; `esc` comes back to where the user was."""
        screen: Screen
        if kind == "competition":
            from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen

            screen = CompetitionDetailScreen(record_id)
        elif kind == "sub_lta":
            from lta_tui.tui.screens.sub_ltas import SubLtaDetailScreen

            screen = SubLtaDetailScreen(record_id)
        elif kind == "order":
            from lta_tui.tui.screens.order_detail import OrderDetailScreen

            screen = OrderDetailScreen(record_id)
        else:
            raise ValueError(f"unknown record kind {kind!r}")
        self.push_screen(screen)

    def action_help(self) -> None:
        from lta_tui.tui.screens.help import HelpScreen, screen_keys

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss()
            return
        section = next((s.label for s in SECTIONS if s.mode == self.current_mode), "")
        about = getattr(screen, "HELP", "")
        self.push_screen(HelpScreen(section, screen_keys(self, screen), about))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from lta_tui.tui.commands import palette_commands

        yield from palette_commands(self, screen)
        for title, help_text, action, form in _NEW_RECORDS:
            if self._offers_new(screen, action, form):
                yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        yield from super().get_system_commands(screen)

    def _offers_new(self, screen: Screen, action: str, form: str) -> bool:
        """The palette's "New …" where no key of the screen already offers it and its form is
        not the screen itself."""
        if self.database_problem is not None or type(screen).__name__ == form:
            return False
        return not any(b.binding.action == action for b in screen.active_bindings.values())

    def action_new_order(self) -> None:
        """The order form over the current screen; after saving, back there."""
        from lta_tui.tui.screens.order_form import OrderFormScreen

        self.push_screen(OrderFormScreen())

    def action_new_competition(self) -> None:
        """The competition form over the current screen; saving opens the new competition."""
        from lta_tui.tui.screens.competition_form import CompetitionFormScreen

        self.push_screen(CompetitionFormScreen())


#: The palette's "New …" commands: (title, help, app action, class name of the form screen).
_NEW_RECORDS = (
    ("New order", "Type a new order (key n on Orders)", "new_order", "OrderFormScreen"),
    (
        "New competition",
        "Start a mini-competition (key n on Competitions)",
        "new_competition",
        "CompetitionFormScreen",
    ),
)


def _reason(error: BaseException) -> str:
    """What to tell the user when the database cannot be opened."""
    from lta_tui.services.database import DatabaseNotReady
    from lta_tui.store.engine import DatabaseUrlError

    if isinstance(error, DatabaseNotReady | DatabaseUrlError):
        return str(error)
    return f"cannot open the database: {error.__class__.__name__}: {error}"


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    head, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url

"""The question the competition form asks before a holder is left out of the invitations: why
(R2). A modal form of the order actions' kind; dismissed with the reason, or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from lta_tui.services.competition_types import HolderChoice
from lta_tui.tui.screens.order_actions import ActionForm


class LeaveOutDialog(ActionForm):
    """Asks why `holder` is left out; nothing is saved here (the form saves the reason)."""

    GO = "leaves it out"

    def __init__(self, holder: HolderChoice) -> None:
        super().__init__(f"Leave {holder.code} out", _as_is)
        self.holder = holder

    def compose_form(self) -> ComposeResult:
        holder = self.holder
        yield Static(
            Text(
                f"{holder.code} ({holder.name}) holds lot {holder.lot}: every holder is invited "
                "unless the reason to leave it out is recorded (R2). The reason is kept with "
                "the competition and shown in its evidence pack."
            ),
            classes="action-text",
        )
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Reason", classes="field-label")
                yield Input(placeholder="why it is left out", id="reason", compact=True)
            yield Static(id="reason-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def collect(self) -> str | None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.show_error("reason-error", "Reason: required to leave a holder out (R2)")
            return None
        return reason


def _as_is(reason: str) -> str:
    return reason

"""The question the competition form asks before a holder is left out of the invitations: why
(R2). A modal form of the order actions' kind; dismissed with the reason, or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Static

from lta_tui.services.competition_types import HolderChoice
from lta_tui.tui.screens.order_actions import ReasonForm, field_line


class LeaveOutDialog(ReasonForm):
    """Asks why `holder` is left out; nothing is saved here (the form saves the reason)."""

    GO = "leaves it out"
    REQUIRED = "Reason: required to leave a holder out (R2)"

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
        yield from field_line(
            "Reason", Input(placeholder="why it is left out", id="reason", compact=True), "reason"
        )


def _as_is(reason: str) -> str:
    return reason

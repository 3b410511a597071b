"""The invitations of a competition: every holder of the lot, invited unless left out.

Every active, eligible holder starts invited; `space` (or `enter`) on an invited holder posts
`LeaveOutRequested` (the form asks the reason, R2, then calls `leave_out`), on a holder left
out invites it again. A suspended holder is listed as excluded with the reason of its
suspension (R17) and cannot be invited. The list posts `Changed` when the holders left out
change; the form reads `left_out`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from lta_tui.domain.rules.orders import check_consolidator_eligible
from lta_tui.services.competition_types import HolderChoice


def exclusion(holder: HolderChoice) -> str:
    """Why a holder that is not eligible is excluded, as the service records it:
    `suspended since 2026-03-01 (reason)`."""
    text = holder.eligibility.replace("_", " ")
    if holder.eligibility_since:
        text += f" since {holder.eligibility_since.isoformat()}"
    if holder.eligibility_reason and holder.eligibility_reason.strip():
        text += f" ({holder.eligibility_reason.strip()})"
    return text


def suspension(holder: HolderChoice) -> str:
    """Why a holder that is not eligible cannot be invited: the message of R17."""
    found = check_consolidator_eligible(
        holder.code,
        holder.eligibility,
        "invitation",
        holder.eligibility_since,
        holder.eligibility_reason,
    )
    return found[0].message if found else ""


class InvitationList(DataTable):
    """The holders of the chosen lot and whether each one is invited."""

    BINDINGS = [
        Binding(
            "space,enter",
            "toggle",
            "Invite / leave out",
            key_display="space",
            tooltip="Leave this holder out (asks the reason), or invite it again",
        ),
    ]

    DEFAULT_CSS = """
    InvitationList {
        height: auto;
        max-height: 10;

        & > .datatable--cursor {
            text-style: none;
        }
    }
    InvitationList:blur > .datatable--cursor {
        background: $panel;
    }
    """

    COLUMNS = ("", "Holder", "Name", "Invitation")

    class Changed(Message):
        def __init__(self, invitations: InvitationList) -> None:
            super().__init__()
            self.invitations = invitations

        @property
        def control(self) -> InvitationList:
            return self.invitations

    class LeaveOutRequested(Message):
        """The user wants `holder` left out: ask the reason, then call `leave_out`."""

        def __init__(self, holder: HolderChoice) -> None:
            super().__init__()
            self.holder = holder

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._holders: tuple[HolderChoice, ...] = ()
        self._left_out: dict[str, str] = {}
        self._flagged: frozenset[str] = frozenset()
        self._shown_width = 0

    @property
    def holders(self) -> tuple[HolderChoice, ...]:
        return self._holders

    @property
    def left_out(self) -> tuple[tuple[str, str], ...]:
        """(code, reason) of each eligible holder left out, in the order listed."""
        return tuple(
            (h.code, self._left_out[h.code]) for h in self._holders if h.code in self._left_out
        )

    @property
    def invited(self) -> tuple[str, ...]:
        return tuple(h.code for h in self._holders if h.eligible and h.code not in self._left_out)

    def show_holders(
        self, holders: Sequence[HolderChoice], left_out: Mapping[str, str] | None = None
    ) -> None:
        """List `holders`; those in `left_out` (code → reason) are left out, the suspended
        excluded, every other one invited. Without `left_out` the reasons given so far stay
        for the holders still listed."""
        self._holders = tuple(holders)
        codes = {h.code for h in self._holders if h.eligible}
        kept = self._left_out if left_out is None else dict(left_out)
        self._left_out = {code: reason for code, reason in kept.items() if code in codes}
        self._show()

    def flag(self, codes: Collection[str]) -> None:
        """Mark the holders a rule stands against."""
        flagged = frozenset(codes)
        if flagged != self._flagged:
            self._flagged = flagged
            self._show()

    def _show(self) -> None:
        cursor = self.cursor_row
        rows = []
        for holder in self._holders:
            if not holder.eligible:
                mark, state = Text("✗"), Text(f"excluded: {exclusion(holder)}", style="dim")
            elif holder.code in self._left_out:
                mark = Text("✗", style="bold")
                state = Text(f"left out: {self._left_out[holder.code]}")
            else:
                mark, state = Text("✓", style="bold"), Text("invited")
            code = Text(holder.code)
            if holder.code in self._flagged:
                mark = Text("!", style="bold")
                code.stylize("bold")
            name = Text(holder.name, no_wrap=True, overflow="ellipsis")
            state.no_wrap, state.overflow = True, "ellipsis"
            rows.append((mark, code, name, state))
        self._shown_width = self.size.width
        # widths of our own: the table's measure of its cells lags when they change in place
        widths = [
            max([len(c), *(row[i].cell_len for row in rows)]) for i, c in enumerate(self.COLUMNS)
        ]
        widths[2] = min(widths[2], 28)
        left = self.size.width - sum(widths[:3]) - 2 * len(widths) - 1
        widths[3] = max(16, min(widths[3], left))
        self.clear(columns=True)
        for title, width in zip(self.COLUMNS, widths, strict=True):
            self.add_column(title, width=width)
        for row in rows:
            self.add_row(*row)
        if self._holders:
            self.move_cursor(row=min(cursor, len(self._holders) - 1))

    def on_resize(self) -> None:
        if self._holders and self.size.width != self._shown_width:
            self._show()

    def action_toggle(self) -> None:
        if not self._holders:
            return
        holder = self._holders[min(self.cursor_row, len(self._holders) - 1)]
        if not holder.eligible:
            self.app.notify(
                suspension(holder) + " (it stays excluded)", severity="warning", markup=False
            )
            return
        if holder.code in self._left_out:
            del self._left_out[holder.code]
            self._show()
            self.post_message(self.Changed(self))
            return

        self.post_message(self.LeaveOutRequested(holder))

    def leave_out(self, code: str, reason: str) -> None:
        """Leave holder `code` out for `reason` (R2)."""
        if any(h.code == code and h.eligible for h in self._holders) and reason.strip():
            self._left_out[code] = reason.strip()
            self._show()
            self.post_message(self.Changed(self))

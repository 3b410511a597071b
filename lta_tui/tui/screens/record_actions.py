"""What the detail screens of an order and of a competition share to run the actions of a
record's life: whether the user may change it (R26), a question then the service in a worker
with the version read, warnings to acknowledge, and after any action (or a modal closed) the
record read again so that the next action runs with the version stored now.

A detail screen subclasses `RecordActions` beside its screen class and answers the hooks:
`_record` (the record read, or None), `_record_version`, `_record_agency`, `_record_name`,
`_run` (the service of an action, in the worker) and `_done` (what an action did, in words);
its screen class reads the record again with `reload`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.message import Message
from textual.screen import Screen

if TYPE_CHECKING:
    from lta_tui.domain.rules import Finding


class RecordActions(Screen):
    """The plumbing of a record's actions; see the module's docstring for the hooks."""

    #: The record's noun, as in `The order` before it is read.
    NOUN = "record"

    busy = False  # an action is running
    reloading = False  # the record is being read again: its version may be stale
    reload_on_resume = False  # a form was opened: read the record again on return

    class Acted(Message):
        """An action without a modal ran: `result` on success, else the `error` to show, or
        `warnings` to acknowledge before going ahead."""

        def __init__(
            self,
            action: str,
            result: object = None,
            error: str | None = None,
            warnings: Sequence[Finding] = (),
        ) -> None:
            super().__init__()
            self.action, self.result, self.error = action, result, error
            self.warnings = tuple(warnings)

    # --- the hooks ----------------------------------------------------------------------------

    def _record(self) -> Any:
        """The record as read (None until it is)."""
        return None

    def _record_version(self, record: Any) -> int:
        return record.version

    def _record_agency(self, record: Any) -> str:
        raise NotImplementedError

    def _record_name(self) -> str:
        """The record's name in a sentence (its PO number, its reference)."""
        return f"The {self.NOUN}"

    def _run(self, action: str, version: int, acknowledged: tuple[str, ...]) -> object:
        """Run `action`'s service (in a worker) on the version read."""
        raise NotImplementedError

    def _done(self, action: str) -> str:
        """What `action` did, as in `PO-1 issued.`."""
        return action

    # --- may the user change it ---------------------------------------------------------------

    def _may_change(self) -> Any:
        """The record, if the user may change it (R26) and nothing else runs; else say why."""
        from lta_tui.domain.rules import check_permission

        record = self._record()
        if record is None or self.busy or self.reloading:
            return None
        user = self.app.config.user  # type: ignore[attr-defined]
        refused = check_permission(user.role, user.agency, "change", self._record_agency(record))
        if refused:
            self._tell("\n".join(f.message for f in refused), "Refused")
            return None
        return record

    def _tell(self, text: str, title: str = "Not saved") -> None:
        self.notify(text, title=title, severity="error", timeout=10, markup=False)

    def _actor(self) -> Any:
        from lta_tui.services.orders import Actor

        return Actor.from_config(self.app.config)  # type: ignore[attr-defined]

    # --- a question, then the service ---------------------------------------------------------

    def _confirmed(self, yes: bool | None, action: str, acknowledged: tuple[str, ...] = ()) -> None:
        record = self._record()
        if not yes or record is None:
            return
        self.busy = True
        self.refresh_bindings()
        self._act(action, self._record_version(record), acknowledged)

    @work(thread=True, exclusive=True, exit_on_error=False, group="record-action")
    def _act(self, action: str, version: int, acknowledged: tuple[str, ...]) -> None:
        from lta_tui.domain.rules import Refused
        from lta_tui.services.conflicts import Conflict
        from lta_tui.services.orders import NeedsAcknowledgement

        try:
            result = self._run(action, version, acknowledged)
        except NeedsAcknowledgement as needs:
            self.post_message(self.Acted(action, warnings=needs.warnings))
        except (Refused, Conflict, ValueError, LookupError) as error:
            self.post_message(self.Acted(action, error=str(error)))
        except Exception as error:  # never a traceback: say what failed
            self.post_message(self.Acted(action, error=f"{error.__class__.__name__}: {error}"))
        else:
            self.post_message(self.Acted(action, result))

    @on(Acted)
    def _acted(self, message: Acted) -> None:
        self.busy = False
        if message.warnings and self._record() is not None:
            self._acknowledge(message.action, message.warnings)
            return
        if message.error is not None:
            self._tell(message.error)
            self.refresh_bindings()
            self.reload()  # type: ignore[attr-defined]  # shows what is stored now (another user's change, say)
            return
        self._succeeded(message.action)
        self._changed(self._done(message.action), message.result)

    def _succeeded(self, action: str) -> None:
        """`action` ran: anything to do before the record is read again."""

    def _acknowledge(self, action: str, warnings: Sequence[Finding]) -> None:
        """Issuing raised warnings not acknowledged before: ask, and issue again if yes."""
        from lta_tui.tui.screens.order_actions import ConfirmAction

        rules = tuple(dict.fromkeys(w.rule for w in warnings))
        question = "\n".join(
            [*(w.message for w in warnings), "", "Acknowledge and issue? It is recorded."]
        )
        self.refresh_bindings()
        self.app.push_screen(
            ConfirmAction(
                f"Issue {self._record_name()}: warnings", question, "acknowledges and issues"
            ),
            lambda yes: self._confirmed(yes, action, rules),
        )

    # --- after an action ----------------------------------------------------------------------

    def _changed(self, done: str, result: object) -> None:
        """After a successful action: say so (`done` may name the new `{status}`), and read the
        record again."""
        if result is None:
            return
        status = str(getattr(result, "status", "")).replace("_", " ")
        done = done.replace("{status}", status)
        self.notify(f"{self._record_name()} {done}.", timeout=4, markup=False)
        self.refresh_bindings()
        self.reload()  # type: ignore[attr-defined]

    def _dismissed(self, done: str, result: object) -> None:
        """A modal closed: with `result` it saved (`_changed`); without, it may have been
        refused because the record changed meanwhile (a conflict). Either way the record is
        read again, so the next action runs with the version stored now, not the one the modal
        was opened with (which would conflict again and again)."""
        if result is not None:
            self._changed(done, result)
            return
        self.reload()  # type: ignore[attr-defined]

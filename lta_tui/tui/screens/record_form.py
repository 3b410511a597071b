"""What the record forms share (an order, a competition, an offer): reading the form's choices
in a worker, saving through a service in a worker and showing what it refused under the fields,
the lines typed in a line editor, and asking before discarding what was typed.

A form subclasses `RecordForm`, composes its fields and answers the hooks: `_show_choices`
(the choices read), `_snapshot` (what counts as typed), `_show_refused`, `_general_messages`,
`_focus_first_problem`, `_discard_what`, and, with lines, `_line_messages` and `_lines_changed`.
Its save runs through `_save_with(call)`; a service error other than a refusal is put in
words by `_save_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from lta_tui.tui.widgets.choice_input import ChoiceInput
from lta_tui.tui.widgets.form_field import show_text
from lta_tui.tui.widgets.lines import LineEditorBase, LinesTable
from lta_tui.tui.widgets.yes_no_dialog import YesNoDialog

if TYPE_CHECKING:
    from lta_tui.domain.rules.findings import Finding

SavedT = TypeVar("SavedT")
#: A service's save: (engine, actor, rules, now) → what was saved.
SaveCall = Callable[[Any, Any, Any, datetime], Any]


def choosing(control: object) -> bool:
    """A list field being typed, its list open: what the rules say of it waits until it is
    left (or the form saved)."""
    return (
        isinstance(control, ChoiceInput)
        and control.has_focus
        and control.choice is None
        and control.choices_shown
    )


class RecordForm(Screen[SavedT]):
    """A form that saves one record through a service and is dismissed with what was saved,
    or None when left without saving."""

    AUTO_FOCUS = None
    #: The container of the fields, shown loading while the choices are read.
    HEAD: ClassVar[str] = ""
    #: The id prefixes of a line editor's inputs: enter there adds the line, not moves on.
    LINE_INPUTS: ClassVar[tuple[str, ...]] = ()
    #: The form field a finding's `field` starting so is shown under (`lines.2.unspsc`).
    FIELD_PREFIXES: ClassVar[tuple[tuple[tuple[str, ...], str], ...]] = ((("lines",), "lines"),)
    #: The form field a finding's `field` is shown under, when it is not the field's own id.
    FIELD_OF: ClassVar[Mapping[str, str]] = {}

    # --- messages from the workers --------------------------------------------------------

    class _Prepared(Message):
        def __init__(self, context: Any, loaded: Any) -> None:
            super().__init__()
            self.context = context
            self.loaded = loaded

    class _Failed(Message):
        def __init__(self, what: str, error: BaseException) -> None:
            super().__init__()
            self.what = what
            self.error = error

    class _SaveAnswer(Message):
        """What the service said: `saved`, or `refused` findings, or `warnings` to acknowledge,
        or an `error` message (a conflict among them); `attempt` is what was saved."""

        def __init__(
            self,
            *,
            attempt: Any = None,
            saved: Any = None,
            refused: Sequence[Finding] = (),
            warnings: Sequence[Finding] = (),
            error: str = "",
        ) -> None:
            super().__init__()
            self.attempt = attempt
            self.saved = saved
            self.refused = tuple(refused)
            self.warnings = tuple(warnings)
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self._lines: list[Any] = []
        self._saving = False
        self._initial: tuple | None = None

    # --- reading the choices --------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="record-form-prepare")
    def _prepare_in_worker(self, read: Callable[[], tuple[Any, Any]]) -> None:
        """`read` (in the worker) returns the form's choices and the record loaded, if any."""
        try:
            context, loaded = read()
        except Exception as exc:  # shown on the form, never a traceback
            self.post_message(self._Failed("read the form's choices", exc))
            return
        self.post_message(self._Prepared(context, loaded))

    @on(_Prepared)
    def _prepared(self, message: _Prepared) -> None:
        self._show_choices(message.context, message.loaded)

    def _show_choices(self, context: Any, loaded: Any) -> None:
        """The choices read (and the record loaded, or None) put in the form."""

    @on(_Failed)
    def _failed(self, message: _Failed) -> None:
        if self.HEAD:
            self.query_one(self.HEAD).loading = False
        text = str(message.error) or message.error.__class__.__name__
        self._general_messages([f"Could not {message.what}: {text}"])

    # --- typing ---------------------------------------------------------------------------

    def _choice(self, name: str) -> ChoiceInput:
        return self.query_one(f"#{name}", ChoiceInput)

    def _start_on_own_agency(self) -> None:
        """The agency field starts on the user's agency; a focal point works for the own
        agency only (R26), so the field is then fixed."""
        user = self.app.config.user  # type: ignore[attr-defined]
        agency = self._choice("agency")
        agency.value = user.agency
        agency.disabled = getattr(user.role, "value", user.role) == "focal_point"

    def _text(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def _set(self, name: str, value: str) -> None:
        show_text(self.query_one(f"#{name}", Input), value)

    def _today(self) -> date:
        today = getattr(self.app, "today", None)
        return today() if callable(today) else date.today()

    def _now(self) -> datetime:
        now = getattr(self.app, "now", None)
        moment = now() if callable(now) else datetime.now(timezone.utc)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if not (event.input.id or "").startswith(self.LINE_INPUTS):
            event.stop()
            self.focus_next()

    # --- findings ----------------------------------------------------------------------------

    def _field_of(self, finding: Finding) -> str | None:
        """The form field `finding` is shown under; None for the messages of no field."""
        name = finding.field
        if not name:
            return None
        for prefixes, field in self.FIELD_PREFIXES:
            if name.startswith(prefixes):
                return field
        name = self.FIELD_OF.get(name, name)
        return name if self.query(f"#{name}-field") else None

    # --- lines ----------------------------------------------------------------------------

    @on(LineEditorBase.Submitted)
    def _line_typed(self, event: LineEditorBase.Submitted) -> None:
        if event.index is None or event.index >= len(self._lines):
            self._lines.append(event.line)
            row = len(self._lines) - 1
        else:
            self._lines[event.index] = event.line
            row = event.index
        self._lines_changed()
        self.query_one(LinesTable).move_cursor(row=row)

    @on(LineEditorBase.Cancelled)
    def _edit_cancelled(self) -> None:
        self.query_one(LinesTable).focus()

    @on(LinesTable.EditRequested)
    def _edit_line(self, event: LinesTable.EditRequested) -> None:
        editor = self.query_one(LineEditorBase)
        editor.load(self._lines[event.index], event.index)
        editor.show_messages(self._line_messages(event.index))

    @on(LinesTable.DeleteRequested)
    def _delete_line(self, event: LinesTable.DeleteRequested) -> None:
        del self._lines[event.index]
        editor = self.query_one(LineEditorBase)
        if editor.editing is not None:
            if editor.editing == event.index:
                editor.clear()
            elif editor.editing > event.index:
                editor.editing -= 1
        self._lines_changed()

    def _lines_changed(self) -> None:
        """A line was added, changed or removed."""

    def _line_messages(self, index: int) -> list[str]:
        """What the rules say of line `index` (0-based)."""
        return []

    def _line_left_unfinished(self) -> bool:
        """Whether a line is half typed in the editor when saving (and the user was told)."""
        editors = self.query(LineEditorBase).results(LineEditorBase)
        editor = next(iter(editors), None)
        if editor is None or editor.is_blank or editor.submit():
            return False
        self.notify(
            "The line being typed is not complete: finish it (enter) or clear it.",
            severity="warning",
            markup=False,
        )
        return True

    # --- saving ---------------------------------------------------------------------------

    def _save_with(self, save: SaveCall, attempt: Any = None) -> None:
        """Run `save` (a service call, in a worker) with the database, who saves, the rules
        and the moment of saving; its answer comes back to the form."""
        self._saving = True
        self._save_in_worker(self.app, save, self._now(), attempt)

    @work(thread=True, exclusive=True, exit_on_error=False, group="record-form-save")
    def _save_in_worker(self, app: Any, save: SaveCall, now: datetime, attempt: Any) -> None:
        from lta_tui.domain.rules.findings import Refused
        from lta_tui.services.order_types import Actor

        answer: dict[str, Any] = {"attempt": attempt}
        try:
            answer["saved"] = save(
                app.engine(), Actor.from_config(app.config), app.config.rules, now
            )
        except Refused as exc:
            answer["refused"] = exc.findings
        except Exception as exc:  # shown on the form, never a traceback
            answer.update(self._save_error(exc))
        self.post_message(self._SaveAnswer(**answer))

    def _save_error(self, exc: Exception) -> dict[str, Any]:
        """What an error of the save (not a refusal) says on the form: `error` (or the
        `warnings` to acknowledge)."""
        return {"error": f"Could not save: {str(exc) or exc.__class__.__name__}"}

    @on(_SaveAnswer)
    def _save_answered(self, message: _SaveAnswer) -> None:
        self._saving = False
        if message.saved is not None:
            self._initial = self._snapshot()
            self._saved(message.saved)
            return
        if message.warnings:
            self._acknowledge(message)
            return
        if message.refused:
            self._show_refused(message.refused)
            self.notify(
                "Not saved: " + "; ".join(f.message for f in message.refused[:3]),
                severity="error",
                timeout=8,
                markup=False,
            )
            self._focus_first_problem()
            return
        self._general_messages([message.error])
        self.notify(message.error, severity="error", timeout=10, markup=False)

    def _saved(self, saved: Any) -> None:
        self.dismiss(saved)

    def _acknowledge(self, message: _SaveAnswer) -> None:
        """The save stopped at warnings: ask whether to save acknowledging them."""

    def _show_refused(self, refused: tuple[Finding, ...]) -> None:
        """What the save refused, under the fields."""

    def _general_messages(self, errors: Iterable[str]) -> None:
        """Messages that belong to no field."""

    def _focus_first_problem(self) -> None:
        """Focus the first field with an error."""

    # --- leaving --------------------------------------------------------------------------

    def _snapshot(self) -> tuple:
        """What was typed, to tell whether the form changed."""
        return ()

    @property
    def changed(self) -> bool:
        """Whether anything was typed since the form opened (or was last saved)."""
        editor = next(iter(self.query(LineEditorBase).results(LineEditorBase)), None)
        if editor is not None and not editor.is_blank:
            return True
        return self._initial is not None and self._snapshot() != self._initial

    def _discard_what(self) -> str:
        """What is lost on leaving, as in `Discard …?`."""
        return "your changes"

    def action_leave(self) -> None:
        self.confirm_discard(lambda: self.dismiss(None))

    def confirm_discard(self, discard: Callable[[], object]) -> None:
        """`discard` (leave the form, quit the app) at once when nothing was typed, else once
        the user said yes to discarding what was typed."""
        if not self.changed:
            discard()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                discard()

        self.app.push_screen(
            YesNoDialog(f"Discard {self._discard_what()}?", "Nothing typed here is kept."),
            answered,
        )

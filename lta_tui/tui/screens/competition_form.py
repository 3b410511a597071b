"""The competition form: a new mini-competition (`n` on Competitions) or a draft edited (`e` on
the competition's detail).

Fields in the order of the paper form: agency, lot, title, destination, deadline (a day in
shorthand and a time, UTC), the day whose ORE rate converts offers to USD, the evaluation
method and its criteria's weights (their sum shown as they are typed), the services asked,
the requirement lines, and the invitations (every active, eligible holder of the lot, invited
unless left out with a reason). What the form can judge from its choices (a date, the weights'
sum, a code outside the lot's scope) is shown under the field as it is typed, through the rules
of `lta_tui.domain`; `ctrl+s` saves through `save_competition` in a worker, and what it refuses
is shown under the field each finding names. `esc` asks before discarding changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timezone
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Footer, Header, Input, Static

from lta_tui.domain.dates import DateError, parse_day
from lta_tui.domain.rules import check_criteria, check_unspsc_in_lot
from lta_tui.domain.rules.findings import Finding
from lta_tui.domain.states import EvaluationMethod
from lta_tui.services.competition_types import (
    CompetitionFormContext,
    CompetitionInput,
    RequirementInput,
    SavedCompetition,
)
from lta_tui.services.order_types import Actor
from lta_tui.tui.screens.record_form import RecordForm, choosing
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.invitation_list import InvitationList
from lta_tui.tui.widgets.requirement_lines import (
    RequirementEditor,
    RequirementLinesTable,
    scope_choices,
)
from lta_tui.tui.widgets.weights import CriteriaWeights

DEFAULT_TIME = "12:00"
_TIME = re.compile(r"^(\d{1,2}):?(\d{2})$")
_METHODS = (
    Choice(EvaluationMethod.lowest_price.value, "", "lowest price, technically compliant"),
    Choice(EvaluationMethod.weighted.value, "", "weighted criteria, points summing to 100"),
)
_SERVICES = (
    ("needs_freight", "Freight"),
    ("needs_export_licensing", "Export licensing"),
    ("needs_installation", "Installation & support"),
)


class CompetitionFormScreen(RecordForm["SavedCompetition | None"]):
    """A new competition (`competition_id` None) or the draft `competition_id`. Dismissed with
    the `SavedCompetition` (a new one then opens in its detail), or None when left unsaved."""

    CSS_PATH = "competition_form.tcss"
    HEAD = "#competition-head"
    LINE_INPUTS = ("req-",)
    FIELD_PREFIXES = (
        (("lines",), "lines"),
        (("exclusions", "invitations", "left_out"), "invitations"),
        (("needs_", "services"), "warranty_months"),  # the services' one field with messages
    )
    FIELD_OF = {
        "country": "destination_country",
        "destination": "destination_country",
        "criteria": "weights",
    }
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    HELP: ClassVar[str] = (
        "Type the competition as on paper: tab (or enter) moves to the next field. Fields "
        "with a list find a choice from any part of its code or name (bang → BD Bangladesh): "
        "↓ ↑ choose, enter takes it. Deadline: a day (t today, +14, 2026-12-01) and a time "
        "in UTC (12:00 unless changed); FX rate date: the day whose UN ORE rates convert the "
        "offers to USD (the deadline's day unless typed). Weighted evaluation: whole points "
        "per criterion summing to 100. Requirement lines: description, specification, "
        "quantity, unit and a UNSPSC code within the lot's scope; enter adds the line. In the "
        "lines table enter edits a line, delete removes it. Invitations: every active holder "
        "of the lot is invited; space leaves one out (asking why) or invites it again. "
        "ctrl+s saves the draft, esc leaves (asking first when something changed)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save the competition (draft)"),
        Binding("escape", "leave", "Back", tooltip="Leave the form (asks before discarding)"),
    ]

    def __init__(self, competition_id: int | None = None) -> None:
        super().__init__()
        self.competition_id = competition_id
        self.context: CompetitionFormContext | None = None
        self.reference: str | None = None
        self.status: str | None = None  # of the loaded competition
        self._version: int | None = None
        self._lines: list[RequirementInput] = []
        self._local: dict[str, list[Finding | str]] = {}  # field → what the form found
        self._refused: tuple[Finding, ...] = ()  # what the last save refused, until changed
        self._tried_save = False

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="competition-body", can_focus=False):
            with Vertical(id="competition-head"):
                with Horizontal(classes="form-row"):
                    yield FormField("Agency", ChoiceInput(id="agency"), id="agency-field")
                    yield FormField("Lot", ChoiceInput(id="lot", placeholder="1–5"), id="lot-field")
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Title",
                        Input(id="title", compact=True, placeholder="what is bought, for whom"),
                        id="title-field",
                    )
                    yield FormField(
                        "Destination",
                        ChoiceInput(id="destination_country", placeholder="country"),
                        id="destination_country-field",
                    )
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Deadline",
                        Input(id="deadline", compact=True, placeholder="+14 or a date"),
                        id="deadline-field",
                    )
                    yield FormField(
                        "Time (UTC)",
                        Input(
                            DEFAULT_TIME,
                            id="deadline_time",
                            compact=True,
                            restrict=r"[0-9:]*",
                            max_length=5,
                        ),
                        id="deadline_time-field",
                    )
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "FX rate date",
                        Input(id="fx_rate_date", compact=True, placeholder="= deadline"),
                        id="fx_rate_date-field",
                    )
                    yield FormField(
                        "Evaluation",
                        ChoiceInput(_METHODS, value=_METHODS[0].text, id="evaluation_method"),
                        id="evaluation_method-field",
                    )
            with Vertical(id="criteria-box", classes="form-section"):
                yield FormField("Weights", CriteriaWeights(id="weights"), id="weights-field")
                yield Static("", id="method-note", markup=False)
            with Vertical(id="services-box", classes="form-section"):
                with Horizontal(id="services-row"):
                    for name, label in _SERVICES:
                        yield Checkbox(label, id=name, compact=True)
                yield FormField(
                    "Warranty",
                    Input(
                        id="warranty_months",
                        compact=True,
                        restrict=r"[0-9]*",
                        max_length=3,
                        placeholder="0",
                    ),
                    id="warranty_months-field",
                )
            yield RequirementEditor(id="requirement-editor")
            yield RequirementLinesTable(id="requirement-lines")
            yield Static("", id="lines-messages", classes="form-messages", markup=False)
            with Vertical(id="invitations-box", classes="form-section"):
                yield Static("", id="invitations-note", markup=False)
                yield InvitationList(id="invitations")
                yield Static("", id="invitations-messages", classes="form-messages", markup=False)
            yield Static("", id="form-errors", classes="form-messages", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self._title()
        self._start_on_own_agency()
        self.query_one("#criteria-box").border_title = "Criteria and weights (points)"
        self.query_one("#services-box").border_title = "Services needed"
        self.query_one("#warranty_months-field", FormField).set_aside("months")
        self._method_changed()
        self._show_invitations_note()
        self._days_changed()
        self.query_one("#competition-head").loading = True
        self._prepare()

    def _title(self) -> str:
        if self.competition_id is None:
            return "New competition"
        name = self.reference or f"competition {self.competition_id}"
        return f"Edit {name}" + (f" ({self.status.replace('_', ' ')})" if self.status else "")

    # --- reading the choices and the competition --------------------------------------------

    def _prepare(self) -> None:
        app, competition_id = self.app, self.competition_id

        def read() -> tuple[CompetitionFormContext, tuple | None]:
            from lta_tui.services import competitions as service

            engine = app.engine()
            actor = Actor.from_config(app.config)
            context = service.competition_form_context(engine, actor, app.today())
            if not competition_id:
                return context, None
            return context, service.load_competition_input(engine, competition_id)

        self._prepare_in_worker(read)

    def _show_choices(
        self,
        context: CompetitionFormContext,
        loaded: tuple[CompetitionInput, int, str, str] | None,
    ) -> None:
        ctx = self.context = context
        self._choice("agency").set_choices([Choice(a.code, a.name) for a in ctx.agencies])
        self._choice("lot").set_choices([Choice(str(lot.number), lot.title) for lot in ctx.lots])
        self._choice("destination_country").set_choices(
            [Choice(c.alpha2, c.name) for c in ctx.countries]
        )
        agency = self._choice("agency")
        if self.competition_id is None or not agency.value.strip():
            agency.take(agency.resolve(ctx.default_agency) or Choice(ctx.default_agency))
        if loaded is not None:
            self._fill(*loaded)
        self.query_one("#competition-head").loading = False
        self._recheck()
        self._initial = self._snapshot()
        self._first_focus()

    def _fill(self, comp: CompetitionInput, version: int, status: str, reference: str) -> None:
        self._version, self.status, self.reference = version, status, reference
        self.sub_title = self._title()
        for name, value in (
            ("agency", comp.agency),
            ("lot", str(comp.lot)),
            ("destination_country", comp.destination_country),
            ("evaluation_method", comp.evaluation_method),
        ):
            box = self._choice(name)
            box.take(box.resolve(value) or (Choice(value) if value else None))
        deadline = comp.deadline
        if deadline.tzinfo is None:  # stored naive: UTC
            deadline = deadline.replace(tzinfo=timezone.utc)
        deadline = deadline.astimezone(timezone.utc)
        self._set("title", comp.title)
        self._set("deadline", deadline.date().isoformat())
        self._set("deadline_time", deadline.strftime("%H:%M"))
        fx = comp.fx_rate_date
        self._set("fx_rate_date", "" if fx == deadline.date() else fx.isoformat())
        self.query_one(CriteriaWeights).set_weights(dict(comp.weights))
        for name, _ in _SERVICES:
            self.query_one(f"#{name}", Checkbox).value = bool(getattr(comp, name))
        self._set("warranty_months", str(comp.warranty_months) if comp.warranty_months else "")
        self._lines = list(comp.lines)
        self._lot_changed(left_out=dict(comp.left_out))
        self._method_changed()
        self._days_changed()
        self._show_lines()

    def _first_focus(self) -> None:
        """A new competition starts on its first field that may be changed (the lot when the
        agency is fixed); a draft on its first empty field (the line editor otherwise)."""
        new = self.competition_id is None
        for box in self.query("#competition-head Input").results(Input):
            if not box.disabled and (new or not box.value.strip()):
                box.focus()
                return
        self.query_one(RequirementEditor).focus_first()

    # --- typing ---------------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        if name.startswith("req-"):
            return  # the line being typed is not part of the competition yet
        if name in ("deadline", "deadline_time", "fx_rate_date"):
            self._days_changed()
        self._changed(name)

    @on(CriteriaWeights.Changed)
    def _weights_typed(self) -> None:
        self._changed("weights")

    @on(Checkbox.Changed)
    def _service_ticked(self, event: Checkbox.Changed) -> None:
        self._changed(event.checkbox.id or "")

    @on(events.DescendantBlur)
    def _left_field(self, event: events.DescendantBlur) -> None:
        """A list field left: its messages held back while it was typed show now."""
        widget = event.widget
        if isinstance(widget, ChoiceInput) and widget.id:
            if self.query(f"#{widget.id}-field"):
                self._show_field_messages(widget.id)
        elif (widget.id or "").startswith("weight-"):
            self._show_field_messages("weights")
        elif widget.id == "title" and isinstance(widget, Input):
            widget.cursor_position = 0  # a long title shows its start when not typed in

    @on(ChoiceInput.Chosen)
    def _chosen(self, event: ChoiceInput.Chosen) -> None:
        name = event.input.id or ""
        if name == "lot":
            self._lot_changed()
        elif name == "evaluation_method":
            self._method_changed()
        self._changed(name)
        if event.picked:
            self.focus_next()

    def _lot(self) -> int | None:
        code = self._choice("lot").code
        return int(code) if code.isdecimal() else None

    def _lot_changed(self, left_out: dict[str, str] | None = None) -> None:
        """The lot's codes offered on the lines, its holders listed for the invitations."""
        lot, ctx = self._lot(), self.context
        if ctx is None:
            return
        scope = ctx.scope_of(lot) if lot is not None else ()
        self.query_one(RequirementEditor).set_codes(scope_choices(scope, lot) if lot else [])
        holders = ctx.holders_of(lot) if lot is not None else ()
        self.query_one(InvitationList).show_holders(holders, left_out)
        self._show_invitations_note()

    def _method_changed(self) -> None:
        weighted = self._choice("evaluation_method").code == EvaluationMethod.weighted.value
        self.query_one("#weights-field").display = weighted
        note = self.query_one("#method-note", Static)
        note.display = not weighted
        note.update(
            "Lowest price, technically compliant: the compliant offer with the lowest landed "
            "total in USD wins. Choose weighted criteria to score price, delivery time, "
            "warranty, sustainability and past performance."
        )

    def _show_invitations_note(self) -> None:
        box = self.query_one("#invitations-box")
        invitations = self.query_one(InvitationList)
        lot = self._lot()
        note = self.query_one("#invitations-note", Static)
        if lot is None:
            box.border_title = "Invitations"
            note.update("Choose a lot: its holders are listed here, each one invited.")
        elif not invitations.holders:
            box.border_title = f"Invitations · lot {lot}"
            note.update(f"Lot {lot} has no active holder today: nobody can be invited.")
        else:
            count = len(invitations.invited)
            box.border_title = (
                f"Invitations · lot {lot}: {count} of {len(invitations.holders)} holders invited"
            )
            note.update("space leaves the holder out (asks why) or invites it again")
        invitations.display = bool(invitations.holders)

    def _days_changed(self) -> None:
        """The deadline's and the FX rate's days as read, beside their fields."""
        deadline = self._deadline_day()
        field = self.query_one("#deadline-field", FormField)
        field.set_aside(_day_note(self._text("deadline"), deadline))
        fx_field = self.query_one("#fx_rate_date-field", FormField)
        typed = self._text("fx_rate_date")
        fx = self._fx_day(deadline)
        if not typed:  # the deadline's day, shown in the empty box
            box = self.query_one("#fx_rate_date", Input)
            box.placeholder = deadline.isoformat() if deadline else "= deadline"
            fx_field.set_aside("= deadline" if deadline else "")
        else:
            fx_field.set_aside(_day_note(typed, fx))

    def _deadline_day(self) -> date | None:
        try:
            return parse_day(self._text("deadline"), self._today())
        except DateError:
            return None

    def _fx_day(self, deadline: date | None) -> date | None:
        typed = self._text("fx_rate_date")
        if not typed:
            return deadline
        try:
            return parse_day(typed, self._today())
        except DateError:
            return None

    # --- requirement lines ----------------------------------------------------------------

    def _lines_changed(self) -> None:
        self._changed("lines")

    @property
    def lines(self) -> tuple[RequirementInput, ...]:
        return tuple(self._lines)

    def _show_lines(self) -> None:
        flagged = {n for n in range(len(self._lines)) if self._line_findings(n)}
        self.query_one(RequirementLinesTable).show(self._lines, flagged)

    # --- invitations ----------------------------------------------------------------------

    @on(InvitationList.LeaveOutRequested)
    def _ask_reason(self, event: InvitationList.LeaveOutRequested) -> None:
        from lta_tui.tui.screens.leave_out_dialog import LeaveOutDialog

        code = event.holder.code

        def answered(reason: str | None) -> None:
            if reason:
                self.query_one(InvitationList).leave_out(code, reason)

        self.app.push_screen(LeaveOutDialog(event.holder), answered)

    @on(InvitationList.Changed)
    def _invitations_changed(self) -> None:
        self._show_invitations_note()
        self._changed("invitations")

    # --- checking -------------------------------------------------------------------------

    def _changed(self, name: str) -> None:
        """Field `name` changed: what the last save refused about it goes, the rules the form
        can run itself run again."""
        if self._refused:
            self._refused = tuple(f for f in self._refused if self._field_of(f) != name)
        self._recheck()

    def _recheck(self) -> None:
        self.read_competition()
        self._show_all_messages()
        self._show_lines()

    def read_competition(self) -> CompetitionInput | None:
        """The competition as typed, or None when a field cannot be read; what is wrong is
        kept (`_local`) to show under the fields. Required fields count once a save was tried."""
        local: dict[str, list[Finding | str]] = {}
        required = self._tried_save

        def need(name: str, label: str, value: str) -> str:
            if not value and required:
                local.setdefault(name, []).append(f"{label}: required")
            return value

        agency = need("agency", "Agency", self._choice("agency").code)
        lot_text = self._choice("lot").code
        lot = self._lot()
        if lot_text and lot is None:
            local["lot"] = [f"Lot: {lot_text!r} is not a lot number"]
        else:
            need("lot", "Lot", lot_text)
        title = need("title", "Title", self._text("title"))
        country = need(
            "destination_country", "Destination", self._choice("destination_country").code
        )
        deadline = self._deadline(local, required)
        fx = self._fx_day(deadline.date() if deadline else None)
        if self._text("fx_rate_date") and fx is None:
            local["fx_rate_date"] = [_date_error("FX rate date", self._text("fx_rate_date"))]
        method = self._choice("evaluation_method").code or EvaluationMethod.lowest_price.value
        weighted = method == EvaluationMethod.weighted.value
        weights = self.query_one(CriteriaWeights).weights if weighted else ()
        if weighted and (weights or required):
            found = check_criteria(method, dict(weights))
            if found:
                local["weights"] = list(found)
        if lot is not None and self.context is not None:
            scope = self.context.scope_of(lot)
            for n, line in enumerate(self._lines, 1):
                local.setdefault("lines", []).extend(
                    check_unspsc_in_lot(line.unspsc, lot, scope, n)
                )
        if not self._lines and required:
            local.setdefault("lines", []).append(
                "Lines: add at least one requirement line (enter in the line editor)"
            )
        self._local = {name: found for name, found in local.items() if found}
        if self._local or not (agency and title and country) or lot is None:
            return None
        if deadline is None or fx is None:
            return None
        months = self._text("warranty_months")
        return CompetitionInput(
            agency=agency,
            lot=lot,
            title=title,
            destination_country=country,
            deadline=deadline,
            fx_rate_date=fx,
            evaluation_method=method,
            weights=weights,
            lines=tuple(self._lines),
            needs_freight=self.query_one("#needs_freight", Checkbox).value,
            needs_export_licensing=self.query_one("#needs_export_licensing", Checkbox).value,
            needs_installation=self.query_one("#needs_installation", Checkbox).value,
            warranty_months=int(months) if months.isdecimal() else 0,
            left_out=self.query_one(InvitationList).left_out,
        )

    def _deadline(self, local: dict[str, list[Finding | str]], required: bool) -> datetime | None:
        """The deadline typed (UTC), or None; what cannot be read goes to `local`."""
        typed, at = self._text("deadline"), self._text("deadline_time") or DEFAULT_TIME
        day = self._deadline_day()
        if day is None and (typed or required):
            local["deadline"] = [_date_error("Deadline", typed)]
        match = _TIME.match(at)
        moment = None
        if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
            moment = time(int(match.group(1)), int(match.group(2)))
        else:
            local["deadline_time"] = [f"Time: {at!r} is not a time of day (HH:MM, UTC)"]
        if day is None or moment is None:
            return None
        return datetime.combine(day, moment, tzinfo=timezone.utc)

    # --- showing findings -----------------------------------------------------------------

    def _messages(self, name: str) -> list[str]:
        own = [m.message if isinstance(m, Finding) else m for m in self._local.get(name, [])]
        refused = [f.message for f in self._refused if self._field_of(f) == name]
        return own + [m for m in refused if m not in own]

    def _show_field_messages(self, name: str) -> None:
        field = self.query_one(f"#{name}-field", FormField)
        control = field.control
        if choosing(control):
            field.show_messages()  # still being typed, its list open: judged when left
            return
        if isinstance(control, CriteriaWeights) and control.has_focus_within:
            if not self._tried_save:
                field.show_messages()  # the sum beside says it while the points are typed
                return
        field.show_messages(self._messages(name))

    def _show_all_messages(self) -> None:
        for field in self.query("#competition-body FormField").results(FormField):
            name = (field.id or "").removesuffix("-field")
            if name and not name.startswith("req-"):
                self._show_field_messages(name)
        self._box("lines-messages", self._messages("lines"))
        self._box("invitations-messages", self._messages("invitations"))
        flagged = {(f.field or "").split(".", 1)[-1] for f in self._refused if f.field}
        self.query_one(InvitationList).flag(
            {code for code in flagged if any(h.code == code for h in self._holders())}
        )
        general = [f.message for f in self._refused if self._field_of(f) is None]
        self._general_messages(general)
        editor = self.query_one(RequirementEditor)
        if editor.editing is not None:
            editor.show_messages(self._line_messages(editor.editing))

    def _holders(self) -> Sequence[Any]:
        return self.query_one(InvitationList).holders

    def _box(self, name: str, texts: Sequence[str]) -> None:
        box = self.query_one(f"#{name}", Static)
        box.update("\n".join(texts))
        box.set_class(bool(texts), "-shown")

    def _general_messages(self, errors: Iterable[str]) -> None:
        self._box("form-errors", list(errors))

    def _line_findings(self, index: int) -> list[Finding]:
        prefix = f"lines.{index + 1}."
        found = [f for f in self._local.get("lines", []) if isinstance(f, Finding)]
        found += list(self._refused)
        return [f for f in found if f.field and (f.field + ".").startswith(prefix)]

    def _line_messages(self, index: int) -> list[str]:
        return [f.message for f in self._line_findings(index)]

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving or self.context is None or self._line_left_unfinished():
            return
        self._tried_save = True
        if isinstance(self.focused, ChoiceInput):
            self.focused.hide_choices()  # its messages show with the others
        comp = self.read_competition()
        self._show_all_messages()
        self._show_lines()
        if comp is None:
            self.notify(
                "Not saved: fill in or correct what is marked first.",
                severity="error",
                markup=False,
            )
            self._focus_first_problem()
            return
        self._save(comp)

    def _save(self, comp: CompetitionInput) -> None:
        competition_id, version = self.competition_id, self._version

        def save(engine: Any, actor: Actor, rules: Any, now: datetime) -> SavedCompetition:
            from lta_tui.services import competitions as service

            return service.save_competition(
                engine, comp, actor, rules, now=now,
                competition_id=competition_id, expected_version=version,
            )  # fmt: skip

        self._save_with(save)

    def _save_error(self, exc: Exception) -> dict[str, Any]:
        from lta_tui.services import competitions as service

        if isinstance(exc, service.CompetitionConflict):
            return {"error": str(exc)}
        return super()._save_error(exc)

    def _show_refused(self, refused: tuple[Finding, ...]) -> None:
        self._refused = refused
        self._show_all_messages()
        self._show_lines()

    def _saved(self, saved: SavedCompetition) -> None:
        """Back where the form was opened from; a new competition opens in its detail."""
        self.app.notify(f"Saved {saved.reference} ({saved.status.replace('_', ' ')})", markup=False)
        new = self.competition_id is None
        self.dismiss(saved)
        if new:
            from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen

            self.app.push_screen(CompetitionDetailScreen(saved.id))

    def _focus_first_problem(self) -> None:
        for field in self.query("#competition-body FormField").results(FormField):
            if field.has_class("-error") and field.display and field.parent.display:
                control = field.control
                if isinstance(control, CriteriaWeights):
                    control.focus_first()
                else:
                    control.focus()
                return
        if self._messages("lines"):
            first = next((n for n in range(len(self._lines)) if self._line_findings(n)), None)
            if first is not None:
                table = self.query_one(RequirementLinesTable)
                table.move_cursor(row=first)
                table.focus()
            else:
                self.query_one(RequirementEditor).focus_first()
            return
        if self._messages("invitations"):
            self.query_one(InvitationList).focus()

    # --- leaving --------------------------------------------------------------------------

    def _snapshot(self) -> tuple:
        boxes = [
            box.value
            for box in self.query("#competition-body Input").results(Input)
            if not (box.id or "").startswith("req-")
        ]
        ticks = [box.value for box in self.query("#competition-body Checkbox").results(Checkbox)]
        left_out = self.query_one(InvitationList).left_out
        return (tuple(boxes), tuple(ticks), tuple(self._lines), left_out)

    def _discard_what(self) -> str:
        return "this competition" if self.competition_id is None else "your changes"


def _date_error(label: str, typed: str) -> str:
    try:
        parse_day(typed, date.today())
    except DateError as exc:
        return f"{label}: {exc}"
    return f"{label}: {typed!r} is not a date"


def _day_note(typed: str, day: date | None) -> str:
    """Beside a date field: the weekday, and the date when typed in shorthand."""
    if day is None:
        return ""
    return f"{day:%a}" if typed == day.isoformat() else f"{day:%a} {day.isoformat()}"

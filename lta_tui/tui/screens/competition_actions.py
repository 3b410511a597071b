"""The modals of a competition's actions, opened from its detail (and the comparison): award,
an offer's technical compliance, a reason (unsuccessful, cancelled), an export.

They are the order's lifecycle modals (`order_actions.ActionForm`) with other fields: each
checks what it can itself, with the rule functions of `lta_tui.domain.rules` where a rule
applies, then runs the competition service through the `submit` function the detail screen
gives it, in a thread worker. A refusal keeps the modal open with each message under the field
it names; on success the modal is dismissed with what `submit` returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Label, Static

from lta_tui.domain.money import format_money
from lta_tui.tui.screens.order_actions import (
    ActionForm,
    ReasonForm,
    describe_event,
    field_line,
    snapshot,
)
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput

#: The order modals' layout (.action-box, .field, …), then what these modals add.
_CSS = [
    Path(__file__).with_name("order_actions.tcss"),
    Path(__file__).with_name("competition_actions.tcss"),
]


class YesNoInput(Input):
    """A one-key answer: `y` or `n` replaces it (space toggles); `answer` is True, False or
    None when empty."""

    def __init__(self, answer: bool | None, *, id: str | None = None) -> None:
        value = "" if answer is None else "y" if answer else "n"
        super().__init__(value, restrict=r"[yn]?", compact=True, id=id, classes="yes-no-input")

    @property
    def answer(self) -> bool | None:
        return {"y": True, "n": False}.get(self.value.strip().lower())

    async def _on_key(self, event: events.Key) -> None:
        key = (event.character or "").lower()
        if key in ("y", "n", " "):
            event.stop()
            event.prevent_default()
            if key == " ":
                key = "n" if self.answer else "y"
            self.value = key
            self.cursor_position = 0  # a one-cell box: the answer stays in view
            return
        await super()._on_key(event)


def yes_no(answer: bool | None) -> str:
    return "—" if answer is None else "yes" if answer else "no"


class CompetitionForm(ActionForm):
    """The order modals' form (`ActionForm`) with this module's styles; the first field a
    message is shown under takes the focus, so the user types the fix there."""

    CSS_PATH = _CSS

    def __init__(self, title: str, submit: Callable[[Any], object]) -> None:
        super().__init__(title, submit)
        self._focus_moved = False  # since the messages were last cleared

    def clear_errors(self) -> None:
        super().clear_errors()
        self._focus_moved = False

    def show_error(self, field: str | None, message: str) -> None:
        super().show_error(field, message)
        if field is None or self._focus_moved:
            return
        box = self.query_one(f"#{field}").parent
        controls = box.query(Input) if box is not None else None
        if controls:
            self._focus_moved = True
            controls.first().focus()


# --- award ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where an offer stands in the comparison, as the award modal offers it."""

    consolidator: str
    valid: bool
    rank: int | None
    total_usd: Decimal | None
    score: Decimal | None


@dataclass(frozen=True)
class AwardChoice:
    """What the award modal asks the service to do."""

    consolidator: str
    justification: str | None
    few_offers_justification: str | None
    acknowledged: tuple[str, ...]  # rule numbers of the warnings shown and accepted (R9)


class AwardCompetition(CompetitionForm):
    """Award to an offer: rank 1 unless a justification says why (R10); fewer valid offers
    than the minimum ask for their own justification (R8); abnormally low offers (R9) are
    listed and awarding acknowledges them. Warnings the service raises besides (those of the
    order it creates, a ceiling say) are shown, and enter again acknowledges them."""

    GO = "awards"

    class Warned(Message):
        """The service asked to acknowledge `rules` before it awards."""

        def __init__(self, rules: tuple[str, ...]) -> None:
            super().__init__()
            self.rules = rules

    def __init__(
        self,
        title: str,
        submit: Callable[[AwardChoice], object],
        reference: str,
        standings: Sequence[Standing],
        *,
        min_valid_offers: int,
        abnormally_low: Sequence[str] = (),
        few_offers_justification: str | None = None,
    ) -> None:
        super().__init__(title, self._acknowledging(submit))
        self.recorded = few_offers_justification or ""  # an R8 justification recorded earlier
        self.reference = reference
        self.standings = {s.consolidator: s for s in standings}
        self.valid = sorted(
            (s for s in standings if s.valid and s.rank is not None), key=lambda s: s.rank or 0
        )
        self.min_valid_offers = min_valid_offers
        self.abnormally_low = tuple(abnormally_low)
        self.warned: tuple[str, ...] = ()  # rules the service asked to acknowledge

    def _acknowledging(self, submit: Callable[[AwardChoice], object]) -> Callable:
        """`submit`, telling the modal which warnings the service wants acknowledged (it runs in
        the worker: `post_message` is thread-safe)."""
        from lta_tui.services.orders import NeedsAcknowledgement

        def run(choice: AwardChoice) -> object:
            try:
                return submit(choice)
            except NeedsAcknowledgement as needs:
                self.post_message(self.Warned(tuple(w.rule for w in needs.warnings)))
                raise

        return run

    @property
    def few_offers(self) -> str | None:
        """The R8 warning when there are fewer valid offers than the minimum."""
        from lta_tui.domain.rules import check_valid_offer_count

        found = check_valid_offer_count(len(self.valid), self.min_valid_offers, None)
        return found[0].message if found else None

    def compose_form(self) -> ComposeResult:
        yield Static(
            Text(
                "The award creates the order, a draft, with the lines, prices and currency of "
                "the offer chosen. Rank 1 is proposed; another valid offer needs a "
                "justification (R10)."
            ),
            classes="action-text",
        )
        choices = [Choice(s.consolidator, f"rank {s.rank}", _standing_note(s)) for s in self.valid]
        first = choices[0].text if choices else ""
        yield from field_line("Offer", ChoiceInput(choices, value=first, id="offer"), "offer")
        yield from field_line(
            "Justification",
            Input(placeholder="optional for rank 1", id="justification", compact=True),
            "justification",
        )
        if self.few_offers:
            yield Static(Text(self.few_offers), classes="action-warning")
            yield from field_line(
                "Few offers",
                Input(
                    self.recorded,
                    placeholder="why award with so few offers",
                    id="few-offers",
                    compact=True,
                ),
                "few-offers",
            )
        if self.abnormally_low:
            yield Static(
                Text("\n".join([*self.abnormally_low, "Awarding acknowledges this (recorded)."])),
                classes="action-warning",
            )
        yield Static(id="acknowledge", classes="action-warning", markup=False)

    @on(Warned)
    def _warned(self, message: Warned) -> None:
        self.warned = tuple(dict.fromkeys((*self.warned, *message.rules)))
        note = self.query_one("#acknowledge", Static)
        note.update("enter again acknowledges these warnings and awards (recorded)")
        note.add_class("-shown")

    def on_mount(self) -> None:
        self.query_one("#offer", ChoiceInput).focus()

    @on(ChoiceInput.Chosen, "#offer")
    def _offer_chosen(self, event: ChoiceInput.Chosen) -> None:
        rank = self.standings[event.choice.value].rank if event.choice else None
        box = self.query_one("#justification", Input)
        box.placeholder = "optional for rank 1" if rank == 1 else "why not rank 1 (required, R10)"

    def collect(self) -> AwardChoice | None:
        from lta_tui.domain.rules import OfferStanding, check_award, check_valid_offer_count

        code = same_code(self.query_one("#offer", ChoiceInput).code, self.standings)
        standing = self.standings.get(code)
        if code and standing is None:
            self.show_error("offer-error", f"Offer: {code} made no offer to {self.reference}")
            return None
        justification = self.query_one("#justification", Input).value.strip() or None
        few = None
        if self.few_offers:
            few = self.query_one("#few-offers", Input).value.strip() or None
        offer = None
        if standing is not None:
            offer = OfferStanding(code, self.reference, standing.valid, standing.rank)
        findings = check_award(self.reference, offer, len(self.valid), justification)
        if self.few_offers:
            findings += check_valid_offer_count(len(self.valid), self.min_valid_offers, few)
        for finding in findings:
            self.show_error(self.field_of(finding.field), finding.message)
        if findings:
            return None
        acknowledged = (*(("R9",) if self.abnormally_low else ()), *self.warned)
        return AwardChoice(code, justification, few, tuple(dict.fromkeys(acknowledged)))

    def field_of(self, name: str | None) -> str | None:
        lines = {
            "offer": "offer-error",
            "consolidator": "offer-error",
            "justification": "justification-error",
        }
        if self.few_offers:
            lines["few_offers_justification"] = "few-offers-error"
        return lines.get(name or "")


def _standing_note(s: Standing) -> str:
    parts = []
    if s.total_usd is not None:
        parts.append(format_money(s.total_usd, "USD"))
    if s.score is not None:
        parts.append(f"{s.score} points")
    return " · ".join(parts)


# --- technical compliance ------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceChoice:
    consolidator: str
    compliant: bool
    reason: str | None


class SetCompliance(CompetitionForm):
    """Record whether an opened offer is technically compliant; not compliant needs a reason,
    which is kept with the offer and excludes it from the ranking."""

    GO = "records it"

    def __init__(
        self,
        title: str,
        submit: Callable[[ComplianceChoice], object],
        offers: Sequence[tuple[str, bool, str | None]],  # (consolidator, compliant, reason)
    ) -> None:
        super().__init__(title, submit)
        self.offers = {code: (compliant, reason) for code, compliant, reason in offers}

    def compose_form(self) -> ComposeResult:
        yield Static(
            "An offer found not technically compliant is excluded from the ranking; say why.",
            classes="action-text",
        )
        choices = [
            Choice(code, "compliant" if ok else "not compliant")
            for code, (ok, _) in self.offers.items()
        ]
        first = choices[0].text if choices else ""
        yield from field_line("Offer", ChoiceInput(choices, value=first, id="offer"), "offer")
        ok, reason = next(iter(self.offers.values()), (True, None))
        yield from field_line("Compliant", YesNoInput(ok, id="compliant"), "compliant", "y / n")
        yield from field_line(
            "Reason",
            Input(reason or "", placeholder="why it is not compliant", id="reason", compact=True),
            "reason",
        )

    def on_mount(self) -> None:
        self.query_one("#offer", ChoiceInput).focus()
        self._show_answer()

    @on(ChoiceInput.Chosen, "#offer")
    def _offer_chosen(self, event: ChoiceInput.Chosen) -> None:
        if event.choice is None:
            return
        ok, reason = self.offers[event.choice.value]
        self.query_one("#compliant", YesNoInput).value = "y" if ok else "n"
        self.query_one("#reason", Input).value = reason or ""

    @on(Input.Changed, "#compliant")
    def _show_answer(self) -> None:
        answer = self.query_one("#compliant", YesNoInput).answer
        self.query_one("#compliant-hint", Label).update(f"{yes_no(answer)}  (y / n)")

    def collect(self) -> ComplianceChoice | None:
        code = same_code(self.query_one("#offer", ChoiceInput).code, self.offers)
        answer = self.query_one("#compliant", YesNoInput).answer
        reason = self.query_one("#reason", Input).value.strip() or None
        ok = True
        if code not in self.offers:
            self.show_error("offer-error", "Offer: choose one of the offers received")
            ok = False
        if answer is None:
            self.show_error("compliant-error", "Compliant: y or n")
            ok = False
        elif not answer and not reason:
            self.show_error("reason-error", "Reason: required for an offer not compliant")
            ok = False
        if not ok:
            return None
        return ComplianceChoice(code, bool(answer), None if answer else reason)

    def field_of(self, name: str | None) -> str | None:
        return {
            "consolidator": "offer-error",
            "offer": "offer-error",
            "compliant": "compliant-error",
            "reason": "reason-error",
            "disqualification_reason": "reason-error",
        }.get(name or "")


# --- a reason: unsuccessful, cancelled ------------------------------------------------------


class GiveReason(CompetitionForm, ReasonForm):
    """An ending that needs a reason (declared unsuccessful, cancelled): the reason is kept with
    the competition and in its history."""

    def __init__(
        self,
        title: str,
        submit: Callable[[str], object],
        *,
        explanation: str,
        go: str,
        placeholder: str,
    ) -> None:
        super().__init__(title, submit)
        self.explanation = explanation
        self.GO = go
        self.placeholder = placeholder

    def compose_form(self) -> ComposeResult:
        yield Static(Text(self.explanation), classes="action-text")
        yield from field_line(
            "Reason", Input(placeholder=self.placeholder, id="reason", compact=True), "reason"
        )


# --- export --------------------------------------------------------------------------------

KINDS = (
    Choice("rfq", "request for quotation", "what the holders are asked"),
    Choice("evidence", "pack for an auditor", "the whole record, from invitations to order"),
)
FORMATS = (Choice("md", "Markdown"), Choice("xlsx", "Excel workbook"))
EXPORT_FOLDER = Path("exports")


@dataclass(frozen=True)
class ExportRequest:
    kind: str  # "rfq" | "evidence"
    fmt: str  # "md" | "xlsx"
    path: Path  # absolute


def default_export_path(reference: str, kind: str, fmt: str) -> Path:
    """`exports/UNDP-MC-2026-004-evidence.md`, read against the current directory."""
    from lta_tui.services.competition_documents import default_filename

    return EXPORT_FOLDER / default_filename(reference, kind, fmt)


class ExportDocument(CompetitionForm):
    """The request for quotation or the evidence pack, as Markdown or an XLSX workbook, to a
    file (by default under `exports/` in the current directory). Sealed offers show no price
    in either (R5)."""

    GO = "writes the file"

    def __init__(
        self,
        title: str,
        submit: Callable[[ExportRequest], object],
        reference: str,
        kind: str,
        *,
        cwd: Path | None = None,
    ) -> None:
        super().__init__(title, submit)
        self.reference = reference
        self.kind = kind
        self.cwd = cwd or Path.cwd()
        self._proposed = str(default_export_path(reference, kind, "md"))

    def compose_form(self) -> ComposeResult:
        kind = next(c for c in KINDS if c.value == self.kind)
        yield from field_line("Document", ChoiceInput(KINDS, value=kind.text, id="kind"), "kind")
        yield from field_line(
            "Format", ChoiceInput(FORMATS, value=FORMATS[0].text, id="fmt"), "fmt"
        )
        yield from field_line("File", Input(self._proposed, id="path", compact=True), "path")
        yield Static(f"Relative to {self.cwd}", id="path-base", classes="field-note")

    def on_mount(self) -> None:
        self.query_one("#kind", ChoiceInput).focus()

    @on(ChoiceInput.Chosen)
    def _chosen(self, event: ChoiceInput.Chosen) -> None:
        """A new document or format: the file name follows, unless the user typed another."""
        path = self.query_one("#path", Input)
        if path.value.strip() != self._proposed:
            return
        kind = self.query_one("#kind", ChoiceInput).code or "evidence"
        fmt = self.query_one("#fmt", ChoiceInput).code or "md"
        if kind in {c.value for c in KINDS} and fmt in {c.value for c in FORMATS}:
            self._proposed = str(default_export_path(self.reference, kind, fmt))
            path.value = self._proposed

    def collect(self) -> ExportRequest | None:
        kind = self.query_one("#kind", ChoiceInput).code
        fmt = self.query_one("#fmt", ChoiceInput).code
        typed = self.query_one("#path", Input).value.strip()
        ok = True
        if kind not in {c.value for c in KINDS}:
            self.show_error("kind-error", "Document: rfq or evidence")
            ok = False
        if fmt not in {c.value for c in FORMATS}:
            self.show_error("fmt-error", "Format: md or xlsx")
            ok = False
        if not typed:
            self.show_error("path-error", "File: required")
            ok = False
        if not ok:
            return None
        path = Path(typed).expanduser()
        if not path.suffix:
            path = path.with_suffix(f".{fmt}")
        elif path.suffix.lower() != f".{fmt}":
            self.show_error("path-error", f"File: ends in {path.suffix}, not .{fmt}")
            return None
        return ExportRequest(kind, fmt, path if path.is_absolute() else self.cwd / path)

    def field_of(self, name: str | None) -> str | None:
        return {"path": "path-error", "kind": "kind-error", "fmt": "fmt-error"}.get(name or "")


# --- one change of the history -------------------------------------------------------------

_FIRST = ("status", "consolidator")  # read first in a change
_AMOUNTS = ("total", "price", "unit_price", "amount")  # in the offer's currency
_USD = ("total_usd", "amount_usd")


def describe_change(record: str, before: str | None, after: str | None) -> list[str]:
    """An audit event (R25 JSON snapshots) of a competition, or of its order (`record` names
    which), as lines to read: `Status: open → opened`, a list of offers one line per offer
    (`CONS-A · currency USD · total 58,300.00 · hash ok yes`), yes/no, moments in UTC. Text
    that is not a JSON object is shown as it is."""
    old, new = snapshot(before), snapshot(after)
    if record.startswith("order"):
        currency = str((new or old or {}).get("currency") or "")
        return describe_event(before, after, currency)
    if (before and old is None) or (after and new is None):
        return [t for t in (before, after) if t]
    old, new = old or {}, new or {}
    keys = [*new, *(k for k in old if k not in new)]
    keys.sort(key=lambda k: _FIRST.index(k) if k in _FIRST else len(_FIRST))
    out: list[str] = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        label = key.replace("_", " ").capitalize()
        if isinstance(b, list) and b and all(isinstance(x, dict) for x in b):
            out.append(f"{label}:")
            out += [f"  {_record(x)}" for x in b]
        elif key in old and key in new:
            out.append(f"{label}: {_value(key, a)} → {_value(key, b)}")
        else:
            out.append(f"{label}: {_value(key, b if key in new else a)}")
    return out or ["no change"]


def _record(values: dict) -> str:
    """One offer of a list: `CONS-A · 58,300.00 USD · on time · hash ok · rank 1 …`."""
    from lta_tui.domain.money import format_amount

    currency = values.get("currency")
    parts = [str(values.get("consolidator", ""))]
    for key, value in values.items():
        if key in ("consolidator", "currency") or value is None:
            continue
        if key == "total" and currency:
            parts.append(f"{format_amount(Decimal(str(value)), currency)} {currency}")
        elif key == "late":
            parts.append("late" if value else "on time")
        elif key == "hash_ok":
            parts.append("hash ok" if value else "HASH CHANGED")
        elif key == "valid":
            parts.append("valid" if value else "not valid")
        else:
            parts.append(f"{key.replace('_', ' ')} {_value(key, value, currency)}")
    return " · ".join(p for p in parts if p)


def _value(key: str, value: Any, currency: str | None = None) -> str:
    from datetime import datetime

    from lta_tui.domain.money import format_amount

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value) or "—"
    text = str(value)
    if (currency and key in _AMOUNTS) or key in _USD:
        try:
            return format_amount(Decimal(text), "USD" if key in _USD else currency or "USD")
        except ArithmeticError:
            return text
    if "T" in text and text[:4].isdecimal():
        try:
            return f"{datetime.fromisoformat(text):%Y-%m-%d %H:%M} UTC"
        except ValueError:
            return text
    return text.replace("_", " ") if key == "status" else text


def same_code(typed: str, codes: Iterable[str]) -> str:
    """The code of `codes` that `typed` names whatever its case (`cons-a` is CONS-A); else
    `typed` in upper case, as codes are written."""
    wanted = typed.strip().upper()
    return next((c for c in codes if c.upper() == wanted), wanted)

"""One mini-competition: requirement, criteria, invitations, offers (sealed until opened, R5),
award and the resulting order; and the keys of its life: edit and issue the draft, record the
offers, record the opening, set an offer's compliance, compare, award, declare it unsuccessful
or cancel it, export the request for quotation or the evidence pack, read its history.

Read by a thread worker (the record of `browse_competitions` and the comparison of
`competition_compare`, both on the app's clock). A key shows in the footer only when the
competition's status allows its action (pressed in another status, it says why); the action
runs the competition service in a worker (the modals of `competition_actions` run theirs) with
the version read, so a change made meanwhile is refused, then the competition is read again.
A user whose role may not change the competition (R26) is told why when pressing the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.message import Message

from lta_tui.domain.money import format_money
from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.screens.record_actions import RecordActions
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.record_view import Block, Fields, Heading, Note, Table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse_competitions import CompetitionDetail
    from lta_tui.services.competition_compare import Comparison

SEALED = "sealed"
_EVERY = frozenset(
    {"draft", "open", "closed", "opened", "evaluated", "awarded", "ordered"}
    | {"unsuccessful", "cancelled"}
)
#: Key action → the (effective) statuses in which it may run.
ALLOWED: dict[str, frozenset[str]] = {
    "edit": frozenset({"draft"}),
    "issue": frozenset({"draft"}),
    "record_offer": frozenset({"open", "closed"}),
    "open_offers": frozenset({"closed"}),
    "compliance": frozenset({"opened"}),
    "compare": _EVERY - {"draft"},
    "award": frozenset({"opened", "evaluated"}),
    "unsuccessful": frozenset({"closed", "opened", "evaluated"}),
    "cancel_competition": frozenset({"draft", "open", "closed", "opened", "evaluated", "awarded"}),
    "export": _EVERY,
    "history": _EVERY,
}
#: Actions that change the competition (R26 is checked before them).
_CHANGES = frozenset(ALLOWED) - {"compare", "export", "history"}
SERVICE_LABELS = {
    "freight": "freight",
    "export_licensing": "export licensing",
    "installation_support": "installation",
    "warranty": "warranty",
}


@dataclass(frozen=True)
class CompetitionRecord:
    """What the screen shows: the record, and the comparison (sealed until opened), read on
    the same clock."""

    detail: CompetitionDetail
    comparison: Comparison

    @property
    def status(self) -> str:
        """The status as it reads now: open past the deadline reads "closed"."""
        return self.comparison.status

    @property
    def version(self) -> int:
        return self.comparison.version


class CompetitionDetailScreen(DetailScreen, RecordActions):
    SECTION = "competitions"
    NOUN = "competition"
    HELP = (
        "A competition's record. Offer prices stay sealed until the deadline has passed and the "
        "opening is recorded (R5): until then each price reads “sealed”, here, in the "
        "comparison and in every export. The keys of its life show when its status allows "
        "them: e edits the draft, i issues it (criteria and weights are then fixed, R7), o "
        "records an offer received by e-mail (one received after the deadline is recorded late "
        "and excluded, R6), p records the opening once the deadline has passed and shows the bid "
        "abstract, k sets an offer's technical compliance, v compares the offers side by side, "
        "a awards (rank 1, or another valid offer with a justification) and creates the order, "
        "u declares the competition unsuccessful, c cancels it (both with a reason), x exports "
        "the request for quotation or the evidence pack, h shows its history. Only a focal "
        "point of the competition's agency may change it (R26)."
    )
    #: 80 columns hold the keys of any one status with short labels; the rarer ones (u, c, h)
    #: stay out of the footer and are listed by `?`.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", tooltip="Edit the draft competition"),
        Binding("i", "issue", "Issue", tooltip="Issue the competition to the invited holders"),
        Binding("o", "record_offer", "Offer", tooltip="Record an offer received"),
        Binding("p", "open_offers", "Open", tooltip="Record the opening of the offers"),
        Binding("k", "compliance", "Comply", tooltip="Set an offer's technical compliance"),
        Binding("v", "compare", "Compare", tooltip="Compare the offers side by side"),
        Binding("a", "award", "Award", tooltip="Award to an offer and create the order"),
        Binding(
            "u",
            "unsuccessful",
            "Unsuccessful",
            tooltip="Declare it unsuccessful (reason)",
            show=False,
        ),
        Binding("c", "cancel_competition", "Cancel", tooltip="Cancel it (reason)", show=False),
        Binding("x", "export", "Export", tooltip="Export the RFQ or the evidence pack"),
        Binding("h", "history", "History", tooltip="Every change of the competition", show=False),
    ]

    class History(Message):
        """The competition's history, as lines to read."""

        def __init__(self, reference: str, lines: list[str]) -> None:
            super().__init__()
            self.reference, self.lines = reference, lines

    def __init__(self, record_id: int) -> None:
        super().__init__(record_id)
        self.view: CompetitionRecord | None = None
        self.show_abstract = False  # the opening was recorded: show the bid abstract once read

    # --- reading ------------------------------------------------------------------------------

    def fetch(self, conn: Connection) -> CompetitionRecord:
        from lta_tui.services.browse_competitions import competition_detail
        from lta_tui.services.competition_compare import comparison

        now = self.app.now()  # R5 on the app's clock
        return CompetitionRecord(
            competition_detail(conn, self.record_id, now),
            comparison(conn, self.record_id, now, self.app.config.rules),
        )

    def reload(self) -> None:
        self.reloading = True
        self.refresh_bindings()
        super().reload()

    @on(DetailScreen.Loaded)
    def _record_loaded(self, message: DetailScreen.Loaded) -> None:
        self.view = message.record
        self.reloading = False
        self.refresh_bindings()
        if self.focused is None:  # ↓ PgDn End scroll the record without a tab first
            self.query_one("#detail").focus()
        if self.show_abstract and not self.view.comparison.sealed:
            self.show_abstract = False
            self.call_after_refresh(self._show_abstract)

    def load_failed(self) -> None:
        super().load_failed()
        self.reloading = self.busy = False
        self.refresh_bindings()

    def describe(self, record: CompetitionRecord) -> list[Block]:
        c, cmp = record.detail, record.comparison
        opened = formats.moment(c.opened_at) if not c.sealed else "not yet: offers are sealed"
        status = formats.label(record.status)
        if record.status != c.status:
            status += " (deadline passed)"
        fields = [
            ("Agency", c.agency),
            ("Lot", f"{c.lot} · {c.lot_title}"),
            ("Status", status),
            ("Destination", c.destination_country),
            ("Evaluation", formats.label(c.evaluation_method)),
            ("Services", _services(cmp.services, c.warranty_months)),
            ("FX rate date", formats.day(cmp.fx_rate_date)),
            ("Issued", formats.moment(c.issued_at)),
            ("Deadline", formats.moment(c.deadline)),
            ("Opened", opened + (f" by {cmp.opened_by}" if cmp.opened_by else "")),
            ("Created by", c.created_by),
        ]
        if c.justification:
            fields.append(("Few offers because", c.justification))
        if c.cancellation_reason:
            fields.append(("Ended because", c.cancellation_reason))
        blocks: list[Block] = [Heading(f"{c.reference} · {c.title}"), Fields(fields)]
        blocks += [
            Heading("Requirement"),
            Table(
                ["#>", "Description", "Qty>", "Unit", "UNSPSC"],
                [
                    [str(x.line_no), x.description, formats.quantity(x.quantity), x.unit, x.unspsc]
                    for x in c.lines
                ],
                empty="no requirement lines yet",
                flex=1,
                drop=(4,),
            ),
            Heading("Criteria and weights"),
            Note(
                " · ".join(f"{formats.label(k)} {w} points" for k, w in c.criteria)
                or "lowest price, technically compliant"
            ),
            Heading("Invitations"),
            Table(
                ["Consolidator", "Invited", "Reason left out"],
                [
                    [i.consolidator, "yes" if i.invited else "excluded", i.exclusion_reason or ""]
                    for i in c.invitations
                ],
                empty="no invitations yet",
                flex=2,
            ),
            Heading(f"Offers ({len(c.offers)})"),
            *_offers(record),
        ]
        for finding in cmp.warnings:
            blocks.append(Note(finding.message, True))
        blocks.append(Heading("Award"))
        if c.award:
            a = c.award
            award = [
                ("Awarded to", f"{a.consolidator} (rank {a.rank})"),
                ("Decided", f"{formats.moment(a.decided_at)} by {a.decided_by}"),
            ]
            if a.justification:
                award.append(("Justification", a.justification))
            blocks.append(Fields(award))
        else:
            blocks.append(Note("not awarded"))
        blocks += [
            Heading("Resulting order"),
            Table(
                ["PO number", "Date", "Status", "Total>", "USD>"],
                [
                    [
                        o.po_number,
                        formats.day(o.order_date),
                        formats.label(o.status),
                        formats.money(o.total, o.currency),
                        formats.usd(o.total_usd),
                    ]
                    for o in c.orders
                ],
                empty="no order yet",
            ),
        ]
        return blocks

    # --- which keys show ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        statuses = ALLOWED.get(action)
        if statuses is None:
            return super().check_action(action, parameters)
        if self.view is None or self.view.status not in statuses:
            return False
        if action in _CHANGES and (self.busy or self.reloading):
            return None  # dimmed, not hidden, while it runs or is read again
        return True

    def on_key(self, event: events.Key) -> None:
        """A key of the competition's life refused in its status (hidden from the footer, so
        Textual would ignore it): say why instead of doing nothing."""
        action = _KEYS.get(event.key)
        if action is None or self.view is None or self.check_action(action, ()) is not False:
            return
        event.stop()
        event.prevent_default()
        self._tell(refusal(action, self.view), "Not now")

    def _record(self) -> CompetitionRecord | None:
        return self.view

    def _record_agency(self, record: CompetitionRecord) -> str:
        return record.detail.agency

    def _record_name(self) -> str:
        return self.view.detail.reference if self.view else "The competition"

    # --- issue and opening: a question, then the service -----------------------------------------

    def action_issue(self) -> None:
        view = self._may_change()
        if view is None:
            return
        from lta_tui.tui.screens.order_actions import ConfirmAction

        c = view.detail
        invited = sum(1 for i in c.invitations if i.invited)
        question = (
            f"Issue {c.reference} to {invited} invited holder{'s' if invited != 1 else ''}, "
            f"deadline {formats.moment(c.deadline)}? Its criteria and weights are then fixed "
            "(R7) and offers can be recorded."
        )
        self.app.push_screen(
            ConfirmAction(f"Issue {c.reference}", question, "issues it"),
            lambda yes: self._confirmed(yes, "issue"),
        )

    def action_open_offers(self) -> None:
        view = self._may_change()
        if view is None:
            return
        from lta_tui.tui.screens.order_actions import ConfirmAction

        c = view.detail
        count = len(c.offers)
        question = (
            f"Record the opening of {c.reference} now, by {self.app.config.user.name}? "
            f"{count} offer{'s' if count != 1 else ''} received; each one's content is checked "
            "against the hash stored at receipt, and the prices are shown from then on (R5)."
        )
        self.app.push_screen(
            ConfirmAction(f"Opening of {c.reference}", question, "records the opening"),
            lambda yes: self._confirmed(yes, "open"),
        )

    def _run(self, action: str, version: int, acknowledged: tuple[str, ...]) -> object:
        from lta_tui.services import competitions as service

        app = self.app
        if action == "issue":
            return service.issue_competition(
                app.engine(),
                self.record_id,
                self._actor(),
                app.config.rules,
                now=app.now(),
                expected_version=version,
                acknowledged=acknowledged,
            )
        return service.open_offers(
            app.engine(), self.record_id, self._actor(), now=app.now(), expected_version=version
        )

    def _done(self, action: str) -> str:
        return {"issue": "issued", "open": "opened: prices are shown"}[action]

    def _succeeded(self, action: str) -> None:
        if action == "open":
            self.show_abstract = True

    def _show_abstract(self) -> None:
        """The bid abstract of the opening: who offered, in what currency, for what total."""
        from lta_tui.tui.screens.order_actions import ChangeView

        if self.view is None:
            return
        cmp = self.view.comparison
        lines = [f"Opened {formats.moment(cmp.opened_at)} by {cmp.opened_by or '—'}", ""]
        for o in sorted(cmp.offers, key=lambda o: o.received_at):  # as they came in
            check = {True: "hash ok", False: "HASH CHANGED", None: "hash not checked"}[o.hash_ok]
            late = "  late: excluded (R6)" if o.late else ""
            lines.append(
                f"{o.consolidator:<10} {format_money(o.total, o.currency):>22}  {check}{late}"
            )
        if not cmp.offers:
            lines.append("No offer was received.")
        self.app.push_screen(ChangeView(f"Bid abstract · {cmp.reference}", lines))

    # --- the forms ------------------------------------------------------------------------------

    def action_edit(self) -> None:
        view = self._may_change()
        if view is None:
            return
        try:
            from lta_tui.tui.screens.competition_form import CompetitionFormScreen
        except ImportError:
            self._tell("The competition form is not available.")
            return
        self.reload_on_resume = True  # the form may have saved: read again on return
        self.app.push_screen(CompetitionFormScreen(competition_id=view.detail.id))

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.reload_on_resume:
            self.reload_on_resume = False
            self.reload()

    def action_record_offer(self) -> None:
        view = self._may_change()
        if view is None:
            return
        from lta_tui.tui.screens.offer_form import OfferFormScreen

        invited = [i.consolidator for i in view.detail.invitations if i.invited]
        self.app.push_screen(
            OfferFormScreen(view.comparison, invited),
            lambda result: self._dismissed("offer recorded (sealed until the opening)", result),
        )

    def action_compliance(self) -> None:
        view = self._may_change()
        if view is None:
            return
        from lta_tui.tui.screens.competition_actions import ComplianceChoice, SetCompliance

        offers = [
            (o.consolidator, o.compliant, o.disqualification_reason) for o in view.comparison.offers
        ]
        if not offers:
            self._tell("No offer was received.", "Nothing to set")
            return
        app, actor, version = self.app, self._actor(), view.version

        def submit(choice: ComplianceChoice):
            from lta_tui.services.competitions import set_offer_compliance

            return set_offer_compliance(
                app.engine(),
                self.record_id,
                choice.consolidator,
                choice.compliant,
                choice.reason,
                actor,
                now=app.now(),
                expected_version=version,
            )

        self.app.push_screen(
            SetCompliance(f"Technical compliance · {view.detail.reference}", submit, offers),
            lambda result: self._dismissed("compliance recorded", result),
        )

    def action_compare(self) -> None:
        if self.view is None:
            return
        from lta_tui.tui.screens.comparison import ComparisonScreen

        award = self.action_award if "award" in self._allowed_now() else None
        self.app.push_screen(ComparisonScreen(self.view.comparison, award=award))

    def _allowed_now(self) -> set[str]:
        status = self.view.status if self.view else ""
        return {action for action, statuses in ALLOWED.items() if status in statuses}

    def action_award(self, then: Callable[[object], None] | None = None) -> None:
        """The award modal; `then(result)` runs after it closes (the comparison leaves)."""
        view = self._may_change()
        if view is None:
            return
        from lta_tui.tui.screens.competition_actions import AwardChoice, AwardCompetition, Standing

        cmp = view.comparison
        standings = [
            Standing(o.consolidator, o.valid, o.rank, o.total_usd, o.score) for o in cmp.offers
        ]
        if not any(s.valid and s.rank is not None for s in standings):
            self._tell(
                f"{cmp.reference} has no valid offer: nothing can be awarded (R10); "
                "u declares it unsuccessful.",
                "Refused",
            )
            return
        app, actor, version = self.app, self._actor(), view.version

        def submit(choice: AwardChoice):
            from lta_tui.services.competitions import award_competition

            return award_competition(
                app.engine(),
                self.record_id,
                choice.consolidator,
                actor,
                app.config.rules,
                now=app.now(),
                expected_version=version,
                justification=choice.justification,
                few_offers_justification=choice.few_offers_justification,
                acknowledged=choice.acknowledged,
            )

        def closed(result: object) -> None:
            order = getattr(result, "order", None)
            done = f"awarded: order {order.po_number} created (draft)" if order else "awarded"
            self._dismissed(done, result)
            if then is not None:
                then(result)

        self.app.push_screen(
            AwardCompetition(
                f"Award {cmp.reference}",
                submit,
                cmp.reference,
                standings,
                min_valid_offers=app.config.rules.min_valid_offers,
                abnormally_low=[w.message for w in cmp.warnings if w.rule == "R9"],
                few_offers_justification=cmp.few_offers_justification,
            ),
            closed,
        )

    def action_unsuccessful(self) -> None:
        self._end_with_reason(
            "declare_unsuccessful",
            "Unsuccessful · {reference}",
            "declared unsuccessful",
            explanation=(
                "A competition without a valid offer ends unsuccessful: nothing is awarded. "
                "Say why; the reason is kept with it and in its history."
            ),
            go="declares it unsuccessful",
            placeholder="e.g. no compliant offer received",
        )

    def action_cancel_competition(self) -> None:
        self._end_with_reason(
            "cancel_competition",
            "Cancel {reference}",
            "cancelled",
            explanation=(
                "A cancelled competition stays on record and takes no more offers or "
                "awards; not once its order is issued (R11). Say why: the reason is kept "
                "with it and in its history."
            ),
            go="cancels the competition",
            placeholder="why the competition is cancelled",
        )

    def _end_with_reason(self, ending: str, title: str, done: str, **question: str) -> None:
        """End the competition by `ending` (`declare_unsuccessful`, `cancel_competition` of
        the competition service) with the reason the user gives."""
        view = self._may_change()
        if view is None:
            return
        from lta_tui.tui.screens.competition_actions import GiveReason

        app, actor, version, record_id = self.app, self._actor(), view.version, self.record_id

        def submit(reason: str):
            from lta_tui.services import competitions as service

            end = getattr(service, ending)
            return end(
                app.engine(), record_id, reason, actor, now=app.now(), expected_version=version
            )

        self.app.push_screen(
            GiveReason(title.format(reference=view.detail.reference), submit, **question),
            lambda result: self._dismissed(done, result),
        )

    def action_export(self) -> None:
        if self.view is None:
            return
        from lta_tui.tui.screens.competition_actions import ExportDocument, ExportRequest

        app, reference = self.app, self.view.detail.reference
        kind = "rfq" if self.view.status in ("draft", "open") else "evidence"

        def submit(request: ExportRequest):
            from lta_tui.services.competition_documents import export

            request.path.parent.mkdir(parents=True, exist_ok=True)
            with app.engine().connect() as conn:
                return export(
                    conn,
                    self.record_id,
                    request.kind,
                    request.fmt,
                    request.path,
                    app.now(),
                    app.config.rules,
                )

        def written(path: object) -> None:
            if path is not None:
                self.notify(f"Written to {path}", title="Exported", timeout=8, markup=False)

        self.app.push_screen(
            ExportDocument(f"Export {reference}", submit, reference, kind), written
        )

    def action_history(self) -> None:
        if self.view is not None:
            self._read_history(self.view.detail.reference)

    @work(thread=True, exclusive=True, exit_on_error=False, group="competition-history")
    def _read_history(self, reference: str) -> None:
        """The audit events of the competition and of its order, as the evidence pack holds
        them (priced values masked while the offers are sealed, R5)."""
        from lta_tui.services.competition_documents import evidence_pack
        from lta_tui.tui.screens.competition_actions import describe_change

        app = self.app
        with app.engine().connect() as conn:
            pack = evidence_pack(conn, self.record_id, app.now(), app.config.rules)
        # the pack's table of audit events: when, who, record, action, before, after
        events = next(
            (t for s in pack.sections for t in s.tables if t.columns[-2:] == ("Before", "After")),
            None,
        )
        lines: list[str] = []
        for at, who, record, action, before, after in events.rows if events else ():
            if lines:
                lines.append("")
            lines.append(f"{formats.moment(at)} · {who} · {record} · {action}")
            lines += [f"  {x}" for x in describe_change(record, before or None, after or None)]
        self.post_message(self.History(reference, lines or ["No change recorded yet."]))

    @on(History)
    def _show_history(self, message: History) -> None:
        from lta_tui.tui.screens.order_actions import ChangeView

        self.app.push_screen(ChangeView(f"History · {message.reference}", message.lines))


def _offers(record: CompetitionRecord) -> list[Block]:
    """The offers received: while sealed who and when only (R5); once opened their totals,
    in USD and their rank."""
    c, cmp = record.detail, record.comparison
    figures = {o.consolidator: o for o in cmp.offers}
    blocks: list[Block] = []
    if c.sealed and c.offers:
        blocks.append(Note("Sealed: prices are shown once the opening is recorded (R5)."))
    rows, muted = [], set()
    for r, o in enumerate(c.offers):
        f = figures.get(o.consolidator)
        if c.sealed or f is None:
            total, usd, rank = SEALED, SEALED, ""
            muted |= {(r, 2), (r, 3)}
        else:
            total = format_money(f.total, f.currency)
            usd = formats.usd(f.total_usd)
            rank = str(f.rank) if f.rank is not None else "—"
        validity = "late" if o.late else "compliant" if o.compliant else "not compliant"
        rows.append(
            [
                o.consolidator,
                o.received_at.strftime("%Y-%m-%d %H:%M"),
                total,
                usd,
                rank,
                validity,
                o.disqualification_reason or "",
            ]
        )
    blocks.append(
        Table(
            ["Holder", "Received (UTC)", "Total>", "USD>", "Rank>", "Valid", "Note"],
            rows,
            empty="no offers received",
            flex=6,
            drop=(4, 1, 3),
            muted=muted,
        )
    )
    return blocks


#: The key of each action of the competition's life.
_KEYS = {
    b.key: b.action
    for b in CompetitionDetailScreen.BINDINGS
    if isinstance(b, Binding) and b.action in ALLOWED
}
_WHEN = {
    "edit": "only a draft is edited",
    "issue": "only a draft is issued",
    "compliance": "compliance is set once the opening is recorded, until the award",
    "compare": "a draft has no offers to compare",
}


def refusal(action: str, record: CompetitionRecord) -> str:
    """Why `action` may not run in `record`'s (effective) status."""
    c, status = record.detail, record.status
    is_now = f"{c.reference} is {formats.label(status).lower()}"
    before_deadline = status in ("draft", "open")
    ended = status in ("awarded", "ordered", "unsuccessful", "cancelled")
    if action == "record_offer":
        why = (
            "offers are recorded once it is issued"
            if status == "draft"
            else "offers are recorded until the opening"
        )
    elif action == "open_offers":
        if status == "open":
            why = f"the opening is recorded after the deadline {formats.moment(c.deadline)}"
        elif status == "draft":
            why = "it is not issued yet"
        else:
            why = f"the opening was recorded {formats.moment(c.opened_at)}"
    elif action == "award":
        why = (
            "it is awarded once the opening is recorded"
            if not ended
            else "it can no longer be awarded"
        )
    elif action == "unsuccessful":
        why = (
            f"it may be declared unsuccessful after the deadline {formats.moment(c.deadline)}"
            if before_deadline
            else "it has already ended"
        )
    elif action == "cancel_competition":
        why = "its order is placed (R11)" if status == "ordered" else "it has already ended"
    else:
        why = _WHEN.get(action, "not in this status")
    return f"{is_now}: {why}."


def _services(codes, warranty_months: int) -> str:
    """The services asked for, the warranty with its months: "freight, warranty (36 months)"."""
    named = []
    for code in codes:
        text = SERVICE_LABELS.get(code, code)
        if code == "warranty" and warranty_months:
            text += f" ({warranty_months} months)"
        named.append(text)
    return ", ".join(named) or "none"

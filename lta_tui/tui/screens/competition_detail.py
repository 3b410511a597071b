"""One mini-competition: requirement, criteria, invitations, offers (sealed until opened, R5),
award and the resulting order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.record_view import Block, Fields, Heading, Note, Table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse_competitions import CompetitionDetail

SEALED = "sealed"


class CompetitionDetailScreen(DetailScreen):
    SECTION = "competitions"
    NOUN = "competition"
    HELP = (
        "A competition's record. Offer prices stay sealed until the deadline has passed and the "
        "opening is recorded (R5): until then each price reads “sealed”."
    )

    def fetch(self, conn: Connection) -> CompetitionDetail:
        from lta_tui.services.browse_competitions import competition_detail

        return competition_detail(conn, self.record_id, self.app.now())  # R5 on the app's clock

    def describe(self, c: CompetitionDetail) -> list[Block]:
        opened = f"{formats.moment(c.opened_at)}" if not c.sealed else "not yet: offers are sealed"
        fields = [
            ("Agency", c.agency),
            ("Lot", f"{c.lot} · {c.lot_title}"),
            ("Status", formats.label(c.status)),
            ("Destination", c.destination_country),
            ("Evaluation", formats.label(c.evaluation_method)),
            ("Issued", formats.moment(c.issued_at)),
            ("Deadline", formats.moment(c.deadline)),
            ("Opened", opened),
            ("Created by", c.created_by),
        ]
        if c.justification:
            fields.append(("Justification", c.justification))
        if c.cancellation_reason:
            fields.append(("Cancelled because", c.cancellation_reason))
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
                " · ".join(f"{formats.label(k)} {w} %" for k, w in c.criteria)
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
        ]
        if c.sealed and c.offers:
            blocks.append(Note("Sealed: prices are shown once the opening is recorded (R5)."))
        rows, muted = [], set()
        for r, o in enumerate(c.offers):
            price = SEALED if o.total is None else formats.money(o.total, o.currency)
            if o.total is None:
                muted.add((r, 2))
            validity = "late" if o.late else "compliant" if o.compliant else "not compliant"
            rows.append(
                [
                    o.consolidator,
                    o.received_at.strftime("%Y-%m-%d %H:%M"),
                    price,
                    f"{o.delivery_days} d",
                    f"{o.warranty_months} m",
                    validity,
                    o.disqualification_reason or "",
                ]
            )
        blocks.append(
            Table(
                ["Holder", "Received (UTC)", "Total>", "Delivery>", "Warranty>", "Valid", "Note"],
                rows,
                empty="no offers received",
                flex=6,
                drop=(4, 3, 1),
                muted=muted,
            )
        )
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

"""The request for quotation and the evidence pack of a mini-competition (issue 4, points 2 and
7), in Markdown and XLSX: what they hold at each stage, and that no price of a sealed offer gets
into either (R5), in any format, audit trail included.

The competition is run through the competition service (save, issue, record the offers, open,
evaluate, award) with the offers of `tests/test_competition_compare.py` (distinctive prices)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from lta_tui.domain.rules import Refused
from lta_tui.exports.markdown import render
from lta_tui.services.competition_compare import comparison
from lta_tui.services.competition_documents import (
    CompetitionNotFound,
    UnknownExport,
    competition_agency,
    competition_id,
    default_filename,
    evidence_pack,
    export,
    format_of,
    request_for_quotation,
)
from lta_tui.services.competitions import (
    CompetitionInput,
    OfferInput,
    RequirementInput,
    award_competition,
    evaluate_competition,
    issue_competition,
    open_offers,
    record_offer,
    save_competition,
)
from lta_tui.services.orders import Actor
from lta_tui.store.models import Offer, OfferLine, Order
from tests.test_competition_compare import (
    AFTER_DEADLINE,
    BEFORE_DEADLINE,
    BIDS,
    DEADLINE,
    LINES,
    OPENED,
    RULES,
    SEALED_NEEDLES,
    WEIGHTS,
    build,
    open_rows,
)

D = Decimal
ANA = Actor("Ana Ruiz", "UNDP", "focal_point")
ISSUE = datetime(2026, 11, 2, 9, 0, tzinfo=DEADLINE.tzinfo)
AWARD = OPENED + timedelta(hours=2)
JUSTIFICATION = "CONS-B cannot deliver to Dhaka before the rainy season | see memo =A1"


def competition_input() -> CompetitionInput:
    return CompetitionInput(
        agency="UNDP",
        lot=2,
        title="Laptops and monitors for Bangladesh | field offices",
        destination_country="BD",
        deadline=DEADLINE,
        fx_rate_date=datetime(2026, 11, 1).date(),
        evaluation_method="weighted",
        weights=WEIGHTS,
        lines=tuple(
            RequirementInput(text, unspsc, qty, "each", spec) for text, spec, qty, unspsc in LINES
        ),
        needs_freight=True,
        needs_installation=True,
        warranty_months=36,
    )


def offer_input(bid) -> OfferInput:
    return OfferInput(
        consolidator=bid.code,
        received_at=bid.received_at,
        currency=bid.currency,
        line_prices=bid.prices,
        services=(("freight", bid.freight), ("installation_support", bid.installation)),
        delivery_days=bid.delivery_days,
        warranty_months=bid.warranty_months,
        valid_until=datetime(2027, 2, 28).date(),
        takes_back_equipment=bid.takes_back,
        energy_label=bid.energy_label,
    )


def run(engine, until: str) -> tuple[int, int]:
    """The competition through the service up to `until` ("offers", "opened", "evaluated",
    "awarded"): (id, version)."""
    saved = save_competition(engine, competition_input(), ANA, RULES, now=ISSUE)
    saved = issue_competition(engine, saved.id, ANA, RULES, now=ISSUE, expected_version=1)
    for bid in BIDS:
        saved = record_offer(
            engine, saved.id, offer_input(bid), ANA, RULES,
            now=bid.received_at + timedelta(hours=1), expected_version=saved.version,
        )  # fmt: skip
    if until == "offers":
        return saved.id, saved.version
    saved = open_offers(engine, saved.id, ANA, now=OPENED, expected_version=saved.version)
    if until == "opened":
        return saved.id, saved.version
    if until == "evaluated":
        saved = evaluate_competition(
            engine, saved.id, ANA, RULES, now=OPENED, expected_version=saved.version
        )
        return saved.id, saved.version
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=AWARD, expected_version=saved.version,
        justification=JUSTIFICATION,
    )  # fmt: skip
    return result.competition.id, result.competition.version


def xlsx_cells(path: Path) -> list:
    book = openpyxl.load_workbook(path)
    return [c for sheet in book for row in sheet.iter_rows() for c in row]


def xlsx_text(path: Path) -> str:
    return "\n".join(str(c.value) for c in xlsx_cells(path) if c.value is not None)


def assert_sealed(text: str) -> None:
    leaked = [n for n in SEALED_NEEDLES if n in text]
    assert not leaked, f"sealed prices {leaked} exported"


# --- R5 in every export ------------------------------------------------------------------------


@pytest.mark.parametrize("now", [BEFORE_DEADLINE, AFTER_DEADLINE], ids=["open", "deadline-passed"])
def test_no_sealed_price_in_any_document_or_format(engine, tmp_path, now):
    comp_id, _ = run(engine, "offers")
    with engine.connect() as conn:
        pack = evidence_pack(conn, comp_id, now, RULES)
        rfq = request_for_quotation(conn, comp_id)
        for kind in ("rfq", "evidence"):
            for fmt in ("md", "xlsx"):
                export(conn, comp_id, kind, fmt, tmp_path / f"{kind}.{fmt}", now, RULES)
    for document in (pack, rfq):
        assert_sealed(repr(document))
        assert_sealed(render(document))
    for kind in ("rfq", "evidence"):
        assert_sealed((tmp_path / f"{kind}.md").read_text(encoding="utf-8"))
        assert_sealed(xlsx_text(tmp_path / f"{kind}.xlsx"))
        numbers = [
            c.value for c in xlsx_cells(tmp_path / f"{kind}.xlsx") if isinstance(c.value, float)
        ]
        assert not any(abs(v) >= 79 and v != int(v) for v in numbers), numbers  # no money
    text = render(pack)
    assert "Not opened: offers are sealed" in text
    # who answered and when, in the order received, without prices
    received = text[text.index("### Offers received") :]
    assert (
        received.index("| CONS-B |") < received.index("| CONS-C |") < received.index("| CONS-A |")
    )
    assert "record offer" in text and "(sealed)" in text  # the audit trail, hashes masked
    assert '"price":60,' in text  # the criteria weights are published, never masked


def test_the_sealed_checks_would_see_prices_once_opened(engine, tmp_path):
    """The needles are not vacuous: the same exports carry them after the opening."""
    comp_id, _ = run(engine, "opened")
    with engine.connect() as conn:
        export(conn, comp_id, "evidence", "md", tmp_path / "e.md", AFTER_DEADLINE, RULES)
        export(conn, comp_id, "evidence", "xlsx", tmp_path / "e.xlsx", AFTER_DEADLINE, RULES)
    text = (tmp_path / "e.md").read_text(encoding="utf-8")
    assert "1,009.99" in text and "52,473.43" in text and "7,941,493" in text
    numbers = {c.value for c in xlsx_cells(tmp_path / "e.xlsx")}
    assert 1009.99 in numbers and 52473.43 in numbers and 7941493 in numbers


def test_request_for_quotation_never_holds_a_price(engine):
    comp_id, _ = run(engine, "awarded")
    with engine.connect() as conn:
        text = render(request_for_quotation(conn, comp_id))
    assert_sealed(text)
    assert "Request for quotation · UNDP-MC-2026-001" in text
    for expected in (
        "- **Agency:** UNDP · United Nations Development Programme",
        "- **Lot:** 2 · ",
        "- **Destination:** BD · Bangladesh",
        "- **Deadline for offers:** 2026-11-12 12:00 UTC",
        "- **Evaluation method:** weighted criteria",
        "| Price | 60 |",
        "| Past performance | 5 |",
        "Price (60 points) = 60 × lowest landed total in USD among the valid offers ÷ this"
        " offer's landed total in USD",
        # in USD line by line, as the order from the award converts its lines (R20)
        "In USD, as an order converts its lines: each line amount and each service price"
        " converted at the UN operational rate of exchange in force on 2026-11-01 (the latest"
        " effective on or before that day) and rounded to the cent, then summed.",
        "| 1 | Laptop 14in [std] \\| i7 | 16 GB RAM, 512 GB SSD | 40 | each | 43211503 |",
        '| 3 | Docking station | \'=HYPERLINK("x") | 10 | each | 43211603 |',
        "Transportation/freight to destination; Installation at destination and technical"
        " support; Warranty support (36 months).",
        "- the price of Transportation/freight to destination",
        "- the price of Warranty support (36 months), if charged separately",
        "- the delivery time in days to the destination",
        "3 holders of lot 2 are invited to make an offer.",
    ):
        assert expected in text, expected
    # no holder learns who it competes with (a bid-rigging risk): no code, no name
    for code in ("CONS-A", "CONS-B", "CONS-C", "CONS-D", "Consolidator A"):
        assert code not in text, code


def test_lowest_price_rfq_states_its_simpler_formula(engine):
    comp = dataclasses.replace(competition_input(), evaluation_method="lowest_price", weights=())
    saved = save_competition(engine, comp, ANA, RULES, now=ISSUE)
    with engine.connect() as conn:
        text = render(request_for_quotation(conn, saved.id))
    assert "Method: lowest price, technically compliant." in text
    assert "no weights: lowest price, technically compliant (price 100)" in text


# --- the evidence pack of an awarded competition -----------------------------------------------


def test_evidence_pack_follows_the_competition_to_its_order(engine):
    comp_id, _ = run(engine, "awarded")
    with engine.connect() as conn:
        pack = evidence_pack(conn, comp_id, AWARD, RULES)
        po = conn.execute(select(Order.po_number, Order.total_usd)).one()
    text = render(pack)
    titles = [s.title for s in pack.sections]
    assert titles == [
        "Competition", "Criteria and scoring", "Requirement", "Invitations and exclusions",
        "Opening", "Offers", "Comparison", "Warnings and justifications", "Award",
        "Resulting order", "Offer content hashes", "Audit trail",
    ]  # fmt: skip
    for expected in (
        "- **Issued:** 2026-11-02 09:00 UTC",
        "- **Response time:** 8 working days",
        "- **Opened:** 2026-11-12 14:00 UTC",
        "- **Opened by:** Ana Ruiz",
        # bid abstract, in the order received, with the hash check
        "| CONS-B | EUR | 46,562.56 | no | matches |",
        "| CONS-C | JPY | 7,941,493 | no | matches |",
        "| CONS-A | USD | 52,473.43 | no | matches |",
        # landed totals in their currency and in USD, by rank
        "| CONS-B | EUR | 43,463.80 | 1,987.65 | 1,111.11 |  | 46,562.56 | 0.8579 | 2026-11-01"
        " | 54,275.04 | no |",
        "| CONS-C | JPY | 7,397,050 | 345,678 | 198,765 |  | 7,941,493 | 151.75 | 2026-11-01"
        " | 52,332.74 | no |",
        "| 1 | Laptop 14in [std] \\| i7 | 40 | CONS-A | USD | 1,009.99 | 40,399.60 | lowest |",
        "| CONS-B | 57.85 | 15.00 | 10.00 | 5.00 | 3.13 | 90.98 | 1 |",
        "| CONS-A | 59.84 | 10.50 | 7.50 | 10.00 | 3.13 | 90.97 | 2 |",
        "| CONS-C | 60.00 | 7.00 | 7.50 | 0.00 | 3.13 | 77.63 | 3 |",
        "Figures as stored at the evaluation (2026-11-12 16:00 UTC by Ana Ruiz).",
        "- **Awarded to:** CONS-A · Consolidator A",
        "- **Rank:** 2",
        "- **Decided:** 2026-11-12 16:00 UTC",
        "- **Justification:** " + JUSTIFICATION,
        f"| {po.po_number} | 2026-11-12 | draft | USD | 52,473.43 | 52,473.43 |",
        "| competition 1 | open |",
        "| competition 1 | evaluate |",
        "| competition 1 | award |",
    ):
        assert expected in text, expected
    assert po.total_usd == D("52473.43")
    assert "| order " in text and "| create |" in text  # the order's own audit event
    with engine.connect() as conn:
        hashes = conn.execute(select(Offer.content_hash)).scalars().all()
    assert all(h in text for h in hashes) and len(hashes) == 3


def test_stored_figures_equal_those_shown_before_the_evaluation(engine):
    """What the comparison computes live after the opening is what the evaluation stores."""
    comp_id, version = run(engine, "opened")
    with engine.connect() as conn:
        live = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    evaluate_competition(engine, comp_id, ANA, RULES, now=AFTER_DEADLINE, expected_version=version)
    with engine.connect() as conn:
        stored = comparison(conn, comp_id, AFTER_DEADLINE, RULES)
    assert not live.stored and stored.stored

    def figures(c):
        return [(o.consolidator, o.total, o.units_per_usd, o.rate_date, o.total_usd,
                 o.past_performance, o.criteria, o.score, o.rank) for o in c.offers]  # fmt: skip

    assert figures(live) == figures(stored)
    assert [o.rank for o in stored.offers] == [1, 2, 3]


def test_evidence_pack_shows_a_changed_offer_and_warnings(engine):
    comp_id = build(engine)
    with engine.begin() as conn:  # CONS-A's price edited behind the service's back
        offer_id = conn.execute(
            select(Offer.id).where(Offer.received_at == BIDS[2].received_at)
        ).scalar_one()
        conn.execute(
            update(OfferLine).where(OfferLine.offer_id == offer_id).values(unit_price=D("1.00"))
        )
    open_rows(engine, comp_id)
    with engine.connect() as conn:
        text = render(evidence_pack(conn, comp_id, AFTER_DEADLINE, RULES))
    # goods 40 + 40 + 10 at 1.00, freight 2,345.67, installation 1,234.56
    assert "| CONS-A | USD | 3,670.23 | no | DIFFERS: content changed after receipt |" in text
    # the changed offer is now far under the median (54,275.04 / 52,332.74 / 3,670.23 USD)
    assert "- R9: CONS-A's offer 3,670.23 USD is 93.0 % under the median 52,332.74 USD" in text
    assert "Not awarded." in text


def test_evidence_pack_of_a_justified_single_offer(engine):
    bids = (dataclasses.replace(BIDS[0], compliant=False, reason="no energy label"), BIDS[1],
            dataclasses.replace(BIDS[2], late=True))  # fmt: skip
    comp_id = build(engine, bids, opened=True, justification="only one holder ships to Cox's Bazar")
    with engine.connect() as conn:
        text = render(evidence_pack(conn, comp_id, AFTER_DEADLINE, RULES))
    assert (
        "R8: 1 valid offer(s) against a minimum of 2; justification recorded: only one holder"
        " ships to Cox's Bazar"
    ) in text
    assert "| excluded: late (R6) |" in text
    assert (
        "| CONS-D | Consolidator D | left out | its holding of lot 2 ended on 2025-12-31 |" in text
    )
    assert "| excluded: not compliant: no energy label |" in text


# --- files ---------------------------------------------------------------------------------------


def test_xlsx_export_keeps_numbers_numbers_and_neutralises_formulas(engine, tmp_path):
    comp_id, _ = run(engine, "awarded")
    with engine.connect() as conn:
        path = export(conn, comp_id, "evidence", "xlsx", tmp_path / "pack.xlsx", AWARD, RULES)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "Summary"
    assert {"Landed totals", "Line prices", "Scores and ranks", "Audit trail"} <= set(
        book.sheetnames
    )
    landed = book["Landed totals"]
    header = [c.value for c in landed[1]]
    row = {header[i]: c for i, c in enumerate(landed[3])}  # rank 2: CONS-A
    assert row["Consolidator"].value == "CONS-A"
    assert row["Total USD"].value == 52473.43 and row["Total USD"].number_format == "#,##0.00"
    jpy = {header[i]: c for i, c in enumerate(landed[4])}
    assert jpy["Landed total"].value == 7941493 and jpy["Landed total"].number_format == "#,##0"
    texts = [c.value for c in xlsx_cells(path) if isinstance(c.value, str)]
    assert '\'=HYPERLINK("x")' in texts  # the specification, neutralised
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert any(t.startswith("CONS-B cannot deliver") for t in texts)


def test_export_writes_markdown_and_refuses_unknown_kinds(engine, tmp_path):
    comp_id, _ = run(engine, "offers")
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    with engine.connect() as conn:
        path = export(conn, comp_id, "rfq", "md", tmp_path / "rfq.md", BEFORE_DEADLINE, RULES)
        assert path.read_text(encoding="utf-8").startswith("# Request for quotation")
        with pytest.raises(UnknownExport):
            export(conn, comp_id, "offers", "md", tmp_path / "x.md", BEFORE_DEADLINE, RULES)
        with pytest.raises(UnknownExport):
            export(conn, comp_id, "rfq", "pdf", tmp_path / "x.pdf", BEFORE_DEADLINE, RULES)
        with pytest.raises(FileNotFoundError):  # a folder that does not exist
            export(conn, comp_id, "rfq", "md", tmp_path / "no" / "x.md", BEFORE_DEADLINE, RULES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rfq.md"]
    assert default_filename("UNDP-MC-2026-001", "evidence", "xlsx") == (
        "UNDP-MC-2026-001-evidence.xlsx"
    )
    assert default_filename("A/B MC 1", "rfq", "md") == "A_B_MC_1-rfq.md"


def test_refused_service_calls_do_not_reach_the_documents(engine):
    """Sanity of the setup: recording an offer after the opening is refused by the service."""
    comp_id, version = run(engine, "opened")
    with pytest.raises(Refused):
        record_offer(
            engine, comp_id, offer_input(BIDS[0]), ANA, RULES, now=AFTER_DEADLINE,
            expected_version=version,
        )  # fmt: skip


def test_command_line_helpers_find_the_competition_and_the_format(engine):
    comp_id, _ = run(engine, "offers")
    with engine.connect() as conn:
        assert competition_id(conn, " undp-mc-2026-001 ") == comp_id
        with pytest.raises(CompetitionNotFound):
            competition_id(conn, "UNDP-MC-2026-999")
        assert competition_agency(conn, comp_id) == "UNDP"  # R26 of the command line
        with pytest.raises(CompetitionNotFound):
            competition_agency(conn, comp_id + 1)
    assert format_of("pack.MD") == "md" and format_of("p.xlsx") == "xlsx"
    assert format_of("pack.txt", "md") == "md"
    with pytest.raises(UnknownExport):
        format_of("pack.txt")


def test_evidence_pack_lists_the_warnings_acknowledged_at_the_issue(engine):
    """R4 (W): a short response time acknowledged at the issue is in the pack, with who and when."""
    from datetime import timedelta

    from tests import competition_setup as setup

    saved = setup.draft(engine, deadline=setup.CREATED + timedelta(days=1))
    issue_competition(
        engine, saved.id, setup.ANA, RULES, now=setup.CREATED,
        expected_version=saved.version, acknowledged=("R4",),
    )  # fmt: skip
    with engine.connect() as conn:
        text = render(evidence_pack(conn, saved.id, setup.BEFORE, RULES))
    section = text[text.index("## Warnings and justifications") :]
    assert "R4: holders get 1 working day to answer" in section
    assert "(acknowledged at the issue by Ana Ruiz, 2026-11-02 09:00 UTC)" in section

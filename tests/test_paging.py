"""Keyset pages agree with one full ORDER BY, whatever the sort, direction and filter; the
filter language refuses mistakes with a clear message."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lta_tui.services.order_browse import (
    SPECS,
    FilterError,
    OrderNotFound,
    View,
    Vocabulary,
    browse_query,
    count_rows,
    fetch_page,
    order_detail,
    parse_filter,
)
from lta_tui.store.models import Agency, Order, OrderLine
from lta_tui.store.paging import Always, Sort
from tests.order_rows import insert_orders

ORDERS = 240
PAGE = 41  # prime, so pages never line up with ties


@pytest.fixture(scope="module")
def browse_engine(tmp_path_factory):
    """One database of `ORDERS` orders of 3 lines for the whole module (read-only)."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from tests.conftest import write_config

    cfg = load_config(write_config(tmp_path_factory.mktemp("paging")))
    eng = open_engine(cfg)
    initialise(cfg, eng)
    insert_orders(eng, ORDERS, seed=3)
    yield eng
    eng.dispose()


def reference(engine, view: View, text: str, sort: Sort) -> list[int]:
    """Row ids in the order a plain query sorted in Python gives (the oracle)."""
    spec = SPECS[view]
    column = spec.column(sort.key)
    terms = column.order_by or (column.expr, spec.id)
    exprs = [t.expr if isinstance(t, Always) else t for t in terms]
    where = browse_query(view, parse_filter(text, lines_view=view is View.lines)).where
    stmt = select(spec.id, *exprs).select_from(spec.source).where(*where)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    # Stable sorts from the last term to the first, each in its own direction.
    for i in reversed(range(len(terms))):
        term = terms[i]
        descending = sort.descending
        if isinstance(term, Always):
            descending = term.descending
        rows.sort(key=lambda r, i=i: r[i + 1], reverse=descending)
    return [r[0] for r in rows]


def walk(engine, view: View, text: str, sort: Sort, *, backward: bool) -> list[int]:
    flt = parse_filter(text, lines_view=view is View.lines)
    page = fetch_page(engine, view, flt, sort, "last" if backward else "first", None, PAGE)
    seen: list[list[int]] = []
    while page:
        seen.append([r.id for r in page])
        edge = page[0] if backward else page[-1]
        direction = "before" if backward else "after"
        page = fetch_page(engine, view, flt, sort, direction, edge.key, PAGE)
        assert len(seen) < 1000, "paging does not end"
    if backward:
        seen.reverse()
    return [i for chunk in seen for i in chunk]


CASES = [
    (view, column.key, descending, text)
    for view, texts in (
        (View.orders, ("", "agency:UNDP", "status:issued,draft from:2024-01-15")),
        (View.lines, ("", "cur:EUR", "unspsc:4321")),
    )
    for column in SPECS[view].sortable
    for descending in (False, True)
    for text in texts
]


@pytest.mark.parametrize(("view", "key", "descending", "text"), CASES)
def test_pages_forward_and_backward_match_a_full_order_by(
    browse_engine, view, key, descending, text
):
    sort = Sort(key, descending)
    expected = reference(browse_engine, view, text, sort)
    assert expected, "the filter should match rows"
    assert walk(browse_engine, view, text, sort, backward=False) == expected
    assert walk(browse_engine, view, text, sort, backward=True) == expected
    flt = parse_filter(text, lines_view=view is View.lines)
    assert count_rows(browse_engine, view, flt) == len(expected)


def test_a_page_before_and_after_a_middle_row_are_its_neighbours(browse_engine):
    flt = parse_filter("")
    sort = Sort("usd", descending=True)
    everything = fetch_page(browse_engine, View.orders, flt, sort, "first", None, 10_000)
    middle = everything[100]
    after = fetch_page(browse_engine, View.orders, flt, sort, "after", middle.key, 5)
    before = fetch_page(browse_engine, View.orders, flt, sort, "before", middle.key, 5)
    assert [r.id for r in after] == [r.id for r in everything[101:106]]
    assert [r.id for r in before] == [r.id for r in everything[95:100]]
    last = fetch_page(browse_engine, View.orders, flt, sort, "last", None, 7)
    assert [r.id for r in last] == [r.id for r in everything[-7:]]


def test_an_empty_result_pages_to_nothing(browse_engine):
    flt = parse_filter("year:1999")
    assert fetch_page(browse_engine, View.orders, flt, Sort("po"), "first", None, 10) == []
    assert fetch_page(browse_engine, View.orders, flt, Sort("po"), "last", None, 10) == []
    assert count_rows(browse_engine, View.orders, flt) == 0


def test_only_indexed_columns_sort():
    with pytest.raises(ValueError, match="not sortable"):
        SPECS[View.orders].query(Sort("agency"))


def test_rows_are_display_ready_tuples(browse_engine):
    page = fetch_page(browse_engine, View.lines, parse_filter(""), Sort("usd"), "first", None, 3)
    row = page[0]
    assert isinstance(row, tuple) and all(isinstance(c, str) for c in row.cells)
    usd = row.cells[[c.key for c in SPECS[View.lines].columns].index("usd")]
    assert usd.replace(",", "").replace(".", "").isdigit() and usd[-3] == "."


# --- what the filters select ---------------------------------------------------------------


def _orders(engine, text: str, view: View = View.orders) -> list:
    flt = parse_filter(text, lines_view=view is View.lines)
    return fetch_page(engine, view, flt, Sort("po"), "first", None, 100_000)


def test_filters_select_what_they_say(browse_engine):
    columns = [c.key for c in SPECS[View.orders].columns]
    cell = {k: i for i, k in enumerate(columns)}
    undp = _orders(browse_engine, "agency:undp")
    with browse_engine.connect() as conn:
        undp_id = conn.execute(select(Agency.id).where(Agency.code == "UNDP")).scalar_one()
        expected = conn.execute(select(Order.id).where(Order.agency_id == undp_id)).all()
    assert len(undp) == len(expected) > 0
    assert {r.cells[cell["agency"]] for r in undp} == {"UNDP"}
    both = _orders(browse_engine, "cur:EUR,KES status:issued")
    assert both and {r.cells[cell["cur"]] for r in both} <= {"EUR", "KES"}
    assert {r.cells[cell["status"]] for r in both} == {"issued"}
    dated = _orders(browse_engine, "from:2024-01-10 to:2024-01-20")
    assert dated and all("2024-01-10" <= r.cells[cell["date"]] <= "2024-01-20" for r in dated)
    assert _orders(browse_engine, "year:2024") == _orders(browse_engine, "")
    assert [r.cells[0] for r in _orders(browse_engine, "po-0012")] == [
        f"PO-{n:05d}" for n in range(120, 130)
    ]
    assert [r.cells[0] for r in _orders(browse_engine, "PO-0023")] == [
        f"PO-{n:05d}" for n in range(230, 240)
    ]
    lines = _orders(browse_engine, "unspsc:4321", View.lines)
    unspsc = [c.key for c in SPECS[View.lines].columns].index("unspsc")
    assert lines and all(r.cells[unspsc].startswith("4321") for r in lines)


def test_po_prefix_wildcards_are_literal(browse_engine):
    assert _orders(browse_engine, "PO-0_") == []
    assert _orders(browse_engine, "PO-%") == []


# --- filter errors ---------------------------------------------------------------------------


KNOWN = Vocabulary(frozenset({"UNDP", "UNICEF"}), frozenset({"CONS-A"}), frozenset({1, 2}))


@pytest.mark.parametrize(
    ("text", "lines_view", "message"),
    [
        ("colour:red", False, "unknown filter colour:"),
        ("unspsc:4321", False, "only in the lines view"),
        ("status:shipped", False, "no status 'shipped'"),
        ("channel:email", False, "no channel 'email'"),
        ("cur:EURO", False, "not a 3-letter ISO 4217 code"),
        ("country:KEN", False, "not a 2-letter ISO 3166 code"),
        ("from:2024-13-01", False, "not a date"),
        ("year:24", False, "not a year"),
        ("from:2024-02-01 to:2024-01-01", False, "is after"),
        ("agency:", False, "needs a value"),
        ("agency:UNPD", False, "no agency 'UNPD'"),
        ("cons:CONS-Z", False, "no consolidator 'CONS-Z'"),
        ("lot:7", False, "no lot 7"),
        ("lot:two", False, "not a lot number"),
        ("unspsc:43a1", True, "not a UNSPSC code prefix"),
    ],
)
def test_filter_mistakes_are_explained(text, lines_view, message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        parse_filter(text, lines_view=lines_view, known=KNOWN)


def test_filter_words_combine():
    flt = parse_filter(
        "PO-2024 agency:undp,UNICEF cons:CONS-A lot:1 status:Issued channel:competition "
        "cur:eur country:ke year:2024 from:2024-03-01 unspsc:4321",
        lines_view=True,
        known=KNOWN,
    )
    assert flt.po_prefixes == ("PO-2024",)
    assert flt.agencies == ("UNDP", "UNICEF")
    assert flt.consolidators == ("CONS-A",) and flt.lots == (1,)
    assert flt.statuses == ("issued",) and flt.channels == ("mini_competition",)
    assert flt.currencies == ("EUR",) and flt.countries == ("KE",)
    assert (flt.date_from, flt.date_to) == (date(2024, 3, 1), date(2024, 12, 31))
    assert flt.unspsc == ("4321",) and flt.touches_orders
    assert not parse_filter("unspsc:43", lines_view=True).touches_orders
    assert parse_filter("  ").is_empty


# --- one order in full -----------------------------------------------------------------------


def test_order_detail_has_header_and_lines(browse_engine):
    with browse_engine.connect() as conn:
        order_id = conn.execute(select(Order.id).order_by(Order.id).limit(1)).scalar_one()
        n_lines = len(
            conn.execute(select(OrderLine.id).where(OrderLine.order_id == order_id)).all()
        )
    detail = order_detail(browse_engine, order_id)
    assert detail.po_number == f"PO-{order_id:05d}"
    assert len(detail.lines) == n_lines == 3
    assert [x.line_no for x in detail.lines] == [1, 2, 3]
    assert sum(x.amount for x in detail.lines) == detail.total
    assert detail.deliveries == () and detail.amendments == () and detail.history == ()
    with pytest.raises(OrderNotFound):
        order_detail(browse_engine, 10**9)

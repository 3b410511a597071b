"""The content hash of an offer: sha256 of a canonical JSON, stable across time zones and
sensitive to every field of the content."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lta_tui.domain.offer_hash import OfferContent, canonical_json, offer_hash

D = Decimal
CONTENT = OfferContent(
    competition="UNDP-MC-2026-004",
    consolidator="ACME",
    currency="EUR",
    received_at=datetime(2026, 3, 2, 9, 15, 30),
    delivery_days=21,
    warranty_months=36,
    valid_until=date(2026, 6, 30),
    takes_back_equipment=True,
    energy_label=False,
    line_prices=(D("812.5"), D("240")),
    services=(("freight", D("1250.00")), ("installation_support", D("990.13"))),
)


def test_the_canonical_json_has_sorted_keys_no_spaces_and_prices_in_the_currency_decimals():
    assert canonical_json(CONTENT) == (
        '{"competition":"UNDP-MC-2026-004","consolidator":"ACME","currency":"EUR",'
        '"delivery_days":21,"energy_label":false,'
        '"lines":[{"line_no":1,"unit_price":"812.50"},{"line_no":2,"unit_price":"240.00"}],'
        '"received_at":"2026-03-02T09:15:30Z",'
        '"services":[{"price":"1250.00","service":"freight"},'
        '{"price":"990.13","service":"installation_support"}],'
        '"takes_back_equipment":true,"valid_until":"2026-06-30","warranty_months":36}'
    )
    expected = hashlib.sha256(canonical_json(CONTENT).encode("utf-8")).hexdigest()
    assert offer_hash(CONTENT) == expected and len(expected) == 64


def test_an_aware_receipt_time_hashes_as_the_same_moment_in_utc():
    in_geneva = datetime(2026, 3, 2, 10, 15, 30, tzinfo=timezone(timedelta(hours=1)))
    assert offer_hash(dataclasses.replace(CONTENT, received_at=in_geneva)) == offer_hash(CONTENT)


def test_prices_are_written_with_the_currency_decimals():
    yen = dataclasses.replace(CONTENT, currency="JPY", line_prices=(D("150000.0000"),), services=())
    assert '"unit_price":"150000"' in canonical_json(yen)
    assert offer_hash(dataclasses.replace(yen, line_prices=(D(150000),))) == offer_hash(yen)


def test_no_validity_is_null_and_text_is_kept_as_unicode():
    text = canonical_json(dataclasses.replace(CONTENT, valid_until=None, consolidator="ÉLAN"))
    assert '"valid_until":null' in text and '"consolidator":"ÉLAN"' in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("competition", "UNDP-MC-2026-005"),
        ("consolidator", "BETA"),
        ("currency", "USD"),
        ("received_at", datetime(2026, 3, 2, 9, 15, 31)),
        ("delivery_days", 22),
        ("warranty_months", 24),
        ("valid_until", date(2026, 7, 1)),
        ("takes_back_equipment", False),
        ("energy_label", True),
        ("line_prices", (D("812.51"), D("240"))),
        ("line_prices", (D("240"), D("812.5"))),
        ("services", (("freight", D("1250.01")), ("installation_support", D("990.125")))),
        ("services", (("freight", D("1250.00")),)),
    ],
)
def test_any_change_of_the_content_changes_the_hash(field, value):
    assert offer_hash(dataclasses.replace(CONTENT, **{field: value})) != offer_hash(CONTENT)


def test_a_price_finer_than_the_minor_unit_is_hashed_with_all_its_digits():
    """Rounding such a price would let a change in its last digits go unseen at the opening."""
    lines = CONTENT.line_prices[1:]
    finer = dataclasses.replace(CONTENT, line_prices=(Decimal("905.4312"), *lines))
    changed = dataclasses.replace(finer, line_prices=(Decimal("905.4349"), *lines))
    assert '"unit_price":"905.4312"' in canonical_json(finer)
    assert offer_hash(finer) != offer_hash(changed)

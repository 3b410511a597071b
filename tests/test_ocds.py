"""The OCDS release package (issue 5, point 7): valid against the OCDS 1.1 release-package
schema of tests/data/ocds with no network, each release valid against the release schema
patched with the extensions it uses, and what it says: the framework first stage, one process
per mini-competition and per direct order linked to it, competitive true/false, bids only of
opened competitions (R5), exact amounts, the agency scope (R26) and the command line."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from lta_tui.domain.money import quantum, round_money
from lta_tui.domain.states import Channel, CompetitionStatus, OrderStatus
from lta_tui.exports.ocds import dumps, number_text, write_package
from lta_tui.services.ocds import (
    EXTENSIONS,
    OcdsError,
    OcdsFilter,
    delivered_values,
    iter_releases,
    package_header,
    release_package,
)
from lta_tui.store.models import MiniCompetition, Offer, OfferLine, Order, RequirementLine
from tests.conftest import DEMO_UNTIL, ROOT, write_config

#: The OCDS 1.1.5 schemas and extension patches, kept with the tests (from ../shared/ocds) so the
#: validation runs offline wherever the repository is cloned.
OCDS_DIR = ROOT / "tests" / "data" / "ocds"
RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
NOW = datetime.combine(DEMO_UNTIL, datetime.min.time(), tzinfo=timezone.utc).replace(hour=12)

# --- schemas, offline ------------------------------------------------------------------------


def _schema(*parts: str) -> dict:
    return json.loads(OCDS_DIR.joinpath(*parts).read_text(encoding="utf-8"))


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch: how an OCDS extension's release-schema.json patches the core."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _format_checker():
    """Draft 4 format checks, with date-time and uri checked without optional packages."""
    from urllib.parse import urlsplit

    from jsonschema import Draft4Validator, FormatChecker

    checker = FormatChecker(Draft4Validator.FORMAT_CHECKER.checkers)

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    @checker.checks("uri")
    def _uri(value) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme)

    return checker


class _Offline:
    """The registry's retrieval: refuses every URL (and records it)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, uri: str):
        from referencing.exceptions import NoSuchResource

        self.asked.append(uri)
        raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def validators():
    """(package validator, patched release validator, offline registry)."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    release_schema = _schema("1.1", "release-schema.json")
    offline = _Offline()
    registry = Registry(retrieve=offline).with_resource(
        RELEASE_URL, Resource.from_contents(release_schema, default_specification=DRAFT4)
    )
    checker = _format_checker()
    package = Draft4Validator(
        _schema("1.1", "release-package-schema.json"), registry=registry, format_checker=checker
    )
    patched = release_schema
    for name in EXTENSIONS:
        patched = merge_patch(patched, _schema("extensions", name, "release-schema.json"))
    release = Draft4Validator(patched, registry=registry, format_checker=checker)
    return package, release, (registry, offline)


@pytest.fixture(scope="module")
def package(demo_db) -> dict:
    """The Working Group's package of the demo data, as written to a file and read back."""
    cfg, engine = demo_db
    with engine.connect() as conn:
        built = release_package(conn, cfg, NOW)
    return json.loads(dumps(built), parse_float=Decimal)


@pytest.fixture(scope="module")
def by_ocid(package) -> dict[str, dict]:
    return {r["ocid"]: r for r in package["releases"]}


def _errors(validator, instance) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ][:5]


def _json_ready(value):
    """Decimals read back with parse_float as numbers jsonschema accepts (no float rounding
    matters for validation)."""
    return json.loads(json.dumps(value, default=float))


# --- validation ------------------------------------------------------------------------------


def test_package_validates_against_the_release_package_schema_offline(
    package, validators, monkeypatch
):
    validator, _, (_, offline) = validators

    def no_network(*args, **kwargs):
        raise AssertionError("validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    started = time.perf_counter()
    assert _errors(validator, _json_ready(package)) == []
    elapsed = time.perf_counter() - started
    assert offline.asked == []
    print(f"package: {len(package['releases'])} releases validated in {elapsed:.1f} s")


def test_validation_really_is_offline(validators):
    """A reference to a URL not mapped locally fails instead of being downloaded."""
    from jsonschema import Draft4Validator
    from referencing.exceptions import Unresolvable

    _, _, (registry, offline) = validators
    schema = {"$ref": "https://standard.open-contracting.org/schema/1__1__4/release-schema.json"}
    with pytest.raises(Unresolvable):
        Draft4Validator(schema, registry=registry).validate({})
    assert offline.asked


def test_each_release_validates_against_the_schema_patched_with_the_extensions(package, validators):
    _, validator, _ = validators
    bad = {}
    for release in _json_ready(package["releases"]):
        errors = _errors(validator, release)
        if errors:
            bad[release["ocid"]] = errors
    assert bad == {}


def test_patched_schema_checks_extension_fields(package, validators):
    """The patched schema knows the extension fields: a bad bid status or a non-boolean
    `competitive` is refused (the core schema alone would let both through)."""
    _, validator, _ = validators
    release = _json_ready(next(r for r in package["releases"] if r.get("bids")))
    release["bids"]["details"][0]["status"] = "sealed"
    release["tender"]["competitive"] = "yes"
    messages = " ".join(_errors(validator, release))
    assert "'sealed' is not one of" in messages
    assert "'yes' is not of type" in messages


def test_merge_patch_follows_rfc_7386():
    assert merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == {
        "a": "z",
        "c": {"d": "e"},
    }
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge_patch({"a": 1}, {"b": {"c": None}}) == {"a": 1, "b": {}}


def test_package_metadata(package):
    assert package["version"] == "1.1"
    assert package["publisher"]["name"]
    assert package["publishedDate"].endswith("Z")
    assert sorted(package["extensions"]) == sorted(EXTENSIONS.values())
    for name in EXTENSIONS:  # each extension used is one of tests/data/ocds/extensions
        assert (OCDS_DIR / "extensions" / name / "extension.json").is_file()


# --- content ---------------------------------------------------------------------------------


def test_framework_first_stage_comes_first(package, demo_db):
    cfg, engine = demo_db
    first = package["releases"][0]
    assert first["ocid"] == f"{cfg.ocds.ocid_prefix}-{cfg.lta.reference}"
    assert first["tag"] == ["tender", "award"]
    tender = first["tender"]
    assert tender["techniques"]["hasFrameworkAgreement"] is True
    assert [lot["id"] for lot in tender["lots"]] == ["1", "2", "3", "4", "5"]
    assert {item["relatedLot"] for item in tender["items"]} == {"1", "2", "3", "4", "5"}
    assert all(
        item["classification"]["scheme"] == "UNSPSC"
        and re.fullmatch(r"\d{8}", item["classification"]["id"])
        for item in tender["items"]
    )
    # one award per holder, with the lots it holds (demo: A 1,2,3,5; B 1,2,4; C 2,3,4,5; D 1,2,5)
    held = {a["suppliers"][0]["id"]: a["relatedLots"] for a in first["awards"]}
    assert held == {
        "CONS-A": ["1", "2", "3", "5"],
        "CONS-B": ["1", "2", "4"],
        "CONS-C": ["2", "3", "4", "5"],
        "CONS-D": ["1", "2", "5"],
    }
    suppliers = {p["id"]: p["roles"] for p in first["parties"]}
    assert all("supplier" in suppliers[code] for code in held)
    assert "lot 2 held until 2025-12-31" in next(
        a["description"] for a in first["awards"] if a["suppliers"][0]["id"] == "CONS-D"
    )


def test_one_process_per_competition_and_direct_order_linked_to_the_framework(package, demo_db):
    cfg, engine = demo_db
    framework = package["releases"][0]["ocid"]
    prefix = cfg.ocds.ocid_prefix
    with engine.connect() as conn:
        competitions = set(
            conn.execute(
                select(MiniCompetition.reference).where(
                    MiniCompetition.status != CompetitionStatus.draft.value
                )
            ).scalars()
        )
        orders = set(
            conn.execute(
                select(Order.po_number).where(
                    Order.channel == Channel.direct.value,
                    Order.status != OrderStatus.draft.value,
                )
            ).scalars()
        )
    expected = {f"{prefix}-{ref}" for ref in competitions | orders}
    rest = package["releases"][1:]
    assert {r["ocid"] for r in rest} == expected
    assert len(rest) == len(expected)
    for release in rest:
        [link] = release["relatedProcesses"]
        assert link["relationship"] == ["framework"]
        assert (link["scheme"], link["identifier"]) == ("ocid", framework)
        assert link["relatedLots"] == [lot["id"] for lot in release["tender"]["lots"]]
        competitive = release["ocid"].removeprefix(prefix + "-") in competitions
        assert release["tender"]["competitive"] is competitive
        assert len(set(release["tag"])) == len(release["tag"])
        if not competitive:  # a direct order: award, contract (and implementation once delivered)
            assert release["tag"][:2] == ["award", "contract"]


def _sealed_figures(conn) -> tuple[set[str], set[str]]:
    """(unit prices, goods totals) of the offers of unopened competitions, as JSON number
    text (to the currency's minor unit, and without trailing zeros)."""
    rows = conn.execute(
        select(Offer.id, Offer.currency, OfferLine.unit_price, RequirementLine.quantity)
        .join(OfferLine, OfferLine.offer_id == Offer.id)
        .join(RequirementLine, RequirementLine.id == OfferLine.requirement_line_id)
        .join(MiniCompetition, MiniCompetition.id == Offer.competition_id)
        .where(MiniCompetition.opened_at.is_(None))
    ).all()  # fmt: skip
    goods: dict[int, Decimal] = {}
    prices = set()
    for offer_id, currency, price, quantity in rows:
        goods[offer_id] = goods.get(offer_id, Decimal(0)) + round_money(price * quantity, currency)
        prices |= {price.quantize(quantum(currency)), price.normalize()}
    totals = set(goods.values()) | {g.normalize() for g in goods.values()}
    return {number_text(f) for f in prices}, {number_text(f) for f in totals}


def _numbers_in(figures: set[str], text: str) -> list[str]:
    return sorted(f for f in figures if re.search(rf"[:,\[]\s*{re.escape(f)}\s*[,}}\]]", text))


def test_bids_only_for_opened_competitions(package, demo_db):
    """R5: a sealed competition (closed, or open, no opening recorded) has no bids and no
    award; no goods total of its offers appears anywhere in the package, nor any of their unit
    prices in a competition's release (direct orders may buy at the same catalogue prices);
    an opened competition lists every offer."""
    cfg, engine = demo_db
    prefix = cfg.ocds.ocid_prefix
    with engine.connect() as conn:
        comps = conn.execute(
            select(MiniCompetition.id, MiniCompetition.reference, MiniCompetition.opened_at)
            .where(MiniCompetition.status != CompetitionStatus.draft.value)
        ).all()  # fmt: skip
        offers = {
            c.id: conn.execute(select(Offer.id).where(Offer.competition_id == c.id)).scalars().all()
            for c in comps
        }
        prices, totals = _sealed_figures(conn)
    by_ocid = {r["ocid"]: r for r in package["releases"]}
    sealed_with_offers = 0
    for comp in comps:
        release = by_ocid[f"{prefix}-{comp.reference}"]
        if comp.opened_at is None:
            assert "bids" not in release and "awards" not in release
            assert '"amount"' not in dumps(release)
            sealed_with_offers += bool(offers[comp.id])
        else:
            assert len(release["bids"]["details"]) == len(offers[comp.id])
    assert sealed_with_offers >= 1  # the demo has a closed competition with offers in
    assert len(prices) > 10 and len(totals) >= 3
    leaked = dumps({"value": {"amount": Decimal(min(totals))}})  # the search finds a leak
    assert _numbers_in(totals, leaked) == [min(totals)]
    assert _numbers_in(totals, dumps(package)) == []
    competitions = [by_ocid[f"{prefix}-{c.reference}"] for c in comps]
    assert _numbers_in(prices, dumps(competitions)) == []


def test_cancelled_competition_reads_cancelled(by_ocid, demo_db):
    cfg, engine = demo_db
    with engine.connect() as conn:
        cancelled = (
            conn.execute(
                select(MiniCompetition.reference).where(
                    MiniCompetition.status == CompetitionStatus.cancelled.value
                )
            )
            .scalars()
            .all()
        )
    assert cancelled
    for ref in cancelled:
        release = by_ocid[f"{cfg.ocds.ocid_prefix}-{ref}"]
        assert release["tender"]["status"] == "cancelled"
        assert "tenderCancellation" in release["tag"]


def test_amounts_are_exact(package, by_ocid, demo_db):
    """Every order's contract value is its total to the digit, in its currency (a direct
    order's award too); the transactions of a delivered order add up to it."""
    cfg, engine = demo_db
    prefix = cfg.ocds.ocid_prefix
    with engine.connect() as conn:
        orders = conn.execute(
            select(Order.po_number, Order.total, Order.currency, Order.status, Order.channel)
            .where(Order.status != OrderStatus.draft.value)
        ).all()  # fmt: skip
    contracts = {c["id"]: c for r in package["releases"] for c in r.get("contracts", ())}
    assert len(contracts) == len(orders)
    delivered = 0
    for order in orders:
        contract = contracts[order.po_number]
        assert contract["value"] == {"amount": order.total, "currency": order.currency}
        if order.channel == Channel.direct.value:
            award = by_ocid[f"{prefix}-{order.po_number}"]["awards"][0]
            assert award["value"]["amount"] == order.total
        if order.status in (OrderStatus.delivered.value, OrderStatus.closed.value):
            transactions = contract["implementation"]["transactions"]
            assert sum(t["value"]["amount"] for t in transactions) == order.total
            assert {t["purchaseOrderID"] for t in transactions} == {order.po_number}
            delivered += 1
    assert delivered > 1000


def test_a_known_order_is_written_with_its_exact_total(package, demo_db):
    """The JSON text itself: the total as stored, to the cent, as a number (no float noise)."""
    cfg, engine = demo_db
    with engine.connect() as conn:
        po, total, currency = conn.execute(
            select(Order.po_number, Order.total, Order.currency)
            .where(Order.status == OrderStatus.closed.value, Order.channel == Channel.direct.value)
            .order_by(Order.total.desc())
            .limit(1)
        ).one()  # fmt: skip
    release = next(r for r in package["releases"] if r["ocid"].endswith(po))
    exact = number_text(total.quantize(quantum(currency)))  # 2 decimals in USD, none in XOF
    assert f'"value":{{"amount":{exact},"currency":"{currency}"}}' in dumps(release)


def test_decimal_numbers_are_written_digit_for_digit(tmp_path: Path):
    header = {"uri": "urn:x", "n": Decimal("1234567890123.45"), "q": Decimal("0.1000")}
    text = dumps({**header, "r": [Decimal("1E+2"), Decimal("-0.05"), 3, True, None, "é"]})
    assert '"n": 1234567890123.45' in text
    assert '"q": 0.1000' in text
    assert json.loads(text, parse_float=Decimal)["r"] == [100, Decimal("-0.05"), 3, True, None,
                                                         "é"]  # fmt: skip
    with pytest.raises(TypeError):
        dumps({"x": 0.1})
    path = write_package({"uri": "urn:x"}, iter([{"a": Decimal("1.10")}]), tmp_path / "p.json")
    assert json.loads(path.read_text(encoding="utf-8"), parse_float=str)["releases"] == [
        {"a": "1.10"}
    ]


def test_a_failed_write_leaves_no_file(tmp_path: Path):
    target = tmp_path / "p.json"
    target.write_text("older", encoding="utf-8")

    def broken():
        yield {"a": 1}
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        write_package({"uri": "urn:x"}, broken(), target)
    assert target.read_text(encoding="utf-8") == "older"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_partial_deliveries_add_up_to_the_line():
    from collections import namedtuple

    Line = namedtuple("Line", "id quantity unit_price amount")
    Del = namedtuple("Del", "order_line_id delivered_on quantity")
    line = Line(1, Decimal(3), Decimal("0.3333"), Decimal("1.00"))
    days = [date(2026, 1, d) for d in (1, 2, 3)]
    values = delivered_values([line], [Del(1, d, Decimal(1)) for d in days], "USD")
    assert values == [(days[0], Decimal("0.33")), (days[1], Decimal("0.33")),
                      (days[2], Decimal("0.34"))]  # fmt: skip


def test_r26_focal_point_gets_framework_and_own_agency_only(demo_db):
    cfg, engine = demo_db
    with engine.connect() as conn:
        releases = list(iter_releases(conn, cfg, NOW, OcdsFilter(scope="UNDP")))
    assert releases[0]["ocid"].endswith(cfg.lta.reference)
    assert len(releases) > 10
    assert {r["buyer"]["id"] for r in releases[1:]} == {"UNDP"}


def test_date_filter_and_its_mistakes(demo_db):
    cfg, engine = demo_db
    query = OcdsFilter(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31))
    with engine.connect() as conn:
        releases = list(iter_releases(conn, cfg, NOW, query))
        with pytest.raises(OcdsError, match="after"):
            list(iter_releases(conn, cfg, NOW, OcdsFilter(date_from=date(2026, 2, 1),
                                                          date_to=date(2026, 1, 1))))  # fmt: skip
    for release in releases[1:]:
        day = (
            release["tender"].get("tenderPeriod", {}).get("startDate")
            or (release["contracts"][0]["dateSigned"])
        )
        assert "2026-01-01" <= day[:10] <= "2026-03-31"


def test_publisher_settings_reach_the_package(tmp_path: Path):
    from lta_tui.config import load_config

    cfg = load_config(
        write_config(
            tmp_path,
            extra='[ocds]\npublisher = "UNDP Procurement"\npublisher_uri = "https://undp.org/"\n'
            'ocid_prefix = "ocds-a1b2c3"\nlicense = "https://creativecommons.org/licenses/by/4.0/"\n'
            'publisher_scheme = "XI-IATI"\npublisher_uid = "XM-DAC-41114"\n',
        )
    )
    header = package_header(cfg, NOW)
    assert header["publisher"] == {
        "name": "UNDP Procurement",
        "scheme": "XI-IATI",
        "uid": "XM-DAC-41114",
        "uri": "https://undp.org/",
    }
    assert header["uri"].startswith("https://undp.org/ocds/GP500454-")
    assert header["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "publicationPolicy" not in header


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[ocds]\nocid_prefix = "ocds-12"\n', "ocds.ocid_prefix"),
        ('[ocds]\nocid_prefix = "ocds_a1b2c3"\n', "ocds.ocid_prefix"),
        ('[ocds]\nlicense = "cc-by"\n', "ocds.license"),
        ('[ocds]\npublisher = ""\n', "ocds.publisher"),
        ('[ocds]\nprefix = "ocds-a1b2c3"\n', "ocds.prefix: unknown key"),
    ],
)
def test_bad_ocds_config_is_one_clear_line(tmp_path: Path, extra: str, key: str):
    from lta_tui.config import ConfigError, load_config

    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, extra=extra))
    message = str(caught.value)
    assert "\n" not in message and key in message


# --- command line ----------------------------------------------------------------------------


def test_cli_writes_json_to_stdout_and_to_a_file(demo_db, tmp_path: Path, run_cli):
    cfg, _ = demo_db
    config = write_config(tmp_path, db_url=cfg.database.url, role="working_group")
    shown = run_cli("--config", str(config), "export", "ocds", "--agency", "UNICEF")
    assert shown.returncode == 0, shown.stderr
    package = json.loads(shown.stdout)
    assert {r["buyer"]["id"] for r in package["releases"][1:]} == {"UNICEF"}
    out = tmp_path / "ocds.json"
    written = run_cli("--config", str(config), "export", "ocds", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert "Written to" in written.stdout and "releases" in written.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["releases"][0]["tag"] == ["tender", "award"]


def test_cli_refuses_another_agency_for_a_focal_point(demo_db, tmp_path: Path, run_cli):
    cfg, _ = demo_db
    config = write_config(tmp_path, db_url=cfg.database.url)  # UNDP focal point
    shown = run_cli("--config", str(config), "export", "ocds", "--agency", "UNICEF")
    assert shown.returncode == 2
    assert shown.stdout == ""
    assert shown.stderr.count("\n") == 1 and "UNICEF" in shown.stderr


def test_cli_bad_prefix_exits_2_with_one_line(tmp_path: Path, run_cli):
    config = write_config(tmp_path, extra='[ocds]\nocid_prefix = "ocds-12"\n')
    shown = run_cli("--config", str(config), "export", "ocds")
    assert shown.returncode == 2
    assert shown.stdout == ""
    lines = shown.stderr.splitlines()
    assert len(lines) == 1 and "ocds.ocid_prefix" in lines[0] and "ocds-" in lines[0]

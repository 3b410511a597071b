"""The filter language of the orders and order-lines lists (the `/` box).

`key:value` words are ANDed, each narrowing one field; a value may list alternatives with commas
(`agency:UNDP,UNICEF`). A bare word is a PO number prefix; several bare words are alternatives
(a PO starts with any of them). Keys: agency, cons (consolidator),
lot, status, channel, cur (currency), country, from, to, year, asr (goods or services: the order's
ASR classification, R21; `kind:` is the same word), and in the lines view unspsc (a code
prefix). A mistake raises `FilterError` with a message meant for the user as is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date

from lta_tui.domain.states import Channel, OrderStatus


class FilterError(ValueError):
    """A filter that cannot be applied; the message says what to type instead."""


@dataclass(frozen=True)
class Vocabulary:
    """Codes the database knows, to refuse a typo instead of silently matching nothing."""

    agencies: frozenset[str] = frozenset()
    consolidators: frozenset[str] = frozenset()
    lots: frozenset[int] = frozenset()


@dataclass(frozen=True)
class OrderFilter:
    po_prefixes: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    consolidators: tuple[str, ...] = ()
    lots: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    unspsc: tuple[str, ...] = ()
    #: "goods" and/or "services": the order's classification by its lines (R21, ASR convention).
    asr: tuple[str, ...] = ()
    #: The agency the user's scope limits the list to (ANDed with `agencies`); None for all.
    scope: str | None = None
    text: str = field(default="", compare=False)

    @property
    def is_empty(self) -> bool:
        """Nothing typed (the scope does not count)."""
        return replace(self, scope=None) == OrderFilter()

    @property
    def touches_orders(self) -> bool:
        """Whether any condition is on the order (not only on its lines)."""
        return replace(self, unspsc=()) != OrderFilter()


_KEYS = {
    "agency": "agency",
    "cons": "consolidator",
    "consolidator": "consolidator",
    "lot": "lot",
    "status": "status",
    "channel": "channel",
    "cur": "currency",
    "currency": "currency",
    "country": "country",
    "from": "from",
    "to": "to",
    "year": "year",
    "unspsc": "unspsc",
    "asr": "asr",
    "kind": "asr",
}
_ASR = {"goods": "goods", "good": "goods", "services": "services", "service": "services"}
_CHANNEL_ALIASES = {
    "direct": Channel.direct.value,
    "competition": Channel.mini_competition.value,
    "mini": Channel.mini_competition.value,
    "mini_competition": Channel.mini_competition.value,
    "mini-competition": Channel.mini_competition.value,
}
_STATUSES = {s.value for s in OrderStatus}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def filter_help(lines_view: bool = False) -> str:
    keys = "agency: cons: lot: status: channel: cur: country: from: to: year: asr:"
    return keys + (" unspsc:" if lines_view else "")


def parse_filter(
    text: str, *, lines_view: bool = False, known: Vocabulary | None = None
) -> OrderFilter:
    """Parse the `/` box. `known` (when loaded) refuses agency/consolidator/lot codes that do
    not exist; `lines_view` allows `unspsc:`."""
    flt = OrderFilter(text=text.strip())
    for word in text.split():
        name, sep, raw = word.partition(":")
        if not sep:
            flt = replace(flt, po_prefixes=flt.po_prefixes + (word,))
            continue
        key = _KEYS.get(name.lower())
        if key is None or (key == "unspsc" and not lines_view):
            hint = " (only in the lines view: press l)" if key == "unspsc" else ""
            raise FilterError(f"unknown filter {name}:{hint}; use {filter_help(lines_view)}")
        values = [v for v in raw.split(",") if v]
        if not values:
            raise FilterError(f"{name}: needs a value, e.g. {_EXAMPLES[key]}")
        flt = _apply(flt, key, name, values, known)
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        raise FilterError(f"from: {flt.date_from} is after to: {flt.date_to}")
    return flt


_EXAMPLES = {
    "agency": "agency:UNDP",
    "consolidator": "cons:CONS-A",
    "lot": "lot:2",
    "status": "status:issued",
    "channel": "channel:direct",
    "currency": "cur:EUR",
    "country": "country:KE",
    "from": "from:2024-01-01",
    "to": "to:2024-12-31",
    "year": "year:2024",
    "unspsc": "unspsc:4321",
    "asr": "asr:services",
}


def _apply(
    flt: OrderFilter, key: str, name: str, values: list[str], known: Vocabulary | None
) -> OrderFilter:
    if key == "agency":
        codes = _codes(name, values, known.agencies if known else None, "agency")
        return replace(flt, agencies=flt.agencies + codes)
    if key == "consolidator":
        codes = _codes(name, values, known.consolidators if known else None, "consolidator")
        return replace(flt, consolidators=flt.consolidators + codes)
    if key == "lot":
        return replace(flt, lots=flt.lots + _lots(name, values, known))
    if key == "status":
        bad = [v for v in values if v.lower() not in _STATUSES]
        if bad:
            raise FilterError(f"{name}: no status {bad[0]!r}; use {', '.join(sorted(_STATUSES))}")
        return replace(flt, statuses=flt.statuses + tuple(v.lower() for v in values))
    if key == "channel":
        bad = [v for v in values if v.lower() not in _CHANNEL_ALIASES]
        if bad:
            raise FilterError(f"{name}: no channel {bad[0]!r}; use direct or competition")
        channels = tuple(_CHANNEL_ALIASES[v.lower()] for v in values)
        return replace(flt, channels=flt.channels + channels)
    if key == "currency":
        return replace(flt, currencies=flt.currencies + _letters(name, values, 3, "ISO 4217"))
    if key == "country":
        return replace(flt, countries=flt.countries + _letters(name, values, 2, "ISO 3166"))
    if key == "asr":
        bad = [v for v in values if v.lower() not in _ASR]
        if bad:
            raise FilterError(f"{name}: {bad[0]!r} is neither goods nor services")
        return replace(flt, asr=flt.asr + tuple(_ASR[v.lower()] for v in values))
    if key == "unspsc":
        bad = [v for v in values if not (v.isdecimal() and len(v) <= 8)]
        if bad:
            raise FilterError(f"{name}: {bad[0]!r} is not a UNSPSC code prefix (1-8 digits)")
        return replace(flt, unspsc=flt.unspsc + tuple(values))
    return _dates(flt, key, name, values)


def _codes(
    name: str, values: list[str], known: frozenset[str] | None, what: str
) -> tuple[str, ...]:
    codes = tuple(v.upper() for v in values)
    for code in codes:
        if not _CODE.match(code):
            raise FilterError(f"{name}: {code!r} is not a valid {what} code")
        if known and code not in known:
            close = [k for k in sorted(known) if k.startswith(code)]
            close = close or difflib.get_close_matches(code, sorted(known), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(close[:3])}?" if close else ""
            raise FilterError(f"{name}: no {what} {code!r}{hint}")
    return codes


def _lots(name: str, values: list[str], known: Vocabulary | None) -> tuple[int, ...]:
    numbers = []
    for value in values:
        if not value.isdecimal():
            raise FilterError(f"{name}: {value!r} is not a lot number")
        number = int(value)
        if known and known.lots and number not in known.lots:
            choices = ", ".join(str(n) for n in sorted(known.lots))
            raise FilterError(f"{name}: no lot {number}; lots are {choices}")
        numbers.append(number)
    return tuple(numbers)


def _letters(name: str, values: list[str], size: int, standard: str) -> tuple[str, ...]:
    for value in values:
        if not (len(value) == size and value.isascii() and value.isalpha()):
            raise FilterError(f"{name}: {value!r} is not a {size}-letter {standard} code")
    return tuple(v.upper() for v in values)


def _dates(flt: OrderFilter, key: str, name: str, values: list[str]) -> OrderFilter:
    if len(values) != 1:
        raise FilterError(f"{name}: takes one value, e.g. {_EXAMPLES[key]}")
    value = values[0]
    if key == "year":
        if not (value.isdecimal() and len(value) == 4):
            raise FilterError(f"{name}: {value!r} is not a year, e.g. year:2024")
        start, end = date(int(value), 1, 1), date(int(value), 12, 31)
    else:
        try:
            start = end = date.fromisoformat(value)
        except ValueError:
            raise FilterError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    # Several date words narrow each other: the latest start and the earliest end win.
    if key in ("from", "year"):
        flt = replace(flt, date_from=max(filter(None, (flt.date_from, start))))
    if key in ("to", "year"):
        flt = replace(flt, date_to=min(filter(None, (flt.date_to, end))))
    return flt

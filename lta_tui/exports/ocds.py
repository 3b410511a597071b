"""Writing an OCDS release package as JSON: amounts as JSON numbers with their exact decimal
text (never through float), releases streamed one by one, a file written atomically."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from lta_tui.exports.files import write_atomically

_INDENT = "  "


def number_text(value: Decimal) -> str:
    """A Decimal as a JSON number, digit for digit: `1234.50`, `40`, `-0.05` (no exponent)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError("OCDS amounts must be Decimal, not float")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class _Compact:
    """A dict or list as one compact line through the C JSON encoder: each Decimal goes
    through `default` as a marked string, then loses its quotes and marker, so it is written
    digit for digit. The marker holds a random nonce: no text of the data can pass for it."""

    def __init__(self) -> None:
        nonce = secrets.token_hex(8)
        self._mark = f"\x01{nonce}:"
        self._number = re.compile(re.escape(f'"\\u0001{nonce}:') + r'(-?[0-9]+(?:\.[0-9]+)?)"')

    def _default(self, value: Any) -> str:
        if isinstance(value, Decimal):
            return self._mark + number_text(value)
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    def __call__(self, value: Any) -> str:
        text = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=self._default,
            allow_nan=False,
        )  # fmt: skip
        return self._number.sub(r"\1", text)


def iter_json(
    value: Any, level: int = 0, flat_from: int = 2, compact: _Compact | None = None
) -> Iterator[str]:
    """The JSON text of `value` in pieces (dicts, lists and any iterable of values as arrays):
    indented two spaces per level down to `flat_from`, compact from there on (a package's
    metadata is easy to read, and each release takes one line). Above `flat_from` a float is
    refused (money is Decimal); below it the C encoder writes whatever it is given."""
    compact = compact or _Compact()
    flat = level >= flat_from
    if flat and isinstance(value, (dict, list, tuple)):
        yield compact(value)
        return
    pad = "" if flat else "\n" + _INDENT * (level + 1)
    end = "" if flat else "\n" + _INDENT * level
    colon = ":" if flat else ": "
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield ("," if n else "") + pad + json.dumps(str(key), ensure_ascii=False) + colon
            yield from iter_json(item, level + 1, flat_from, compact)
        yield end + "}"
        return
    if isinstance(value, (list, tuple)) or (
        isinstance(value, Iterable) and not isinstance(value, (str, bytes))
    ):
        first = True
        for item in value:
            yield ("[" if first else ",") + pad
            first = False
            yield from iter_json(item, level + 1, flat_from, compact)
        yield "[]" if first else end + "]"
        return
    yield _scalar(value)


def dumps(value: Any, flat_from: int = 2) -> str:
    """The whole JSON text (tests, small documents)."""
    return "".join(iter_json(value, 0, flat_from))


def write_json(stream: TextIO, value: Any) -> None:
    """Write `value` as JSON to `stream`, piece by piece, with a final newline."""
    buffer: list[str] = []
    size = 0
    for piece in iter_json(value):
        buffer.append(piece)
        size += len(piece)
        if size > 1 << 16:
            stream.write("".join(buffer))
            buffer, size = [], 0
    buffer.append("\n")
    stream.write("".join(buffer))


def write_package(
    header: dict[str, Any], releases: Iterable[dict[str, Any]], out: str | os.PathLike | TextIO
) -> Path | None:
    """The package (`header` and the `releases`, streamed) to a path, atomically (returns the
    path), or to an open text stream such as stdout (returns None)."""
    package = {**header, "releases": releases}
    if hasattr(out, "write"):
        write_json(out, package)  # type: ignore[arg-type]
        return None

    def writer(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            write_json(fh, package)

    return write_atomically(out, writer)  # type: ignore[arg-type]


__all__ = ["dumps", "iter_json", "number_text", "write_json", "write_package"]

"""What a rule check returns: findings with the rule's number, a severity and a user message.

Every rule function of this package returns a `list[Finding]`, empty when the rule holds. The
severities follow DESIGN.md §2: an error refuses the action, a warning lets it go ahead once
the user acknowledges it (or records the reason the rule asks for), info is only shown.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One broken (or noteworthy) rule.

    `rule` is the rule's number ("R13"); `message` is the sentence shown to the user and starts
    with that number; `field` names the form or import field it belongs to, if any
    (`lines.2.unit_price` for a line's field).
    """

    rule: str
    severity: Severity
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.error


class Refused(ValueError):
    """An action refused by one or more rules; the message lists their errors, one per line."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = [f for f in findings if f.is_error]
        super().__init__("\n".join(f.message for f in self.findings))


def error(rule: str, text: str, field: str | None = None) -> Finding:
    return Finding(rule, Severity.error, f"{rule}: {text}", field)


def warning(rule: str, text: str, field: str | None = None) -> Finding:
    return Finding(rule, Severity.warning, f"{rule}: {text}", field)


def info(rule: str, text: str, field: str | None = None) -> Finding:
    return Finding(rule, Severity.info, f"{rule}: {text}", field)


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.error]


def warnings_of(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.warning]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


def collect(*groups: Iterable[Finding]) -> list[Finding]:
    """All findings of several checks, errors first, in the order the checks ran otherwise."""
    found = [f for group in groups for f in group]
    order = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}
    return sorted(found, key=lambda f: order[f.severity])


def ensure_allowed(findings: Iterable[Finding]) -> list[Finding]:
    """Raise `Refused` when any finding is an error; otherwise return the findings to show."""
    found = list(findings)
    if has_errors(found):
        raise Refused(found)
    return found


def unacknowledged(findings: Iterable[Finding], acknowledged: Collection[str]) -> list[Finding]:
    """Warnings whose rule the user has not acknowledged yet (`acknowledged` holds rule numbers)."""
    return [f for f in warnings_of(findings) if f.rule not in acknowledged]

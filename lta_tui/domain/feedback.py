"""The UNGM spend feedback of an agency for a period (the LTA's feedback tab): what may be saved.

Not a numbered rule of DESIGN.md §2, so the findings carry the tag `FEEDBACK` instead of an
R-number. The spend reported is the spend computed from the orders unless the agency overrides
it, and an override needs its reason (a figure from the agency's ERP, an order recorded
elsewhere); the period reads from its first to its last day and overlaps the LTA's validity;
the spend is in USD with cents, never negative. Pure functions: no database, no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lta_tui.domain.money import round_money, within_decimals
from lta_tui.domain.periods import PeriodSize, period_of
from lta_tui.domain.rules.findings import Finding, Severity

#: The `rule` of the findings of this module (not one of R1–R26).
FEEDBACK = "feedback"
#: Decimals of a reported spend: USD cents, as UNGM's form takes it.
SPEND_DECIMALS = 2


def _error(text: str, field: str) -> Finding:
    return Finding(FEEDBACK, Severity.error, text, field)


def _info(text: str, field: str) -> Finding:
    return Finding(FEEDBACK, Severity.info, text, field)


def reported_default(computed: Decimal) -> Decimal:
    """The spend proposed for reporting: the computed spend rounded to the cent."""
    return round_money(computed, "USD")


def is_override(computed: Decimal, reported: Decimal) -> bool:
    """Whether `reported` differs from the computed spend (compared to the cent)."""
    return round_money(reported, "USD") != round_money(computed, "USD")


def check_override(computed: Decimal, reported: Decimal, reason: str | None) -> list[Finding]:
    """A reported spend that differs from the one computed from the orders needs a reason
    (error under `override_reason`)."""
    if not is_override(computed, reported) or (reason or "").strip():
        return []
    return [
        _error(
            f"Override reason: the reported spend {reported:,.2f} USD differs from the"
            f" {reported_default(computed):,.2f} USD computed from the orders: say why",
            "override_reason",
        )
    ]


def check_spend(reported: Decimal) -> list[Finding]:
    """A reported spend is in USD with at most two decimals, and not negative."""
    found = []
    if reported < 0:
        found.append(_error(f"Reported spend: {reported} USD is negative", "spend_usd"))
    if not within_decimals(reported, SPEND_DECIMALS):
        found.append(
            _error(
                f"Reported spend: {reported} has more than {SPEND_DECIMALS} decimals (USD cents)",
                "spend_usd",
            )
        )
    return found


@dataclass(frozen=True)
class Validity:
    """The LTA's validity: its first and last day."""

    valid_from: date
    valid_to: date


def check_period(period_from: date, period_to: date, lta: Validity) -> list[Finding]:
    """The period runs from its first to its last day and overlaps the LTA's validity (error
    otherwise); a period reaching beyond the validity is only noted (a calendar year around
    the LTA's start or end counts only the days of the LTA)."""
    if period_from > period_to:
        return [
            _error(
                f"Period: it starts ({period_from.isoformat()}) after it ends"
                f" ({period_to.isoformat()})",
                "period_to",
            )
        ]
    validity = f"{lta.valid_from.isoformat()} – {lta.valid_to.isoformat()}"
    if period_to < lta.valid_from or period_from > lta.valid_to:
        field = "period_to" if period_to < lta.valid_from else "period_from"
        return [_error(f"Period: outside the LTA's validity ({validity})", field)]
    if period_from < lta.valid_from or period_to > lta.valid_to:
        return [
            _info(
                f"Period: reaches beyond the LTA's validity ({validity}); only orders under"
                " the LTA count",
                "period_from" if period_from < lta.valid_from else "period_to",
            )
        ]
    return []


def check_feedback(
    *,
    period_from: date,
    period_to: date,
    lta: Validity,
    computed: Decimal,
    reported: Decimal,
    reason: str | None,
) -> list[Finding]:
    """Every check of a feedback entry, errors first."""
    spend = check_spend(reported)
    found = check_period(period_from, period_to, lta) + spend
    if not spend:  # a spend that cannot be reported is not an override either
        found += check_override(computed, reported, reason)
    return sorted(found, key=lambda f: f.severity is not Severity.error)


def period_label(period_from: date, period_to: date, contract_start: date) -> str:
    """A short name of the period: `2025` (calendar year), `2025/26` (LTA contract year),
    `2025-Q1`, `2025-03`, else `2025-01-15 – 2025-06-30`."""
    for size in (PeriodSize.year, PeriodSize.contract_year, PeriodSize.quarter, PeriodSize.month):
        period = period_of(period_from, size, contract_start)
        if (period.start, period.end) == (period_from, period_to):
            return period.label
    return f"{period_from.isoformat()} – {period_to.isoformat()}"

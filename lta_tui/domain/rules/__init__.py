"""The business rules R1–R26 of DESIGN.md §2, one function each, named in its docstring.

Every rule function returns a `list[Finding]`, empty when the rule holds. Errors refuse the
action; warnings let it go ahead once acknowledged (or, for the rules that ask for a recorded
reason or justification, once it is passed in); info is only shown. Thresholds are passed in
by the caller from `RulesConfig`, never read here. Pure Python: no database, no Textual.

Themes: `bidding` (R1–R11), `orders` (R12–R18), `reference` (R19–R21), `monitoring`
(R22–R24), `integrity` (R25–R26).
"""

from lta_tui.domain.rules.bidding import (
    OfferStanding,
    check_abnormally_low,
    check_award,
    check_cancellation,
    check_criteria,
    check_holder_active,
    check_left_out_holders,
    check_offer_on_time,
    check_offer_still_valid,
    check_prices_unsealed,
    check_response_time,
    check_unspsc_in_lot,
    check_valid_offer_count,
    may_reveal_prices,
    working_days_between,
)
from lta_tui.domain.rules.findings import (
    Finding,
    Refused,
    Severity,
    collect,
    ensure_allowed,
    errors_of,
    has_errors,
    unacknowledged,
    warnings_of,
)
from lta_tui.domain.rules.integrity import (
    AuditRecord,
    check_audit_event,
    check_permission,
    snapshot_json,
)
from lta_tui.domain.rules.monitoring import (
    check_concentration,
    check_price_deviation,
    check_reconciliation,
    concentration_window,
    months_before,
)
from lta_tui.domain.rules.orders import (
    AwardTerms,
    CatalogueEntry,
    DirectLine,
    SubLtaTerms,
    check_ceiling,
    check_consolidator_eligible,
    check_cumulative_amendments,
    check_direct_order,
    check_order_date,
    check_order_matches_award,
    check_quantity_and_price,
)
from lta_tui.domain.rules.records import Holding, Period, holders_on, holds_lot
from lta_tui.domain.rules.reference import (
    check_goods_or_services,
    check_iso_codes,
    check_rate_in_force,
    order_category,
)

#: Rule number → the function that checks it.
RULES = {
    "R1": check_holder_active,
    "R2": check_left_out_holders,
    "R3": check_unspsc_in_lot,
    "R4": check_response_time,
    "R5": check_prices_unsealed,
    "R6": check_offer_on_time,
    "R7": check_criteria,
    "R8": check_valid_offer_count,
    "R9": check_abnormally_low,
    "R10": check_award,
    "R11": check_cancellation,
    "R12": check_order_date,
    "R13": check_direct_order,
    "R14": check_order_matches_award,
    "R15": check_ceiling,
    "R16": check_cumulative_amendments,
    "R17": check_consolidator_eligible,
    "R18": check_quantity_and_price,
    "R19": check_iso_codes,
    "R20": check_rate_in_force,
    "R21": check_goods_or_services,
    "R22": check_concentration,
    "R23": check_price_deviation,
    "R24": check_reconciliation,
    "R25": check_audit_event,
    "R26": check_permission,
}
#: Rule number → the further functions that check a part of it on their own (a warning beside
#: the rule's errors, asked at another moment); each names the rule in its docstring too.
RULE_PARTS = {
    "R10": (check_offer_still_valid,),
}

__all__ = [
    "RULES",
    "RULE_PARTS",
    "AuditRecord",
    "AwardTerms",
    "CatalogueEntry",
    "DirectLine",
    "Finding",
    "Holding",
    "OfferStanding",
    "Period",
    "Refused",
    "Severity",
    "SubLtaTerms",
    "check_abnormally_low",
    "check_audit_event",
    "check_award",
    "check_cancellation",
    "check_ceiling",
    "check_concentration",
    "check_consolidator_eligible",
    "check_criteria",
    "check_cumulative_amendments",
    "check_direct_order",
    "check_goods_or_services",
    "check_holder_active",
    "check_iso_codes",
    "check_left_out_holders",
    "check_offer_on_time",
    "check_offer_still_valid",
    "check_order_date",
    "check_order_matches_award",
    "check_permission",
    "check_price_deviation",
    "check_prices_unsealed",
    "check_quantity_and_price",
    "check_rate_in_force",
    "check_reconciliation",
    "check_response_time",
    "check_unspsc_in_lot",
    "check_valid_offer_count",
    "collect",
    "concentration_window",
    "ensure_allowed",
    "errors_of",
    "has_errors",
    "holders_on",
    "holds_lot",
    "may_reveal_prices",
    "months_before",
    "order_category",
    "snapshot_json",
    "unacknowledged",
    "warnings_of",
    "working_days_between",
]

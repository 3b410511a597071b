"""The competition service (issue 4, secondary bidding): draft, issue, offers, opening,
compliance, evaluation, award (with its order), and the endings unsuccessful and cancelled;
each change in one transaction with its audit event (R25), R26 and an optimistic version check.

This module is the public API the competition screens call; the work is done in
`competition_checks` (R1–R7, R17–R20 on a draft and an offer), `competition_evaluation`
(validity, landed totals, scores and ranks), `competition_write` (draft, issue, offers,
unsuccessful, cancel) and `competition_award` (opening, compliance, evaluation, award).
Everything returned is a plain frozen dataclass.
"""

from __future__ import annotations

from lta_tui.domain.states import effective_status
from lta_tui.services.competition_award import (
    award_competition,
    evaluate_competition,
    open_offers,
    set_offer_compliance,
)
from lta_tui.services.competition_context import (
    CompetitionNotFound,
    competition_form_context,
    load_competition_input,
)
from lta_tui.services.competition_types import (
    AwardResult,
    CompetitionConflict,
    CompetitionFormContext,
    CompetitionInput,
    HolderChoice,
    LotScopeChoice,
    OfferInput,
    RequirementInput,
    SavedCompetition,
)
from lta_tui.services.competition_write import (
    cancel_competition,
    declare_unsuccessful,
    issue_competition,
    record_offer,
    save_competition,
)
from lta_tui.services.order_types import Actor, NeedsAcknowledgement, SavedOrder

__all__ = [
    "Actor",
    "AwardResult",
    "CompetitionConflict",
    "CompetitionFormContext",
    "CompetitionInput",
    "CompetitionNotFound",
    "HolderChoice",
    "LotScopeChoice",
    "NeedsAcknowledgement",
    "OfferInput",
    "RequirementInput",
    "SavedCompetition",
    "SavedOrder",
    "award_competition",
    "cancel_competition",
    "competition_form_context",
    "declare_unsuccessful",
    "effective_status",
    "evaluate_competition",
    "issue_competition",
    "load_competition_input",
    "open_offers",
    "record_offer",
    "save_competition",
    "set_offer_compliance",
]

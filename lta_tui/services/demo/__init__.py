"""A deterministic, realistic demo data set: `lta-tui demo --orders N --seed S --until DATE`.

Five years of secondary bidding under the LTA: ORE exchange rates, sub-LTAs with catalogues,
mini-competitions in every state, N orders (~10 lines each) in every state with deliveries,
amendments and reviews, spend feedback, consolidator reports and the audit trail.

Rooms: `world` (reference data, span, people), `vocabulary` (what things are called and cost),
`rates`, `sub_ltas`, `bidding` + `competitions` + `competition_rows`, `order_life` + `orders`,
`reports`, `amounts` (stored integers), `bulk` (the writer), `generate` (the use case).
"""

from lta_tui.services.demo.generate import generate_demo
from lta_tui.services.demo.world import DemoError

__all__ = ["DemoError", "generate_demo"]

"""The reconciliation screen on the demo data at 80×24, opened from Spend with `m`: the rows of
the demo's consolidator reports, `s` for the problems only, `enter` for the POs behind a row,
`x` to export, `esc` back to Spend."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from lta_tui.services.reconciliation import PROBLEMS
from lta_tui.tui.screens.reconciliation import (
    ExportReconciliationDialog,
    PoListScreen,
    ReconciliationScreen,
)

from .steps import loaded, settle, wait_until


async def test_find_the_disagreeing_orders_and_export_them(demo_app, tmp_path):
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("7")  # Spend
        await wait_until(pilot, lambda: app.current_mode == "spend", "the Spend section")
        await loaded(pilot, app)
        start = app.screen
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ReconciliationScreen), "screen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.recon is not None, "the reconciliation")
        await settle(pilot, app)
        recon = screen.recon
        assert recon.rows and {r.agency for r in recon.rows} == {"UNDP"}  # the own agency
        table = screen.query_one("#recon-table", DataTable)
        assert table.row_count == len(recon.rows)
        assert "Reconciliation · UNDP · tolerance 5 %" in str(
            screen.query_one("#recon-head").render()
        )

        await pilot.press("s")  # problems only
        problems = [r for r in recon.rows if r.problem]
        assert problems, "the demo reports disagree somewhere"
        assert screen.shown == problems and table.row_count == len(problems)

        await pilot.press("enter")  # the POs behind the first problem row
        await wait_until(pilot, lambda: isinstance(app.screen, PoListScreen), "the POs")
        pos = app.screen.query_one("#po-table", DataTable)
        assert pos.row_count == len(problems[0].pos)
        first = str(pos.get_row_at(0)[1])
        assert first in {"mismatch", "agency-only", "cons.-only"}
        assert problems[0].pos[0].status in PROBLEMS
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to the rows")

        await pilot.press("x")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ExportReconciliationDialog), "export"
        )
        dialog = app.screen
        path = dialog.query_one("#export-path", Input)
        assert path.value.endswith(".csv")
        dialog.query_one("#export-format", Select).value = "md"
        await wait_until(pilot, lambda: path.value.endswith(".md"), "the suffix follows")
        target = tmp_path / "recon.md"
        path.value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, "the export written")
        text = target.read_text(encoding="utf-8")
        assert text.startswith("# Reconciliation with consolidator reports")
        assert "## POs that disagree" in text

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is start, "back to Spend")

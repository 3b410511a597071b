"""Key-to-frame in the order form (DESIGN.md §5: a key reaches the screen within one frame plus
5 ms): `python -m tests.perf.order_form CONFIG` (or `order_form(CONFIG)`).

The form is opened from the Orders screen and filled with a direct order of ten lines under a
sub-LTA of the user's agency, then printable keys are typed one at a time (as a person types,
each after the previous one is on screen) in the line editor's quantity and description
fields. For each key: the time from the key event to the end of the first frame that shows it,
the frame including the terminal text Textual would write (headless runs skip that step, so
the benchmark does it). Prints one JSON line: median, p90 and max in ms, and the frame length.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import date

KEYS_PER_FIELD = 40
SETTLE = 0.03  # s between keys: a fast typist's pace, so each key is measured on its own


async def _order_form(config_path: str) -> dict:
    from textual import constants, events

    from lta_tui.config import load_config
    from lta_tui.tui.app import LtaApp
    from lta_tui.tui.screens.order_form import OrderFormScreen
    from lta_tui.tui.widgets.choice_input import ChoiceInput

    config = load_config(config_path)
    app = LtaApp(config)
    frames: list[float] = []
    shown = asyncio.Event()
    display = app._display

    def timed_display(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(app.console)  # what a terminal would be sent
            frames.append(time.perf_counter())
            shown.set()

    app._display = timed_display  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.database_ready:
            if app.database_problem:
                raise RuntimeError(app.database_problem)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("3")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.press("n")
        while not (isinstance(app.screen, OrderFormScreen) and app.screen.context is not None):
            await pilot.pause()
        form = app.screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        today = app.today()
        sub = _sub_lta(form.context, config.user.agency, today)
        for name, code in (("consolidator", sub.consolidator), ("sub_lta", sub.reference)):
            box = form.query_one(f"#{name}", ChoiceInput)
            box.take(box.resolve(code))
            await pilot.pause()
        while not form.query_one("#line-editor").catalogue:
            await pilot.pause()
        items = list(form.query_one("#line-editor").catalogue.values())
        items = [i for i in items if i.valid_from <= today <= i.valid_to]
        lot = form.query_one("#lot", ChoiceInput)
        lot.take(lot.resolve(str(items[0].lot)))
        country = form.query_one("#destination_country", ChoiceInput)
        country.take(country.resolve("KE"))
        await pilot.pause()
        form.query_one("#line-item").focus()
        for item in [i for i in items if i.lot == items[0].lot][:10]:
            await pilot.press(*item.sku.lower(), "enter", "2", "enter")
            await pilot.pause()
        await pilot.pause(0.5)  # the rules have run: the form shows their verdict
        await app.workers.wait_for_complete()

        async def type_into(field_id: str, keys: str) -> list[float]:
            box = form.query_one(field_id)
            box.focus()
            await pilot.pause(0.1)
            latencies = []
            for ch in keys:
                before = box.value
                shown.clear()
                start = time.perf_counter()
                app.post_message(events.Key(ch, ch))
                while True:
                    await shown.wait()
                    shown.clear()
                    if box.value != before:
                        break
                latencies.append(frames[-1] - start)
                await asyncio.sleep(SETTLE)
            return latencies

        digits = ("1234567890" * 5)[:KEYS_PER_FIELD]
        letters = ("rugged laptop for field office " * 3)[:KEYS_PER_FIELD].replace(" ", "x")
        samples = await type_into("#line-qty", digits)
        samples += await type_into("#line-description", letters)
        lines = len(form.lines)
    samples_ms = sorted(s * 1000 for s in samples)
    return {
        "key_to_frame_median_ms": statistics.median(samples_ms),
        "key_to_frame_p90_ms": samples_ms[int(len(samples_ms) * 0.9) - 1],
        "key_to_frame_max_ms": samples_ms[-1],
        "frame_ms": 1000 / constants.MAX_FPS,
        "keys": len(samples_ms),
        "order_lines": lines,
        "keys_over_20ms": [(i, round(s * 1000, 1)) for i, s in enumerate(samples) if s > 0.02],
    }


def _sub_lta(context, agency: str, today: date):
    """A sub-LTA of the user's agency in force today (the form offers the same)."""
    for sub in context.sub_ltas:
        if sub.agency == agency and sub.valid_from <= today <= sub.valid_to:
            return sub
    raise RuntimeError(f"no sub-LTA of {agency} in force on {today}: build the demo data")


def order_form(config_path: str) -> None:
    print(json.dumps(asyncio.run(_order_form(config_path))), flush=True)


if __name__ == "__main__":
    import sys

    order_form(sys.argv[1])

"""One measurement per process: `python -m tests.perf.cases CASE CONFIG` prints one JSON line.

Cold-start cases print "ready" at the first frame; the parent times process start to that line.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def cold_app(config_path: str) -> None:
    from lta_tui.config import load_config
    from lta_tui.tui.app import LtaApp

    class Probe(LtaApp):
        def on_ready(self) -> None:
            print("ready", flush=True)
            self.exit()

    Probe(load_config(config_path)).run(headless=True)


def cold_bare(config_path: str) -> None:
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        def compose(self):
            yield Header()
            yield Static("lta-tui")
            yield Footer()

        def on_ready(self) -> None:
            print("ready", flush=True)
            self.exit()

    Bare().run(headless=True)


async def _wait_rows(pilot, app, cls):
    """Until the screen's table shows rows; returns the table."""
    while True:
        tables = app.screen.query(cls)
        table = tables.first() if tables else None
        if table is not None and not table.is_loading and table.visible_rows:
            return table
        await pilot.pause(0)


async def _orders_table(config_path: str) -> dict:
    from lta_tui.config import load_config
    from lta_tui.tui.app import LtaApp
    from lta_tui.tui.widgets.keyset_table import KeysetTable

    app = LtaApp(load_config(config_path))
    async with app.run_test(size=(140, 45)) as pilot:
        while not app.database_ready:
            await pilot.pause()
        await app.workers.wait_for_complete()
        app.set_agency_scope(all_agencies=True)  # the tables then span the whole database
        await pilot.pause()
        await app.workers.wait_for_complete()  # the dashboard reloads for all agencies
        rss0 = rss_mb()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await pilot.press("3")
        await _wait_rows(pilot, app, KeysetTable)
        orders_cpu, orders_wall = time.process_time() - cpu0, time.perf_counter() - wall0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await pilot.press("l")  # every order line
        table = await _wait_rows(pilot, app, KeysetTable)
        lines_cpu, lines_wall = time.process_time() - cpu0, time.perf_counter() - wall0
        while table.total is None:
            await pilot.pause()
        keys = ["pagedown"] * 30 + ["down"] * 30 + ["end", "pageup", "home"] + ["pagedown"] * 10
        cpu1 = time.process_time()
        for key in keys:
            await pilot.press(key)
            while table.is_loading:
                await pilot.pause(0)
        per_key = (time.process_time() - cpu1) / len(keys)
        growth = rss_mb() - rss0
    return {
        "orders_paint_cpu": orders_cpu,
        "orders_paint_wall": orders_wall,
        "lines_paint_cpu": lines_cpu,
        "lines_paint_wall": lines_wall,
        "key_cpu": per_key,
        "rss_growth_mb": growth,
        "rows": table.total,
    }


def orders_table(config_path: str) -> None:
    print(json.dumps(asyncio.run(_orders_table(config_path))), flush=True)


def spend(config_path: str) -> None:
    """The app's spend aggregates, then every plain-sqlite3 formulation, in one process."""
    from lta_tui.config import load_config
    from lta_tui.store.engine import make_engine
    from tests.perf import spend as s

    config = load_config(config_path)
    path = config.database.url.removeprefix("sqlite:///")
    engine = make_engine(config.database.url)
    agency, year = s.busiest_agency_year(path)
    one = s.one_agency_filter(agency, year)
    s.time_raw(path, s.RAW_FULL["preagg_ids"])  # warm the OS cache: every query then starts equal
    one_params = {"agency": agency, "start": f"{year}-01-01", "end": f"{year}-12-31"}
    runs: dict[str, list[float]] = {}
    for _ in range(3):  # interleaved in the process too: no query pays alone for a cold start
        runs.setdefault("app_full", []).append(s.time_app(engine, s.FULL_GROUPING, None)[0])
        for name, sql in s.RAW_FULL.items():
            runs.setdefault(f"raw_full_{name}", []).append(s.time_raw(path, sql)[0])
        runs.setdefault("app_one", []).append(s.time_app(engine, s.ONE_GROUPING, one)[0])
        runs.setdefault("raw_one", []).append(s.time_raw(path, s.RAW_ONE, one_params)[0])
    out = {name: statistics.median(times) for name, times in runs.items()}
    print(json.dumps(out), flush=True)


def _more_cases() -> tuple:
    from tests.perf.import_rate import import_rate
    from tests.perf.line_export import lines_csv
    from tests.perf.order_form import order_form
    from tests.perf.order_save import order_save

    return order_form, order_save, import_rate, lines_csv


CASES = {f.__name__: f for f in (cold_app, cold_bare, orders_table, spend, *_more_cases())}

if __name__ == "__main__":
    CASES[sys.argv[1]](sys.argv[2])

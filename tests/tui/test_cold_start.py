"""Cold start: the first frame is painted before the database stack is imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import write_config

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from lta_tui.config import load_config
    from lta_tui.tui.app import LtaApp

    class Probe(LtaApp):
        def on_ready(self):
            # the first frame is on screen now
            print("before:", sorted(m for m in ("sqlalchemy", "sqlmodel") if m in sys.modules))
            super().on_ready()

    async def main():
        app = Probe(load_config(sys.argv[1]))
        async with app.run_test() as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()  # let the header take the titles before the app exits
        print("after:", "sqlalchemy" in sys.modules)

    asyncio.run(main())
    """
)


def test_database_stack_loads_after_the_first_paint(tmp_path):
    config = write_config(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "before: []" in out
    assert "after: True" in out

"""The lta-tui Textual application (initial contract; the app-shell work extends it).

Contract every screen relies on:
- `app.config`: the validated `Config`.
- `app.today()`: the date the app treats as today (fixed in tests and snapshots).
- `app.engine()`: the SQLAlchemy engine, created on first use; call it only from thread workers
  (it imports the database stack, which must not delay the first paint).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from textual.app import App

from lta_tui.config import Config


class LtaApp(App[str]):
    TITLE = "lta-tui"

    def __init__(self, config: Config, *, today: Callable[[], date] = date.today) -> None:
        super().__init__()
        self.config = config
        self.today = today
        self._engine = None
        self._engine_lock = threading.Lock()

    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from lta_tui.services.database import check_ready, open_engine

                engine = open_engine(self.config)
                check_ready(engine)
                self._engine = engine
            return self._engine

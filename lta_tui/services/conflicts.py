"""The refusal every optimistic version check raises: the record changed since it was loaded."""

from __future__ import annotations

from datetime import datetime

from lta_tui.domain.rules._render import moment


class Conflict(Exception):
    """`record` was changed by `who` at `at` since it was loaded: nothing was saved."""

    def __init__(self, record: str, who: str, at: datetime | None) -> None:
        self.record, self.who, self.at = record, who, at
        when = f" at {moment(at)}" if at is not None else ""
        super().__init__(
            f"{record} was changed by {who}{when} since you opened it: nothing was saved; reload it"
        )

"""The command palette (`ctrl+p`): every section, help, the agency scope, and every action the
current screen has a key for, so the palette and the keys never disagree."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from lta_tui.tui.widgets.section_bar import SECTIONS

if TYPE_CHECKING:
    from lta_tui.tui.app import LtaApp

#: Screen actions the palette lists under their own names above, or that make no sense there
#: (focus moves, copying a selection).
_LEFT_OUT = {
    "all_agencies",
    "own_agency",
    "app.focus_next",
    "app.focus_previous",
    "screen.copy_text",
}


def palette_commands(app: LtaApp, screen: Screen) -> Iterator[SystemCommand]:
    if app.database_problem:
        return
    for s in SECTIONS:
        yield SystemCommand(
            f"Go to {s.label}",
            f"Switch to the {s.label} section (key {s.key})",
            partial(app.action_section, s.mode),
        )
    yield SystemCommand(
        "Help: keys of this screen",
        "What each key does here, and the conventions (? or F1)",
        app.action_help,
    )
    if getattr(screen, "SCOPED", False):
        if app.agency_scope is None:
            yield SystemCommand(
                f"Show only {app.config.user.agency}",
                "Limit the dashboard and lists to your agency's records (key a)",
                partial(app.set_agency_scope, all_agencies=False),
            )
        else:
            yield SystemCommand(
                "Show all agencies",
                "Show every agency's records (key a)",
                partial(app.set_agency_scope, all_agencies=True),
            )
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding, node = active.binding, active.node
        if (
            node is app
            or not active.enabled
            or not binding.description
            or binding.system
            or binding.action in _LEFT_OUT
            or binding.description in seen
        ):
            continue
        if not binding.show and node is not screen:
            continue  # cursor movement and the like
        seen.add(binding.description)
        yield SystemCommand(
            binding.description,
            binding.tooltip or f"key {app.get_key_display(binding)}",
            partial(node.run_action, binding.action),
        )

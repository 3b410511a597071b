"""lta-tui: a keyboard-first workbench for an inter-agency IT LTA run by secondary bidding.

Importing the package imports nothing heavy: the TUI, the database stack and the exporters load
only when a command needs them.
"""

__version__ = "0.1.0"

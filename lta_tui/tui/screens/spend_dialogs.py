"""The Spend screen's filter words and its two modals: the grouping picker (`g`) and the export
dialog (`x`) that writes the summary or the order lines behind it in a worker, with a progress
bar and `esc` to cancel (no partial file: the writers replace the target only once complete)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, ProgressBar, Select, Static
from textual.widgets.option_list import Option

from lta_tui.services.order_filter import FilterError, Vocabulary, parse_filter

if TYPE_CHECKING:
    from lta_tui.services.spend import SpendQuery, SpendReport

_CSS = Path(__file__).with_name("spend.tcss")

# --- the `/` words -------------------------------------------------------------------------

#: The words of the spend filter (the Orders filter's, less what the period and SPEND_STATUSES
#: already decide).
SPEND_WORDS = ("agency", "cons", "consolidator", "lot", "country", "channel", "kind", "asr")
SPEND_FILTER_HELP = "agency:UNDP cons:CONS-A lot:2 country:KE channel:direct kind:services"
_PERIOD_WORDS = ("from", "to", "year")


@dataclass(frozen=True)
class SpendWords:
    """What the `/` box narrows the spend to (the SpendQuery fields besides grouping and dates)."""

    agencies: tuple[str, ...] = ()
    lots: tuple[int, ...] = ()
    consolidators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str = field(default="", compare=False)


def parse_spend_filter(text: str, known: Vocabulary | None = None) -> SpendWords:
    """The `/` words of the Spend screen, in the Orders filter language; a word that is not a
    spend filter or a value that is wrong raises `FilterError` naming it."""
    for word in text.split():
        name, sep, _ = word.partition(":")
        key = name.lower()
        if not sep:
            raise FilterError(f"{word!r} is not a filter word; use {SPEND_FILTER_HELP}")
        if key in _PERIOD_WORDS:
            raise FilterError(f"{name}: the period sets the dates: [ and ] step it, p sizes it")
        if key == "status":
            raise FilterError(
                f"{name}: spend counts issued, partially delivered, delivered and closed orders"
            )
        if key not in SPEND_WORDS:
            raise FilterError(f"unknown filter {name}:; use {SPEND_FILTER_HELP}")
    flt = parse_filter(text, known=known)
    return SpendWords(
        agencies=flt.agencies,
        lots=flt.lots,
        consolidators=flt.consolidators,
        countries=flt.countries,
        channels=flt.channels,
        kinds=flt.asr,
        text=flt.text,
    )


def order_filter_text(query: SpendQuery) -> str:
    """The Orders screen's `/` text that selects the orders behind `query` (the spend counts
    only orders in SPEND_STATUSES)."""
    from lta_tui.domain.states import SPEND_STATUSES

    words = []
    for key, values in (
        ("agency", query.agencies),
        ("cons", query.consolidators),
        ("lot", tuple(str(n) for n in query.lots)),
        ("country", query.countries),
        ("channel", query.channels),
        ("asr", query.kinds),
    ):
        if values:
            words.append(f"{key}:{','.join(values)}")
    if query.date_from is not None:
        words.append(f"from:{query.date_from.isoformat()}")
    if query.date_to is not None:
        words.append(f"to:{query.date_to.isoformat()}")
    words.append("status:" + ",".join(s.value for s in SPEND_STATUSES))
    return " ".join(words)


# --- `g`: the grouping ---------------------------------------------------------------------


class GroupingDialog(ModalScreen["tuple[str, ...] | None"]):
    """Pick the dimensions to group by, in the order picked: `space` toggles, `enter` applies,
    `esc` cancels. Dismissed with the dimensions, or None."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Toggle"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self, current: Sequence[str], dimensions: Sequence[str], titles: dict[str, str]
    ) -> None:
        super().__init__()
        self.chosen = list(current)
        self.dimensions = tuple(dimensions)
        self.titles = titles

    def compose(self) -> ComposeResult:
        with Vertical(classes="spend-box") as box:
            box.border_title = "Group spend by"
            box.border_subtitle = "space toggles · enter applies · esc cancels"
            yield Static(
                "In the order picked: the first dimension is the outer one.",
                classes="spend-text",
            )
            yield OptionList(*(Option(self._prompt(d), id=d) for d in self.dimensions))
            yield Static("", id="grouping-error", classes="spend-error", markup=False)

    def _prompt(self, dimension: str) -> Text:
        if dimension in self.chosen:
            mark = f"{self.chosen.index(dimension) + 1}"
            return Text.assemble((f"[{mark}] ", "bold"), (self.titles[dimension], "bold"))
        return Text(f"[ ] {self.titles[dimension]}")

    def action_toggle(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        dimension = self.dimensions[options.highlighted]
        if dimension in self.chosen:
            self.chosen.remove(dimension)
        else:
            self.chosen.append(dimension)
        for name in self.dimensions:
            options.replace_option_prompt(name, self._prompt(name))
        self._error("")

    @on(OptionList.OptionSelected)
    def _apply(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not self.chosen:
            self._error("Choose at least one dimension (space).")
            return
        self.dismiss(tuple(self.chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, message: str) -> None:
        error = self.query_one("#grouping-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")


# --- `x`: the export -----------------------------------------------------------------------

SUMMARY, LINES = "summary", "lines"


@dataclass(frozen=True)
class ExportJob:
    """What the export dialog needs from the screen."""

    #: The summary; its query and scope select the order lines behind it.
    report: SpendReport
    engine: Callable[[], Any]
    #: File names without the extension, for the summary and for the lines.
    summary_stem: str
    lines_stem: str
    #: The user's role (words an R26 refusal).
    role: str = "focal_point"


class ExportDialog(ModalScreen["Path | None"]):
    """What to export (this summary, or the order lines behind it), in which format, to which
    file. The write runs in a thread worker; `esc` while it runs cancels it and no file is left.
    Dismissed with the path written, or None."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    class _Progress(Message):
        def __init__(self, done: int, total: int | None) -> None:
            super().__init__()
            self.done, self.total = done, total

    class _Finished(Message):
        def __init__(self, path: Path | None, error: str | None, cancelled: bool) -> None:
            super().__init__()
            self.path, self.error, self.cancelled = path, error, cancelled

    def __init__(self, job: ExportJob, summary_formats: Sequence[str], line_formats: Sequence[str]):
        super().__init__()
        self.job = job
        self.formats = {SUMMARY: tuple(summary_formats), LINES: tuple(line_formats)}
        self.cancel_event = threading.Event()
        self.running = False
        self._confirmed: Path | None = None  # an existing file the user agreed to replace

    def compose(self) -> ComposeResult:
        report = self.job.report
        with Vertical(classes="spend-box") as box:
            box.border_title = "Export spend"
            box.border_subtitle = "enter or ctrl+s exports · esc cancels"
            with Horizontal(classes="spend-field"):
                yield Label("What", classes="spend-label")
                yield Select(
                    [
                        (f"this summary ({len(report.rows):,} rows)", SUMMARY),
                        (f"the order lines behind it ({report.total.lines:,})", LINES),
                    ],
                    value=SUMMARY,
                    allow_blank=False,
                    id="export-what",
                    compact=True,
                )
            with Horizontal(classes="spend-field"):
                yield Label("Format", classes="spend-label")
                yield Select(
                    [(f, f) for f in self.formats[SUMMARY]],
                    value=self.formats[SUMMARY][0],
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
            with Horizontal(classes="spend-field"):
                yield Label("File", classes="spend-label")
                yield Input(self._default_name(), id="export-path", compact=True)
            yield Static(
                f"Relative to {Path.cwd()}", id="export-hint", classes="spend-hint", markup=False
            )
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-error", classes="spend-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    # --- the fields -------------------------------------------------------------------

    @property
    def what(self) -> str:
        return str(self.query_one("#export-what", Select).value)

    @property
    def fmt(self) -> str:
        return str(self.query_one("#export-format", Select).value)

    def _default_name(self, what: str = SUMMARY, fmt: str | None = None) -> str:
        stem = self.job.summary_stem if what == SUMMARY else self.job.lines_stem
        return f"{stem}.{fmt or self.formats[what][0]}"

    def _defaults(self) -> set[str]:
        return {self._default_name(w, f) for w, formats in self.formats.items() for f in formats}

    @on(Select.Changed, "#export-what")
    def _what_changed(self, event: Select.Changed) -> None:
        fmt = self.query_one("#export-format", Select)
        formats = self.formats[self.what]
        current = fmt.value
        fmt.set_options([(f, f) for f in formats])
        fmt.value = current if current in formats else formats[0]
        self._rename()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        self._rename()

    def _rename(self) -> None:
        """A file name still at its default follows the choice; a typed one is kept."""
        path = self.query_one("#export-path", Input)
        if path.value in self._defaults() or not path.value.strip():
            path.value = self._default_name(self.what, self.fmt)
        self._error("")

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def _target(self) -> Path | None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._error("File: type a file name, e.g. " + self._default_name(self.what, self.fmt))
            return None
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_dir():
            self._error(f"File: {path} is a folder; add a file name")
            return None
        if not path.parent.is_dir():
            self._error(f"File: the folder {path.parent} does not exist")
            return None
        if path.exists() and self._confirmed != path:
            self._confirmed = path
            self._error(f"File: {path.name} exists; enter again to replace it")
            return None
        return path

    def _error(self, message: str) -> None:
        error = self.query_one("#export-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")

    # --- running it -------------------------------------------------------------------

    def action_export(self) -> None:
        if self.running:
            return
        path = self._target()
        if path is None:
            return
        self.running = True
        self.cancel_event.clear()
        for widget in self.query("Select, Input"):
            widget.disabled = True
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("-shown")
        self.query_one("#export-hint", Static).update(f"Writing {path} …")
        self._error("")
        self._write(self.what, self.fmt, path)

    @work(thread=True, exit_on_error=False, group="spend-export")
    def _write(self, what: str, fmt: str, path: Path) -> None:
        """Writes in a thread; every outcome comes back as one `_Finished` message."""
        from lta_tui.exports.tabular import ExportCancelled

        job = self.job
        try:
            if what == SUMMARY:
                from lta_tui.services.spend_export import write_spend

                write_spend(job.report, fmt, path)
            else:
                from lta_tui.services.line_export import export_lines

                export_lines(
                    job.engine(),
                    job.report.query,
                    fmt,
                    path,
                    scope=job.report.scope,
                    role=job.role,
                    progress=self._report_progress,
                    cancelled=self.cancel_event.is_set,
                )
        except ExportCancelled:
            self.post_message(self._Finished(None, None, True))
        except Exception as exc:  # shown in the dialog: the user may pick another file
            self.post_message(self._Finished(None, str(exc) or exc.__class__.__name__, False))
        else:
            self.post_message(self._Finished(path, None, False))

    def _report_progress(self, done: int, total: int | None) -> None:
        """The writer's progress callback (in the worker's thread)."""
        self.post_message(self._Progress(done, total))

    @on(_Progress)
    def _progress(self, message: _Progress) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=message.total, progress=message.done)

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        self.running = False
        if message.cancelled:
            self.app.notify("Export cancelled: no file written.", timeout=4, markup=False)
            self.dismiss(None)
            return
        if message.error is not None:
            self.app.notify(
                message.error, title="Export failed", severity="error", timeout=8, markup=False
            )
            for widget in self.query("Select, Input"):
                widget.disabled = False
            self.query_one("#export-progress", ProgressBar).remove_class("-shown")
            self.query_one("#export-hint", Static).update("No file written.")
            self._error(f"Export failed: {message.error}")
            self.query_one("#export-path", Input).focus()
            return
        self.app.notify(f"Exported to {message.path}", title="Spend export", markup=False)
        self.dismiss(message.path)

    def action_cancel(self) -> None:
        if self.running:
            self.cancel_event.set()
            self.query_one("#export-hint", Static).update("Cancelling …")
            return
        self.dismiss(None)

"""The `lta-tui` command: the TUI by default, and `init`, `demo`, `import`, `db upgrade`,
`backup`.

User mistakes (bad config, bad flags, missing database) print one line on stderr and exit 2;
heavy modules (the database stack, Textual) load only in the command that needs them.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from lta_tui import __version__

app = typer.Typer(
    name="lta-tui",
    help="Keyboard-first workbench for the inter-agency IT LTA (GP500454): secondary bidding, "
    "orders, spend. Without a command, opens the TUI.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
import_app = typer.Typer(
    help="Load records from files, all or nothing (formats: see the README).", no_args_is_help=True
)
app.add_typer(import_app, name="import")
export_app = typer.Typer(help="Write documents for others to read.", no_args_is_help=True)
app.add_typer(export_app, name="export")


class _State:
    config_path: str | None = None
    db_url: str | None = None
    #: The database URL of the loaded config, for error messages.
    database_url: str | None = None


def fail(message: str) -> NoReturn:
    typer.echo(f"lta-tui: {message}", err=True)
    raise typer.Exit(2)


def load():
    """The validated config, or exit 2 with the message naming file, key and problem."""
    from lta_tui.config import ConfigError, load_config

    try:
        cfg = load_config(_State.config_path, _State.db_url)
    except ConfigError as exc:
        fail(str(exc))
    _State.database_url = cfg.database.url
    return cfg


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lta-tui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", envvar="LTA_TUI_CONFIG", help="Path of config.toml."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="LTA_TUI_DATABASE_URL", help="Database URL (overrides config)."
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _State.config_path, _State.db_url = config, db
    if ctx.invoked_subcommand is None:
        run_tui()


def run_tui() -> None:
    cfg = load()
    from lta_tui.tui.app import LtaApp

    result = LtaApp(cfg).run()
    if isinstance(result, str) and result:
        fail(result)


@app.command()
def init() -> None:
    """Create the database (or bring it up to date) and seed the reference data."""
    cfg = load()
    from lta_tui.services.database import initialise
    from lta_tui.services.reference import ReferenceDataError

    try:
        result = initialise(cfg)
    except ReferenceDataError as exc:
        fail(str(exc))
    if result.seed.changed:
        added = ", ".join(f"{n} {t}" for t, n in sorted(result.seed.added.items())) or "nothing"
        typer.echo(f"Initialised {result.url}: added {added}.")
    else:
        typer.echo(f"{result.url} is up to date: nothing to change.")


@app.command()
def demo(
    orders: Annotated[int, typer.Option(min=1, help="Number of orders to generate.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    until: Annotated[
        str | None, typer.Option(help="Last order date (ISO, default: today).")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete existing transactions first.")
    ] = False,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Do nothing (and succeed) when orders already exist."),
    ] = False,
) -> None:
    """Fill the database with a deterministic, realistic five-year demo data set."""
    from datetime import date

    cfg = load()
    try:
        end = date.fromisoformat(until) if until else date.today()
    except ValueError:
        fail(f"--until: {until!r} is not a date (YYYY-MM-DD)")
    if replace and if_empty:
        fail("--replace and --if-empty exclude each other")
    from lta_tui.services.database import initialise, open_engine, order_count
    from lta_tui.services.demo import DemoError, generate_demo

    engine = open_engine(cfg)
    initialise(cfg, engine)
    if if_empty and (held := order_count(engine)):
        typer.echo(f"The database already holds {held:,} orders: keeping them.")
        return
    try:
        summary = generate_demo(engine, cfg, orders=orders, seed=seed, until=end, replace=replace)
    except DemoError as exc:
        fail(str(exc))
    typer.echo(summary)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to this version (a backup of a SQLite file is taken first)."""
    cfg = load()
    from lta_tui.services.database import upgrade

    before, after, backup = upgrade(cfg)
    if before == after:
        typer.echo(f"Schema already at revision {after}.")
    else:
        typer.echo(f"Schema upgraded from {before or 'empty'} to {after}.")
    if backup:
        typer.echo(f"Backup: {backup}")


@app.command()
def backup(
    to: Annotated[Path | None, typer.Option("--to", help="Folder for the backup file.")] = None,
) -> None:
    """Copy the SQLite database with SQLite's online backup API."""
    cfg = load()
    from lta_tui.services.database import DatabaseNotReady
    from lta_tui.services.database import backup as take_backup

    try:
        path = take_backup(cfg, to)
    except (DatabaseNotReady, FileNotFoundError) as exc:
        fail(str(exc))
    typer.echo(f"Backup written to {path}")


def _ready_engine(cfg):
    """The engine of an existing, up-to-date database (else one line naming the fix)."""
    from lta_tui.services.database import check_ready, open_engine

    engine = open_engine(cfg, create=False)
    check_ready(engine)
    return engine


def _refused(exc) -> NoReturn:
    """Every problem of a refused import, one line each, at most SHOWN_PROBLEMS, then a count."""
    from lta_tui.services.import_files import SHOWN_PROBLEMS

    for problem in exc.problems[:SHOWN_PROBLEMS]:
        typer.echo(f"lta-tui: {exc.file}: {problem}", err=True)
    hidden = len(exc.problems) - SHOWN_PROBLEMS
    more = f" ({hidden:,} more not shown)" if hidden > 0 else ""
    typer.echo(f"lta-tui: {exc}{more}", err=True)
    raise typer.Exit(2)


FileArgument = Annotated[Path, typer.Argument(help="CSV (UTF-8, header row) or XLSX file.")]


@import_app.command("rates")
def import_rates_command(file: FileArgument) -> None:
    """UN Operational Rates of Exchange: currency,effective_date,units_per_usd[,source]."""
    from datetime import datetime, timezone

    cfg = load()
    from lta_tui.domain.rules import Refused
    from lta_tui.services.import_files import ImportFileError, ImportRefused
    from lta_tui.services.import_rates import import_rates

    engine = _ready_engine(cfg)
    try:
        result = import_rates(engine, cfg, file, now=datetime.now(timezone.utc))
    except (ImportFileError, Refused) as exc:
        fail(str(exc))
    except ImportRefused as exc:
        _refused(exc)
    typer.echo(result.summary())
    for change in result.changed:
        typer.echo(f"  changed {change}")


@import_app.command("orders")
def import_orders_command(
    file: FileArgument,
    acknowledge_warnings: Annotated[
        bool,
        typer.Option(
            "--acknowledge-warnings",
            help="Import even though orders raise warnings (R15 ceilings at or above the"
            " warning %): each order records its warnings as acknowledged by you.",
        ),
    ] = False,
) -> None:
    """Orders, one row per order line (columns: see the README); rows of one PO form an order."""
    from datetime import datetime, timezone

    cfg = load()
    from lta_tui.domain.rules import Refused
    from lta_tui.services.import_files import ImportFileError, ImportRefused
    from lta_tui.services.import_orders import import_orders

    engine = _ready_engine(cfg)
    try:
        with _progress_bar(f"importing {file.name}") as progress:  # gone before any message
            result = import_orders(
                engine,
                cfg,
                file,
                now=datetime.now(timezone.utc),
                progress=progress,
                acknowledge_warnings=acknowledge_warnings,
            )
    except (ImportFileError, Refused) as exc:
        fail(str(exc))
    except ImportRefused as exc:  # ImportNeedsAcknowledgement too: its last line says how
        _refused(exc)
    typer.echo(result.summary())


@export_app.command("competition")
def export_competition_command(
    reference: Annotated[str, typer.Argument(help="The competition, e.g. UNDP-MC-2026-004.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="evidence (the evidence pack) or rfq.")
    ] = "evidence",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write (.md or .xlsx); default: REFERENCE-KIND.md in this folder.",
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="md or xlsx (default: from --out).")
    ] = None,
) -> None:
    """A competition's evidence pack or request for quotation, as Markdown or XLSX. Offer prices
    appear only once the opening is recorded (R5)."""
    from datetime import datetime, timezone

    cfg = load()
    from lta_tui.domain.rules import check_permission
    from lta_tui.services.competition_documents import (
        CompetitionNotFound,
        UnknownExport,
        competition_agency,
        competition_id,
        default_filename,
        export,
        format_of,
    )

    engine = _ready_engine(cfg)
    now = datetime.now(timezone.utc)
    path = out
    try:
        chosen = format_of(out, fmt) if out is not None else (fmt or "md")
        if out is not None and fmt and out.suffix.lower() in (".md", ".markdown", ".xlsx"):
            named = format_of(out)
            if named != fmt:
                fail(f"{out.name} names a {named} file but --format is {fmt}: make them agree")
        with engine.connect() as conn:
            comp = competition_id(conn, reference)
            owner = competition_agency(conn, comp)
            user = cfg.user
            refused = check_permission(user.role, user.agency, "read", owner)  # R26
            if refused:
                fail(refused[0].message)
            path = out or Path.cwd() / default_filename(reference.strip().upper(), kind, chosen)
            written = export(conn, comp, kind, chosen, path, now, cfg.rules)
    except (CompetitionNotFound, UnknownExport) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    typer.echo(f"Written to {written}")


def _write_failed(out: Path | None, exc: OSError) -> NoReturn:
    """An export could not be written to `out` (None: standard output). A reader that stopped
    early (`| head`) ends the command quietly; any other error is one line."""
    if isinstance(exc, BrokenPipeError):
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        raise typer.Exit(0) from None
    fail(f"cannot write {out or 'to standard output'}: {exc.strerror or exc}")


def _codes(option: str, value: str | None) -> tuple[str, ...]:
    """A comma-separated option value as a tuple of its non-empty items."""
    if value is None:
        return ()
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    if not items:
        fail(f"{option}: give at least one value")
    return items


def _day(option: str, value: str | None):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")


#: The filter options of the spend and order-line exports.
_SpendFrom = Annotated[
    str | None, typer.Option("--from", help="First order date counted (YYYY-MM-DD).")
]
_SpendTo = Annotated[str | None, typer.Option("--to", help="Last order date counted (YYYY-MM-DD).")]
_SpendAgencies = Annotated[
    str | None, typer.Option("--agency", help="Only these agencies (codes, comma-separated).")
]
_SpendLots = Annotated[str | None, typer.Option("--lot", help="Only these lots, e.g. 2 or 1,3.")]
_SpendConsolidators = Annotated[
    str | None, typer.Option("--consolidator", help="Only these consolidators (codes).")
]


def _spend_query(
    group_by: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    agency: str | None,
    lot: str | None,
    consolidator: str | None,
):
    """The SpendQuery of the export options, or a one-line failure naming the bad option."""
    from lta_tui.services.spend import SpendQuery

    lots = _codes("--lot", lot)
    if not all(n.isdecimal() for n in lots):
        fail(f"--lot: {lot!r} is not a list of lot numbers (e.g. 2 or 1,3)")
    return SpendQuery(
        group_by=group_by,
        date_from=_day("--from", date_from),
        date_to=_day("--to", date_to),
        agencies=tuple(code.upper() for code in _codes("--agency", agency)),
        lots=tuple(int(n) for n in lots),
        consolidators=tuple(code.upper() for code in _codes("--consolidator", consolidator)),
    )


def _export_format(
    out: Path | None, fmt: str | None, formats: tuple[str, ...], default: str = "csv"
) -> str:
    """The export format chosen by --format or the file's suffix (`default` on standard
    output); xlsx only to a file."""
    from lta_tui.exports.files import export_format

    try:
        chosen = export_format(out, fmt, formats, default)
    except ValueError as exc:
        fail(str(exc))
    if chosen == "xlsx" and out is None:
        fail("an xlsx file cannot go to the terminal: name a file with -o PATH")
    return chosen


@export_app.command("lines")
def export_lines_command(
    date_from: _SpendFrom = None,
    date_to: _SpendTo = None,
    agency: _SpendAgencies = None,
    lot: _SpendLots = None,
    consolidator: _SpendConsolidators = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv or xlsx (default: from --out, or csv)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write; default: standard output (csv only)."),
    ] = None,
) -> None:
    """Every order line behind the spend (orders issued to closed), one row per line with its
    order, goods/services (R21) and USD amount. A focal point or viewer sees only the own
    agency."""
    from lta_tui.services.line_export import TABLE_FORMATS
    from lta_tui.services.spend import SpendQueryError

    query = _spend_query(("agency",), date_from, date_to, agency, lot, consolidator)
    chosen = _export_format(out, fmt, TABLE_FORMATS)
    cfg = load()
    from lta_tui.services.line_export import export_lines, write_lines_csv
    from lta_tui.services.spend import spend_scope

    engine = _ready_engine(cfg)
    scoped = {
        "scope": spend_scope(cfg),
        "role": cfg.user.role.value,
    }
    try:
        with _progress_bar(f"exporting order lines to {out or 'stdout'}") as progress:
            if out is None:
                write_lines_csv(engine, query, sys.stdout, progress=progress, **scoped)
                return
            written = export_lines(engine, query, chosen, out, progress=progress, **scoped)
    except SpendQueryError as exc:
        fail(str(exc))
    except OSError as exc:
        _write_failed(out, exc)
    typer.echo(f"Written to {written}")


@export_app.command("spend")
def export_spend_command(
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Grouping, comma-separated, in order: agency, lot, consolidator, year, quarter,"
            " month, contract_year, country, channel, kind.",
        ),
    ] = "agency",
    date_from: _SpendFrom = None,
    date_to: _SpendTo = None,
    agency: _SpendAgencies = None,
    lot: _SpendLots = None,
    consolidator: _SpendConsolidators = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, xlsx, json or md (default: from --out, or csv)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write; default: standard output (not xlsx)."),
    ] = None,
) -> None:
    """USD spend of the orders (issued to closed) grouped by the --by dimensions, with a TOTAL
    row equal to the sum of the order lines. A focal point or viewer sees only the own agency."""
    from lta_tui.services.spend import DIMENSIONS, SpendQueryError
    from lta_tui.services.spend_export import SPEND_FORMATS

    group_by = _codes("--by", by)
    for name in group_by:
        if name not in DIMENSIONS:
            fail(f"--by: unknown spend dimension {name!r}: choose from {', '.join(DIMENSIONS)}")
    query = _spend_query(group_by, date_from, date_to, agency, lot, consolidator)
    chosen = _export_format(out, fmt, SPEND_FORMATS)
    cfg = load()
    from lta_tui.services.spend import spend_report, spend_scope
    from lta_tui.services.spend_export import write_spend

    engine = _ready_engine(cfg)
    try:
        with engine.connect() as conn:
            report = spend_report(
                conn,
                query,
                scope=spend_scope(cfg),
                contract_start=cfg.lta.valid_from,
                role=cfg.user.role.value,
                lta=cfg.lta.reference,
            )
        written = write_spend(report, chosen, out if out is not None else sys.stdout)
    except SpendQueryError as exc:
        fail(str(exc))
    except OSError as exc:
        _write_failed(out, exc)
    if written is not None:
        typer.echo(f"Written to {written}")


@export_app.command("ocds")
def export_ocds_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="JSON file to write; default: standard output."),
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Only this agency's processes (code).")
    ] = None,
    date_from: Annotated[
        str | None,
        typer.Option("--from", help="First issue (competition) or order day (YYYY-MM-DD)."),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option("--to", help="Last issue (competition) or order day (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """OCDS 1.1 release package (JSON): the framework stage, then one contracting process per
    mini-competition and per direct order. A focal point or viewer gets the own agency's."""
    from datetime import datetime, timezone

    query_from, query_to = _day("--from", date_from), _day("--to", date_to)
    cfg = load()
    from lta_tui.config import Role, agency_codes
    from lta_tui.domain.rules import check_permission
    from lta_tui.services.ocds import OcdsError, OcdsFilter, export_ocds

    scope = None if cfg.user.role == Role.working_group else cfg.user.agency
    if agency is not None:
        code = agency.strip().upper()
        if code not in agency_codes(cfg.data_dir):
            fail(f"--agency: unknown agency {agency.strip()!r}")
        refused = check_permission(cfg.user.role, cfg.user.agency, "read", code)  # R26
        if refused:
            fail(refused[0].message)
        scope = code
    engine = _ready_engine(cfg)
    query = OcdsFilter(scope, query_from, query_to)
    try:
        with engine.connect() as conn:
            written, count = export_ocds(
                conn, cfg, datetime.now(timezone.utc), query, out if out is not None else sys.stdout
            )
    except OcdsError as exc:
        fail(str(exc))
    except OSError as exc:
        _write_failed(out, exc)
    if written is not None:
        typer.echo(f"Written to {written} ({count:,} releases)")


@import_app.command("consolidator-report")
def import_consolidator_report_command(file: FileArgument) -> None:
    """What consolidators report they sold: consolidator,agency,period,amount,currency
    [,po_number,lot]; one report per consolidator × agency × period, replacing one held."""
    from datetime import datetime, timezone

    cfg = load()
    from lta_tui.domain.rules import Refused
    from lta_tui.services.import_files import ImportFileError, ImportRefused
    from lta_tui.services.import_reports import import_consolidator_reports

    engine = _ready_engine(cfg)
    try:
        result = import_consolidator_reports(engine, cfg, file, now=datetime.now(timezone.utc))
    except (ImportFileError, Refused) as exc:
        fail(str(exc))
    except ImportRefused as exc:
        _refused(exc)
    typer.echo(result.summary())


@export_app.command("reconciliation")
def export_reconciliation_command(
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency (code).")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Reports whose period ends on or after this day.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Reports whose period starts on or before this day.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, xlsx, md or json (default: from --out, or csv)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write; default: standard output (not xlsx)."),
    ] = None,
) -> None:
    """Agency orders against consolidator reports by agency × consolidator × lot × period:
    matched, mismatch beyond the tolerance (R24), agency-only, consolidator-only. csv: every PO
    compared; md/xlsx: the summary and the POs that disagree; json: both."""
    from datetime import datetime, timezone

    from lta_tui.services.reconciliation import RECONCILIATION_FORMATS

    chosen = _export_format(out, fmt, RECONCILIATION_FORMATS)
    start, end = _day("--from", date_from), _day("--to", date_to)
    cfg = load()
    from lta_tui.domain.rules import Refused
    from lta_tui.services.reconciliation import (
        ReconciliationError,
        reconcile,
        write_reconciliation,
    )

    engine = _ready_engine(cfg)
    user = cfg.user
    try:
        with engine.connect() as conn:
            recon = reconcile(
                conn,
                scope=None if user.role.value == "working_group" else user.agency,
                date_from=start,
                date_to=end,
                tolerance_pct=cfg.rules.reconciliation_tolerance_pct,
                agency=agency.strip().upper() if agency else None,
                role=user.role.value,
                user_agency=user.agency,
            )
        written = write_reconciliation(
            recon, chosen, out if out is not None else sys.stdout, datetime.now(timezone.utc)
        )
    except (ReconciliationError, Refused) as exc:
        fail(str(exc))
    except OSError as exc:
        _write_failed(out, exc)
    if written is not None:
        typer.echo(f"Written to {written}")


@export_app.command("feedback")
def export_feedback_command(
    agency: Annotated[
        str | None, typer.Option("--agency", help="Only these agencies (codes, comma-separated).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Periods starting on or after this day.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Periods ending on or before this day.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="md, csv or json (default: from --out, or md)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write; default: standard output."),
    ] = None,
) -> None:
    """The UNGM LTA feedback tab's fields per agency × period (LTA reference, agency,
    contractual period, spend USD, general feedback), ready to type or paste. With --from and
    --to, an agency with no feedback recorded in that period gets its computed spend, marked
    not yet reported. A focal point or viewer sees only the own agency."""
    from datetime import datetime, timezone

    from lta_tui.services.feedback import FEEDBACK_FORMATS

    chosen = _export_format(out, fmt, FEEDBACK_FORMATS, default="md")
    start, end = _day("--from", date_from), _day("--to", date_to)
    codes = _codes("--agency", agency)
    cfg = load()
    from lta_tui.services.feedback import FeedbackQueryError, feedback_entries, write_feedback
    from lta_tui.services.spend import spend_scope

    engine = _ready_engine(cfg)
    try:
        with engine.connect() as conn:
            export = feedback_entries(
                conn,
                scope=spend_scope(cfg),
                lta=cfg.lta.reference,
                agencies=codes,
                date_from=start,
                date_to=end,
                role=cfg.user.role.value,
            )
        now = datetime.now(timezone.utc)
        written = write_feedback(export, chosen, out if out is not None else sys.stdout, now=now)
    except FeedbackQueryError as exc:
        fail(str(exc))
    except OSError as exc:
        _write_failed(out, exc)
    for entry in export.entries:
        if not entry.reported:
            typer.echo(
                f"lta-tui: {entry.agency} has no feedback recorded for {entry.contractual_period}:"
                " its computed spend is exported, marked not yet reported",
                err=True,
            )
    if not export.entries:
        typer.echo("lta-tui: no feedback recorded for what was asked", err=True)
    if written is not None:
        typer.echo(f"Written to {written}")


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(escape(label), total=None)  # a file name is not markup

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=max(total, done) if total else None)

        yield update


def database_error(exc: Exception) -> str | None:
    """One line for a database that cannot be reached or used, or None for a programming error."""
    from lta_tui.store.engine import DatabaseUrlError

    if isinstance(exc, DatabaseUrlError):
        return str(exc)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from lta_tui.services.database import DatabaseNotReady
    from lta_tui.services.reference import ReferenceDataError

    if isinstance(exc, (DatabaseNotReady, ReferenceDataError)):
        return str(exc)
    if isinstance(exc, sqlite3.DatabaseError):  # e.g. a backup of a file that is not SQLite
        return f"{_State.database_url or 'database'}: cannot use the database: {exc}"
    if not isinstance(exc, DBAPIError):
        return None
    lines = str(exc.orig or exc).strip().splitlines() or [exc.__class__.__name__]
    url = _State.database_url
    shown = make_url(url).render_as_string(hide_password=True) if url else "database"
    return f"{shown}: cannot use the database: {lines[0]}"


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        message = database_error(exc)
        if message is None:
            raise
        typer.echo(f"lta-tui: {message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()

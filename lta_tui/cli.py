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

"""The `asyncwfm ingest` command: read message logs into the event store."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from asyncwfm.config import load_config
from asyncwfm.errors import AsyncWfmError, InputError
from asyncwfm.ingest import FORMATS, IngestOptions, IngestReport, ingest_files

SALT_VARIABLE: Final = "ASYNCWFM_CUSTOMER_ID_SALT"
"""Environment variable that contains the salt of ``--hash-customer-ids``."""

PROGRESS_FROM_BYTES: Final = 20 * 2**20
"""Files at least this large (on disk) get a progress bar."""

_console = Console()
_error_console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the `ingest` command to ``app``."""

    @app.command("ingest")
    def ingest_command(
        sources: Annotated[
            list[Path], typer.Argument(help="Log files to read (plain or .gz).", show_default=False)
        ],
        db: Annotated[
            Path, typer.Option("--db", help="Event store (DuckDB file); created when missing.")
        ],
        format_name: Annotated[
            str,
            typer.Option(
                "--format", help=f"Source format: {', '.join(FORMATS)}.", show_default=True
            ),
        ] = "auto",
        column: Annotated[
            list[str] | None,
            typer.Option(
                "--column",
                help="Map a canonical column to a source column, as canonical=source "
                "(repeatable), e.g. --column timestamp=created.",
            ),
        ] = None,
        timezone: Annotated[
            str | None,
            typer.Option("--timezone", help="IANA time zone of timestamps without UTC offset."),
        ] = None,
        use_case: Annotated[
            str | None, typer.Option("--use-case", help="Use-case label for every event.")
        ] = None,
        channel: Annotated[
            str | None, typer.Option("--channel", help="Channel name for every event.")
        ] = None,
        sender: Annotated[
            str | None,
            typer.Option(
                "--sender",
                help="Sender of every row of a csv, tsv, parquet or jsonl file: customer, "
                "agent, bot or system. Replaces a sender column; for files that hold one "
                "side of the conversation.",
            ),
        ] = None,
        sender_value: Annotated[
            list[str] | None,
            typer.Option(
                "--sender-value",
                help="Map a source sender value to customer, agent, bot or system, as "
                "value=sender (repeatable), e.g. --sender-value user=customer.",
            ),
        ] = None,
        sender_synonyms: Annotated[
            bool,
            typer.Option(
                "--sender-synonyms",
                help="Also accept common sender names: user/client/contact -> customer, "
                "operator/staff/admin -> agent, chatbot/automation -> bot.",
            ),
        ] = False,
        bot_author: Annotated[
            list[str] | None,
            typer.Option(
                "--bot-author",
                help="Author name or id whose messages are bot messages (repeatable); "
                "added to bots.author_ids of --config.",
            ),
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config", help="Planning configuration (TOML); its bots.author_ids are bots."
            ),
        ] = None,
        business_author: Annotated[
            list[str] | None,
            typer.Option(
                "--business-author",
                help="Author name or id who writes for the business (WhatsApp chats, "
                "author-only logs); everyone else is a customer.",
            ),
        ] = None,
        dst_ambiguous: Annotated[
            str,
            typer.Option(
                "--dst-ambiguous",
                help="Local time repeated when clocks go back: first, last or reject.",
            ),
        ] = "first",
        dst_nonexistent: Annotated[
            str,
            typer.Option(
                "--dst-nonexistent",
                help="Local time skipped when clocks go forward: shift_forward or reject.",
            ),
        ] = "shift_forward",
        day_first: Annotated[
            bool | None,
            typer.Option(
                "--day-first/--month-first",
                help="Date order of WhatsApp exports; inferred from the whole file by default.",
                show_default=False,
            ),
        ] = None,
        hash_customer_ids: Annotated[
            bool,
            typer.Option(
                "--hash-customer-ids",
                help=f"Store a salted SHA-256 digest of customer ids; the salt is read "
                f"from the {SALT_VARIABLE} environment variable.",
            ),
        ] = False,
        encoding: Annotated[
            str, typer.Option("--encoding", help="Text encoding of files without a BOM.")
        ] = "utf-8",
        delimiter: Annotated[
            str | None,
            typer.Option("--delimiter", help="Field delimiter of CSV files (default ',')."),
        ] = None,
        timestamp_format: Annotated[
            str | None,
            typer.Option(
                "--timestamp-format",
                help="strftime format of generic timestamps, e.g. '%d/%m/%Y %H:%M'; "
                "default: ISO 8601 or Unix epoch seconds/milliseconds.",
            ),
        ] = None,
        rejected_out: Annotated[
            Path | None,
            typer.Option(
                "--rejected-out",
                help="Write every rejected record (file, line, reason) to this CSV file.",
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the reports as JSON.")
        ] = False,
    ) -> None:
        """Read message logs into the event store, reporting every rejected line.

        Exit status: 0 when rows were accepted and every file could be read, 1 when
        no row was accepted, 2 when a file could not be read or an option is invalid.
        """
        try:
            options = IngestOptions(
                format=format_name,
                columns=_pairs(column, "--column"),
                timezone=timezone,
                use_case=use_case,
                channel=channel,
                sender=sender,
                sender_values=_pairs(sender_value, "--sender-value"),
                sender_synonyms=sender_synonyms,
                bot_authors=_bot_authors(bot_author, config),
                business_authors=tuple(business_author or ()),
                dst_ambiguous=dst_ambiguous,  # type: ignore[arg-type]
                dst_nonexistent=dst_nonexistent,  # type: ignore[arg-type]
                day_first=day_first,
                customer_id_salt=_salt() if hash_customer_ids else None,
                encoding=encoding,
                delimiter=_delimiter(delimiter),
                timestamp_format=timestamp_format,
            )
            reports = _run(sources, db, options, rejected_out, show_progress=not json_output)
        except AsyncWfmError as exc:
            _error_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

        if json_output:
            typer.echo(json.dumps([report.to_dict() for report in reports], indent=2))
        else:
            _render(reports, rejected_out)
        raise typer.Exit(_exit_status(reports))


def _run(
    sources: list[Path],
    db: Path,
    options: IngestOptions,
    rejected_out: Path | None,
    *,
    show_progress: bool,
) -> list[IngestReport]:
    large = [
        path for path in sources if path.is_file() and path.stat().st_size >= PROGRESS_FROM_BYTES
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not (show_progress and large):
            return ingest_files(sources, db, options, on_error="report", rejected_out=rejected_out)
        with Progress(
            TextColumn("[bold]reading[/]"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=_error_console,
            transient=True,
        ) as progress:
            task = progress.add_task("reading", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return ingest_files(
                sources,
                db,
                options,
                progress=advance,
                on_error="report",
                rejected_out=rejected_out,
            )


def _render(reports: list[IngestReport], rejected_out: Path | None) -> None:
    table = Table(title="ingest", title_justify="left")
    table.add_column("file")
    table.add_column("format")
    for name in ("read", "accepted", "rejected", "duplicates", "inserted"):
        table.add_column(name, justify="right")
    for report in reports:
        table.add_row(
            Path(report.file).name,
            report.format,
            *(
                f"{value:,}"
                for value in (
                    report.rows_read,
                    report.accepted,
                    report.rejected,
                    report.duplicates,
                    report.inserted,
                )
            ),
        )
    _console.print(table)

    for report in reports:
        _render_details(report)
    if rejected_out is not None and any(report.rejected for report in reports):
        _console.print(f"rejected records written to {rejected_out}")


def _render_details(report: IngestReport) -> None:
    if report.status == "failed":
        _error_console.print(f"[bold red]error:[/] {report.error}", highlight=False, soft_wrap=True)
        return
    _console.print(
        f"{report.file}: {report.rows_read:,} read = {report.inserted:,} inserted + "
        f"{report.rejected:,} rejected + {report.duplicates:,} duplicates",
        highlight=False,
        soft_wrap=True,
    )
    if report.rejections:
        shown = len(report.rejections)
        _console.print(f"first rejected lines ({shown} of {report.rejected:,}):")
        for rejection in report.rejections:
            _console.print(
                f"  line {rejection.line}: {rejection.reason}", highlight=False, soft_wrap=True
            )
    for message in report.warnings:
        _error_console.print(f"warning: {message}", highlight=False, soft_wrap=True)


def _exit_status(reports: list[IngestReport]) -> int:
    if any(report.status == "failed" for report in reports):
        return 2
    return 0 if any(report.accepted for report in reports) else 1


def _bot_authors(names: list[str] | None, config: Path | None) -> tuple[str, ...]:
    configured = load_config(config).bots.author_ids if config is not None else []
    return tuple(dict.fromkeys([*(names or ()), *configured]))


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or ():
        key, separator, target = value.partition("=")
        if not separator or not key.strip() or not target.strip():
            raise InputError(f"invalid {option} {value!r}; write it as name=value.")
        pairs[key.strip()] = target.strip()
    return pairs


def _salt() -> str:
    salt = os.environ.get(SALT_VARIABLE, "")
    if not salt:
        raise InputError(
            f"--hash-customer-ids needs a salt in the {SALT_VARIABLE} environment variable; "
            "set it to a long random secret and keep it to hash later files the same way."
        )
    return salt


def _delimiter(value: str | None) -> str | None:
    if value in ("\\t", "tab", "TAB"):
        return "\t"
    return value

"""Write a generated log as a CSV, Parquet or JSON Lines file the generic readers ingest.

The file uses the canonical column names of the event table. ``source_file`` and
``source_line`` are left out because the reader sets them, and ``handle_seconds`` is
left out when the log was generated without it. Next to the file a sidecar
``<file>.provenance.json`` states that the data is synthetic and records the seed,
the parameters and the expected values per use case. A Parquet file also carries the
statement in its schema metadata.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Final, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from asyncwfm import __version__
from asyncwfm.errors import InputError
from asyncwfm.schema import Sender
from asyncwfm.synthetic.generator import GeneratedLog

LogFormat = Literal["csv", "parquet", "jsonl"]
LOG_FORMATS: Final[tuple[str, ...]] = ("csv", "parquet", "jsonl")

FILE_COLUMNS: Final[tuple[str, ...]] = (
    "event_key",
    "conversation_id",
    "timestamp",
    "sender",
    "agent_id",
    "customer_id",
    "channel",
    "use_case",
    "event_type",
    "text_length",
    "handle_seconds",
)


def provenance_path(path: str | Path) -> Path:
    """Return the sidecar path that :func:`write_log` writes next to ``path``."""
    target = Path(path)
    return target.with_name(target.name + ".provenance.json")


def format_from_suffix(path: str | Path) -> LogFormat:
    """Return the log format implied by the file name, raising InputError when unknown."""
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    by_suffix: dict[str, LogFormat] = {
        ".csv": "csv",
        ".parquet": "parquet",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
    }
    if suffix not in by_suffix:
        raise InputError(
            f"cannot tell the format of {str(path)!r} from its extension; "
            f"name it .csv, .parquet or .jsonl, or pass the format ({', '.join(LOG_FORMATS)})."
        )
    return by_suffix[suffix]


def write_log(
    log: GeneratedLog,
    path: str | Path,
    log_format: LogFormat | None = None,
    *,
    bot_author: str | None = None,
) -> Path:
    """Write the events of ``log`` and its provenance sidecar; return the file's path.

    Parameters
    ----------
    log : GeneratedLog
        The generated log.
    path : str or Path
        Target file; parent folders are created. A ``.gz`` suffix compresses CSV and
        JSON Lines output and is rejected for Parquet.
    log_format : {"csv", "parquet", "jsonl"}, optional
        Output format; taken from the file name when omitted.
    bot_author : str, optional
        Write bot events with sender ``agent`` and this ``agent_id``, as sources that do
        not flag bots do. Ingest such a file with the bot author option set to the same
        name.

    Returns
    -------
    Path
        The written events file.
    """
    target = Path(path)
    chosen = log_format if log_format is not None else format_from_suffix(target)
    if chosen not in LOG_FORMATS:
        raise InputError(f"invalid format {chosen!r}; use one of {', '.join(LOG_FORMATS)}.")
    if chosen == "parquet" and target.suffix.lower() == ".gz":
        raise InputError(
            f"invalid file name {str(target)!r}: Parquet is compressed inside the file; "
            "drop the .gz suffix."
        )
    target.parent.mkdir(parents=True, exist_ok=True)

    frame = file_frame(log, text_timestamps=chosen != "parquet", bot_author=bot_author)
    if chosen == "csv":
        frame.to_csv(target, index=False)
    elif chosen == "jsonl":
        frame.to_json(target, orient="records", lines=True, date_format="iso")
    else:
        _write_parquet(frame, target, log)

    provenance_path(target).write_text(
        json.dumps(provenance_record(log, target, chosen, bot_author=bot_author), indent=2) + "\n",
        encoding="utf-8",
    )
    return target


def file_frame(
    log: GeneratedLog, *, text_timestamps: bool = True, bot_author: str | None = None
) -> pd.DataFrame:
    """Return the events with the file's columns.

    With ``text_timestamps`` the timestamps become ISO 8601 text in UTC with a ``Z``
    suffix, for CSV and JSON Lines; Parquet keeps its timezone-aware timestamp type.
    With ``bot_author`` the bot events become agent events written by that author id.
    """
    columns = [
        column
        for column in FILE_COLUMNS
        if column != "handle_seconds" or log.includes_handle_seconds
    ]
    frame = log.events.loc[:, columns].copy()
    if text_timestamps:
        frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if bot_author is not None:
        is_bot = frame["sender"] == Sender.BOT.value
        frame.loc[is_bot, "agent_id"] = bot_author
        frame.loc[is_bot, "sender"] = Sender.AGENT.value
    return frame


def provenance_record(
    log: GeneratedLog, path: Path, log_format: str, *, bot_author: str | None = None
) -> dict[str, object]:
    """Return the sidecar's content: the synthetic statement, parameters and truth."""
    truth = [
        {key: _json_number(value) for key, value in vars(item).items()}
        for item in log.truth.values()
    ]
    return {
        "synthetic": True,
        "statement": log.provenance,
        "file": path.name,
        "format": log_format,
        "generator": f"asyncwfm {__version__} asyncwfm.synthetic.generate_log",
        "seed": log.seed,
        "start": log.start.isoformat(),
        "days": log.days,
        "timezone": log.timezone,
        "handle_seconds": log.includes_handle_seconds,
        "bot_author": bot_author,
        "events": len(log.events),
        "conversations": int(log.events["conversation_id"].nunique()),
        "expected_per_use_case": truth,
    }


def _write_parquet(frame: pd.DataFrame, target: Path, log: GeneratedLog) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[b"asyncwfm.synthetic"] = b"true"
    metadata[b"asyncwfm.provenance"] = log.provenance.encode("utf-8")
    pq.write_table(table.replace_schema_metadata(metadata), target)


def _json_number(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value

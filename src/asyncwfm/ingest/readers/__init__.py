"""One reader per source format; :func:`reader_for` returns the reader of a format name."""

from __future__ import annotations

from asyncwfm.errors import InputError
from asyncwfm.ingest.bank import read_bank
from asyncwfm.ingest.options import GENERIC_FORMATS, IngestOptions
from asyncwfm.ingest.readers.base import Reader, SourceContext
from asyncwfm.ingest.readers.generic import read_csv, read_jsonl, read_parquet, read_tsv
from asyncwfm.ingest.readers.helpdesk import (
    read_freshchat,
    read_helpdesk_csv,
    read_intercom,
    read_zendesk,
)
from asyncwfm.ingest.readers.twcs import read_twcs
from asyncwfm.ingest.readers.twilio import read_twilio
from asyncwfm.ingest.readers.whatsapp import read_whatsapp

READERS: dict[str, Reader] = {
    "csv": read_csv,
    "tsv": read_tsv,
    "parquet": read_parquet,
    "jsonl": read_jsonl,
    "twcs": read_twcs,
    "whatsapp": read_whatsapp,
    "twilio": read_twilio,
    "zendesk": read_zendesk,
    "intercom": read_intercom,
    "freshchat": read_freshchat,
    "helpdesk": read_helpdesk_csv,
    "bank": read_bank,
}
"""Reader of each format name except ``auto``."""


def reader_for(format_name: str, options: IngestOptions | None = None) -> Reader:
    """Return the reader of ``format_name``, or raise InputError naming the known formats.

    With ``options``, also raise InputError when they set a sender for every row but
    the format is not one of :data:`~asyncwfm.ingest.options.GENERIC_FORMATS`, whose
    readers alone honour it.
    """
    try:
        reader = READERS[format_name]
    except KeyError:
        raise InputError(
            f"no reader for format {format_name!r}; use one of {', '.join(sorted(READERS))}."
        ) from None
    if options is not None and options.sender is not None and format_name not in GENERIC_FORMATS:
        generic = f"{', '.join(GENERIC_FORMATS[:-1])} and {GENERIC_FORMATS[-1]}"
        raise InputError(
            f"--sender sets the sender of generic {generic} files; the {format_name} reader "
            "takes the sender from the file. Leave --sender out."
        )
    return reader


__all__ = ["READERS", "Reader", "SourceContext", "reader_for"]

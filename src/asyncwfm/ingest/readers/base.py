"""The reader interface and the helpers most readers share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa

from asyncwfm.errors import InputError
from asyncwfm.ingest.normalize import ChunkResult
from asyncwfm.ingest.options import TEXT_COLUMNS, IngestOptions
from asyncwfm.ingest.source import SourceStream

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) of the file on disk as reading advances."""


@dataclass
class SourceContext:
    """One source file being read: its path, the options, and what reading found out.

    Attributes
    ----------
    path : Path
        The file.
    source_file : str
        The name stored in ``events.source_file`` and in ingest runs.
    options : IngestOptions
        How to read it.
    progress : callable or None
        Receives (bytes done, bytes total).
    warnings : list of str
        File-level problems (damage, fallbacks), added by the reader.
    stream : SourceStream or None
        The text stream, once :meth:`open_text` was called.
    file_sha256 : str or None
        Digest of the file for readers that do not read it as a text stream.
    """

    path: Path
    source_file: str
    options: IngestOptions
    progress: ProgressCallback | None = None
    warnings: list[str] = field(default_factory=list)
    stream: SourceStream | None = None
    file_sha256: str | None = None

    def open_text(self) -> SourceStream:
        """Open the file as a UTF-8 text stream; the pipeline closes it."""
        self.stream = SourceStream(self.path, encoding=self.options.encoding)
        return self.stream

    def report_progress(self) -> None:
        """Send the bytes read so far to the progress callback."""
        if self.progress is not None and self.stream is not None:
            self.progress(self.stream.bytes_done, self.stream.size_bytes)

    def sha256(self) -> str | None:
        """Return the SHA-256 of the file, when the reader hashed it or read it as a stream."""
        if self.stream is not None:
            return self.stream.sha256()
        return self.file_sha256


class Reader(Protocol):
    """A source format: turns one file into chunks of accepted events and rejections."""

    def __call__(self, context: SourceContext) -> Iterator[ChunkResult]: ...


def resolve_columns(
    found: Sequence[str],
    options: IngestOptions,
    *,
    required: Sequence[str],
    wanted: Sequence[str],
    source: str,
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Map canonical column names to the source's column names.

    A canonical name is taken from ``options.columns`` when mapped there, else from a
    source column of the same name (case-insensitive), else from the first present
    entry of ``synonyms[name]``. ``text`` also matches the columns in
    :data:`~asyncwfm.ingest.options.TEXT_COLUMNS`.

    Raises
    ------
    InputError
        When a mapped column is not in the source, or a required one cannot be found.
        The message names what is missing and what was found.
    """
    by_lower = {name.lower(): name for name in reversed(found)}
    all_synonyms: dict[str, Sequence[str]] = {"text": TEXT_COLUMNS, **(synonyms or {})}
    resolved: dict[str, str] = {}
    for canonical in wanted:
        mapped = options.columns.get(canonical)
        if mapped is not None:
            if mapped not in found and mapped.lower() not in by_lower and "." not in mapped:
                raise InputError(
                    f"{source}: column {mapped!r} mapped to {canonical} is not in the file; "
                    f"found {list(found)}."
                )
            resolved[canonical] = (
                mapped if mapped in found else by_lower.get(mapped.lower(), mapped)
            )
            continue
        for candidate in (canonical, *all_synonyms.get(canonical, ())):
            if candidate.lower() in by_lower:
                resolved[canonical] = by_lower[candidate.lower()]
                break
    missing = [name for name in required if name not in resolved]
    if missing:
        raise InputError(
            f"{source}: missing required column(s) {missing}; found {list(found)}. "
            f"Rename them or map them with --column {missing[0]}=<source column>."
        )
    return resolved


def string_column(table: pa.Table, name: str | None) -> pa.Array | None:
    """Return column ``name`` of ``table`` as one string array, or None without a name."""
    if name is None:
        return None
    column = table.column(name)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        try:
            column = column.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError(
                f"column {name!r} has type {column.type}, which cannot be read as text."
            ) from None
    return column.combine_chunks().cast(pa.string())


def empty_reasons(size: int) -> np.ndarray:
    """Return an object array of ``size`` Nones: no row rejected yet."""
    return np.full(size, None, dtype=object)


def sender_from_authors(authors: pa.Array, options: IngestOptions) -> pa.Array:
    """Return ``agent`` for authors listed in ``options.business_authors``, else ``customer``."""
    import pyarrow.compute as pc

    business = pa.array(
        sorted({a.strip().lower() for a in options.business_authors}), type=pa.string()
    )
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(authors))
    is_business = pc.fill_null(pc.is_in(lowered, value_set=business), False)
    return pc.if_else(is_business, "agent", "customer")

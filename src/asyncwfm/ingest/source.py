"""Opening a source file as a stream of UTF-8 bytes, plain or gzip-compressed.

The stream hides compression, byte order marks and non-UTF-8 encodings from the
readers, counts the bytes read for progress bars, hashes the file as it goes, and
records damage (a truncated gzip stream) instead of raising. A reader can then keep
the rows that came before the damage and report what was lost.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np

from asyncwfm.errors import InputError

_GZIP_MAGIC: Final = b"\x1f\x8b"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PIECE_BYTES: Final = 1 << 20
_MAX_UNREADABLE_SHARE: Final = 0.1


class _HashingReader(io.RawIOBase):
    """A raw file reader that hashes and counts every byte read through it."""

    def __init__(self, handle: BinaryIO) -> None:
        super().__init__()
        self._handle = handle
        self.digest = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._handle.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.digest.update(data)
        self.bytes_read += count
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()


class SourceStream:
    """A source file read as UTF-8 bytes, with progress, a SHA-256 digest and damage notes.

    Parameters
    ----------
    path : Path
        The file; gzip compression is recognised by its magic bytes, not its name.
    encoding : str
        Encoding of the text when the file has no byte order mark. Files in another
        encoding than UTF-8 are transcoded to UTF-8 as they are read.

    Attributes
    ----------
    size_bytes : int
        Size of the file on disk, the total for progress bars.
    compressed : bool
        Whether the file is gzip-compressed.
    encoding : str
        The encoding the text is decoded from (from the byte order mark when present).
    damage : str or None
        Why reading stopped before the end of the data, for example a truncated gzip
        stream; None when the whole file was read.
    """

    def __init__(self, path: Path, encoding: str = "utf-8") -> None:
        self.path = path
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise InputError(f"source file not found: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory; pass the files in it instead.") from None
        except OSError as exc:
            raise InputError(f"cannot open source file {path}: {exc.strerror}") from None
        self.size_bytes = path.stat().st_size

        self._raw = _HashingReader(handle)
        self._buffered = io.BufferedReader(self._raw, buffer_size=_PIECE_BYTES)
        magic = self._buffered.peek(4)[:4]
        if magic.startswith(_ZIP_MAGIC):
            self.close()
            raise InputError(
                f"{path} is a zip archive; extract it and pass the files inside "
                "(a WhatsApp export holds a _chat.txt or 'WhatsApp Chat with ....txt')."
            )

        self.compressed = magic.startswith(_GZIP_MAGIC)
        self._stream: BinaryIO = (
            gzip.GzipFile(fileobj=self._buffered, mode="rb")  # type: ignore[assignment]
            if self.compressed
            else self._buffered
        )

        self.damage: str | None = None
        self._pending = b""
        self._pushed_back = b""
        self.encoding = self._detect_encoding(encoding)
        self._decoder = (
            None
            if self.encoding == "utf-8"
            else codecs.getincrementaldecoder(self.encoding)(errors="strict")
        )
        self._decoded_bytes = 0

    def __enter__(self) -> SourceStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._buffered.close()

    @property
    def bytes_done(self) -> int:
        """Bytes of the file on disk consumed so far."""
        return self._raw.bytes_read

    def sha256(self) -> str:
        """Return the SHA-256 digest of the file bytes read so far (all of them at the end)."""
        return self._raw.digest.hexdigest()

    def read(self, size: int) -> bytes:
        """Return up to ``size`` bytes of UTF-8 text; ``b""`` at the end or after damage."""
        if self._pushed_back:
            data, self._pushed_back = self._pushed_back[:size], self._pushed_back[size:]
            return data
        if self._decoder is None:
            return self._read_decompressed(size)
        return self._read_transcoded(size)

    def peek(self, size: int) -> bytes:
        """Return up to ``size`` bytes of UTF-8 text without consuming them."""
        data = self.read(size)
        self._pushed_back = data + self._pushed_back
        return data

    def read_all_remaining(self) -> bytes:
        """Return the rest of the text as UTF-8 bytes."""
        pieces = []
        while piece := self.read(_PIECE_BYTES * 8):
            pieces.append(piece)
        return b"".join(pieces)

    def _detect_encoding(self, fallback: str) -> str:
        head = self._read_raw(4)
        for bom, name in _BOMS:
            if head.startswith(bom):
                self._pending = head[len(bom) :]
                return name
        self._pending = head
        return codecs.lookup(fallback).name if fallback else "utf-8"

    def _read_decompressed(self, size: int) -> bytes:
        pieces = [self._pending] if self._pending else []
        have = len(self._pending)
        self._pending = b""
        while have < size:
            piece = self._read_raw(min(size - have, _PIECE_BYTES))
            if not piece:
                break
            pieces.append(piece)
            have += len(piece)
        return b"".join(pieces)

    def _read_transcoded(self, size: int) -> bytes:
        assert self._decoder is not None
        raw = self._read_decompressed(size)
        final = not raw
        try:
            text = self._decoder.decode(raw, final=final)
        except UnicodeDecodeError as exc:
            position = self._decoded_bytes + exc.start
            raise InputError(
                f"cannot decode {self.path} as {self.encoding} at byte {position}: {exc.reason}; "
                "pass the file's encoding with --encoding."
            ) from None
        self._decoded_bytes += len(raw)
        if final and not text:
            return b""
        return text.encode("utf-8", errors="surrogatepass") or self._read_transcoded(size)

    def _read_raw(self, size: int) -> bytes:
        if self.damage is not None:
            return b""
        try:
            if self.compressed:
                return self._stream.read1(size)  # type: ignore[attr-defined]
            return self._stream.read(size)
        except EOFError:
            self.damage = (
                "the gzip stream is truncated: it ends before its end-of-stream marker, "
                "so the rows after the last complete line are missing"
            )
        except (gzip.BadGzipFile, zlib.error) as exc:
            self.damage = f"the gzip stream is damaged ({exc}); the rows after it are missing"
        except OSError as exc:
            self.damage = f"reading stopped with an error ({exc}); the rows after it are missing"
        return b""


_REPLACED_POSITIONS = threading.local()


def _record_replacement(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    _REPLACED_POSITIONS.positions.append(error.start)
    return "\ufffd", error.end


codecs.register_error("asyncwfm-record-replace", _record_replacement)


def repair_utf8(block: bytes) -> tuple[bytes, np.ndarray]:
    """Replace invalid UTF-8 sequences in ``block`` with U+FFFD.

    Returns
    -------
    bytes
        Valid UTF-8 with the same line breaks as ``block``.
    numpy.ndarray
        Byte offsets in ``block`` of the invalid sequences, for naming their lines.
    """
    _REPLACED_POSITIONS.positions = []
    try:
        text = block.decode("utf-8", errors="asyncwfm-record-replace")
        positions = np.asarray(_REPLACED_POSITIONS.positions, dtype=np.int64)
    finally:
        _REPLACED_POSITIONS.positions = []
    return text.encode("utf-8", errors="surrogatepass"), positions


def binary_data_reason(data: bytes) -> str | None:
    """Return why ``data`` (the start of a decoded file) is binary, or None when it is text.

    Text has no NUL bytes, and at most 10% of its characters are invalid UTF-8 or
    control characters other than tab, line feed, carriage return and form feed. A
    file in another encoding with a few accented letters stays under that share.
    """
    if not data:
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        return f"a NUL byte at byte {nul}"
    text = data.decode("utf-8", errors="replace")
    unreadable = sum(
        1 for char in text if char == "\ufffd" or (ord(char) < 32 and char not in "\t\n\r\f")
    )
    if unreadable > _MAX_UNREADABLE_SHARE * len(text):
        return (
            f"{unreadable} of its first {len(text)} characters are invalid UTF-8 or "
            "control characters"
        )
    return None


def line_numbers_of(block: bytes, offsets: np.ndarray, first_line: int) -> np.ndarray:
    """Return the 1-based line numbers of byte ``offsets`` in ``block``.

    ``first_line`` is the line number of the block's first byte; lines end at ``\\n``.
    """
    newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    return first_line + np.searchsorted(newlines, offsets, side="left")


def iter_line_blocks(stream: SourceStream, chunk_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Yield runs of whole lines of ``stream`` and the line number of each run's first line.

    Each run ends just after a line feed, except the last one when the file does not
    end with a line feed. A line longer than ``chunk_bytes`` makes its run longer.
    """
    carry = b""
    next_line = 1
    while True:
        piece = stream.read(chunk_bytes)
        data = carry + piece
        if not piece:
            if data:
                yield data, next_line
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        block, carry = data[:cut], data[cut:]
        yield block, next_line
        next_line += block.count(b"\n")

"""Scale benchmark of the ingest stage on a generated TWCS-shaped file.

Run from the repository root::

    python -m bench.bench_ingest                 # 2.8 million rows, the full TWCS size
    python -m bench.bench_ingest --rows 200000   # a quick run

The benchmark writes a CSV with the columns and shape of the Kaggle "Customer
Support on Twitter" file under ``/tmp``: threads of customer and brand tweets, brand
replies signed with agent initials, and quoted texts with commas, quotes and line
breaks. It then ingests the file into a new DuckDB file in a child process and
reports the child's wall time, CPU time and peak resident memory
(``resource.getrusage`` in the child).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FULL_TWCS_ROWS = 2_811_774
"""Rows of the full public TWCS file: pandas reads Kaggle's ``twcs.csv`` as 2,811,774 x 7."""

TWCS_HEADER = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
)

_WORDS = (
    "thanks",
    "for",
    "reaching",
    "out",
    "we",
    "are",
    "sorry",
    "to",
    "hear",
    "about",
    "the",
    "delay",
    "please",
    "send",
    "us",
    "a",
    "DM",
    "with",
    "your",
    "order",
    "number",
    "and",
    "we",
    "will",
    "look",
    "into",
    "it",
    "right",
    "away",
    "my",
    "package",
    "never",
    "arrived",
    "and",
    "the",
    "app",
    "keeps",
    "crashing",
    "since",
    "the",
    "update",
    "can",
    "you",
    "help",
    "why",
    "is",
    "my",
    "flight",
    "delayed",
    "again",
    "the",
    "store",
    "was",
    "closed",
    "early",
    "today",
    "I",
    "have",
    "been",
    "waiting",
    "for",
    "hours",
    "still",
    "no",
    "refund",
)


def generate_twcs_like_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """Write a TWCS-shaped CSV of ``rows`` tweets to ``path`` and return the path.

    Threads alternate customer and brand tweets and are written contiguously, as in
    the public file. About 11% of the tweets get a second reply id in
    ``response_tweet_id``. Brand replies end with a sign-off in the brand's style
    (``^AB``, ``-AB``, ``/AB``, ``*AB``, `` - AB`` or none). Texts are built from a fixed
    word list. Some contain commas, double quotes or line breaks, and only those are
    quoted, as in the public file.
    """
    rng = np.random.default_rng(seed)

    thread_of_row, position = _thread_layout(rows, rng)
    threads = int(thread_of_row[-1]) + 1
    tweet_ids = pa.array(np.arange(1, rows + 1, dtype=np.int64)).cast(pa.string())
    is_first = position == 0
    is_last = np.append(thread_of_row[1:] != thread_of_row[:-1], True)
    inbound = position % 2 == 0

    brands, styles = _brands(rng)
    brand_weights = 1.0 / np.arange(1, len(brands) + 1)
    brand_of_thread = rng.choice(len(brands), size=threads, p=brand_weights / brand_weights.sum())
    customer_of_thread = rng.integers(115_712, 115_712 + 700_000, size=threads)
    brand_index = brand_of_thread[thread_of_row]
    customer = pa.array(customer_of_thread[thread_of_row]).cast(pa.string())
    brand_names = pa.array(brands).take(pa.array(brand_index))
    author = pc.if_else(pa.array(inbound), customer, brand_names)

    created = _timestamps(thread_of_row, is_first, threads, rng)
    text = _texts(rows, inbound, brand_names, customer, brand_index, styles, rng)

    previous_id = pa.array(np.arange(0, rows, dtype=np.int64)).cast(pa.string())
    next_id = pa.array(np.arange(2, rows + 2, dtype=np.int64)).cast(pa.string())
    parent = pc.if_else(pa.array(is_first), "", previous_id)
    second_reply = pa.array(rng.random(rows) < 0.11)
    response = pc.if_else(
        pa.array(is_last),
        "",
        pc.if_else(second_reply, pc.binary_join_element_wise(next_id, "999999999", ","), next_id),
    )
    inbound_text = pc.if_else(pa.array(inbound), "True", "False")

    line = pc.binary_join_element_wise(
        tweet_ids, author, inbound_text, created, _quoted(text), _quoted(response), parent, ","
    )
    _write_lines(path, line)
    return path


def _quoted(values: pa.Array) -> pa.Array:
    needs_quotes = pc.match_substring_regex(values, '[,"\\n\\r]')
    escaped = pc.replace_substring(values, '"', '""')
    return pc.if_else(needs_quotes, pc.binary_join_element_wise('"', escaped, '"', ""), values)


def _write_lines(path: Path, lines: pa.Array) -> None:
    with path.open("wb") as handle:
        handle.write(TWCS_HEADER.encode())
        for start in range(0, len(lines), 500_000):
            block = pc.binary_join_element_wise(lines[start : start + 500_000], "", "\n")
            handle.write(_buffer(block))


def _buffer(block: pa.Array) -> bytes:
    offsets = np.frombuffer(block.buffers()[1], dtype=np.int32)[
        block.offset : block.offset + len(block) + 1
    ]
    return block.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def _thread_layout(rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    lengths = 1 + rng.geometric(0.45, size=rows // 2 + 16)
    ends = np.cumsum(lengths)
    count = int(np.searchsorted(ends, rows)) + 1
    lengths = lengths[:count]
    thread_of_row = np.repeat(np.arange(count), lengths)[:rows]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    position = np.arange(rows) - starts[thread_of_row]
    return thread_of_row, position


def _brands(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    styles = ["^", "-", "/", "*", " - ", ""]
    brands = [f"Brand{index:03d}Support" for index in range(108)]
    chosen = [styles[int(i)] for i in rng.integers(0, len(styles), size=len(brands))]
    return brands, chosen


def _timestamps(
    thread_of_row: np.ndarray, is_first: np.ndarray, threads: int, rng: np.random.Generator
) -> pa.Array:
    start_seconds = 1_506_816_000 + rng.integers(0, 61 * 86_400, size=threads)
    gaps = rng.exponential(1200.0, size=len(thread_of_row)).astype(np.int64)
    gaps[is_first] = 0
    offsets = np.cumsum(gaps)
    thread_start_offset = offsets[np.flatnonzero(is_first)]
    seconds = start_seconds[thread_of_row] + offsets - thread_start_offset[thread_of_row]
    stamps = pa.array(seconds, type=pa.timestamp("s", tz="UTC"))
    return pc.strftime(stamps, format="%a %b %d %H:%M:%S +0000 %Y")


def _texts(
    rows: int,
    inbound: np.ndarray,
    brand_names: pa.Array,
    customer: pa.Array,
    brand_index: np.ndarray,
    styles: list[str],
    rng: np.random.Generator,
) -> pa.Array:
    pool = pa.array(_phrase_pool(rng))
    body = pool.take(pa.array(rng.integers(0, len(pool), size=rows)))
    initials = pa.array([chr(65 + a) + chr(65 + b) for a in range(26) for b in range(26)])
    agent = initials.take(pa.array(rng.integers(0, 40, size=rows) + brand_index * 3))
    style = pa.array(styles).take(pa.array(brand_index))
    signoff = pc.if_else(
        pc.equal(style, ""), "", pc.binary_join_element_wise(" ", style, agent, "")
    )
    mention = pc.if_else(
        pa.array(inbound),
        pc.binary_join_element_wise("@", brand_names, ""),
        pc.binary_join_element_wise("@", customer, ""),
    )
    reply_text = pc.binary_join_element_wise(mention, " ", body, signoff, "")
    customer_text = pc.binary_join_element_wise(mention, " ", body, "")
    return pc.if_else(pa.array(inbound), customer_text, reply_text)


def _phrase_pool(rng: np.random.Generator) -> list[str]:
    phrases = []
    for index in range(4000):
        length = int(rng.integers(5, 34))
        words = [str(w) for w in rng.choice(_WORDS, size=length)]
        if index % 3 == 0:
            words.insert(length // 2, "and, well,")
        if index % 60 == 0:
            words.insert(1, 'the "new" one')
        if index % 27 == 0:
            words.insert(length // 2, "\n")
        phrases.append(" ".join(words))
    return phrases


def run_ingest_in_child(csv_path: Path, db_path: Path) -> dict[str, object]:
    """Ingest ``csv_path`` into ``db_path`` in a child process; return its time and memory.

    The child reports its own ``getrusage(RUSAGE_SELF)``: ``peak_rss_mib`` is its
    maximum resident set size (kilobytes on Linux, converted to MiB) and
    ``cpu_seconds`` its user plus system time. Linux carries the maximum resident
    size of the forking process over into the child, so call this from a process
    whose own memory is small.
    """
    code = (
        "import json, resource, sys, warnings\n"
        "from asyncwfm.ingest import IngestOptions, ingest_files\n"
        "warnings.simplefilter('ignore')\n"
        "r = ingest_files([sys.argv[1]], sys.argv[2], IngestOptions(format='twcs'))[0]\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'rows_read': r.rows_read, 'accepted': r.accepted, "
        "'rejected': r.rejected, 'inserted': r.inserted, 'duplicates': r.duplicates, "
        "'cpu_seconds': round(u.ru_utime + u.ru_stime, 2), "
        "'peak_rss_mib': round(u.ru_maxrss / 1024, 1)}))\n"
    )
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", code, str(csv_path), str(db_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    wall_seconds = time.perf_counter() - started
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return {**measured, "wall_seconds": round(wall_seconds, 2)}


def main(argv: list[str] | None = None) -> None:
    """Generate the file, ingest it in a child process and print the measurements.

    ``argv`` are the command-line options; None (as ``python -m bench`` calls it)
    means the defaults.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=FULL_TWCS_ROWS, help="tweets to generate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()), help="where files go"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--generate-only", type=Path, default=None, help="write the CSV to this path and stop"
    )
    arguments = parser.parse_args(argv or [])

    if arguments.generate_only is not None:
        generate_twcs_like_csv(arguments.generate_only, arguments.rows, seed=arguments.seed)
        return

    csv_path = arguments.workdir / f"asyncwfm-bench-twcs-{arguments.rows}.csv"
    db_path = arguments.workdir / f"asyncwfm-bench-twcs-{arguments.rows}.duckdb"
    db_path.unlink(missing_ok=True)

    # The file is generated in its own process, because a child forked from a parent
    # with gigabytes in memory would report the parent's pages in its peak memory.
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_ingest",
            "--rows",
            str(arguments.rows),
            "--seed",
            str(arguments.seed),
            "--generate-only",
            str(csv_path),
        ],
        check=True,
    )
    generate_seconds = time.perf_counter() - started

    result = run_ingest_in_child(csv_path, db_path)
    result["file_mib"] = round(csv_path.stat().st_size / 2**20, 1)
    result["generate_seconds"] = round(generate_seconds, 2)
    result["machine"] = f"{platform.processor() or platform.machine()}, {_cpu_count()} CPUs"
    result["python"] = platform.python_version()
    print(json.dumps(result, indent=2))

    if not arguments.keep:
        csv_path.unlink(missing_ok=True)
        db_path.unlink(missing_ok=True)


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main(sys.argv[1:])

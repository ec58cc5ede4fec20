"""Time ``asyncwfm.measure.measure`` on a generated log of about one million events.

Run with ``python -m bench.bench_measure [EVENTS]``. The log is synthetic. Poisson
conversation starts over 30 days fall into 5 use cases, with 1 to 5 customer turns per
conversation separated by exponential think times. 300 agents reply with 1 to 3
messages per turn; a bot answers 5% of turns and 5% stay unanswered.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.measure import measure

DAYS = 30
USE_CASES = ("sms_urgent", "whatsapp_sales", "in_app_today", "web_billing", "social")


def generated_events(target_events: int, seed: int = 0) -> pd.DataFrame:
    """Generate an event table of roughly ``target_events`` rows."""
    rng = np.random.default_rng(seed)
    conversations = max(1, target_events // 11)
    start = pd.Timestamp("2024-03-01", tz="UTC").value
    conversation_start = start + rng.uniform(0, DAYS * 86_400e9, conversations).astype(np.int64)

    turns_per_conversation = rng.integers(1, 6, conversations)
    turn_conversation = np.repeat(np.arange(conversations), turns_per_conversation)
    think_ns = rng.exponential(1_800e9, len(turn_conversation)).astype(np.int64)
    first_of_conversation = np.r_[True, turn_conversation[1:] != turn_conversation[:-1]]
    think_ns[first_of_conversation] = 0
    turn_start = conversation_start[turn_conversation] + _cumsum_by_group(
        think_ns, first_of_conversation
    )

    customer_messages = rng.integers(1, 4, len(turn_start))
    customer_turn = np.repeat(np.arange(len(turn_start)), customer_messages)
    customer_time = turn_start[customer_turn] + rng.uniform(0, 60e9, len(customer_turn)).astype(
        np.int64
    )

    reply_kind = rng.choice(3, size=len(turn_start), p=[0.90, 0.05, 0.05])
    replied = reply_kind < 2
    agent_messages = np.where(reply_kind == 0, rng.integers(1, 4, len(turn_start)), 0)
    agent_turn = np.repeat(np.arange(len(turn_start)), agent_messages)
    agent_time = (
        turn_start[agent_turn]
        + 70e9
        + rng.exponential(300e9, len(agent_turn))
        + np.concatenate([np.arange(n) * 45e9 for n in agent_messages[agent_messages > 0]])
    ).astype(np.int64)
    bot_turn = np.flatnonzero(replied & (reply_kind == 1))
    bot_time = turn_start[bot_turn] + 65_000_000_000

    agent_of_conversation = rng.integers(0, 300, conversations)
    frames = [
        _frame(turn_conversation[customer_turn], customer_time, "customer", None, rng),
        _frame(
            turn_conversation[agent_turn],
            agent_time,
            "agent",
            agent_of_conversation[turn_conversation[agent_turn]],
            rng,
        ),
        _frame(turn_conversation[bot_turn], bot_time, "bot", None, rng),
    ]
    events = pd.concat(frames, ignore_index=True)
    events["use_case"] = pd.array(
        np.array(USE_CASES)[events["conversation_number"].to_numpy() % len(USE_CASES)],
        dtype="string",
    )
    return events.drop(columns="conversation_number")


def _cumsum_by_group(values: np.ndarray, is_first: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    group_start_total = np.maximum.accumulate(np.where(is_first, total - values, 0))
    return total - group_start_total


def _frame(
    conversation: np.ndarray,
    time_ns: np.ndarray,
    sender: str,
    agent: np.ndarray | None,
    rng: np.random.Generator,
) -> pd.DataFrame:
    count = len(conversation)
    agent_ids = (
        pd.array([None] * count, dtype="string")
        if agent is None
        else pd.array(np.char.add("agent-", agent.astype(str)), dtype="string")
    )
    return pd.DataFrame(
        {
            "event_key": pd.array(np.char.add(f"{sender}-", np.arange(count).astype(str))),
            "conversation_id": pd.array(np.char.add("c", conversation.astype(str)), dtype="string"),
            "timestamp": pd.DatetimeIndex(time_ns.view("datetime64[ns]"), tz="UTC"),
            "sender": pd.array([sender] * count, dtype="string"),
            "agent_id": agent_ids,
            "customer_id": pd.array([None] * count, dtype="string"),
            "channel": pd.array(["web"] * count, dtype="string"),
            "use_case": pd.array(["default"] * count, dtype="string"),
            "event_type": pd.array(["message"] * count, dtype="string"),
            "text_length": pd.array(rng.integers(5, 300, count), dtype="Int64"),
            "handle_seconds": np.full(count, np.nan),
            "source_file": pd.array(["generated"] * count, dtype="string"),
            "source_line": pd.array(np.arange(count), dtype="Int64"),
            "conversation_number": conversation,
        }
    )


def main() -> None:
    """Generate the log, measure it once and print the timings."""
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    started = time.perf_counter()
    events = generated_events(target)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = measure(events, PlanningConfig(interval_minutes=30))
    elapsed = time.perf_counter() - started

    print(f"events: {len(events):,} (generated in {generated:.1f} s)")
    print(
        f"measure: {elapsed:.1f} s for {len(result.turns):,} turns, {len(result.work):,} work "
        f"items, {len(result.workload):,} workload rows, {len(result.concurrency):,} minute rows"
    )


if __name__ == "__main__":
    main()

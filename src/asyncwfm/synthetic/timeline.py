"""Timestamps of every turn: a discrete-event pass over customers, the bot and agents.

Each use case has its own pool of agents. The number of agents on shift follows the
expected agent work of each hour divided by the use case's target occupancy. An agent
writes one reply at a time: a reply starts when both the customer's last message of the
turn and the agent are free, and is sent when its work is done. A conversation stays
with the agent who took its first agent turn while that agent is on shift, so one
agent holds several threads; a new or orphaned thread goes to the on-shift agent who is
free first. The bot answers within seconds and never queues.

The customer's next turn starts one think time after the reply, so turn times depend
on agent load, which is why this pass is sequential (a heap of pending turns) while all
the random draws before it are vectorised.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.synthetic.arrivals import WEEKDAY_FACTORS, intraday_weights
from asyncwfm.synthetic.conversations import ACKNOWLEDGEMENT_SECONDS, ConversationDraws
from asyncwfm.synthetic.specs import UseCaseSpec

MIN_AGENTS_ON_SHIFT = 1
STAFFING_TAIL_DAYS = 21
"""Days after the arrival window that keep a staffing plan, for threads still open."""


@dataclass(frozen=True)
class Timeline:
    """Times of each turn, in seconds since the Unix epoch (UTC).

    Attributes
    ----------
    turn_start_seconds : numpy.ndarray
        First customer message of the turn.
    transfer_seconds : numpy.ndarray
        Bot's handoff event on a handoff turn, NaN elsewhere.
    acknowledgement_seconds : numpy.ndarray
        A short agent message sent before the answer, NaN when there is none.
    reply_seconds : numpy.ndarray
        The bot's or agent's answer to the turn.
    agent_index : numpy.ndarray
        Agent of the use case's pool who answered, -1 for bot turns.
    staffing : list of numpy.ndarray
        Agents on shift per hour since the start, one array per use case.
    """

    turn_start_seconds: np.ndarray
    transfer_seconds: np.ndarray
    acknowledgement_seconds: np.ndarray
    reply_seconds: np.ndarray
    agent_index: np.ndarray
    staffing: list[np.ndarray]


def plan_staffing(
    use_cases: Sequence[UseCaseSpec],
    agent_seconds_per_conversation: Sequence[float],
    *,
    start: pd.Timestamp,
    days: int,
    volume_scale: float,
) -> list[np.ndarray]:
    """Return agents on shift per hour since ``start``, one array per use case.

    Expected agent work per hour is the hour's expected new conversations times the
    expected agent seconds per conversation. Work trails arrivals by the customers'
    think times, so the hourly load is smoothed over three hours before it is divided
    by the target occupancy and rounded up.
    """
    hours = pd.date_range(
        start.tz_convert("UTC"),
        periods=(days + STAFFING_TAIL_DAYS) * 24,
        freq="h",
    ).tz_convert(start.tz)
    local_hours = (hours.hour + 0.5).to_numpy(dtype=float)
    daily_share = intraday_weights(local_hours) / 24.0
    weekday_factor = np.asarray(WEEKDAY_FACTORS)[hours.dayofweek.to_numpy()]
    kernel = np.array([0.25, 0.5, 0.25])

    staffing: list[np.ndarray] = []
    for spec, seconds in zip(use_cases, agent_seconds_per_conversation, strict=True):
        arrivals = spec.conversations_per_day * volume_scale * daily_share * weekday_factor
        erlangs = arrivals * seconds / 3600.0
        smoothed = np.convolve(np.concatenate([[erlangs[0]], erlangs, [erlangs[-1]]]), kernel)
        smoothed = smoothed[2:-2]
        agents = np.ceil(smoothed / spec.target_occupancy).astype(np.int64)
        staffing.append(np.maximum(agents, MIN_AGENTS_ON_SHIFT))
    return staffing


def run_timeline(
    draws: ConversationDraws,
    staffing: list[np.ndarray],
    *,
    start_seconds: float,
) -> Timeline:
    """Assign times to every turn by replaying customers, bot and agents in time order."""
    turn_total = draws.turn_conversation.size
    turn_start = np.full(turn_total, np.nan)
    transfer = np.full(turn_total, np.nan)
    acknowledgement = np.full(turn_total, np.nan)
    reply = np.full(turn_total, np.nan)
    agent_of_turn = np.full(turn_total, -1, dtype=np.int64)

    pools = _AgentPools(staffing, start_seconds)
    assigned = [-1] * draws.use_case_index.size

    turn_first = draws.turn_first.tolist()
    turn_count = draws.turn_count.tolist()
    use_case_of = draws.use_case_index.tolist()
    recontact_child = draws.recontact_child.tolist()
    recontact_delay = draws.recontact_delay_seconds.tolist()
    by_agent = draws.turn_by_agent.tolist()
    is_handoff = draws.turn_is_handoff.tolist()
    last_offset = draws.turn_last_message_offset.tolist()
    think = draws.turn_think_seconds.tolist()
    work = draws.turn_work_seconds.tolist()
    acknowledged = draws.turn_acknowledged.tolist()
    bot_latency = draws.turn_bot_latency_seconds.tolist()

    first_contacts = np.flatnonzero(~draws.is_recontact)
    pending = [
        (float(t), int(c), 0)
        for t, c in zip(draws.arrival_seconds[first_contacts], first_contacts, strict=True)
    ]
    heapq.heapify(pending)

    while pending:
        started, conversation, number = heapq.heappop(pending)
        turn = turn_first[conversation] + number
        ready = started + last_offset[turn]
        turn_start[turn] = started

        if not by_agent[turn]:
            answered = ready + bot_latency[turn]
        else:
            if is_handoff[turn]:
                ready += bot_latency[turn]
                transfer[turn] = ready
            use_case = use_case_of[conversation]
            agent = pools.choose(use_case, assigned[conversation], ready)
            assigned[conversation] = agent
            began = max(ready, pools.free_at[use_case][agent])
            answered = began + work[turn]
            pools.free_at[use_case][agent] = answered
            agent_of_turn[turn] = agent
            if acknowledged[turn]:
                acknowledgement[turn] = began + ACKNOWLEDGEMENT_SECONDS
        reply[turn] = answered

        if number + 1 < turn_count[conversation]:
            heapq.heappush(pending, (answered + think[turn], conversation, number + 1))
            continue
        child = recontact_child[conversation]
        if child >= 0:
            heapq.heappush(pending, (answered + recontact_delay[child], child, 0))

    return Timeline(
        turn_start_seconds=turn_start,
        transfer_seconds=transfer,
        acknowledgement_seconds=acknowledgement,
        reply_seconds=reply,
        agent_index=agent_of_turn,
        staffing=staffing,
    )


class _AgentPools:
    """Per use case: when each agent is next free, and how many are on shift each hour."""

    def __init__(self, staffing: list[np.ndarray], start_seconds: float) -> None:
        self.start_seconds = start_seconds
        self.on_shift = [hours.tolist() for hours in staffing]
        self.free_at = [[-math.inf] * int(hours.max()) for hours in staffing]

    def choose(self, use_case: int, current: int, ready: float) -> int:
        """Keep the thread's agent while on shift, else take the on-shift agent free first."""
        on_shift = self.on_shift[use_case]
        hour = int((ready - self.start_seconds) // 3600.0)
        count = on_shift[min(max(hour, 0), len(on_shift) - 1)]
        if 0 <= current < count:
            return current
        free_at = self.free_at[use_case]
        return min(range(count), key=free_at.__getitem__)

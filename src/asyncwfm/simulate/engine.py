"""Event loop of the messaging simulation, compiled with numba.

The loop works on flat numpy arrays only: conversations and their customer turns are
drawn before the run (see :mod:`asyncwfm.simulate.inputs`), and the loop writes one
record per turn (arrival, start and end of work, agent) plus time integrals of the
queue state per use case and interval. There are no per-event Python objects.

Rules of the model, as the loop implements them:

- A conversation's first customer turn arrives at its start time. After an agent
  replies to a turn, the customer's next turn arrives after that turn's think time.
- An agent works one turn at a time and holds at most ``cap`` threads. A thread the
  agent replied in stays held by that agent until it has been idle (no customer turn)
  for ``idle_timeout_seconds``; a turn of a held thread waits for its own agent. A
  thread that is not held goes to the pool queue, and taking a turn from the pool
  costs the agent a thread slot.
- A free agent takes the waiting turn with the earliest key among its own threads and
  the head of the pool queue. The key is the promise deadline (arrival plus the use
  case's target) for earliest-deadline-first dispatch, or the arrival time for FIFO.
  Follow-up turns of a use case whose promise covers first responses only have no
  deadline, so under earliest-deadline-first they rank after all promised turns.
- A turn that waits longer than its patience is abandoned, and its conversation ends.
- Staffing changes at interval boundaries. Agents of a pool are numbered, and the
  first ``staff[pool, interval]`` of them are on shift. An agent whose shift ends
  mid-turn finishes that turn and then leaves. Threads held by a leaving agent go back
  to the pool at the boundary, with their waiting turns; the thread of the turn being
  finished goes back when the turn ends.
- After the last interval the last staffing stays in place until ``end_seconds`` so
  that turns from the end of the horizon can still be answered. Time integrals cover
  only the horizon ``[0, n_intervals * interval_seconds)``.

Set the environment variable ``NUMBA_DISABLE_JIT=1`` to run the same code as plain
Python, for debugging (about a hundred times slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

WAITING = 1
IN_SERVICE = 2
DONE = 3
ABANDONED = 4
"""Values of ``turn_status``; 0 means the turn never arrived within the run."""

_COMPLETE = 0
_ARRIVAL = 1
_RELEASE = 2
_ABANDON = 3
_KINDS = 4
_INF = np.inf
_UNPROMISED_KEY_OFFSET = 1e12
"""Added to the dispatch key of turns outside a first-response promise, so they rank last."""
NO_CAP = 1 << 40
"""Thread cap used for pools without a concurrency cap."""


@njit(cache=True)
def _heap_push(keys: np.ndarray, values: np.ndarray, size: int, key: float, value: int) -> int:
    position = size
    while position > 0:
        parent = (position - 1) >> 1
        if keys[parent] < key or (keys[parent] == key and values[parent] <= value):
            break
        keys[position] = keys[parent]
        values[position] = values[parent]
        position = parent
    keys[position] = key
    values[position] = value
    return size + 1


@njit(cache=True)
def _heap_pop(keys: np.ndarray, values: np.ndarray, size: int) -> int:
    """Remove the heap's first entry (read it before calling); return the new size."""
    size -= 1
    last_key = keys[size]
    last_value = values[size]
    position = 0
    while True:
        child = 2 * position + 1
        if child >= size:
            break
        right = child + 1
        if right < size and (
            keys[right] < keys[child]
            or (keys[right] == keys[child] and values[right] < values[child])
        ):
            child = right
        if last_key < keys[child] or (last_key == keys[child] and last_value <= values[child]):
            break
        keys[position] = keys[child]
        values[position] = values[child]
        position = child
    keys[position] = last_key
    values[position] = last_value
    return size


@njit(cache=True)
def _accumulate(
    area: np.ndarray,
    row: int,
    value: float,
    start: float,
    end: float,
    interval_seconds: float,
    n_intervals: int,
) -> None:
    """Add ``value`` times the overlap of ``[start, end)`` with each interval to ``area[row]``."""
    if value == 0.0 or end <= start:
        return
    k = int(start // interval_seconds)
    while k < n_intervals and start < end:
        segment_end = min((k + 1) * interval_seconds, end)
        area[row, k] += value * (segment_end - start)
        start = segment_end
        k += 1


@njit(cache=True)
def _change(
    area: np.ndarray,
    state: np.ndarray,
    row: int,
    delta: float,
    now: float,
    interval_seconds: float,
    n_intervals: int,
) -> None:
    """Add ``delta`` to a piecewise-constant level, integrating the old level up to ``now``.

    ``state[row]`` holds the current level and the time it last changed.
    """
    _accumulate(area, row, state[row, 0], state[row, 1], now, interval_seconds, n_intervals)
    state[row, 0] += delta
    state[row, 1] = now


@njit(cache=True)
def run_engine(
    interval_seconds: float,
    end_seconds: float,
    staff: np.ndarray,
    pool_of_use_case: np.ndarray,
    cap_of_pool: np.ndarray,
    target_seconds: np.ndarray,
    first_response_only: np.ndarray,
    fifo: bool,
    idle_timeout_seconds: float,
    conversation_start: np.ndarray,
    conversation_use_case: np.ndarray,
    conversation_first_turn: np.ndarray,
    conversation_turns: np.ndarray,
    work_seconds: np.ndarray,
    think_seconds: np.ndarray,
    patience_seconds: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Run one replication and return per-turn records and per-interval time integrals.

    Parameters
    ----------
    interval_seconds : float
        Length of a staffing interval.
    end_seconds : float
        Time at which the run stops (the horizon plus a drain period).
    staff : int64 array, shape (pools, intervals)
        Agents on shift per pool and interval.
    pool_of_use_case : int64 array, shape (use cases,)
    cap_of_pool : int64 array, shape (pools,)
        Maximum threads one agent holds; :data:`NO_CAP` for none.
    target_seconds : float64 array, shape (use cases,)
        Promise target, used for the dispatch key of earliest-deadline-first.
    first_response_only : bool array, shape (use cases,)
        Whether the promise covers only first turns. Under earliest-deadline-first the
        other turns of such a use case rank after every promised turn, in arrival order.
    fifo : bool
        Dispatch by arrival time instead of deadline.
    idle_timeout_seconds : float
        Idle time after which a held thread goes back to the pool.
    conversation_start : float64 array, shape (conversations,)
        Arrival of each conversation's first turn in seconds, sorted ascending.
    conversation_use_case, conversation_first_turn, conversation_turns : int64 arrays
        Use case, index of the first turn in the turn arrays, and number of turns.
    work_seconds, think_seconds, patience_seconds : float64 arrays, shape (turns,)
        Agent work of each turn, customer think time after the reply to it, and patience.

    Returns
    -------
    tuple of arrays
        ``turn_arrival, turn_start, turn_end, turn_status, turn_agent`` (per turn, NaN
        or -1 where the event did not happen; ``turn_end`` of an abandoned turn is the
        abandonment time), then the time integrals in agent- or turn-seconds per
        (use case, interval): ``waiting_area, open_area, busy_area``, and per (pool,
        interval): ``present_area, at_cap_area``.
    """
    n_intervals = staff.shape[1]
    n_pools = staff.shape[0]
    n_use_cases = pool_of_use_case.shape[0]
    n_conversations = conversation_start.shape[0]
    n_turns = work_seconds.shape[0]

    # Agents: the pool's agents are numbered from its first index; local index < staff is on shift.
    pool_agents = np.zeros(n_pools, dtype=np.int64)
    for p in range(n_pools):
        pool_agents[p] = staff[p].max() if n_intervals > 0 else 0
    pool_first_agent = np.zeros(n_pools + 1, dtype=np.int64)
    for p in range(n_pools):
        pool_first_agent[p + 1] = pool_first_agent[p] + pool_agents[p]
    n_agents = pool_first_agent[n_pools]
    agent_pool = np.zeros(n_agents, dtype=np.int64)
    for p in range(n_pools):
        agent_pool[pool_first_agent[p] : pool_first_agent[p + 1]] = p
    on_shift = np.zeros(n_agents, dtype=np.bool_)
    present = np.zeros(n_agents, dtype=np.bool_)
    busy = np.zeros(n_agents, dtype=np.bool_)
    held = np.zeros(n_agents, dtype=np.int64)
    current_turn = np.full(n_agents, -1, dtype=np.int64)
    own_queue_head = np.full(n_agents, -1, dtype=np.int64)
    held_head = np.full(n_agents, -1, dtype=np.int64)
    staff_now = np.zeros(n_pools, dtype=np.int64)
    free_agents = np.zeros(n_pools, dtype=np.int64)

    # Conversations: owner agent, scheduled release, doubly linked list of threads per agent.
    owner = np.full(n_conversations, -1, dtype=np.int64)
    release_at = np.full(n_conversations, _INF)
    ended = np.zeros(n_conversations, dtype=np.bool_)
    held_next = np.full(n_conversations, -1, dtype=np.int64)
    held_prev = np.full(n_conversations, -1, dtype=np.int64)

    # Turns: records and the singly linked list of each agent's own waiting turns.
    turn_conversation = np.empty(n_turns, dtype=np.int64)
    for c in range(n_conversations):
        first = conversation_first_turn[c]
        turn_conversation[first : first + conversation_turns[c]] = c
    turn_arrival = np.full(n_turns, np.nan)
    turn_start = np.full(n_turns, np.nan)
    turn_end = np.full(n_turns, np.nan)
    turn_status = np.zeros(n_turns, dtype=np.int8)
    turn_agent = np.full(n_turns, -1, dtype=np.int64)
    turn_key = np.zeros(n_turns)
    own_queue_next = np.full(n_turns, -1, dtype=np.int64)

    # Event heap (key = time, value = kind + _KINDS * id) and one pool queue per pool.
    event_capacity = 3 * n_turns + n_agents + 16
    event_keys = np.empty(event_capacity)
    event_values = np.empty(event_capacity, dtype=np.int64)
    n_events = 0
    pool_capacity = max(n_turns, 1)
    queue_keys = np.empty((n_pools, pool_capacity))
    queue_values = np.empty((n_pools, pool_capacity), dtype=np.int64)
    queue_size = np.zeros(n_pools, dtype=np.int64)

    # Time integrals of piecewise-constant levels.
    waiting_area = np.zeros((n_use_cases, n_intervals))
    open_area = np.zeros((n_use_cases, n_intervals))
    busy_area = np.zeros((n_use_cases, n_intervals))
    present_area = np.zeros((n_pools, n_intervals))
    at_cap_area = np.zeros((n_pools, n_intervals))
    waiting_state = np.zeros((n_use_cases, 2))
    open_state = np.zeros((n_use_cases, 2))
    busy_state = np.zeros((n_use_cases, 2))
    present_state = np.zeros((n_pools, 2))
    at_cap_state = np.zeros((n_pools, 2))
    span = interval_seconds

    next_conversation = 0
    next_boundary = 0
    # Work queue of agents to offer waiting turns to, filled by boundaries and releases.
    # A boundary offers each joining agent and then, when its pool queue is not empty,
    # every free agent on shift again, so it can list an agent twice; other events
    # offer at most three agents.
    offer = np.empty(2 * n_agents + 3, dtype=np.int64)

    while True:
        t_conversation = (
            conversation_start[next_conversation] if next_conversation < n_conversations else _INF
        )
        t_event = event_keys[0] if n_events > 0 else _INF
        t_boundary = next_boundary * span if next_boundary < n_intervals else _INF
        now = min(t_conversation, t_event, t_boundary)
        if now == _INF or now > end_seconds:
            break

        n_offer = 0
        arriving = -1
        finishing = -1
        if t_boundary <= t_conversation and t_boundary <= t_event:
            # Staffing change: agents join or leave; leaving agents hand back their threads.
            k = next_boundary
            next_boundary += 1
            for p in range(n_pools):
                wanted = staff[p, k]
                first_agent = pool_first_agent[p]
                for i in range(staff_now[p], wanted):
                    a = first_agent + i
                    on_shift[a] = True
                    if not present[a]:
                        present[a] = True
                        _change(present_area, present_state, p, 1.0, now, span, n_intervals)
                    if not busy[a]:
                        free_agents[p] += 1
                    offer[n_offer] = a
                    n_offer += 1
                for i in range(wanted, staff_now[p]):
                    a = first_agent + i
                    on_shift[a] = False
                    if not busy[a]:
                        free_agents[p] -= 1
                        present[a] = False
                        _change(present_area, present_state, p, -1.0, now, span, n_intervals)
                    # Waiting turns of the agent's threads move to the pool queue.
                    j = own_queue_head[a]
                    while j >= 0:
                        if turn_status[j] == WAITING:
                            queue_size[p] = _heap_push(
                                queue_keys[p], queue_values[p], queue_size[p], turn_key[j], j
                            )
                        j = own_queue_next[j]
                    own_queue_head[a] = -1
                    keep = turn_conversation[current_turn[a]] if busy[a] else -1
                    c = held_head[a]
                    while c >= 0:
                        following = held_next[c]
                        if c != keep:
                            owner[c] = -1
                            release_at[c] = _INF
                            held_prev[c] = -1
                            held_next[c] = -1
                            u = conversation_use_case[c]
                            has_waiting = False
                            j2 = conversation_first_turn[c]
                            for j3 in range(j2, j2 + conversation_turns[c]):
                                if turn_status[j3] == WAITING:
                                    has_waiting = True
                            if not has_waiting:
                                _change(open_area, open_state, u, -1.0, now, span, n_intervals)
                        c = following
                    if keep >= 0:
                        held_head[a] = keep
                        held_prev[keep] = -1
                        held_next[keep] = -1
                        new_held = 1
                    else:
                        held_head[a] = -1
                        new_held = 0
                    cap = cap_of_pool[p]
                    if cap < NO_CAP and (held[a] >= cap) != (new_held >= cap):
                        delta = 1.0 if new_held >= cap else -1.0
                        _change(at_cap_area, at_cap_state, p, delta, now, span, n_intervals)
                    held[a] = new_held
                staff_now[p] = wanted
                # Agents still on shift may now take turns handed back to the pool.
                if queue_size[p] > 0:
                    for i in range(wanted):
                        a = first_agent + i
                        if not busy[a]:
                            offer[n_offer] = a
                            n_offer += 1
        elif t_conversation <= t_event:
            arriving = conversation_first_turn[next_conversation]
            next_conversation += 1
        else:
            value = event_values[0]
            n_events = _heap_pop(event_keys, event_values, n_events)
            kind = value % _KINDS
            ident = value // _KINDS
            if kind == _COMPLETE:
                finishing = ident
            elif kind == _ARRIVAL:
                arriving = ident
            elif kind == _RELEASE:
                c = ident
                a = owner[c]
                if a >= 0 and release_at[c] == now:
                    p = agent_pool[a]
                    u = conversation_use_case[c]
                    # Unlink the thread from its agent.
                    if held_prev[c] >= 0:
                        held_next[held_prev[c]] = held_next[c]
                    else:
                        held_head[a] = held_next[c]
                    if held_next[c] >= 0:
                        held_prev[held_next[c]] = held_prev[c]
                    held_prev[c] = -1
                    held_next[c] = -1
                    owner[c] = -1
                    release_at[c] = _INF
                    cap = cap_of_pool[p]
                    if cap < NO_CAP and held[a] == cap:
                        _change(at_cap_area, at_cap_state, p, -1.0, now, span, n_intervals)
                    held[a] -= 1
                    _change(open_area, open_state, u, -1.0, now, span, n_intervals)
                    if on_shift[a] and not busy[a] and queue_size[p] > 0:
                        offer[n_offer] = a
                        n_offer += 1
            else:
                j = ident
                if turn_status[j] == WAITING:
                    turn_status[j] = ABANDONED
                    turn_end[j] = now
                    c = turn_conversation[j]
                    u = conversation_use_case[c]
                    ended[c] = True
                    _change(waiting_area, waiting_state, u, -1.0, now, span, n_intervals)
                    _change(open_area, open_state, u, -1.0, now, span, n_intervals)
                    a = owner[c]
                    if a >= 0:
                        p = agent_pool[a]
                        if held_prev[c] >= 0:
                            held_next[held_prev[c]] = held_next[c]
                        else:
                            held_head[a] = held_next[c]
                        if held_next[c] >= 0:
                            held_prev[held_next[c]] = held_prev[c]
                        held_prev[c] = -1
                        held_next[c] = -1
                        owner[c] = -1
                        cap = cap_of_pool[p]
                        if cap < NO_CAP and held[a] == cap:
                            _change(at_cap_area, at_cap_state, p, -1.0, now, span, n_intervals)
                        held[a] -= 1
                        if on_shift[a] and not busy[a] and queue_size[p] > 0:
                            offer[n_offer] = a
                            n_offer += 1

        if finishing >= 0:
            a = finishing
            j = current_turn[a]
            p = agent_pool[a]
            c = turn_conversation[j]
            u = conversation_use_case[c]
            turn_end[j] = now
            turn_status[j] = DONE
            busy[a] = False
            current_turn[a] = -1
            _change(busy_area, busy_state, u, -1.0, now, span, n_intervals)
            last_turn = conversation_first_turn[c] + conversation_turns[c] - 1
            has_next = j < last_turn and not ended[c]
            if has_next:
                arrival_time = now + think_seconds[j]
                n_events = _heap_push(
                    event_keys, event_values, n_events, arrival_time, _ARRIVAL + _KINDS * (j + 1)
                )
            if on_shift[a]:
                free_agents[p] += 1
                if not has_next or think_seconds[j] >= idle_timeout_seconds:
                    release_at[c] = now + idle_timeout_seconds
                    n_events = _heap_push(
                        event_keys, event_values, n_events, release_at[c], _RELEASE + _KINDS * c
                    )
                offer[n_offer] = a
                n_offer += 1
            else:
                # The shift has ended: the thread goes back to the pool, the agent leaves.
                held_head[a] = -1
                held_prev[c] = -1
                held_next[c] = -1
                owner[c] = -1
                cap = cap_of_pool[p]
                if cap < NO_CAP and held[a] == cap:
                    _change(at_cap_area, at_cap_state, p, -1.0, now, span, n_intervals)
                held[a] = 0
                _change(open_area, open_state, u, -1.0, now, span, n_intervals)
                present[a] = False
                _change(present_area, present_state, p, -1.0, now, span, n_intervals)

        if arriving >= 0:
            j = arriving
            c = turn_conversation[j]
            u = conversation_use_case[c]
            p = pool_of_use_case[u]
            turn_arrival[j] = now
            turn_status[j] = WAITING
            if fifo:
                turn_key[j] = now
            elif first_response_only[u] and j != conversation_first_turn[c]:
                turn_key[j] = now + _UNPROMISED_KEY_OFFSET
            else:
                turn_key[j] = now + target_seconds[u]
            release_at[c] = _INF
            a = owner[c]
            chosen = -1
            if a >= 0:
                if not busy[a]:
                    chosen = a
            else:
                _change(open_area, open_state, u, 1.0, now, span, n_intervals)
                if free_agents[p] > 0:
                    # Route to the free agent holding the fewest threads, below the cap.
                    fewest = cap_of_pool[p]
                    first_agent = pool_first_agent[p]
                    for i in range(staff_now[p]):
                        b = first_agent + i
                        if not busy[b] and held[b] < fewest:
                            fewest = held[b]
                            chosen = b
            _change(waiting_area, waiting_state, u, 1.0, now, span, n_intervals)
            if a >= 0:
                own_queue_next[j] = own_queue_head[a]
                own_queue_head[a] = j
            else:
                queue_size[p] = _heap_push(
                    queue_keys[p], queue_values[p], queue_size[p], turn_key[j], j
                )
            if patience_seconds[j] < _INF:
                n_events = _heap_push(
                    event_keys,
                    event_values,
                    n_events,
                    now + patience_seconds[j],
                    _ABANDON + _KINDS * j,
                )
            if chosen >= 0:
                offer[n_offer] = chosen
                n_offer += 1

        # Offer waiting turns to free agents, each taking the earliest key it may serve.
        for index in range(n_offer):
            a = offer[index]
            if busy[a] or not on_shift[a]:
                continue
            p = agent_pool[a]
            best = -1
            best_key = _INF
            best_previous = -1
            previous = -1
            j = own_queue_head[a]
            while j >= 0:
                following = own_queue_next[j]
                if turn_status[j] != WAITING:
                    if previous >= 0:
                        own_queue_next[previous] = following
                    else:
                        own_queue_head[a] = following
                else:
                    if turn_key[j] < best_key:
                        best = j
                        best_key = turn_key[j]
                        best_previous = previous
                    previous = j
                j = following
            from_pool = False
            if held[a] < cap_of_pool[p]:
                while queue_size[p] > 0 and turn_status[queue_values[p, 0]] != WAITING:
                    queue_size[p] = _heap_pop(queue_keys[p], queue_values[p], queue_size[p])
                if queue_size[p] > 0 and queue_keys[p, 0] < best_key:
                    best = queue_values[p, 0]
                    from_pool = True
            if best < 0:
                continue
            if from_pool:
                queue_size[p] = _heap_pop(queue_keys[p], queue_values[p], queue_size[p])
            elif best_previous >= 0:
                own_queue_next[best_previous] = own_queue_next[best]
            else:
                own_queue_head[a] = own_queue_next[best]

            # Start the work: the agent takes the thread if it does not hold it yet.
            j = best
            c = turn_conversation[j]
            u = conversation_use_case[c]
            if owner[c] != a:
                owner[c] = a
                held_prev[c] = -1
                held_next[c] = held_head[a]
                if held_head[a] >= 0:
                    held_prev[held_head[a]] = c
                held_head[a] = c
                held[a] += 1
                cap = cap_of_pool[p]
                if cap < NO_CAP and held[a] == cap:
                    _change(at_cap_area, at_cap_state, p, 1.0, now, span, n_intervals)
            release_at[c] = _INF
            turn_status[j] = IN_SERVICE
            turn_start[j] = now
            turn_agent[j] = a
            busy[a] = True
            current_turn[a] = j
            free_agents[p] -= 1
            _change(waiting_area, waiting_state, u, -1.0, now, span, n_intervals)
            _change(busy_area, busy_state, u, 1.0, now, span, n_intervals)
            n_events = _heap_push(
                event_keys, event_values, n_events, now + work_seconds[j], _COMPLETE + _KINDS * a
            )

    horizon = n_intervals * span
    for u in range(n_use_cases):
        _change(waiting_area, waiting_state, u, 0.0, horizon, span, n_intervals)
        _change(open_area, open_state, u, 0.0, horizon, span, n_intervals)
        _change(busy_area, busy_state, u, 0.0, horizon, span, n_intervals)
    for p in range(n_pools):
        _change(present_area, present_state, p, 0.0, horizon, span, n_intervals)
        _change(at_cap_area, at_cap_state, p, 0.0, horizon, span, n_intervals)

    return (
        turn_arrival,
        turn_start,
        turn_end,
        turn_status,
        turn_agent,
        waiting_area,
        open_area,
        busy_area,
        present_area,
        at_cap_area,
    )

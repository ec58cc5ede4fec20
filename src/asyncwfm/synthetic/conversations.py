"""Random draws of every conversation, turn and customer message, before any timing.

Everything that does not depend on when agents are free is drawn here, vectorised:
intent, bot coverage, difficulty, containment, re-contacts, turn counts, agent work per
turn, customer think times and the customer messages of each turn. The timeline module
then turns these draws into timestamps.

Customer think time (from a reply to the customer's next turn) is a mixture of three
lognormal components, so that most customers answer within minutes, many within hours
and some after a day or more: a heavy right tail, as messaging threads have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.stats import norm

from asyncwfm.synthetic.arrivals import Arrivals
from asyncwfm.synthetic.specs import UseCaseSpec

THINK_TIME_COMPONENTS: Final[tuple[tuple[float, float, float], ...]] = (
    (0.65, 90.0, 1.0),
    (0.25, 1.5 * 3600.0, 1.0),
    (0.10, 20.0 * 3600.0, 0.8),
)
"""Customer think time mixture: (weight, median seconds, log-standard deviation)."""

RECONTACT_DELAY_MEDIAN_SECONDS: Final[float] = 20.0 * 3600.0
EXTRA_MESSAGES_PER_TURN: Final[float] = 0.4
MESSAGE_GAP_MEAN_SECONDS: Final[float] = 25.0
HANDOFF_MESSAGE_SHARE: Final[float] = 0.5
"""Share of handoffs where the bot writes a message ("connecting you to an agent") before
its transfer event; the others are silent transfers, and the agent answers the turn."""

ACKNOWLEDGEMENT_SHARE: Final[float] = 0.15
ACKNOWLEDGEMENT_SECONDS: Final[float] = 15.0


@dataclass(frozen=True)
class ConversationDraws:
    """Per-conversation, per-turn and per-message draws, in flat numpy arrays.

    Conversations are indexed ``0 .. C-1``: first contacts in arrival order, then the
    re-contacts, which get their start time only when the contained conversation they
    follow has ended. Turns of conversation ``c`` are the slice ``turn_first[c] ..
    turn_first[c] + turn_count[c]``; bot turns come first, then agent turns.
    """

    use_case_index: np.ndarray
    intent_index: np.ndarray
    covered: np.ndarray
    difficulty: np.ndarray
    contained: np.ndarray
    is_recontact: np.ndarray
    recontact_child: np.ndarray
    recontact_delay_seconds: np.ndarray
    customer_number: np.ndarray
    arrival_seconds: np.ndarray
    wave_index: np.ndarray
    bot_turns: np.ndarray
    agent_turns: np.ndarray
    turn_first: np.ndarray
    turn_count: np.ndarray

    turn_conversation: np.ndarray
    turn_number: np.ndarray
    turn_by_agent: np.ndarray
    turn_is_handoff: np.ndarray
    turn_handoff_message: np.ndarray
    turn_last_message_offset: np.ndarray
    turn_think_seconds: np.ndarray
    turn_work_seconds: np.ndarray
    turn_acknowledged: np.ndarray
    turn_bot_latency_seconds: np.ndarray

    message_turn: np.ndarray
    message_offset_seconds: np.ndarray

    @property
    def first_contacts(self) -> int:
        """Number of conversations that are not re-contacts."""
        return int((~self.is_recontact).sum())


def draw_conversations(
    rng: np.random.Generator, use_cases: Sequence[UseCaseSpec], arrivals: Arrivals
) -> ConversationDraws:
    """Draw intents, bot outcomes, turns, work and customer messages of every conversation."""
    first = _draw_first_contacts(rng, use_cases, arrivals)
    conversation = _append_recontacts(rng, use_cases, first)
    turns = _draw_turns(rng, use_cases, conversation)
    messages = _draw_customer_messages(rng, turns["turn_conversation"].size)
    return ConversationDraws(**conversation, **turns, **messages)


def _draw_first_contacts(
    rng: np.random.Generator, use_cases: Sequence[UseCaseSpec], arrivals: Arrivals
) -> dict[str, np.ndarray]:
    size = arrivals.seconds.size
    use_case_index = arrivals.use_case_index
    intent_index = np.zeros(size, dtype=np.int64)
    covered = np.zeros(size, dtype=bool)
    quantile = np.full(size, -np.inf)
    sigma = np.zeros(size)
    recontact_rate = np.zeros(size)

    for index, spec in enumerate(use_cases):
        rows = np.flatnonzero(use_case_index == index)
        intents = rng.choice(len(spec.intents), size=rows.size, p=spec.intent_shares)
        containment = np.array([intent.bot_containment for intent in spec.intents])
        intent_index[rows] = intents
        covered[rows] = rng.random(rows.size) < spec.bot_coverage
        quantile[rows] = norm.ppf(containment)[intents]
        sigma[rows] = spec.difficulty_sigma
        recontact_rate[rows] = spec.recontact_rate

    z = rng.standard_normal(size)
    difficulty = np.exp(sigma * z - sigma**2 / 2.0)
    contained = covered & (z < quantile)
    returns = contained & (rng.random(size) < recontact_rate)
    return {
        "use_case_index": use_case_index,
        "intent_index": intent_index,
        "covered": covered,
        "difficulty": difficulty,
        "contained": contained,
        "returns": returns,
        "customer_number": rng.integers(0, 2**48, size=size),
        "arrival_seconds": arrivals.seconds,
        "wave_index": arrivals.wave_index,
    }


def _append_recontacts(
    rng: np.random.Generator, use_cases: Sequence[UseCaseSpec], first: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Add one re-contact conversation after each contained conversation that returns.

    A re-contact keeps the customer, use case, intent and difficulty of the conversation
    it follows; the bot hands it to an agent at once. Its delay is lognormal (median
    ``RECONTACT_DELAY_MEDIAN_SECONDS``) clipped into the use case's re-contact window.
    """
    size = first["arrival_seconds"].size
    parents = np.flatnonzero(first["returns"])
    children = size + np.arange(parents.size)
    window_seconds = np.array([spec.recontact_days * 86_400.0 for spec in use_cases])
    delays = rng.lognormal(np.log(RECONTACT_DELAY_MEDIAN_SECONDS), 1.0, size=parents.size)
    delays = np.clip(delays, 600.0, window_seconds[first["use_case_index"][parents]] - 60.0)

    recontact_child = np.full(size + parents.size, -1, dtype=np.int64)
    recontact_child[parents] = children
    recontact_delay = np.full(size + parents.size, np.nan)
    recontact_delay[children] = delays

    def extend(values: np.ndarray, appended: np.ndarray) -> np.ndarray:
        return np.concatenate([values, appended])

    return {
        "use_case_index": extend(first["use_case_index"], first["use_case_index"][parents]),
        "intent_index": extend(first["intent_index"], first["intent_index"][parents]),
        "covered": extend(first["covered"], np.ones(parents.size, dtype=bool)),
        "difficulty": extend(first["difficulty"], first["difficulty"][parents]),
        "contained": extend(first["contained"], np.zeros(parents.size, dtype=bool)),
        "is_recontact": extend(np.zeros(size, dtype=bool), np.ones(parents.size, dtype=bool)),
        "recontact_child": recontact_child,
        "recontact_delay_seconds": recontact_delay,
        "customer_number": extend(first["customer_number"], first["customer_number"][parents]),
        "arrival_seconds": extend(first["arrival_seconds"], np.full(parents.size, np.nan)),
        "wave_index": extend(first["wave_index"], np.full(parents.size, -1, dtype=np.int64)),
    }


def _intent_table(use_cases: Sequence[UseCaseSpec], attribute: str) -> np.ndarray:
    """Return a (use case, intent) table of one IntentSpec attribute, NaN-padded."""
    width = max(len(spec.intents) for spec in use_cases)
    table = np.full((len(use_cases), width), np.nan)
    for row, spec in enumerate(use_cases):
        table[row, : len(spec.intents)] = [getattr(intent, attribute) for intent in spec.intents]
    return table


def _draw_turns(
    rng: np.random.Generator,
    use_cases: Sequence[UseCaseSpec],
    conversation: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    use_case_index = conversation["use_case_index"]
    intent_index = conversation["intent_index"]
    difficulty = conversation["difficulty"]
    covered = conversation["covered"]
    contained = conversation["contained"]
    is_recontact = conversation["is_recontact"]
    size = use_case_index.size

    def per_intent(attribute: str) -> np.ndarray:
        return _intent_table(use_cases, attribute)[use_case_index, intent_index]

    bot_turns = 1 + rng.poisson(per_intent("bot_turns_mean") - 1.0)
    bot_turns = np.where(covered & ~is_recontact, bot_turns, 0)
    agent_turns = 1 + rng.poisson((per_intent("agent_turns_mean") - 1.0) * difficulty)
    agent_turns = np.where(contained, 0, agent_turns)
    turn_count = bot_turns + agent_turns
    turn_first = np.concatenate([[0], np.cumsum(turn_count)[:-1]]).astype(np.int64)

    total = int(turn_count.sum())
    turn_conversation = np.repeat(np.arange(size), turn_count)
    turn_number = np.arange(total) - np.repeat(turn_first, turn_count)
    turn_by_agent = turn_number >= bot_turns[turn_conversation]
    handed_off = covered & ~contained
    turn_is_handoff = handed_off[turn_conversation] & (turn_number == bot_turns[turn_conversation])

    work_sigma = per_intent("work_sigma")[turn_conversation]
    noise = np.exp(work_sigma * rng.standard_normal(total) - work_sigma**2 / 2.0)
    work = per_intent("work_seconds_mean")[turn_conversation] * difficulty[turn_conversation]
    work = work * noise
    handoff_seconds = np.array([spec.handoff_seconds for spec in use_cases])
    work = work + np.where(turn_is_handoff, handoff_seconds[use_case_index[turn_conversation]], 0.0)
    work = np.where(turn_by_agent, np.maximum(work, 1.0), 0.0)
    acknowledged = turn_by_agent & (work > 3.0 * ACKNOWLEDGEMENT_SECONDS)
    acknowledged &= rng.random(total) < ACKNOWLEDGEMENT_SHARE

    return {
        "bot_turns": bot_turns,
        "agent_turns": agent_turns,
        "turn_first": turn_first,
        "turn_count": turn_count,
        "turn_conversation": turn_conversation,
        "turn_number": turn_number,
        "turn_by_agent": turn_by_agent,
        "turn_is_handoff": turn_is_handoff,
        "turn_handoff_message": turn_is_handoff & (rng.random(total) < HANDOFF_MESSAGE_SHARE),
        "turn_think_seconds": _draw_think_times(rng, total),
        "turn_work_seconds": work,
        "turn_acknowledged": acknowledged,
        "turn_bot_latency_seconds": rng.uniform(1.0, 4.0, size=total),
    }


def _draw_think_times(rng: np.random.Generator, size: int) -> np.ndarray:
    weights = np.array([component[0] for component in THINK_TIME_COMPONENTS])
    medians = np.array([component[1] for component in THINK_TIME_COMPONENTS])
    sigmas = np.array([component[2] for component in THINK_TIME_COMPONENTS])
    component = rng.choice(weights.size, size=size, p=weights / weights.sum())
    return medians[component] * np.exp(sigmas[component] * rng.standard_normal(size))


def _draw_customer_messages(rng: np.random.Generator, total: int) -> dict[str, np.ndarray]:
    """Draw the customer messages of each turn: 1 + Poisson messages with exponential gaps."""
    counts = 1 + rng.poisson(EXTRA_MESSAGES_PER_TURN, size=total)
    message_turn = np.repeat(np.arange(total), counts)
    gaps = rng.exponential(MESSAGE_GAP_MEAN_SECONDS, size=message_turn.size)
    first_of_turn = np.concatenate([[0], np.cumsum(counts)[:-1]])
    gaps[first_of_turn] = 0.0
    cumulative = np.cumsum(gaps)
    offsets = cumulative - np.repeat(cumulative[first_of_turn], counts)
    last_offset = offsets[first_of_turn + counts - 1]
    return {
        "message_turn": message_turn,
        "message_offset_seconds": offsets,
        "turn_last_message_offset": last_offset,
    }

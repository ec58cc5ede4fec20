"""Parameters of the synthetic log generator: use cases, intents and their defaults.

Every number here is a model parameter, not a measurement of a real operation. The
defaults describe a plausible mid-size messaging operation (about 1,700 new
conversations on a weekday over three use cases) so that the demo and the tests have
something to plan for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from asyncwfm.errors import InputError


@dataclass(frozen=True)
class IntentSpec:
    """One reason customers write, with its own agent work and bot success.

    Attributes
    ----------
    name : str
        Intent label, e.g. ``where_is_my_order``. It is part of the ground truth only;
        the events do not carry it, as real logs rarely do.
    share : float
        Share of the use case's first contacts with this intent. The shares of a use
        case are normalised to sum to 1.
    agent_turns_mean : float
        Mean number of customer turns an agent answers in a conversation of average
        difficulty, at least 1. The count is ``1 + Poisson((agent_turns_mean - 1) * D)``
        with ``D`` the conversation's difficulty, so harder conversations take more turns.
    work_seconds_mean : float
        Mean agent work per turn, in seconds, for a conversation of average difficulty.
        The work of one turn is ``work_seconds_mean * D * noise``, with lognormal noise of
        mean 1 and log-standard deviation ``work_sigma``.
    work_sigma : float
        Log-standard deviation of the per-turn work noise.
    bot_containment : float
        Probability that the bot finishes a conversation of this intent without an agent,
        when the bot sees it. The bot contains the easiest conversations: it succeeds
        when the conversation's difficulty is below the ``bot_containment`` quantile.
    bot_turns_mean : float
        Mean number of customer turns the bot answers before it finishes or hands off, at
        least 1. The count is ``1 + Poisson(bot_turns_mean - 1)``.
    """

    name: str
    share: float
    agent_turns_mean: float
    work_seconds_mean: float
    work_sigma: float = 0.5
    bot_containment: float = 0.0
    bot_turns_mean: float = 1.5

    def __post_init__(self) -> None:
        _check_range(f"intent {self.name!r} share", self.share, 0.0, None, low_open=True)
        _check_range(f"intent {self.name!r} agent_turns_mean", self.agent_turns_mean, 1.0, 50.0)
        _check_range(
            f"intent {self.name!r} work_seconds_mean",
            self.work_seconds_mean,
            0.0,
            7200.0,
            low_open=True,
        )
        _check_range(f"intent {self.name!r} work_sigma", self.work_sigma, 0.0, 3.0)
        _check_range(f"intent {self.name!r} bot_containment", self.bot_containment, 0.0, 1.0)
        _check_range(f"intent {self.name!r} bot_turns_mean", self.bot_turns_mean, 1.0, 20.0)


@dataclass(frozen=True)
class UseCaseSpec:
    """One stream of work: a channel, a volume, intents, a bot and an agent pool.

    Attributes
    ----------
    name : str
        Use case label written to the events' ``use_case`` column.
    channel : str
        Channel written to the events' ``channel`` column.
    conversations_per_day : float
        Expected new conversations on a mid-week day (weekday factor 1), before
        re-contacts and reply waves. Other days and hours follow the generator's weekly
        and intraday profiles.
    intents : sequence of IntentSpec
        The reasons customers write.
    bot_coverage : float
        Share of new conversations that go to the bot first; the rest go straight to an
        agent. A value below 1 is a partial rollout (some entry points have no bot), and
        it is what makes agent-only conversations available to compare the residue with.
    recontact_rate : float
        Probability that a customer whose conversation the bot contained comes back with a
        new conversation within ``recontact_days``. The bot hands such a conversation to an
        agent on its first turn, because the customer's problem was not solved.
    recontact_days : float
        Upper bound of the re-contact delay, in days.
    handoff_seconds : float
        Agent work added to the first agent turn of a handed-off conversation (reading the
        bot transcript), in seconds.
    difficulty_sigma : float
        Log-standard deviation of the per-conversation difficulty ``D`` (lognormal with
        mean 1), which scales work per turn and the number of agent turns.
    target_occupancy : float
        Share of on-shift agent time the staffing aims to fill. Lower values give faster
        responses; a deferred use case runs hotter.
    promise_target_seconds : float
        Response-time target of the use case, used by :func:`synthetic_config`.
    """

    name: str
    channel: str
    conversations_per_day: float
    intents: Sequence[IntentSpec]
    bot_coverage: float = 0.0
    recontact_rate: float = 0.0
    recontact_days: float = 7.0
    handoff_seconds: float = 45.0
    difficulty_sigma: float = 0.5
    target_occupancy: float = 0.7
    promise_target_seconds: float = 900.0
    intent_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.intents:
            raise InputError(f"use case {self.name!r} has no intents; give at least one.")
        names = tuple(intent.name for intent in self.intents)
        if len(set(names)) != len(names):
            raise InputError(f"use case {self.name!r} repeats an intent name: {list(names)}.")
        object.__setattr__(self, "intents", tuple(self.intents))
        object.__setattr__(self, "intent_names", names)

        _check_range(
            f"use case {self.name!r} conversations_per_day",
            self.conversations_per_day,
            0.0,
            None,
            low_open=True,
        )
        _check_range(f"use case {self.name!r} bot_coverage", self.bot_coverage, 0.0, 1.0)
        _check_range(f"use case {self.name!r} recontact_rate", self.recontact_rate, 0.0, 1.0)
        _check_range(
            f"use case {self.name!r} recontact_days", self.recontact_days, 0.0, 60.0, low_open=True
        )
        _check_range(f"use case {self.name!r} handoff_seconds", self.handoff_seconds, 0.0, 3600.0)
        _check_range(f"use case {self.name!r} difficulty_sigma", self.difficulty_sigma, 0.0, 2.0)
        _check_range(
            f"use case {self.name!r} target_occupancy",
            self.target_occupancy,
            0.0,
            1.0,
            low_open=True,
        )
        _check_range(
            f"use case {self.name!r} promise_target_seconds",
            self.promise_target_seconds,
            0.0,
            None,
            low_open=True,
        )

    @property
    def intent_shares(self) -> tuple[float, ...]:
        """Intent shares normalised to sum to 1."""
        total = sum(intent.share for intent in self.intents)
        return tuple(intent.share / total for intent in self.intents)


def _check_range(
    label: str,
    value: float,
    low: float,
    high: float | None,
    *,
    low_open: bool = False,
) -> None:
    too_low = value <= low if low_open else value < low
    too_high = high is not None and value > high
    if too_low or too_high or value != value:
        bound = "(" if low_open else "["
        upper = f"{high}]" if high is not None else "inf)"
        raise InputError(f"{label} = {value!r} is out of range; allowed {bound}{low}, {upper}.")


DEFAULT_USE_CASES: Final[tuple[UseCaseSpec, ...]] = (
    UseCaseSpec(
        name="sms_delivery",
        channel="sms",
        conversations_per_day=700.0,
        intents=(
            IntentSpec("where_is_my_order", 0.40, 1.8, 70.0, bot_containment=0.75),
            IntentSpec("reschedule_delivery", 0.25, 2.5, 100.0, bot_containment=0.45),
            IntentSpec("damaged_item", 0.20, 3.5, 170.0, bot_containment=0.0),
            IntentSpec("missing_refund", 0.15, 3.0, 150.0, bot_containment=0.10),
        ),
        bot_coverage=0.7,
        recontact_rate=0.12,
        handoff_seconds=40.0,
        target_occupancy=0.65,
        promise_target_seconds=900.0,
    ),
    UseCaseSpec(
        name="in_app_account",
        channel="in_app",
        conversations_per_day=650.0,
        intents=(
            IntentSpec("password_reset", 0.35, 1.5, 60.0, bot_containment=0.85, bot_turns_mean=2.0),
            IntentSpec("billing_question", 0.30, 2.6, 140.0, bot_containment=0.35),
            IntentSpec("account_locked", 0.20, 3.2, 200.0, bot_containment=0.05),
            IntentSpec("fraud_report", 0.15, 4.0, 260.0, bot_containment=0.0),
        ),
        bot_coverage=0.6,
        recontact_rate=0.08,
        handoff_seconds=60.0,
        target_occupancy=0.8,
        promise_target_seconds=4.0 * 3600.0,
    ),
    UseCaseSpec(
        name="whatsapp_sales",
        channel="whatsapp",
        conversations_per_day=350.0,
        intents=(
            IntentSpec("product_question", 0.6, 3.0, 120.0),
            IntentSpec("order_placement", 0.4, 4.0, 150.0),
        ),
        bot_coverage=0.0,
        target_occupancy=0.7,
        promise_target_seconds=1800.0,
    ),
)
"""Three use cases: SMS delivery questions (15-minute promise, bot on 70% of traffic),
in-app account help (4-hour promise, bot on 60%) and WhatsApp sales (30-minute promise,
no bot)."""

"""Expected bot and agent quantities of a use case, derived from its generator parameters.

These are the values the generator is built to produce, computed in closed form, so a
test can compare what the measure stage reads from the generated events with what the
log was generated with.

Model (per conversation): difficulty ``D = exp(sigma * Z - sigma**2 / 2)`` with ``Z``
standard normal, so ``E[D] = 1``. A bot-covered conversation of intent ``i`` is contained
when ``Z < q_i = Phi^-1(bot_containment_i)``. Agent turns are ``1 + Poisson((mu_i - 1) D)``
and the work of each agent turn has mean ``w_i D``. For a set ``S`` of ``Z`` values the
truncated lognormal moments are ``E[D 1_S]`` and ``E[D^2 1_S]``:

- ``Z > q``: ``Phi(sigma - q)`` and ``exp(sigma**2) Phi(2 sigma - q)``;
- ``Z < q``: ``Phi(q - sigma)`` and ``exp(sigma**2) Phi(q - 2 sigma)``,

which follow from ``exp(k sigma z) phi(z) = exp(k**2 sigma**2 / 2) phi(z - k sigma)``
(see Johnson, Kotz and Balakrishnan, *Continuous Univariate Distributions* vol. 1,
ch. 14, for the moments of the lognormal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from asyncwfm.synthetic.specs import IntentSpec, UseCaseSpec


@dataclass(frozen=True)
class _Moments:
    """Per-first-contact expectations of one group of conversations."""

    conversations: float
    agent_turns: float
    agent_work_seconds: float


def _intent_quantile(intent: IntentSpec) -> float:
    if intent.bot_containment <= 0.0:
        return -math.inf
    if intent.bot_containment >= 1.0:
        return math.inf
    return float(norm.ppf(intent.bot_containment))


def _truncated_moments(sigma: float, quantile: float, above: bool) -> tuple[float, float, float]:
    """Return ``P(S)``, ``E[D 1_S]`` and ``E[D^2 1_S]`` for ``S = {Z > q}`` or ``{Z < q}``."""
    sign = 1.0 if above else -1.0
    probability = float(norm.cdf(-sign * quantile))
    first = float(norm.cdf(sign * (sigma - quantile)))
    second = math.exp(sigma**2) * float(norm.cdf(sign * (2.0 * sigma - quantile)))
    return probability, first, second


def _group_moments(
    intent: IntentSpec, sigma: float, quantile: float, above: bool | None
) -> _Moments:
    """Expected conversations, agent turns and agent work of one intent's group.

    ``above`` None is the whole population (no bot), True the residue, False the
    contained set (whose re-contacts reach agents).
    """
    if above is None:
        probability, first, second = 1.0, 1.0, math.exp(sigma**2)
    else:
        probability, first, second = _truncated_moments(sigma, quantile, above)
    extra_turns = intent.agent_turns_mean - 1.0
    return _Moments(
        conversations=probability,
        agent_turns=probability + extra_turns * first,
        agent_work_seconds=intent.work_seconds_mean * (first + extra_turns * second),
    )


@dataclass(frozen=True)
class UseCaseTruth:
    """Expected bot and agent quantities of one use case.

    Attributes
    ----------
    use_case : str
        Use case name.
    bot_coverage : float
        Share of first contacts the bot sees.
    first_contact_containment : float
        Probability that the bot contains a first contact it sees.
    containment : float
        Expected contained conversations over conversations the bot took part in
        (re-contacts included, and the bot never contains those).
    containment_of_all : float
        Expected contained conversations over all conversations of the use case.
    handoff_turn_mean : float
        Expected 0-based index of the first agent-answered turn in handed-off
        conversations (re-contacts are handed off at turn 0).
    recontact_rate : float
        Probability that a contained conversation's customer returns within
        ``recontact_days``.
    recontact_days : float
        Re-contact window, in days.
    handoff_seconds : float
        Agent work added to the first agent turn of each handed-off conversation.
    agent_only_aht_seconds : float
        Expected agent work per agent turn in conversations the bot never saw.
    handed_off_aht_seconds : float
        Expected agent work per agent turn in handed-off conversations, handoff work
        included.
    residue_uplift : float
        ``handed_off_aht_seconds / agent_only_aht_seconds - 1``; NaN without a bot.
    agent_only_seconds_per_conversation, handed_off_seconds_per_conversation : float
        Expected agent work per conversation in each group.
    agent_seconds_per_conversation : float
        Expected agent work per new conversation (first contact), all groups together;
        the generator staffs its agents from it.
    """

    use_case: str
    bot_coverage: float
    first_contact_containment: float
    containment: float
    containment_of_all: float
    handoff_turn_mean: float
    recontact_rate: float
    recontact_days: float
    handoff_seconds: float
    agent_only_aht_seconds: float
    handed_off_aht_seconds: float
    residue_uplift: float
    agent_only_seconds_per_conversation: float
    handed_off_seconds_per_conversation: float
    agent_seconds_per_conversation: float


def expected_use_case_truth(spec: UseCaseSpec) -> UseCaseTruth:
    """Compute the expected containment, handoff and residue quantities of ``spec``."""
    sigma = spec.difficulty_sigma
    shares = spec.intent_shares
    recontact = spec.recontact_rate

    agent_only = [_group_moments(intent, sigma, 0.0, None) for intent in spec.intents]
    quantiles = [_intent_quantile(intent) for intent in spec.intents]
    residue = [
        _group_moments(intent, sigma, q, True)
        for intent, q in zip(spec.intents, quantiles, strict=True)
    ]
    contained = [
        _group_moments(intent, sigma, q, False)
        for intent, q in zip(spec.intents, quantiles, strict=True)
    ]

    contained_share = sum(s * m.conversations for s, m in zip(shares, contained, strict=True))
    handed_off_count = sum(s * m.conversations for s, m in zip(shares, residue, strict=True))
    handed_off_count += recontact * contained_share
    handed_off_turns = sum(
        s * (r.agent_turns + recontact * c.agent_turns)
        for s, r, c in zip(shares, residue, contained, strict=True)
    )
    handed_off_work = sum(
        s * (r.agent_work_seconds + recontact * c.agent_work_seconds)
        for s, r, c in zip(shares, residue, contained, strict=True)
    )
    handed_off_work += spec.handoff_seconds * handed_off_count
    handoff_turn_sum = sum(
        s * r.conversations * intent.bot_turns_mean
        for s, r, intent in zip(shares, residue, spec.intents, strict=True)
    )

    agent_only_turns = sum(s * m.agent_turns for s, m in zip(shares, agent_only, strict=True))
    agent_only_work = sum(s * m.agent_work_seconds for s, m in zip(shares, agent_only, strict=True))
    agent_only_aht = agent_only_work / agent_only_turns
    handed_off_aht = handed_off_work / handed_off_turns if handed_off_turns > 0 else math.nan

    coverage = spec.bot_coverage
    all_conversations = 1.0 + coverage * recontact * contained_share
    has_bot = coverage > 0.0
    return UseCaseTruth(
        use_case=spec.name,
        bot_coverage=coverage,
        first_contact_containment=contained_share,
        containment=contained_share / (1.0 + recontact * contained_share) if has_bot else 0.0,
        containment_of_all=coverage * contained_share / all_conversations,
        handoff_turn_mean=handoff_turn_sum / handed_off_count if has_bot else math.nan,
        recontact_rate=recontact,
        recontact_days=spec.recontact_days,
        handoff_seconds=spec.handoff_seconds,
        agent_only_aht_seconds=agent_only_aht,
        handed_off_aht_seconds=handed_off_aht if has_bot else math.nan,
        residue_uplift=handed_off_aht / agent_only_aht - 1.0 if has_bot else math.nan,
        agent_only_seconds_per_conversation=agent_only_work,
        handed_off_seconds_per_conversation=(
            handed_off_work / handed_off_count if has_bot else math.nan
        ),
        agent_seconds_per_conversation=(
            (1.0 - coverage) * agent_only_work + coverage * handed_off_work
        ),
    )

"""Tests of the closed-form expected values behind the synthetic generator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from asyncwfm.synthetic import DEFAULT_USE_CASES, IntentSpec, UseCaseSpec, expected_use_case_truth


def _single_intent(
    *,
    containment: float,
    sigma: float,
    recontact: float = 0.0,
    handoff: float = 0.0,
    coverage: float = 0.5,
) -> UseCaseSpec:
    return UseCaseSpec(
        name="one",
        channel="sms",
        conversations_per_day=100.0,
        intents=(IntentSpec("only", 1.0, 2.0, 100.0, bot_containment=containment),),
        bot_coverage=coverage,
        recontact_rate=recontact,
        handoff_seconds=handoff,
        difficulty_sigma=sigma,
    )


def test_no_spread_no_handoff_gives_no_uplift() -> None:
    truth = expected_use_case_truth(_single_intent(containment=0.5, sigma=0.0))
    assert truth.residue_uplift == pytest.approx(0.0, abs=1e-12)
    assert truth.agent_only_aht_seconds == pytest.approx(100.0)


def test_handoff_work_is_spread_over_agent_turns() -> None:
    # Difficulty 1 everywhere: 2 agent turns of 100 s, plus 60 s on one turn per
    # handed-off conversation, so 260 s over 2 turns against 100 s per turn.
    truth = expected_use_case_truth(_single_intent(containment=0.5, sigma=0.0, handoff=60.0))
    assert truth.handed_off_aht_seconds == pytest.approx(130.0)
    assert truth.residue_uplift == pytest.approx(0.3)


def test_containment_counts_recontacts_as_bot_conversations() -> None:
    # Of 1 first contact, 0.6 are contained and 0.6 * 0.25 come back to the bot.
    truth = expected_use_case_truth(_single_intent(containment=0.6, sigma=0.0, recontact=0.25))
    assert truth.first_contact_containment == pytest.approx(0.6)
    assert truth.containment == pytest.approx(0.6 / 1.15)
    assert truth.containment_of_all == pytest.approx(0.5 * 0.6 / (1 + 0.5 * 0.25 * 0.6))


def test_no_bot_gives_missing_residue() -> None:
    truth = expected_use_case_truth(_single_intent(containment=0.5, sigma=0.6, coverage=0.0))
    assert truth.containment == 0.0
    assert math.isnan(truth.residue_uplift)


def test_residue_matches_monte_carlo() -> None:
    """An independent sampling of the documented model agrees with the closed form."""
    spec = _single_intent(containment=0.4, sigma=0.7, recontact=0.2, handoff=30.0)
    truth = expected_use_case_truth(spec)
    rng = np.random.default_rng(2024)
    size = 400_000

    z = rng.standard_normal(size)
    difficulty = np.exp(0.7 * z - 0.7**2 / 2)
    contained = z < norm.ppf(0.4)
    turns = 1 + rng.poisson(1.0 * difficulty)
    work = 100.0 * difficulty * turns
    returns = contained & (rng.random(size) < 0.2)
    return_turns = 1 + rng.poisson(1.0 * difficulty[returns])
    return_work = 100.0 * difficulty[returns] * return_turns

    residue = ~contained
    handed_turns = turns[residue].sum() + return_turns.sum()
    handed_work = work[residue].sum() + return_work.sum() + 30.0 * (residue.sum() + returns.sum())
    sampled_uplift = (handed_work / handed_turns) / (work.sum() / turns.sum()) - 1

    assert sampled_uplift == pytest.approx(truth.residue_uplift, abs=0.02)
    assert contained.mean() / (1 + returns.sum() / size) == pytest.approx(
        truth.containment, abs=0.005
    )


def test_default_bots_leave_harder_residue() -> None:
    for spec in DEFAULT_USE_CASES:
        truth = expected_use_case_truth(spec)
        if spec.bot_coverage > 0:
            assert truth.residue_uplift > 0.1
            assert 0 < truth.containment < 1
            assert truth.handoff_turn_mean >= 1.0

"""Tests of the synthetic log generator: schema, seeding, agents, think times, seasonality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from asyncwfm.errors import InputError
from asyncwfm.schema import validate_events
from asyncwfm.synthetic import (
    DEFAULT_USE_CASES,
    GeneratedLog,
    IntentSpec,
    UseCaseSpec,
    generate_log,
    synthetic_config,
)
from asyncwfm.synthetic.arrivals import WEEKDAY_FACTORS, intraday_weights
from asyncwfm.synthetic.conversations import THINK_TIME_COMPONENTS

TOLERANCE_Z = 4.0
"""Normal quantile of the statistical checks: a false failure about once in 16,000 runs."""


@pytest.fixture(scope="module")
def log() -> GeneratedLog:
    return generate_log(11, days=14, volume_scale=0.5)


def test_events_follow_schema(log: GeneratedLog) -> None:
    validate_events(log.events)
    assert set(log.events["sender"]) == {"customer", "agent", "bot"}
    assert set(log.events["event_type"]) == {"message", "transfer"}
    assert log.events["timestamp"].is_monotonic_increasing
    assert log.events["event_key"].is_unique


def test_same_seed_gives_same_log() -> None:
    first = generate_log(5, days=2, volume_scale=0.2)
    second = generate_log(5, days=2, volume_scale=0.2)
    pd.testing.assert_frame_equal(first.events, second.events)


def test_seeds_give_distinct_ids() -> None:
    first = generate_log(5, days=2, volume_scale=0.2)
    second = generate_log(6, days=2, volume_scale=0.2)
    shared = set(first.events["conversation_id"]) & set(second.events["conversation_id"])
    assert not shared
    assert not set(first.events["event_key"]) & set(second.events["event_key"])


def test_generator_seed_is_accepted() -> None:
    generated = generate_log(np.random.default_rng(3), days=1, volume_scale=0.2)
    assert generated.seed is None
    assert len(generated.events) > 0


def test_agent_writes_one_reply_at_a_time(log: GeneratedLog) -> None:
    agent = log.events[log.events["sender"] == "agent"].sort_values(["agent_id", "timestamp"])
    end = agent["timestamp"].astype("int64") / 1e9
    start = end - agent["handle_seconds"]
    same_agent = agent["agent_id"].to_numpy()[1:] == agent["agent_id"].to_numpy()[:-1]
    overlap = end.to_numpy()[:-1] - start.to_numpy()[1:]
    # Timestamps are rounded to milliseconds, so stretches may touch within 2 ms.
    assert (overlap[same_agent] <= 0.002).all()


def test_agent_holds_several_threads(log: GeneratedLog) -> None:
    agent = log.events[log.events["sender"] == "agent"]
    spans = agent.groupby(["agent_id", "conversation_id"])["timestamp"].agg(["min", "max"])
    max_held = 0
    for _, rows in spans.groupby(level="agent_id"):
        changes = pd.concat(
            [
                pd.Series(1, index=rows["min"].to_numpy()),
                pd.Series(-1, index=rows["max"].to_numpy()),
            ]
        ).sort_index(kind="stable")
        max_held = max(max_held, int(changes.cumsum().max()))
    assert max_held >= 3


def test_think_times_follow_heavy_tailed_mixture(log: GeneratedLog) -> None:
    messages = log.events[log.events["event_type"] == "message"]
    ordered = messages.sort_values(["conversation_id", "timestamp"], kind="stable")
    sender = ordered["sender"].to_numpy()
    same = ordered["conversation_id"].to_numpy()[1:] == ordered["conversation_id"].to_numpy()[:-1]
    after_reply = same & (sender[:-1] != "customer") & (sender[1:] == "customer")
    seconds = ordered["timestamp"].astype("int64").to_numpy() / 1e9
    think = (seconds[1:] - seconds[:-1])[after_reply]

    for threshold in (600.0, 3600.0, 86_400.0):
        expected = _mixture_survival(threshold)
        observed = float((think > threshold).mean())
        tolerance = TOLERANCE_Z * np.sqrt(expected * (1 - expected) / think.size)
        assert abs(observed - expected) <= tolerance, threshold
    assert think.max() > 2 * 86_400.0


def _mixture_survival(seconds: float) -> float:
    total = 0.0
    for weight, median, sigma in THINK_TIME_COMPONENTS:
        total += weight * float(norm.sf((np.log(seconds) - np.log(median)) / sigma))
    return total / sum(component[0] for component in THINK_TIME_COMPONENTS)


def test_intraday_profile_of_arrivals(log: GeneratedLog) -> None:
    seasonal = log.conversations[
        ~log.conversations["is_recontact"] & (log.conversations["wave"] < 0)
    ]
    local = seasonal["started_at"].dt.tz_convert(log.timezone)
    hours = local.dt.hour + local.dt.minute / 60.0
    night = ((hours >= 1.0) & (hours < 5.0)).sum()
    midday = ((hours >= 10.0) & (hours < 14.0)).sum()

    grid = np.linspace(0.0, 24.0, 24 * 600, endpoint=False)
    weights = intraday_weights(grid)
    expected_share = weights[(grid >= 1.0) & (grid < 5.0)].sum() / (
        weights[(grid >= 1.0) & (grid < 5.0)].sum() + weights[(grid >= 10.0) & (grid < 14.0)].sum()
    )
    trials = night + midday
    tolerance = TOLERANCE_Z * np.sqrt(expected_share * (1 - expected_share) / trials)
    assert abs(night / trials - expected_share) <= tolerance
    assert night < midday / 3


def test_weekly_profile_of_arrivals(log: GeneratedLog) -> None:
    seasonal = log.conversations[
        ~log.conversations["is_recontact"] & (log.conversations["wave"] < 0)
    ]
    weekday = seasonal["started_at"].dt.tz_convert(log.timezone).dt.dayofweek
    weekend = int((weekday >= 5).sum())
    # Two full weeks: each weekday appears twice, so shares follow the factors.
    expected_share = sum(WEEKDAY_FACTORS[5:]) / sum(WEEKDAY_FACTORS)
    tolerance = TOLERANCE_Z * np.sqrt(expected_share * (1 - expected_share) / len(weekday))
    assert abs(weekend / len(weekday) - expected_share) <= tolerance


def test_reply_wave_raises_arrivals(log: GeneratedLog) -> None:
    assert len(log.waves) == 2
    starts = log.conversations[~log.conversations["is_recontact"]]
    for wave in log.waves.itertuples():
        of_use_case = starts[starts["use_case"] == wave.use_case]["started_at"]
        in_half_hour = of_use_case.between(
            wave.started_at, wave.started_at + pd.Timedelta(minutes=30)
        ).sum()
        daily = len(of_use_case) / 14
        # A seasonal half hour at the daily peak contains about 4.6% of a day's arrivals.
        assert in_half_hour > 0.5 * wave.conversations + 0.05 * daily


def test_without_handle_seconds() -> None:
    generated = generate_log(2, days=2, volume_scale=0.2, handle_seconds=False)
    assert generated.events["handle_seconds"].isna().all()
    assert not generated.includes_handle_seconds


def test_bot_outcomes_in_events(log: GeneratedLog) -> None:
    events = log.events
    truth = log.conversations.set_index("conversation_id")
    senders = events.groupby("conversation_id")["sender"].agg(set)
    contained = truth.index[truth["contained"]]
    handed_off = truth.index[truth["handed_off"]]
    assert all(senders[c] == {"customer", "bot"} for c in contained)
    assert all(senders[c] == {"customer", "bot", "agent"} for c in handed_off)

    transfers = events[events["event_type"] == "transfer"]
    assert set(transfers["conversation_id"]) == set(handed_off)
    no_bot = events[events["use_case"] == "whatsapp_sales"]
    assert (no_bot["sender"] != "bot").all()


def test_contained_conversations_end_with_bot(log: GeneratedLog) -> None:
    contained = log.conversations.loc[log.conversations["contained"], "conversation_id"]
    last = log.events.groupby("conversation_id")["sender"].last()
    assert (last[contained] == "bot").all()


def test_synthetic_config_matches_use_cases(log: GeneratedLog) -> None:
    config = synthetic_config(log)
    assert config.business_timezone == log.timezone
    assert [u.name for u in config.use_cases] == [s.name for s in DEFAULT_USE_CASES]
    assert config.use_case_named("sms_delivery").promise.target_seconds == 900.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"days": 0}, "invalid days"),
        ({"volume_scale": 0.0}, "invalid volume_scale"),
        ({"timezone": "Mars/Olympus"}, "invalid time zone"),
        ({"start": "not a date"}, "invalid start"),
        ({"use_cases": ()}, "no use cases"),
    ],
)
def test_invalid_arguments_raise(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        generate_log(1, **arguments)  # type: ignore[arg-type]


def test_negative_seed_raises() -> None:
    with pytest.raises(InputError, match="invalid seed"):
        generate_log(-1)


def test_invalid_spec_raises() -> None:
    with pytest.raises(InputError, match="bot_containment"):
        IntentSpec("x", 1.0, 2.0, 60.0, bot_containment=1.5)
    with pytest.raises(InputError, match="no intents"):
        UseCaseSpec("empty", "sms", 10.0, intents=())

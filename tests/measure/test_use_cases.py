"""Use-case assignment: configured names, one use case per conversation."""

from __future__ import annotations

import pytest
from measure_builders import build_events

from asyncwfm.config import PlanningConfig, UseCaseConfig
from asyncwfm.errors import InputError
from asyncwfm.measure import assign_use_cases

CONFIG = PlanningConfig(
    use_cases=[
        UseCaseConfig(name="apple", match_use_cases=["AppleSupport"]),
        UseCaseConfig(name="urgent_sms", match_channels=["sms"]),
    ],
)


def test_labels_map_to_configured_names() -> None:
    events = build_events(
        [("c1", 0, "customer", None, 10), ("c1", 60, "agent", "a1", 50)],
        use_case="applesupport",
        channel="twitter",
    )

    assigned = assign_use_cases(events, CONFIG)

    assert assigned["use_case"].tolist() == ["apple", "apple"]
    assert assigned["use_case_label"].tolist() == ["applesupport", "applesupport"]


def test_first_customer_message_decides() -> None:
    # The agent's event comes first and carries another label; the customer's wins.
    events = build_events(
        [
            ("c1", 0, "agent", "a1", 50, {"use_case": "Other", "channel": "web"}),
            ("c1", 60, "customer", None, 10, {"use_case": "AppleSupport", "channel": "web"}),
            ("c1", 90, "customer", None, 10, {"use_case": "Other", "channel": "sms"}),
        ]
    )

    assigned = assign_use_cases(events, CONFIG)

    assert set(assigned["use_case"]) == {"apple"}


def test_first_event_decides_without_customer() -> None:
    events = build_events(
        [
            ("c1", 0, "agent", "a1", 50, {"use_case": "x", "channel": "sms"}),
            ("c1", 60, "agent", "a1", 50, {"use_case": "AppleSupport", "channel": "web"}),
        ]
    )

    assigned = assign_use_cases(events, CONFIG)

    assert set(assigned["use_case"]) == {"urgent_sms"}


def test_unmatched_kept_under_own_label() -> None:
    events = build_events([("c1", 0, "customer", None, 10)], use_case="Spotify", channel="web")

    assigned = assign_use_cases(events, CONFIG)

    assert assigned["use_case"].tolist() == ["Spotify"]


def test_unmatched_dropped_with_conversation() -> None:
    drop = CONFIG.model_copy(update={"unmatched": "drop"})
    events = build_events(
        [
            ("c1", 0, "customer", None, 10, {"use_case": "Spotify", "channel": "web"}),
            ("c1", 30, "agent", "a1", 10, {"use_case": "AppleSupport", "channel": "web"}),
            ("c2", 0, "customer", None, 10, {"use_case": "AppleSupport", "channel": "web"}),
        ]
    )

    assigned = assign_use_cases(events, drop)

    assert assigned["conversation_id"].tolist() == ["c2"]


def test_input_order_and_index_kept() -> None:
    events = build_events(
        [("c2", 10, "customer", None, 10), ("c1", 0, "customer", None, 10)],
        use_case="AppleSupport",
    )
    events.index = [7, 3]

    assigned = assign_use_cases(events, CONFIG)

    assert assigned.index.tolist() == [7, 3]
    assert assigned["conversation_id"].tolist() == ["c2", "c1"]


def test_missing_conversation_id_rejected() -> None:
    events = build_events([("c1", 0, "customer", None, 10), ("c2", 5, "customer", None, 10)])
    events.loc[1, "conversation_id"] = None

    with pytest.raises(InputError, match="missing conversation_id"):
        assign_use_cases(events, CONFIG)

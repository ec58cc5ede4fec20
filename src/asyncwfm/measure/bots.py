"""Bot containment, handoff and residue, measured per use case from a log with bot events.

Definitions, per conversation (``events`` give the senders and customer ids, the measure
stage's ``turns`` and ``conversations`` tables give turns and active handling time):

- **bot conversation**: the bot wrote a message or caused any other event in it;
- **agent worked**: an agent wrote a message or active handling time was booked on it;
- **contained**: a bot conversation that ends with no agent message and no agent work;
- **handed off**: a bot conversation an agent worked on;
- **agent-only**: an agent worked on it and the bot never appeared;
- **handoff turn**: 0-based index of the first turn of a handed-off conversation that an
  agent answered or that the bot answered and an agent followed up (``handoff``);
- **handled turns**: turns an agent answered or followed up after the bot, the turns
  that got agent work. Active handling time per turn is per handled turn, as the
  workload's ``active_seconds_per_turn`` is;
- **re-contact**: the customer of a conversation starts another conversation (in any
  use case) within ``recontact_days`` after that conversation's last event.

Containment is contained over bot conversations, with a Wilson score interval (Wilson
1927, "Probable inference, the law of succession, and statistical inference", JASA 22,
209-212), computed by statsmodels' ``proportion_confint``. ``containment_of_all``
divides by every conversation of the use case.

The residue uplift compares active handling time per handled turn (a ratio of sums, the
same quantity as the workload's ``active_seconds_per_turn``) of handed-off and agent-only
conversations: ``uplift = R_handed_off / R_agent_only - 1``. Its standard error treats
conversations as independent clusters and uses the delta method for a ratio estimator,
``Var(R) ~ sum((a_i - R t_i)**2) / (sum t_i)**2`` (Cochran 1977, *Sampling Techniques*,
3rd ed., section 6.4).

A contained conversation counts for the re-contact rate only when the log covers its
whole re-contact window (its last event plus ``recontact_days`` is not after the log's
last event), so that returns after the end of the log do not go missing silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from asyncwfm.errors import InputError
from asyncwfm.schema import Sender

BOT_USE_CASE_COLUMNS: Final[tuple[str, ...]] = (
    "use_case",
    "conversations",
    "bot_conversations",
    "contained_conversations",
    "handed_off_conversations",
    "agent_only_conversations",
    "containment",
    "containment_low",
    "containment_high",
    "containment_of_all",
    "handoff_turn_mean",
    "handoff_turn_median",
    "agent_only_aht_seconds",
    "handed_off_aht_seconds",
    "residue_uplift",
    "residue_uplift_se",
    "agent_only_seconds_per_conversation",
    "handed_off_seconds_per_conversation",
    "agent_only_turns_per_conversation",
    "handed_off_turns_per_conversation",
    "recontact_days",
    "recontact_eligible",
    "recontacts",
    "recontact_rate",
    "agent_recontact_rate",
)
"""Columns of :attr:`BotMeasurement.by_use_case`."""

BotMeasurementStatus = Literal["ok", "no_bot", "no_conversations"]

_REQUIRED_TURN_COLUMNS = ("conversation_id", "turn_index", "responder", "handoff")
_REQUIRED_CONVERSATION_COLUMNS = (
    "conversation_id",
    "use_case",
    "started_at",
    "last_event_at",
    "agent_messages",
    "active_seconds",
    "turns_needing_agent",
    "agent_turns",
    "handoff_turns",
)


@dataclass(frozen=True, eq=False)
class BotMeasurement:
    """Containment, handoff, residue and re-contacts per use case.

    Attributes
    ----------
    status : {"ok", "no_bot", "no_conversations"}
        ``no_bot`` when no conversation has a bot event: containment is then 0 and the
        residue columns are NaN. ``no_conversations`` when the tables are empty.
    by_use_case : pandas.DataFrame
        One row per use case with :data:`BOT_USE_CASE_COLUMNS`. Rates are shares in
        [0, 1]; ``containment_low`` and ``containment_high`` bound a 95% Wilson
        interval; times are seconds; NaN where a group has no conversation.
    conversations : pandas.DataFrame
        One row per conversation: ``conversation_id``, ``use_case``, ``customer_id``,
        ``bot_conversation``, ``agent_worked``, ``contained``, ``handed_off``,
        ``agent_only``, ``handoff_turn`` (-1 unless handed off), ``turns_needing_agent``,
        ``handled_turns``,
        ``active_seconds``, ``started_at``, ``last_event_at``, ``recontact_eligible``
        and ``recontacted``.
    recontact_days : float
        Re-contact window, in days.
    observed_until : pandas.Timestamp or None
        End of the log used to decide which re-contact windows are complete (UTC).
    """

    status: BotMeasurementStatus
    by_use_case: pd.DataFrame
    conversations: pd.DataFrame
    recontact_days: float
    observed_until: pd.Timestamp | None

    def for_use_case(self, use_case: str) -> pd.Series:
        """Return the row of ``use_case`` from :attr:`by_use_case`."""
        rows = self.by_use_case[self.by_use_case["use_case"] == use_case]
        if rows.empty:
            known = sorted(self.by_use_case["use_case"].astype(str))
            raise InputError(f"use case {use_case!r} not measured; known use cases: {known}.")
        return rows.iloc[0]


def measure_bots(
    events: pd.DataFrame,
    turns: pd.DataFrame,
    conversations: pd.DataFrame,
    *,
    recontact_days: float = 7.0,
    observed_until: pd.Timestamp | None = None,
) -> BotMeasurement:
    """Measure containment, handoff turn, residue uplift and re-contacts per use case.

    Parameters
    ----------
    events : pandas.DataFrame
        The event table the tables were measured from; only ``conversation_id``,
        ``sender``, ``customer_id`` and ``timestamp`` are read.
    turns, conversations : pandas.DataFrame
        The measure stage's turn and conversation tables
        (:attr:`asyncwfm.measure.measurement.Measurement.turns` and ``.conversations``).
    recontact_days : float
        A customer who starts a new conversation within this many days after a
        conversation's last event re-contacted.
    observed_until : pandas.Timestamp, optional
        End of the log for complete re-contact windows; the last event by default.

    Returns
    -------
    BotMeasurement
        Per use case and per conversation figures; see the module docstring for every
        definition.

    Raises
    ------
    InputError
        When a table lacks a required column or ``recontact_days`` is not positive.
    """
    _check_inputs(turns, conversations, recontact_days)
    if conversations.empty:
        return BotMeasurement(
            status="no_conversations",
            by_use_case=pd.DataFrame({column: [] for column in BOT_USE_CASE_COLUMNS}),
            conversations=pd.DataFrame(),
            recontact_days=recontact_days,
            observed_until=None,
        )

    until = _observed_until(events, conversations, observed_until)
    table = classify_conversations(events, turns, conversations)
    table = mark_recontacts(table, recontact_days=recontact_days, observed_until=until)
    by_use_case = _use_case_table(table, recontact_days)
    status: BotMeasurementStatus = "ok" if table["bot_conversation"].any() else "no_bot"
    return BotMeasurement(
        status=status,
        by_use_case=by_use_case,
        conversations=table,
        recontact_days=recontact_days,
        observed_until=until,
    )


def classify_conversations(
    events: pd.DataFrame, turns: pd.DataFrame, conversations: pd.DataFrame
) -> pd.DataFrame:
    """Label each conversation bot, contained, handed off or agent-only, with its handoff turn.

    Returns the per-conversation table described in :attr:`BotMeasurement.conversations`,
    without the re-contact columns.
    """
    ids = conversations["conversation_id"].astype("string")
    bot_ids = events.loc[events["sender"] == Sender.BOT.value, "conversation_id"]
    bot_conversation = ids.isin(bot_ids.astype("string").unique()).to_numpy()

    active_seconds = conversations["active_seconds"].to_numpy(dtype=float)
    agent_worked = (conversations["agent_messages"].to_numpy() > 0) | (active_seconds > 0)
    contained = bot_conversation & ~agent_worked
    handed_off = bot_conversation & agent_worked

    table = pd.DataFrame(
        {
            "conversation_id": ids.to_numpy(),
            "use_case": conversations["use_case"].astype("string").to_numpy(),
            "customer_id": _customer_of_conversations(events, ids),
            "bot_conversation": bot_conversation,
            "agent_worked": agent_worked,
            "contained": contained,
            "handed_off": handed_off,
            "agent_only": agent_worked & ~bot_conversation,
            "handoff_turn": _first_agent_turn(turns, ids),
            "turns_needing_agent": conversations["turns_needing_agent"].to_numpy(dtype=np.int64),
            "handled_turns": (
                conversations["agent_turns"].to_numpy(dtype=np.int64)
                + conversations["handoff_turns"].to_numpy(dtype=np.int64)
            ),
            "active_seconds": active_seconds,
            "started_at": conversations["started_at"].to_numpy(),
            "last_event_at": conversations["last_event_at"].to_numpy(),
        }
    )
    table["handoff_turn"] = np.where(handed_off, table["handoff_turn"], -1)
    table["customer_id"] = table["customer_id"].astype("string")
    table["use_case"] = table["use_case"].astype("string")
    table["conversation_id"] = table["conversation_id"].astype("string")
    return table


def mark_recontacts(
    table: pd.DataFrame, *, recontact_days: float, observed_until: pd.Timestamp
) -> pd.DataFrame:
    """Add ``recontact_eligible`` and ``recontacted`` to a classified conversation table.

    A conversation is eligible when its customer is known and its re-contact window
    ends no later than ``observed_until``. It counts as re-contacted when the same
    customer starts another conversation in ``(last_event_at, last_event_at +
    recontact_days]``.
    """
    window = pd.Timedelta(days=recontact_days)
    marked = table.copy()
    known = marked["customer_id"].notna().to_numpy()
    ends = pd.to_datetime(marked["last_event_at"], utc=True)
    marked["recontact_eligible"] = known & (ends + window <= observed_until).to_numpy()

    customers = marked.loc[known, "customer_id"].astype(str).to_numpy()
    starts = pd.to_datetime(marked.loc[known, "started_at"], utc=True).to_numpy()
    ended = pd.DataFrame({"row": np.flatnonzero(known), "at": ends[known].to_numpy()})
    ended["customer"] = customers
    started = pd.DataFrame({"at": starts, "customer": customers, "next_start": starts})

    # For each conversation end, the same customer's first start strictly after it.
    following = pd.merge_asof(
        ended.sort_values("at"),
        started.sort_values("at"),
        on="at",
        by="customer",
        direction="forward",
        allow_exact_matches=False,
        tolerance=window,
    )
    recontacted = np.zeros(len(marked), dtype=bool)
    recontacted[following["row"].to_numpy()] = following["next_start"].notna().to_numpy()
    marked["recontacted"] = recontacted
    return marked


def _check_inputs(turns: pd.DataFrame, conversations: pd.DataFrame, recontact_days: float) -> None:
    for name, frame, required in (
        ("turns", turns, _REQUIRED_TURN_COLUMNS),
        ("conversations", conversations, _REQUIRED_CONVERSATION_COLUMNS),
    ):
        missing = [column for column in required if column not in frame.columns]
        if missing and not frame.empty:
            raise InputError(
                f"{name} table is missing columns {missing}; pass the tables of "
                "asyncwfm.measure.measure()."
            )
    if not recontact_days > 0:
        raise InputError(f"invalid recontact_days {recontact_days!r}; pass a positive number.")


def _observed_until(
    events: pd.DataFrame, conversations: pd.DataFrame, observed_until: pd.Timestamp | None
) -> pd.Timestamp:
    if observed_until is not None:
        stamp = pd.Timestamp(observed_until)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if not events.empty:
        return pd.Timestamp(events["timestamp"].max()).tz_convert("UTC")
    return pd.Timestamp(pd.to_datetime(conversations["last_event_at"], utc=True).max())


def _customer_of_conversations(events: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Return the first known customer id of each conversation's customer events."""
    customer_events = events[
        (events["sender"] == Sender.CUSTOMER.value) & events["customer_id"].notna()
    ]
    first = (
        customer_events.sort_values("timestamp", kind="stable")
        .groupby("conversation_id", observed=True)["customer_id"]
        .first()
    )
    first.index = first.index.astype("string")
    return first.reindex(ids.to_numpy()).to_numpy(dtype=object)


def _first_agent_turn(turns: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Return the index of each conversation's first agent-answered or handed-off turn."""
    responder = turns["responder"]
    agent_turn = (responder == "agent").to_numpy(dtype=bool, na_value=False)
    agent_turn |= turns["handoff"].to_numpy(dtype=bool)
    first = turns.loc[agent_turn].groupby("conversation_id", observed=True)["turn_index"].min()
    first.index = first.index.astype("string")
    return first.reindex(ids.to_numpy()).fillna(-1).to_numpy(dtype=np.int64)


def _use_case_table(table: pd.DataFrame, recontact_days: float) -> pd.DataFrame:
    rows = [
        _use_case_row(str(use_case), group, recontact_days)
        for use_case, group in table.groupby("use_case", observed=True, sort=True)
    ]
    return pd.DataFrame(rows, columns=list(BOT_USE_CASE_COLUMNS))


def _use_case_row(use_case: str, group: pd.DataFrame, recontact_days: float) -> dict[str, object]:
    bot = int(group["bot_conversation"].sum())
    contained = int(group["contained"].sum())
    handed_off = group[group["handed_off"]]
    agent_only = group[group["agent_only"]]
    low, high = wilson_interval(contained, bot)

    handed_ratio, handed_variance = _ratio_and_variance(handed_off)
    only_ratio, only_variance = _ratio_and_variance(agent_only)
    uplift, uplift_se = _uplift(handed_ratio, handed_variance, only_ratio, only_variance)

    eligible = group[group["contained"] & group["recontact_eligible"]]
    agent_eligible = group[group["agent_worked"] & group["recontact_eligible"]]
    handoff_turns = handed_off["handoff_turn"]
    handoff_turns = handoff_turns[handoff_turns >= 0]
    return {
        "use_case": use_case,
        "conversations": len(group),
        "bot_conversations": bot,
        "contained_conversations": contained,
        "handed_off_conversations": len(handed_off),
        "agent_only_conversations": len(agent_only),
        "containment": contained / bot if bot else 0.0,
        "containment_low": low,
        "containment_high": high,
        "containment_of_all": contained / len(group),
        "handoff_turn_mean": _mean(handoff_turns),
        "handoff_turn_median": float(handoff_turns.median()) if len(handoff_turns) else math.nan,
        "agent_only_aht_seconds": only_ratio,
        "handed_off_aht_seconds": handed_ratio,
        "residue_uplift": uplift,
        "residue_uplift_se": uplift_se,
        "agent_only_seconds_per_conversation": _mean(agent_only["active_seconds"]),
        "handed_off_seconds_per_conversation": _mean(handed_off["active_seconds"]),
        "agent_only_turns_per_conversation": _mean(agent_only["handled_turns"]),
        "handed_off_turns_per_conversation": _mean(handed_off["handled_turns"]),
        "recontact_days": recontact_days,
        "recontact_eligible": len(eligible),
        "recontacts": int(eligible["recontacted"].sum()),
        "recontact_rate": _mean(eligible["recontacted"]),
        "agent_recontact_rate": _mean(agent_eligible["recontacted"]),
    }


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion; NaNs without trials."""
    if trials == 0:
        return math.nan, math.nan
    low, high = proportion_confint(successes, trials, alpha=1.0 - level, method="wilson")
    return float(low), float(high)


def _ratio_and_variance(group: pd.DataFrame) -> tuple[float, float]:
    """Return active seconds per handled turn of a group and its delta-method variance."""
    seconds = group["active_seconds"].to_numpy(dtype=float)
    turns = group["handled_turns"].to_numpy(dtype=float)
    total_turns = turns.sum()
    if total_turns <= 0:
        return math.nan, math.nan
    ratio = seconds.sum() / total_turns
    residuals = seconds - ratio * turns
    return ratio, float((residuals**2).sum() / total_turns**2)


def _uplift(
    handed_ratio: float, handed_variance: float, only_ratio: float, only_variance: float
) -> tuple[float, float]:
    if not (math.isfinite(handed_ratio) and math.isfinite(only_ratio)) or only_ratio <= 0:
        return math.nan, math.nan
    relative = handed_ratio / only_ratio
    relative_variance = (
        handed_variance / only_ratio**2 + relative**2 * only_variance / only_ratio**2
    )
    return relative - 1.0, math.sqrt(relative_variance)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else math.nan

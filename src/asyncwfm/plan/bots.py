"""Bot containment scenarios: the human residue, not volume times (1 - containment).

A bot takes the easy conversations, so the conversations left to agents are harder than
average. The scenario removes a share ``c`` of today's agent-handled conversations of a
use case, chosen from the easy end of the measured distribution of agent seconds per
conversation, and recomputes turns and active seconds per turn of what remains.

Removal rule with selectivity ``s`` in [0, 1]: a conversation at rank quantile ``u``
(0 = fewest agent seconds) is contained with probability
``p(u) = (1 - s) c + s 1[u < c]``. So a share ``s`` of the contained conversations is
the easiest ``c`` share taken in order, and the rest is a random draw. ``s = 1`` is
easiest first and ``s = 0`` random. The mean of ``p`` is ``c`` for every ``s``. The
scenario uses the expected values of this rule, so it needs no random numbers.

With ``N`` agent conversations holding ``T`` turns that need an agent and ``A`` active
seconds, and ``F_T(c)``, ``F_A(c)`` the turns and seconds of the easiest ``c`` share
(linear between conversations), the residue keeps

- ``N (1 - c)`` conversations,
- ``T_r = (1 - (1 - s) c) T - s F_T(c)`` turns,
- ``A_r = (1 - (1 - s) c) A - s F_A(c)`` active seconds,

and handled turns (those agents work on) follow the same rule. Re-contacts: a share
``r`` of contained conversations comes back to agents with the mean turns and seconds
of the contained ones, adding ``r c N`` conversations, ``r (T - T_r)`` turns and
``r (A - A_r)`` seconds. Handoff: every conversation that reaches an agent passes the
bot first, so ``handoff_seconds`` is added once per residue conversation and
re-contact, on its handed-off turn. The residue AHT is the residue's active seconds
per handled turn, as the workload's ``active_seconds_per_turn`` is, and the residue
uplift is that AHT over today's AHT minus 1.

Ramp: containment rises linearly by day, from ``c / (7 W)`` on the first day of the
scenario to ``c`` after ``W`` weeks; ``W = 0`` switches it on at once. The naive plan
uses the same daily containment, keeps today's AHT and scales volume by ``1 - c``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd

from asyncwfm.errors import InputError
from asyncwfm.measure.bots import BotMeasurement

SCALED_BY_TURNS: Final[tuple[str, ...]] = ("turns",)
SCALED_BY_HANDLED_TURNS: Final[tuple[str, ...]] = ("handled_turns", "agent_turns")
SCALED_BY_CONVERSATIONS: Final[tuple[str, ...]] = (
    "new_conversations",
    "first_turns",
    "open_threads",
    "awaiting_threads",
    "held_threads",
)
SCALED_BY_ACTIVE_SECONDS: Final[tuple[str, ...]] = (
    "active_seconds",
    "active_threads",
    "peak_active_threads",
)
"""Workload columns the scenario scales; other columns keep their measured values."""

USE_CASE_COLUMNS: Final[tuple[str, ...]] = (
    "use_case",
    "status",
    "agent_conversations",
    "bot_live",
    "recontact_rate",
    "recontact_source",
    "baseline_aht_seconds",
    "full_containment_aht_seconds",
    "full_containment_uplift",
    "mean_containment",
    "turns_before",
    "turns_after",
    "turns_naive",
    "active_hours_before",
    "active_hours_after",
    "active_hours_naive",
    "residue_uplift",
)
"""Columns of :attr:`BotScenarioSummary.by_use_case`."""

ScenarioStatus = Literal["ok", "partial", "no_workload"]


@dataclass(frozen=True)
class BotScenario:
    """A bot containment scenario.

    Attributes
    ----------
    containment : float
        Share of today's agent-handled conversations the bot will contain, in [0, 1).
    selectivity : float
        0 removes a random share, 1 the easiest conversations first; in between a mix.
    ramp_weeks : float
        Weeks over which containment rises linearly to ``containment``; 0 for at once.
    handoff_seconds : float
        Agent seconds added to the handed-off turn of each conversation that reaches an
        agent through the bot (reading the bot transcript).
    recontact_rate : float, optional
        Share of contained conversations that come back to agents. None takes the
        measured rate per use case from a :class:`BotMeasurement`, or 0 without one.
    start : pandas.Timestamp, optional
        First day with the bot live; the first interval of the workload by default.
        Intervals before it are left unchanged.
    use_cases : sequence of str, optional
        Use cases that get the bot; every use case by default.
    """

    containment: float
    selectivity: float = 1.0
    ramp_weeks: float = 0.0
    handoff_seconds: float = 0.0
    recontact_rate: float | None = None
    start: pd.Timestamp | None = None
    use_cases: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.use_cases is not None:
            object.__setattr__(self, "use_cases", tuple(self.use_cases))
        _check_share("containment", self.containment, upper_open=True)
        _check_share("selectivity", self.selectivity)
        if self.recontact_rate is not None:
            _check_share("recontact_rate", self.recontact_rate)
        if not 0.0 <= self.ramp_weeks <= 520.0:
            raise InputError(f"invalid ramp_weeks {self.ramp_weeks!r}; pass 0 to 520 weeks.")
        if not 0.0 <= self.handoff_seconds <= 3600.0:
            raise InputError(
                f"invalid handoff_seconds {self.handoff_seconds!r}; pass 0 to 3600 seconds."
            )


@dataclass(frozen=True, eq=False)
class ResidueDistribution:
    """Agent-handled conversations of one use case, sorted from easiest to hardest.

    Attributes
    ----------
    use_case : str
        Use case name.
    conversations : int
        Agent-handled conversations ``N``.
    cumulative_turns, cumulative_handled_turns, cumulative_seconds : numpy.ndarray
        Turns that need an agent, handled turns (those an agent worked on) and active
        seconds of the easiest ``k`` conversations, for ``k = 0 .. N`` (length
        ``N + 1``).
    """

    use_case: str
    conversations: int
    cumulative_turns: np.ndarray
    cumulative_handled_turns: np.ndarray
    cumulative_seconds: np.ndarray

    @property
    def turns(self) -> float:
        """Turns that need an agent, of all conversations: ``T``."""
        return float(self.cumulative_turns[-1])

    @property
    def handled_turns(self) -> float:
        """Handled turns of all conversations."""
        return float(self.cumulative_handled_turns[-1])

    @property
    def active_seconds(self) -> float:
        """Active seconds of all conversations: ``A``."""
        return float(self.cumulative_seconds[-1])

    @property
    def aht_seconds(self) -> float:
        """Active seconds per handled turn today; NaN without handled turns."""
        if self.handled_turns <= 0:
            return float("nan")
        return self.active_seconds / self.handled_turns


@dataclass(frozen=True, eq=False)
class ResidueFactors:
    """Multipliers of today's workload at given containment levels (arrays, one per level).

    ``turns`` multiplies turns that need an agent, ``handled_turns`` the turns agents
    work on, ``conversations`` new conversations and open threads, ``active_seconds``
    total agent work, and ``aht`` active seconds per handled turn
    (``active_seconds / handled_turns``). ``aht - 1`` is the residue uplift.
    """

    containment: np.ndarray
    turns: np.ndarray
    handled_turns: np.ndarray
    conversations: np.ndarray
    active_seconds: np.ndarray
    aht: np.ndarray


@dataclass(frozen=True, eq=False)
class BotScenarioSummary:
    """Human workload before and after a bot scenario, beside the naive estimate.

    Attributes
    ----------
    status : {"ok", "partial", "no_workload"}
        ``partial`` when a use case with the bot has no agent conversations to rank, so
        its residue could not be computed and it was scaled like the naive plan.
        ``no_workload`` when the workload has no turns.
    scenario : BotScenario
        The scenario's parameters.
    start : pandas.Timestamp or None
        First day with the bot live, in the business time zone.
    human_turns_before, human_turns_after, human_turns_naive : float
        Customer turns that need an agent over the horizon: today, in the scenario, and
        by ``turns * (1 - containment)``.
    active_hours_before, active_hours_after, active_hours_naive : float
        Agent active hours over the horizon, the same three ways.
    baseline_aht_seconds, residue_aht_seconds : float
        Active seconds per turn over the horizon, today and in the scenario.
    residue_uplift : float
        ``residue_aht_seconds / baseline_aht_seconds - 1`` over the horizon (ramp
        included); the naive plan assumes 0.
    full_containment_uplift : float
        Residue uplift once containment has fully ramped up, turn-weighted over the use
        cases with the bot.
    by_use_case : pandas.DataFrame
        The same figures per use case, with :data:`USE_CASE_COLUMNS`.
    """

    status: ScenarioStatus
    scenario: BotScenario
    start: pd.Timestamp | None
    human_turns_before: float
    human_turns_after: float
    human_turns_naive: float
    active_hours_before: float
    active_hours_after: float
    active_hours_naive: float
    baseline_aht_seconds: float
    residue_aht_seconds: float
    residue_uplift: float
    full_containment_uplift: float
    by_use_case: pd.DataFrame = field(repr=False)

    @property
    def active_hours_reduction(self) -> float:
        """Share of agent active hours the scenario removes."""
        return _reduction(self.active_hours_after, self.active_hours_before)

    @property
    def naive_active_hours_reduction(self) -> float:
        """Share of agent active hours the naive plan claims to remove."""
        return _reduction(self.active_hours_naive, self.active_hours_before)

    def to_frame(self) -> pd.DataFrame:
        """Return the totals as a two-column table (measure, value) for reports."""
        rows = [
            ("containment", self.scenario.containment),
            ("selectivity", self.scenario.selectivity),
            ("ramp_weeks", self.scenario.ramp_weeks),
            ("handoff_seconds", self.scenario.handoff_seconds),
            ("human_turns_before", self.human_turns_before),
            ("human_turns_after", self.human_turns_after),
            ("human_turns_naive", self.human_turns_naive),
            ("active_hours_before", self.active_hours_before),
            ("active_hours_after", self.active_hours_after),
            ("active_hours_naive", self.active_hours_naive),
            ("baseline_aht_seconds", self.baseline_aht_seconds),
            ("residue_aht_seconds", self.residue_aht_seconds),
            ("residue_uplift", self.residue_uplift),
            ("full_containment_uplift", self.full_containment_uplift),
        ]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def to_record(self) -> dict[str, object]:
        """Return the totals and per use case rows as JSON-ready values (NaN as None)."""
        record: dict[str, object] = {"status": self.status}
        record.update({row.measure: _json_value(row.value) for row in self.to_frame().itertuples()})
        record["recontact_rate"] = self.scenario.recontact_rate
        record["start"] = None if self.start is None else self.start.isoformat()
        record["use_cases"] = [
            {key: _json_value(value) for key, value in row.items()}
            for row in self.by_use_case.to_dict(orient="records")
        ]
        return record


def _json_value(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass(frozen=True, eq=False)
class BotScenarioResult:
    """Workload tables of a bot scenario and its summary.

    Attributes
    ----------
    workload_after : pandas.DataFrame
        The workload with the residue: turns, conversations, active seconds and AHT
        recomputed (see :data:`SCALED_BY_TURNS` and neighbours), plus the day's
        ``bot_containment``. Plan it like any workload.
    workload_naive : pandas.DataFrame
        The workload scaled by ``1 - containment`` at today's AHT.
    summary : BotScenarioSummary
        Totals and per use case figures.
    distributions : Mapping[str, ResidueDistribution]
        The ranked agent conversations behind the residue, per use case.
    """

    workload_after: pd.DataFrame
    workload_naive: pd.DataFrame
    summary: BotScenarioSummary
    distributions: Mapping[str, ResidueDistribution]


def residue_distributions(conversations: pd.DataFrame) -> dict[str, ResidueDistribution]:
    """Rank each use case's agent-handled conversations by their active seconds.

    Parameters
    ----------
    conversations : pandas.DataFrame
        The measure stage's conversation table; ``use_case``, ``active_seconds`` and
        ``turns_needing_agent`` are read, and ``agent_turns`` plus ``handoff_turns`` as
        the handled turns when present (else the turns that need an agent). A
        conversation is agent-handled when it has active seconds or a turn that needs
        an agent.
    """
    missing = [
        column
        for column in ("use_case", "active_seconds", "turns_needing_agent")
        if column not in conversations.columns
    ]
    if missing:
        raise InputError(
            f"conversation table is missing columns {missing}; pass the conversations "
            "table of asyncwfm.measure.measure()."
        )

    seconds = conversations["active_seconds"].to_numpy(dtype=float)
    turns = conversations["turns_needing_agent"].to_numpy(dtype=float)
    if {"agent_turns", "handoff_turns"} <= set(conversations.columns):
        handled_turns = conversations["agent_turns"].to_numpy(dtype=float)
        handled_turns = handled_turns + conversations["handoff_turns"].to_numpy(dtype=float)
    else:
        handled_turns = turns
    worked = (seconds > 0) | (turns > 0)
    frame = pd.DataFrame(
        {
            "use_case": conversations["use_case"].astype(str).to_numpy()[worked],
            "seconds": seconds[worked],
            "turns": turns[worked],
            "handled_turns": handled_turns[worked],
        }
    )

    result: dict[str, ResidueDistribution] = {}
    for use_case, rows in frame.groupby("use_case", sort=True):
        ordered = rows.sort_values(["seconds", "turns"], kind="stable")
        result[str(use_case)] = ResidueDistribution(
            use_case=str(use_case),
            conversations=len(ordered),
            cumulative_turns=_cumulative(ordered["turns"]),
            cumulative_handled_turns=_cumulative(ordered["handled_turns"]),
            cumulative_seconds=_cumulative(ordered["seconds"]),
        )
    return result


def _cumulative(values: pd.Series) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(values.to_numpy(dtype=float))])


def residue_factors(
    distribution: ResidueDistribution,
    containment: np.ndarray | float,
    *,
    selectivity: float,
    handoff_seconds: float = 0.0,
    recontact_rate: float = 0.0,
) -> ResidueFactors:
    """Return the workload multipliers of a use case at each containment level.

    See the module docstring for the removal rule, re-contacts and handoff work. A
    level of 0 means the bot is not live, so it adds no handoff work and every factor
    is exactly 1.
    """
    level = np.atleast_1d(np.asarray(containment, dtype=float))
    count = distribution.conversations
    if count == 0 or distribution.handled_turns <= 0 or distribution.active_seconds <= 0:
        return _naive_factors(level, recontact_rate)

    def residue_share(cumulative: np.ndarray) -> np.ndarray:
        """Share of a per-conversation total left to agents, re-contacts included."""
        total = cumulative[-1]
        easiest = np.interp(level, np.arange(count + 1) / count, cumulative)
        residue = (1.0 - (1.0 - selectivity) * level) * total - selectivity * easiest
        return (residue + recontact_rate * (total - residue)) / total

    # NOTE: re-contacts are booked in the interval of the conversations they replace,
    # not up to recontact_days later, so their work lands slightly early.
    conversations = (1.0 - level) + recontact_rate * level
    handoff = np.where(level > 0, handoff_seconds, 0.0)
    seconds = residue_share(distribution.cumulative_seconds)
    seconds = seconds + handoff * count * conversations / distribution.active_seconds
    handled = residue_share(distribution.cumulative_handled_turns)
    return ResidueFactors(
        containment=level,
        turns=residue_share(distribution.cumulative_turns),
        handled_turns=handled,
        conversations=conversations,
        active_seconds=seconds,
        aht=np.divide(seconds, handled, out=np.full_like(seconds, np.nan), where=handled > 0),
    )


def containment_by_day(
    interval_start: pd.Series, scenario: BotScenario, start: pd.Timestamp
) -> np.ndarray:
    """Return each interval's containment under the scenario's linear daily ramp.

    Day 1 is the local date of ``start``; day ``d`` gets ``c * min(1, d / (7 W))``, and
    intervals before ``start`` get 0 (bot not live).
    """
    local_start = start.tz_convert(interval_start.dt.tz) if start.tzinfo else start
    first_day = local_start.normalize().tz_localize(None)
    days = (interval_start.dt.tz_localize(None).dt.normalize() - first_day).dt.days.to_numpy()
    day_number = days + 1.0
    if scenario.ramp_weeks > 0:
        share = np.clip(day_number / (7.0 * scenario.ramp_weeks), 0.0, 1.0)
    else:
        share = np.ones(len(day_number))
    return np.where(day_number >= 1, scenario.containment * share, 0.0)


def plan_bot_scenario(
    workload: pd.DataFrame,
    conversations: pd.DataFrame,
    scenario: BotScenario,
    *,
    bots: BotMeasurement | None = None,
) -> BotScenarioResult:
    """Recompute the human workload of a bot scenario, and the naive estimate beside it.

    Parameters
    ----------
    workload : pandas.DataFrame
        Workload table, measured or forecast (``interval_start`` tz-aware in the
        business time zone, ``use_case``, ``turns``, ``active_seconds_per_turn`` and the
        other columns of the workload contract).
    conversations : pandas.DataFrame
        Measured conversation table whose agent-handled conversations give the
        distribution of agent seconds per conversation.
    scenario : BotScenario
        Containment, selectivity, ramp, handoff and re-contacts.
    bots : BotMeasurement, optional
        Measured bot figures; their ``recontact_rate`` per use case is used when the
        scenario gives none.

    Returns
    -------
    BotScenarioResult
        ``workload_after`` and ``workload_naive`` to plan, and the summary.

    Raises
    ------
    InputError
        When the workload lacks a required column or names no use case of the scenario.
    """
    _check_workload(workload, scenario)
    distributions = residue_distributions(conversations)
    if workload.empty or float(workload["turns"].sum()) <= 0:
        return _empty_result(workload, scenario, distributions)

    start = _scenario_start(workload, scenario)
    containment = containment_by_day(workload["interval_start"], scenario, start)
    with_bot = _use_cases_with_bot(workload, scenario)
    containment = np.where(workload["use_case"].astype(str).isin(with_bot), containment, 0.0)

    after = _with_float_columns(workload)
    naive = _with_float_columns(workload)
    rows: list[dict[str, object]] = []
    for use_case, index in workload.groupby("use_case", sort=True, observed=True).groups.items():
        name = str(use_case)
        positions = workload.index.get_indexer(index)
        live = name in with_bot
        distribution = distributions.get(name, _empty_distribution(name))
        recontact, source = _recontact_rate(name, scenario, bots)
        factors = residue_factors(
            distribution,
            containment[positions],
            selectivity=scenario.selectivity,
            handoff_seconds=scenario.handoff_seconds if live else 0.0,
            recontact_rate=recontact if live else 0.0,
        )
        _scale(after, index, factors)
        _scale(naive, index, _naive_factors(containment[positions], 0.0))
        full = residue_factors(
            distribution,
            scenario.containment,
            selectivity=scenario.selectivity,
            handoff_seconds=scenario.handoff_seconds,
            recontact_rate=recontact,
        )
        rows.append(
            _use_case_row(
                name, workload.loc[index], after.loc[index], naive.loc[index], distribution
            )
            | {
                "bot_live": live,
                "recontact_rate": recontact,
                "recontact_source": source,
                "full_containment_aht_seconds": distribution.aht_seconds * float(full.aht[0]),
                "full_containment_uplift": float(full.aht[0]) - 1.0 if live else 0.0,
                "mean_containment": float(np.mean(containment[positions])),
            }
        )

    after["bot_containment"] = containment
    naive["bot_containment"] = containment
    by_use_case = pd.DataFrame(rows).reindex(columns=list(USE_CASE_COLUMNS))
    summary = _summary(scenario, start, by_use_case)
    return BotScenarioResult(
        workload_after=after,
        workload_naive=naive,
        summary=summary,
        distributions=distributions,
    )


def _check_share(name: str, value: float, *, upper_open: bool = False) -> None:
    too_high = value >= 1.0 if upper_open else value > 1.0
    if not value >= 0.0 or too_high:
        upper = "1)" if upper_open else "1]"
        raise InputError(f"invalid {name} {value!r}; pass a share in [0, {upper}.")


def _check_workload(workload: pd.DataFrame, scenario: BotScenario) -> None:
    required = ("interval_start", "use_case", "turns", "active_seconds_per_turn")
    missing = [column for column in required if column not in workload.columns]
    if missing:
        raise InputError(
            f"workload table is missing columns {missing}; pass the workload of "
            "asyncwfm.measure.measure() or a forecast."
        )
    starts = workload["interval_start"]
    if not workload.empty and not isinstance(starts.dtype, pd.DatetimeTZDtype):
        raise InputError(
            f"workload interval_start must be timezone-aware in the business time zone, got "
            f"dtype {starts.dtype}; localize it with Series.dt.tz_localize(zone)."
        )
    if scenario.use_cases is not None and not workload.empty:
        known = set(workload["use_case"].astype(str))
        unknown = sorted(set(scenario.use_cases) - known)
        if unknown:
            raise InputError(
                f"bot scenario names use cases {unknown} that the workload does not have; "
                f"known use cases: {sorted(known)}."
            )


def _scenario_start(workload: pd.DataFrame, scenario: BotScenario) -> pd.Timestamp:
    if scenario.start is None:
        return pd.Timestamp(workload["interval_start"].min())
    stamp = pd.Timestamp(scenario.start)
    zone = workload["interval_start"].dt.tz
    return stamp.tz_localize(zone) if stamp.tzinfo is None else stamp.tz_convert(zone)


def _use_cases_with_bot(workload: pd.DataFrame, scenario: BotScenario) -> set[str]:
    if scenario.use_cases is None:
        return set(workload["use_case"].astype(str))
    return set(scenario.use_cases)


def _recontact_rate(
    use_case: str, scenario: BotScenario, bots: BotMeasurement | None
) -> tuple[float, str]:
    """Return the re-contact rate of a use case and where it came from."""
    if scenario.recontact_rate is not None:
        return scenario.recontact_rate, "given"
    if bots is not None and not bots.by_use_case.empty:
        rows = bots.by_use_case[bots.by_use_case["use_case"] == use_case]
        if not rows.empty and np.isfinite(rows["recontact_rate"].iloc[0]):
            return float(rows["recontact_rate"].iloc[0]), "measured"
    return 0.0, "none"


def _empty_distribution(use_case: str) -> ResidueDistribution:
    zero = np.zeros(1)
    return ResidueDistribution(use_case, 0, zero, zero, zero)


def _naive_factors(level: np.ndarray, recontact_rate: float) -> ResidueFactors:
    level = np.atleast_1d(np.asarray(level, dtype=float))
    volume = (1.0 - level) + recontact_rate * level
    return ResidueFactors(
        containment=level,
        turns=volume,
        handled_turns=volume,
        conversations=volume,
        active_seconds=volume,
        aht=np.ones_like(level),
    )


def _with_float_columns(workload: pd.DataFrame) -> pd.DataFrame:
    """Copy the workload with every scaled column as float, since scaled counts are fractional."""
    frame = workload.copy()
    scaled = (
        *SCALED_BY_TURNS,
        *SCALED_BY_HANDLED_TURNS,
        *SCALED_BY_CONVERSATIONS,
        *SCALED_BY_ACTIVE_SECONDS,
    )
    for column in (*scaled, "active_seconds_per_turn"):
        if column in frame.columns:
            frame[column] = frame[column].astype(float)
    return frame


def _scale(frame: pd.DataFrame, index: pd.Index, factors: ResidueFactors) -> None:
    """Multiply the scaled workload columns of ``index`` rows in place."""
    for columns, factor in (
        (SCALED_BY_TURNS, factors.turns),
        (SCALED_BY_HANDLED_TURNS, factors.handled_turns),
        (SCALED_BY_CONVERSATIONS, factors.conversations),
        (SCALED_BY_ACTIVE_SECONDS, factors.active_seconds),
    ):
        for column in columns:
            if column in frame.columns:
                frame.loc[index, column] = frame.loc[index, column].to_numpy() * factor
    aht = frame.loc[index, "active_seconds_per_turn"].to_numpy(dtype=float)
    frame.loc[index, "active_seconds_per_turn"] = aht * factors.aht


def _active_seconds(frame: pd.DataFrame) -> float:
    """Return turns times active seconds per turn, summed over intervals with turns."""
    turns = frame["turns"].to_numpy(dtype=float)
    aht = frame["active_seconds_per_turn"].to_numpy(dtype=float)
    return float(np.nansum(np.where(turns > 0, turns * aht, 0.0)))


def _use_case_row(
    use_case: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    naive: pd.DataFrame,
    distribution: ResidueDistribution,
) -> dict[str, object]:
    turns_before = float(before["turns"].sum())
    turns_after = float(after["turns"].sum())
    seconds_before = _active_seconds(before)
    seconds_after = _active_seconds(after)
    return {
        "use_case": use_case,
        "status": "ok" if distribution.conversations > 0 else "no_agent_conversations",
        "agent_conversations": distribution.conversations,
        "baseline_aht_seconds": distribution.aht_seconds,
        "turns_before": turns_before,
        "turns_after": turns_after,
        "turns_naive": float(naive["turns"].sum()),
        "active_hours_before": seconds_before / 3600.0,
        "active_hours_after": seconds_after / 3600.0,
        "active_hours_naive": _active_seconds(naive) / 3600.0,
        "residue_uplift": _uplift(seconds_after, turns_after, seconds_before, turns_before),
    }


def _uplift(seconds_after: float, turns_after: float, seconds: float, turns: float) -> float:
    if turns_after <= 0 or turns <= 0 or seconds <= 0:
        return float("nan")
    return (seconds_after / turns_after) / (seconds / turns) - 1.0


def _summary(
    scenario: BotScenario, start: pd.Timestamp | None, by_use_case: pd.DataFrame
) -> BotScenarioSummary:
    turns_before = float(by_use_case["turns_before"].sum())
    turns_after = float(by_use_case["turns_after"].sum())
    hours_before = float(by_use_case["active_hours_before"].sum())
    hours_after = float(by_use_case["active_hours_after"].sum())
    live = by_use_case[by_use_case["bot_live"].astype(bool)]
    weights = live["turns_before"].to_numpy(dtype=float)
    uplifts = live["full_containment_uplift"].to_numpy(dtype=float)
    usable = np.isfinite(uplifts) & (weights > 0)
    lacking = live["status"] != "ok"
    return BotScenarioSummary(
        status="partial" if bool(lacking.any()) else "ok",
        scenario=scenario,
        start=start,
        human_turns_before=turns_before,
        human_turns_after=turns_after,
        human_turns_naive=float(by_use_case["turns_naive"].sum()),
        active_hours_before=hours_before,
        active_hours_after=hours_after,
        active_hours_naive=float(by_use_case["active_hours_naive"].sum()),
        baseline_aht_seconds=_ratio(hours_before * 3600.0, turns_before),
        residue_aht_seconds=_ratio(hours_after * 3600.0, turns_after),
        residue_uplift=_uplift(hours_after, turns_after, hours_before, turns_before),
        full_containment_uplift=(
            float(np.average(uplifts[usable], weights=weights[usable]))
            if usable.any()
            else float("nan")
        ),
        by_use_case=by_use_case,
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def _reduction(after: float, before: float) -> float:
    return 1.0 - after / before if before > 0 else float("nan")


def _empty_result(
    workload: pd.DataFrame, scenario: BotScenario, distributions: dict[str, ResidueDistribution]
) -> BotScenarioResult:
    nan = float("nan")
    summary = BotScenarioSummary(
        status="no_workload",
        scenario=scenario,
        start=None,
        human_turns_before=0.0,
        human_turns_after=0.0,
        human_turns_naive=0.0,
        active_hours_before=0.0,
        active_hours_after=0.0,
        active_hours_naive=0.0,
        baseline_aht_seconds=nan,
        residue_aht_seconds=nan,
        residue_uplift=nan,
        full_containment_uplift=nan,
        by_use_case=pd.DataFrame(columns=list(USE_CASE_COLUMNS)),
    )
    return BotScenarioResult(
        workload_after=workload.copy(),
        workload_naive=workload.copy(),
        summary=summary,
        distributions=distributions,
    )

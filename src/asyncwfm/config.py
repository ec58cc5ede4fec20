"""Planning configuration: use cases, promises, intervals, opening hours, shrinkage.

The configuration is a TOML file validated with pydantic. Validation errors become a
:class:`~asyncwfm.errors.ConfigError` whose message names the key, the value found and
what is allowed. A minimal file::

    business_timezone = "America/New_York"
    interval_minutes = 30
    shrinkage = 0.30
    max_occupancy = 0.85

    [default_promise]
    service_level = 0.80
    target_seconds = 3600

    [[use_cases]]
    name = "apple"
    match_use_cases = ["AppleSupport"]
    promise = { service_level = 0.8, target_seconds = 900, response = "every" }
    concurrency_cap = 4

All durations are seconds; the unit is part of every key name.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from asyncwfm.errors import ConfigError
from asyncwfm.timezones import close_timezones

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_PATTERN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Promise(_Strict):
    """Service goal of a use case: ``service_level`` of turns answered within a time.

    ``response = "first"`` applies the promise to the first customer turn of each
    conversation only, ``"every"`` to every customer turn. A promise is deferred when
    its target is longer than the planning interval or when ``same_business_day`` is
    set; deferred promises are planned as a backlog against the deadline.
    """

    service_level: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.8
    target_seconds: Annotated[float, Field(gt=0.0)] = 900.0
    response: Literal["first", "every"] = "every"
    same_business_day: bool = False


class UseCaseConfig(_Strict):
    """One stream of work with its own promise.

    An event belongs to this use case when its ``use_case`` label (set by the reader:
    the brand for Twitter data, a tag or queue for help-desk exports) matches one of
    ``match_use_cases``, or its ``channel`` matches one of ``match_channels``. Patterns
    are shell-style globs (``*``, ``?``), compared case-insensitively. With both lists
    empty the use case matches events whose label equals its name.

    A slow-down curve makes active handling time grow with the threads an agent holds
    at once: ``slowdown_threads`` and ``slowdown_factors`` give it point by point
    (factor 1 at one thread), or ``measure_slowdown`` estimates it from the log's
    handle times. It needs a ``concurrency_cap``.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$", max_length=64)]
    match_use_cases: list[str] = Field(default_factory=list)
    match_channels: list[str] = Field(default_factory=list)
    promise: Promise = Field(default_factory=Promise)
    concurrency_cap: Annotated[int, Field(ge=1, le=100)] | None = None
    patience_seconds: Annotated[float, Field(gt=0.0)] | None = None
    pool: str | None = None
    slowdown_threads: list[Annotated[float, Field(ge=1.0)]] = Field(default_factory=list)
    slowdown_factors: list[Annotated[float, Field(gt=0.0)]] = Field(default_factory=list)
    measure_slowdown: bool = False

    @model_validator(mode="after")
    def _check_slowdown(self) -> UseCaseConfig:
        if len(self.slowdown_threads) != len(self.slowdown_factors):
            raise ValueError(
                f"slowdown_threads has {len(self.slowdown_threads)} points but "
                f"slowdown_factors has {len(self.slowdown_factors)}; give one factor per point"
            )
        wants_slowdown = bool(self.slowdown_threads) or self.measure_slowdown
        if wants_slowdown and self.concurrency_cap is None:
            raise ValueError(
                "a slow-down curve needs concurrency_cap, the most threads an agent holds"
            )
        return self

    def matches(self, use_case_label: str, channel: str) -> bool:
        """Return whether an event with this label and channel belongs to the use case."""
        if not self.match_use_cases and not self.match_channels:
            return use_case_label.lower() == self.name.lower()
        label = use_case_label.lower()
        chan = channel.lower()
        return any(fnmatch.fnmatchcase(label, p.lower()) for p in self.match_use_cases) or any(
            fnmatch.fnmatchcase(chan, p.lower()) for p in self.match_channels
        )


class HandlingConfig(_Strict):
    """Parameters of the active-handling estimator, used when the log has no work times.

    The work of one agent reply is at most ``read_seconds + seconds_per_character *
    reply length`` (capped at ``max_reply_seconds``), and never more than the time since
    the agent's previous reply in any thread or since the customer message it answers.
    Agent messages of one conversation closer than ``burst_gap_seconds`` form a burst.
    """

    read_seconds: Annotated[float, Field(ge=0.0)] = 60.0
    seconds_per_character: Annotated[float, Field(ge=0.0)] = 0.5
    max_reply_seconds: Annotated[float, Field(gt=0.0)] = 600.0
    min_reply_seconds: Annotated[float, Field(ge=0.0)] = 10.0
    burst_gap_seconds: Annotated[float, Field(gt=0.0)] = 300.0

    @model_validator(mode="after")
    def _check_bounds(self) -> HandlingConfig:
        if self.min_reply_seconds > self.max_reply_seconds:
            raise ValueError(
                f"min_reply_seconds ({self.min_reply_seconds}) must not exceed "
                f"max_reply_seconds ({self.max_reply_seconds})"
            )
        return self


class MeasureConfig(_Strict):
    """Settings of the measure stage: spike detection and the default measurement window.

    Peakedness is the variance-to-mean ratio of customer-turn arrivals counted in
    windows of ``peakedness_window_minutes`` inside each planning interval; the window
    must divide the interval. A minute is a spike when its turn arrivals are at least
    ``spike_min_turns`` and their Poisson upper-tail probability, given the mean rate of
    its interval, is below ``spike_p_value``. Without an explicit window, the workload
    grid covers the stretch of the log with the most events that has no gap longer than
    ``window_max_gap_days``, so a few stray old messages do not stretch it over years.
    Days at its edges with fewer events than ``window_min_day_share`` times the median
    day are left out too (the tail of conversations still open when an export ends).
    """

    peakedness_window_minutes: Annotated[int, Field(ge=1, le=5)] = 5
    spike_p_value: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.001
    spike_min_turns: Annotated[int, Field(ge=1)] = 3
    window_max_gap_days: Annotated[float, Field(gt=0.0)] = 7.0
    window_min_day_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1


class ForecastConfig(_Strict):
    """Forecast settings: dates left out of model fitting (holidays, outages)."""

    excluded_dates: list[date] = Field(default_factory=list)


class SimulationConfig(_Strict):
    """Discrete-event simulation settings."""

    idle_timeout_seconds: Annotated[float, Field(gt=0.0)] = 1800.0
    dispatch: Literal["edf", "fifo"] = "edf"
    replications: Annotated[int, Field(ge=1, le=10_000)] = 10
    seed: int = 0


class BotConfig(_Strict):
    """Bot author names or ids, for logs whose readers cannot tell bot messages apart."""

    author_ids: list[str] = Field(default_factory=list)


class PlanningConfig(_Strict):
    """Everything the plan needs besides the event log.

    ``use_peakedness`` turns on the spike allowance: when turn arrivals are peaked
    (Hayward peakedness above 1, measured from the log), the work constraint is
    staffed with Hayward's approximation instead of plain Erlang C.
    ``default_aht_seconds`` is the handling time per turn of use cases whose log holds
    no agent work (an export of customer messages only); without it planning such a
    use case is an error.
    """

    business_timezone: str = "UTC"
    interval_minutes: Literal[15, 30, 60] = 30
    shrinkage: Annotated[float, Field(ge=0.0, le=0.9)] = 0.30
    max_occupancy: Annotated[float, Field(gt=0.0, le=1.0)] | None = 0.85
    opening_hours: dict[str, list[str]] = Field(default_factory=dict)
    default_promise: Promise = Field(default_factory=Promise)
    default_concurrency_cap: Annotated[int, Field(ge=1, le=100)] | None = None
    use_peakedness: bool = True
    default_aht_seconds: Annotated[float, Field(gt=0.0)] | None = None
    unmatched: Literal["keep", "drop"] = "keep"
    use_cases: list[UseCaseConfig] = Field(default_factory=list)
    handling: HandlingConfig = Field(default_factory=HandlingConfig)
    measure: MeasureConfig = Field(default_factory=MeasureConfig)
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)
    bots: BotConfig = Field(default_factory=BotConfig)

    @field_validator("business_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            close = close_timezones(value)
            hint = f" Did you mean one of {close}?" if close else ""
            raise ValueError(
                f"unknown IANA time zone {value!r}; use a name like 'Europe/London'.{hint}"
            ) from None
        return value

    @field_validator("opening_hours")
    @classmethod
    def _check_opening_hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            if day not in (*WEEKDAYS, "default"):
                raise ValueError(
                    f"unknown day {day!r}; allowed: 'default' or one of {list(WEEKDAYS)}"
                )
            parsed = sorted(
                (_minutes_of_day(start), _minutes_of_day(end))
                for start, end in map(_parse_span, spans)
            )
            for (_, first_end), (second_start, _) in itertools.pairwise(parsed):
                if second_start < first_end:
                    raise ValueError(
                        f"opening spans of {day!r} overlap: {spans}; merge them into one span"
                    )
        return value

    @model_validator(mode="after")
    def _check_unique_names(self) -> PlanningConfig:
        names = [u.name for u in self.use_cases]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"use case names must be unique; repeated: {duplicated}")
        return self

    @property
    def interval_seconds(self) -> int:
        """Length of one planning interval in seconds."""
        return self.interval_minutes * 60

    @property
    def timezone(self) -> ZoneInfo:
        """The business time zone as a ZoneInfo object."""
        return ZoneInfo(self.business_timezone)

    def use_case_named(self, name: str) -> UseCaseConfig:
        """Return the configured use case ``name``, or one built from the defaults.

        A use case that appears in the data but not in the file (``unmatched = "keep"``)
        gets ``default_promise`` and ``default_concurrency_cap``.
        """
        for use_case in self.use_cases:
            if use_case.name == name:
                return use_case
        return UseCaseConfig(
            name=_safe_name(name),
            promise=self.default_promise,
            concurrency_cap=self.default_concurrency_cap,
        )

    def resolve_use_case(self, use_case_label: str, channel: str) -> str | None:
        """Map an event's reader label and channel to a configured use case name.

        Returns the first configured use case that matches. An unmatched event keeps
        its own label when ``unmatched = "keep"`` and returns None (drop) otherwise.
        """
        for use_case in self.use_cases:
            if use_case.matches(use_case_label, channel):
                return use_case.name
        return use_case_label if self.unmatched == "keep" else None

    def opening_spans(self, weekday: int) -> list[tuple[time, time | None]]:
        """Return the opening spans of a weekday (0 = Monday) as (start, end) times.

        An end of None means midnight at the end of the day. No entry at all means
        open all day; an empty list means closed.
        """
        day = WEEKDAYS[weekday]
        spans = self.opening_hours.get(day, self.opening_hours.get("default"))
        if spans is None:
            return [(time(0, 0), None)]
        return [_parse_span(s) for s in spans]


def _safe_name(label: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", label)[:64]
    return cleaned or "default"


def _minutes_of_day(value: time | None) -> int:
    """Return minutes since midnight, with None (the end of the day) as 1440."""
    return 24 * 60 if value is None else value.hour * 60 + value.minute


def _parse_span(span: str) -> tuple[time, time | None]:
    match = _HOURS_PATTERN.match(span.strip())
    if match is None:
        raise ValueError(
            f"invalid opening span {span!r}; write it as 'HH:MM-HH:MM', e.g. '08:00-20:00'"
        )
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError(f"invalid opening span {span!r}: hours run 00-24, minutes 00-59")
    start = time(start_h, start_m)
    end = None if end_h == 24 else time(end_h, end_m)
    if end is not None and end <= start:
        raise ValueError(f"invalid opening span {span!r}: the end must be after the start")
    return start, end


def load_config(path: str | Path) -> PlanningConfig:
    """Read and validate a planning configuration from a TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, is not valid TOML, or a key has an invalid value.
        The message names the key, the value and what is allowed.
    """
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file_path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {file_path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {file_path} is not valid TOML: {exc}") from None
    return config_from_dict(data, source=str(file_path))


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> PlanningConfig:
    """Validate a configuration given as a dictionary (parsed TOML or JSON)."""
    try:
        return PlanningConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, source)) from None


def _describe_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"invalid configuration in {source}:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "<top level>"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key; remove it or check its spelling")
        elif error["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            lines.append(f"  {key} = {error.get('input')!r}: {message}")
    return "\n".join(lines)

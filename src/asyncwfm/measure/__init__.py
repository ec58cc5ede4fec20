"""Measure stage: customer turns, response times, active handling time and workload.

The main entry point is :func:`measure`, which turns the event table into the
``turns``, ``conversations``, ``work`` and ``workload`` tables that the forecast, plan
and simulation stages read. Definitions are in ``docs/measurement.md``.
"""

from asyncwfm.measure.grid import IntervalGrid, interval_grid
from asyncwfm.measure.handling import reply_allowance_seconds
from asyncwfm.measure.measurement import SUMMARY_COLUMNS, Measurement, measure
from asyncwfm.measure.spikes import pooled_peakedness
from asyncwfm.measure.turns import customer_turns
from asyncwfm.measure.use_cases import assign_use_cases

__all__ = [
    "SUMMARY_COLUMNS",
    "IntervalGrid",
    "Measurement",
    "assign_use_cases",
    "customer_turns",
    "interval_grid",
    "measure",
    "pooled_peakedness",
    "reply_allowance_seconds",
]

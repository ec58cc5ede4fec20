"""Simulate stage: discrete-event simulation of asynchronous messaging against a plan.

Conversations arrive per use case at a rate that varies by interval, each a sequence
of customer turns separated by think times, each turn needing agent work. Agents follow
the plan's staffing per interval, hold up to a concurrency cap of threads, and keep a
thread until it has been idle for a timeout. The simulation measures the share of turns
answered within each use case's promise, response-time percentiles, waiting turns, open
threads, occupancy and agents at their cap, with confidence intervals over independent
replications. :func:`verify_plan` checks a requirements table and :func:`tune_plan`
searches for the smallest staffing per interval that keeps every promise.
"""

from asyncwfm.simulate.adapter import (
    model_from_measurement,
    requirements_with_staffing,
    staffing_from_requirements,
)
from asyncwfm.simulate.model import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    Geometric,
    LogNormal,
    SimulationModel,
    Staffing,
    TraceConversations,
    UseCaseModel,
)
from asyncwfm.simulate.run import SimulationResult, run_replication, simulate
from asyncwfm.simulate.tune import TuningResult, VerificationResult, tune_plan, verify_plan

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "Geometric",
    "LogNormal",
    "SimulationModel",
    "SimulationResult",
    "Staffing",
    "TraceConversations",
    "TuningResult",
    "UseCaseModel",
    "VerificationResult",
    "model_from_measurement",
    "requirements_with_staffing",
    "run_replication",
    "simulate",
    "staffing_from_requirements",
    "tune_plan",
    "verify_plan",
]

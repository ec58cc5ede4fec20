"""Synthetic messaging logs with bots, for tests and demos: every row is made up.

The bundled real samples have no bot, so this package generates seeded logs that have
one. They contain several use cases, bots that contain simple intents and hand the rest
to agents, reply waves and heavy-tailed customer think times. Agents reply one message
at a time while holding several threads. Each :class:`GeneratedLog` carries the expected
values it was generated with, so measurements on its events can be checked.
"""

from asyncwfm.synthetic.generator import (
    DEFAULT_START,
    DEFAULT_TIMEZONE,
    DEMO_SEED,
    PROVENANCE,
    GeneratedLog,
    generate_log,
    synthetic_config,
)
from asyncwfm.synthetic.specs import DEFAULT_USE_CASES, IntentSpec, UseCaseSpec
from asyncwfm.synthetic.truth import UseCaseTruth, expected_use_case_truth

__all__ = [
    "DEFAULT_START",
    "DEFAULT_TIMEZONE",
    "DEFAULT_USE_CASES",
    "DEMO_SEED",
    "PROVENANCE",
    "GeneratedLog",
    "IntentSpec",
    "UseCaseSpec",
    "UseCaseTruth",
    "expected_use_case_truth",
    "generate_log",
    "synthetic_config",
]

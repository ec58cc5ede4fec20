"""Exceptions and warnings raised by asyncwfm.

Every error a user can cause derives from :class:`AsyncWfmError`, so the CLI turns
it into a one-line message with a non-zero exit status instead of a traceback.
"""

from __future__ import annotations


class AsyncWfmError(Exception):
    """Base class of every error asyncwfm raises on purpose."""


class InputError(AsyncWfmError, ValueError):
    """Invalid input data: an unreadable file, a missing column, a bad timestamp."""


class FormatDetectionError(InputError):
    """The format of an input file could not be recognised."""


class ConfigError(AsyncWfmError, ValueError):
    """Invalid planning configuration; the message names the key, the value and what is allowed."""


class StoreError(AsyncWfmError):
    """The event store is missing, locked or was written by an incompatible version."""


class UnstableQueueError(AsyncWfmError, ValueError):
    """The offered load is not below the number of agents, so the queue never empties."""


class InfeasiblePlanError(AsyncWfmError):
    """No staffing within the stated limits meets the promise."""


class MissingDependencyError(AsyncWfmError, ImportError):
    """An optional package needed for the requested feature is not installed."""


class AsyncWfmWarning(UserWarning):
    """Base class of the warnings asyncwfm emits."""


class ApproximationWarning(AsyncWfmWarning):
    """A result comes from an approximation outside its usual range of accuracy."""


class FallbackWarning(AsyncWfmWarning):
    """A method fell back to a simpler one, for example a forecast on a short history."""


class DataQualityWarning(AsyncWfmWarning):
    """The input was accepted but has a problem that may distort results."""


class TooFewReplicationsWarning(AsyncWfmWarning):
    """A simulation estimate is based on too few replications to be precise."""

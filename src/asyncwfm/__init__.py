"""asyncwfm: workforce planning for asynchronous messaging channels.

The pipeline runs one way: ingest (logs to the event table), measure (turns, response
times, active handling time, concurrency), forecast, plan (agents per use case and
interval), simulate, schedule and report. Each stage is a subpackage with a small typed
API; the ``asyncwfm`` command and the web page only wire the stages together.
"""

from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.errors import AsyncWfmError, ConfigError, InputError
from asyncwfm.store import EventStore

__version__ = "0.1.0"

__all__ = [
    "AsyncWfmError",
    "ConfigError",
    "EventStore",
    "InputError",
    "PlanningConfig",
    "__version__",
    "load_config",
]

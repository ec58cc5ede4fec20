"""IANA time zone names: suggestions for a misspelled zone."""

from __future__ import annotations

import difflib
from zoneinfo import available_timezones


def close_timezones(name: str, limit: int = 3) -> list[str]:
    """Return up to ``limit`` IANA time zones whose name is close to ``name``.

    A zone matches exactly when its full name or its last part (the city) equals
    ``name``, ignoring case and reading spaces as underscores (``new york`` gives
    ``America/New_York``). Spelling mistakes are matched with :mod:`difflib`.
    """
    zones = sorted(available_timezones())
    wanted = name.strip().lower().replace(" ", "_")
    by_name = {zone.lower(): zone for zone in zones}
    by_city = {zone.lower().rsplit("/", 1)[-1]: zone for zone in zones}

    exact = [zone for zone in zones if wanted in (zone.lower(), zone.lower().rsplit("/", 1)[-1])]
    similar = difflib.get_close_matches(wanted, list(by_name), n=limit, cutoff=0.6)
    similar_city = difflib.get_close_matches(
        wanted.rsplit("/", 1)[-1], list(by_city), n=limit, cutoff=0.8
    )
    matches = [*exact, *(by_name[key] for key in similar), *(by_city[key] for key in similar_city)]
    return list(dict.fromkeys(matches))[:limit]

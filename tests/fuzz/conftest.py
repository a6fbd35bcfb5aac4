"""Hypothesis profiles for the fuzz suite: ``fast`` (CI, the default, well under a minute) and
``long`` (on demand: ``REWARDKIT_FUZZ=long .venv/bin/python -m pytest tests/fuzz``)."""

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, derandomize=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                         HealthCheck.function_scoped_fixture])
settings.register_profile("fast", max_examples=20, **_COMMON)
settings.register_profile("long", max_examples=400, **_COMMON)
PROFILE = os.environ.get("REWARDKIT_FUZZ", "fast")
settings.load_profile(PROFILE)


def budget(fast: int) -> int:
    """Examples for an entry point slower than the rest (it loads a model or draws plots): its
    own small number in the fast profile, 20x that in the long one."""
    return fast if PROFILE == "fast" else 20 * fast

"""Hypothesis profiles for the fuzz suite: ``fast`` (CI, the default, well under a minute) and
``long`` (on demand: ``REWARDKIT_FUZZ=long .venv/bin/python -m pytest tests/fuzz``)."""

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, derandomize=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                         HealthCheck.function_scoped_fixture])
settings.register_profile("fast", max_examples=20, **_COMMON)
settings.register_profile("long", max_examples=400, **_COMMON)
settings.load_profile(os.environ.get("REWARDKIT_FUZZ", "fast"))

# how many examples each entry point gets, relative to the profile (model-loading ones are slower)
SCALE = {"fast": 1.0, "long": 1.0}

"""What every test shares: a process environment free of the developer's UNROLLED_ settings.

Settings are read from UNROLLED_ variables (app/settings.py); a value left in a
developer's shell (a smaller UNROLLED_MAX_JOBS, say) must not change what a test sees.
"""

from __future__ import annotations

import os

import pytest

from app.settings import ENV_PREFIX, Settings

# Only the settings: other UNROLLED_ variables steer the tests themselves (UNROLLED_UPDATE_DOCS).
SETTING_VARIABLES = {ENV_PREFIX + name.upper() for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def _no_unrolled_settings(monkeypatch):
    for variable in SETTING_VARIABLES & set(os.environ):
        monkeypatch.delenv(variable)
    # A test's store starts empty, as the tests expect, instead of being seeded with the
    # demo models at start-up (app/core/store/seed.py); tests/core/test_seed.py seeds on purpose.
    monkeypatch.setenv(ENV_PREFIX + "SEED_DIR", "")

"""What every test shares: a process environment free of the developer's UNROLLED_ settings.

Settings are read from UNROLLED_ variables (app/settings.py); a value left in a
developer's shell (a smaller UNROLLED_MAX_JOBS, say) must not change what a test sees.
"""

from __future__ import annotations

import os

import pytest

from app.settings import ENV_PREFIX


@pytest.fixture(autouse=True)
def _no_unrolled_environment(monkeypatch):
    for variable in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(variable)

"""What every command shares: the error a person caused, settings and the store.

A CliError (or any of the engine's input errors listed in USER_ERRORS) ends a
command with one line "error: ..." on stderr and exit status 2; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

from app.core.architectures import UnknownArchitecture, expected_shapes
from app.core.store import ModelStore, StoreError, StoreLimits
from app.core.tasks import TaskInputError
from app.settings import Settings, SettingsError

EXIT_USAGE = 2  # the conventional status for "you asked for something that cannot be done"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


class CliError(Exception):
    """A problem with what the person asked for; the message is shown as is."""


# Raised by the engine for bad input; each carries a message written for a person.
USER_ERRORS = (CliError, StoreError, TaskInputError, UnknownArchitecture, SettingsError)


def load_settings() -> Settings:
    return Settings.from_env()


def open_store(settings: Settings) -> ModelStore:
    # The same limits the server applies, so a store filled from the command
    # line is one the server accepts.
    limits = StoreLimits(max_models=settings.max_models)
    return ModelStore(settings.models_dir, limits=limits, expected_shapes=expected_shapes)

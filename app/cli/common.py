"""What every command shares: the error a person caused, settings and the store.

A CliError (or any of the engine's input errors listed in USER_ERRORS) ends a
command with one line "error: ..." on stderr and exit status 2; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

from app.core.architectures import UnknownArchitecture, expected_shapes
from app.core.device import configure_threads
from app.core.runs import RunRefused
from app.core.store import ModelStore, StoreError, StoreLimits
from app.core.tasks import TaskInputError
from app.settings import Settings, SettingsError

EXIT_USAGE = 2  # the conventional status for "you asked for something that cannot be done"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


class CliError(Exception):
    """A problem with what the person asked for; the message is shown as is."""


# Raised by the engine for bad input; each carries a message written for a person.
USER_ERRORS = (CliError, RunRefused, StoreError, TaskInputError, UnknownArchitecture, SettingsError)


def load_settings() -> Settings:
    settings = Settings.from_env()
    configure_threads(settings.torch_threads)
    return settings


def open_store(settings: Settings) -> ModelStore:
    # max_models comes from the setting the server reads too, so the command
    # line cannot fill a store beyond what the server would allow.
    limits = StoreLimits(max_models=settings.max_models)
    try:
        store = ModelStore(settings.models_dir, limits=limits, expected_shapes=expected_shapes)
    except OSError as error:  # e.g. UNROLLED_MODELS_DIR names a file
        raise CliError(f"cannot use the model folder {settings.models_dir}: {error.strerror or error}") from None
    # Like the server at start: finish or undo what a crash interrupted (waiting for a server's
    # writes in progress, never undoing them); a read-only folder is logged, reads still work.
    store.repair()
    return store

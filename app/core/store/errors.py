"""The model store's exceptions.

Every failure the store reports is a StoreError, so a caller (the API layer) can
map the whole family to HTTP answers in one place: InvalidName/InvalidModel and
LimitExceeded are the client's fault (422), ModelNotFound is 404, ModelExists
and StoreFull are 409, CorruptModel is a damaged file on disk or in an upload
(422), and StoreNotWritable is a folder that refuses writes (503). (app/api/errors.py
holds the table.)
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of everything the model store raises on purpose."""


class InvalidName(StoreError):
    """A model name that does not match NAME_PATTERN (and so is never a path)."""


class ModelNotFound(StoreError):
    """No model of that name is stored."""


class ModelExists(StoreError):
    """create() or import_checkpoint() of a name that is already taken."""


class CorruptModel(StoreError):
    """A stored file or an uploaded checkpoint that is unreadable, truncated or
    inconsistent; the message names the file and says why."""


class LimitExceeded(StoreError):
    """Sizes (metadata, tensor shapes, file bytes, model count) beyond StoreLimits."""


class StoreFull(LimitExceeded):
    """create() or import_checkpoint() when the store already holds max_models models: not a
    fault of the request itself but of the store's state (delete a model first)."""


class InvalidModel(StoreError):
    """Metadata or tensors passed in by the caller that cannot be stored
    (missing config, a tensor that is not float32/float64, not JSON-able, ...)."""


class StoreNotWritable(StoreError):
    """The models folder refuses writes (read-only, owned by another user, full): the
    server's state, not the request's fault; reads still work. The message names the folder."""

"""Names and size limits of the model store.

Owns NAME_PATTERN / validate_name (the only gate between a user-supplied name
and a file path) and StoreLimits with the checks of a model config against it.
The config checks run before any tensor is allocated, so a hostile upload that
declares hidden_size=10**9 costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.core.store.errors import InvalidName, LimitExceeded

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

NAME_RULE = (
    "a model name is 1 to 64 characters: lower-case letters a-z, digits, '-' and '_', starting with a letter or digit"
)

# Gates stack along the first axis of nn.LSTM (4 gates) and nn.GRU (3) weights,
# so a tensor dimension may be up to 4 x hidden_size long.
MAX_GATES = 4

# The config keys the store relies on, and the limit field bounding each size.
SIZE_KEYS = {
    "hidden_size": "max_hidden_size",
    "input_size": "max_input_size",
    "output_size": "max_output_size",
}


@dataclass(frozen=True)
class StoreLimits:
    """Bounds checked before anything large is read or allocated."""

    max_hidden_size: int = 512  # config.hidden_size
    max_input_size: int = 4096  # config.input_size (one-hot symbols, text characters)
    max_output_size: int = 4096  # config.output_size
    max_models: int = 200  # models in one store
    max_file_bytes: int = 64 * 2**20  # a .safetensors file or upload
    max_history: int = 2000  # training-history points kept in the metadata
    max_header_bytes: int = 2**20  # the JSON header inside a .safetensors file
    max_metadata_bytes: int = 4 * 2**20  # a .json metadata file
    max_tensors: int = 32  # tensors in one checkpoint (a model has at most 7)

    @property
    def max_dimension(self) -> int:
        """The longest tensor axis any allowed config can produce."""
        return max(MAX_GATES * self.max_hidden_size, self.max_input_size, self.max_output_size)


def validate_name(name: Any) -> str:
    """Return name unchanged if it is a legal model name, else raise InvalidName."""
    # fullmatch on a str only: "$" alone would accept a trailing newline.
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise InvalidName(f"invalid model name {str(name)[:80]!r}: {NAME_RULE}")
    return name


def check_config_sizes(config: dict, limits: StoreLimits, source: str, error: type[Exception]) -> None:
    """Check the size fields of a config: positive ints within the limits.

    `error` is the exception for a malformed value (InvalidModel for what a
    caller passed, CorruptModel for what was read from a file); a value that
    is well-formed but too large is always LimitExceeded.
    """
    for key, limit_field in SIZE_KEYS.items():
        value = config.get(key)
        if type(value) is not int or value < 1:
            raise error(f"{source}: config.{key} must be a positive integer, got {str(value)[:40]!r}")
        limit = getattr(limits, limit_field)
        if value > limit:
            raise LimitExceeded(f"{source}: config.{key} = {value} exceeds the limit of {limit}")

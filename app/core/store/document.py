"""The JSON metadata document stored beside each model's weights.

Owns its layout (what the store fills in, what the caller supplies), strict
JSON encoding, validation of a document read back from disk or from an
upload's safetensors header, and thinning of the training history.

    {format_version, name, config {architecture, input_size, output_size,
     hidden_size, activation, ...}, task {id, options}, created_at,
     updated_at, total_steps, parameter_count, weights_sha256,
     history [{step, loss, metric, ...}], ...any extra keys of the caller}
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from app.core.architectures.init import GateInit, InvalidInit
from app.core.store.errors import CorruptModel, InvalidModel, LimitExceeded
from app.core.store.limits import StoreLimits, check_config_sizes

FORMAT_NAME = "unrolled"
FORMAT_VERSION = 1

# Keys the store owns: whatever the caller passes for them is overwritten.
MANAGED_KEYS = ("format_version", "name", "created_at", "updated_at", "parameter_count", "weights_sha256")

# Deep nesting is never legitimate metadata and would exhaust the recursion limit.
MAX_DEPTH = 32

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def utc_now() -> str:
    """ISO 8601 in UTC, e.g. 2024-05-01T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def thin_history(points: list, max_points: int) -> list:
    """Keep at most max_points, spread evenly over the run, always the first and latest.

    Evenly spaced indices keep the shape of the whole loss curve, which is what
    the chart needs; dropping only the oldest points would lose its start.
    """
    count = len(points)
    if count <= max_points:
        return list(points)
    if max_points <= 1:
        return list(points[-max_points:]) if max_points == 1 else []
    span, gaps = count - 1, max_points - 1
    # round(i * span / gaps) in integers: exact, strictly increasing since span >= gaps.
    return [points[(2 * i * span + gaps) // (2 * gaps)] for i in range(max_points)]


def build_document(
    name: str, given: dict, *, created_at: str | None, parameter_count: int, weights_sha256: str, limits: StoreLimits
) -> dict:
    """The full document to store for caller metadata `given`."""
    caller = to_strict_json(given, "metadata")
    if not isinstance(caller, dict):
        raise InvalidModel("metadata must be a dict")
    check_document(caller, limits, "metadata", InvalidModel)
    history = thin_history(caller.pop("history", None) or [], limits.max_history)
    document = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "config": caller.pop("config"),
        "task": caller.pop("task", None),
        "created_at": created_at or utc_now(),
        "updated_at": utc_now(),
        "total_steps": caller.pop("total_steps", None),
        "parameter_count": parameter_count,
        "weights_sha256": weights_sha256,
        "history": history,
    }
    if document["total_steps"] is None:
        document["total_steps"] = _last_step(history)
    for key, value in caller.items():
        if key not in MANAGED_KEYS:
            document[key] = value
    return document


def encode_document(document: dict, limits: StoreLimits) -> bytes:
    data = json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False).encode("utf-8") + b"\n"
    if len(data) > limits.max_metadata_bytes:
        raise LimitExceeded(f"metadata of {len(data)} bytes exceeds the limit of {limits.max_metadata_bytes}")
    return data


def decode_document(raw: bytes, name: str, limits: StoreLimits, source: str) -> dict:
    """Parse and check a stored .json document; CorruptModel says what is wrong."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptModel(f"{source}: not valid JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(document, dict):
        raise CorruptModel(f"{source}: not a JSON object")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise CorruptModel(f"{source}: format_version {str(version)[:20]!r} is not {FORMAT_VERSION}")
    if not isinstance(document.get("weights_sha256"), str) or not SHA256_HEX.match(document["weights_sha256"]):
        raise CorruptModel(f"{source}: weights_sha256 is missing or not a sha256 hex digest")
    check_document(document, limits, source, CorruptModel)
    # The file name is the model's identity; a copied-and-renamed pair still loads.
    document["name"] = name
    return document


def check_document(document: dict, limits: StoreLimits, source: str, error: type[Exception]) -> None:
    """The fields the store and its callers rely on; sizes bounded by limits."""
    config = document.get("config")
    if not isinstance(config, dict):
        raise error(f"{source}: config must be an object")
    if not isinstance(config.get("architecture"), str) or not config["architecture"]:
        raise error(f"{source}: config.architecture must be a non-empty string")
    if not isinstance(config.get("activation"), (str, type(None))):
        raise error(f"{source}: config.activation must be a string or null")
    check_config_sizes(config, limits, source, error)
    task = document.get("task")
    if task is not None and not (isinstance(task, dict) and isinstance(task.get("id"), str)):
        raise error(f"{source}: task must be an object with a string id")
    if not isinstance(document.get("history", []), list):
        raise error(f"{source}: history must be a list")
    steps = document.get("total_steps")
    if steps is not None and (type(steps) is not int or steps < 0):
        raise error(f"{source}: total_steps must be a non-negative integer")


def header_metadata(document: dict) -> dict[str, str]:
    """The strings for the .safetensors __metadata__: enough to describe and re-import it."""
    return {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "name": document["name"],
        "architecture": document["config"]["architecture"],
        "config": json.dumps(document["config"], allow_nan=False),
        "task": json.dumps(document["task"], allow_nan=False),
        # how the weights started, when not PyTorch's default (older files and default models have none)
        **({"init": json.dumps(document["init"], allow_nan=False)} if "init" in document else {}),
    }


def metadata_from_header(strings: dict[str, str], source: str) -> dict:
    """Caller-style metadata recovered from an uploaded checkpoint's __metadata__."""
    if "config" not in strings:
        raise InvalidModel(f"{source}: no metadata given and the checkpoint's header carries no config")
    metadata = {}
    for key in ("config", "task", "init"):
        if key in strings:
            try:
                metadata[key] = json.loads(strings[key])
            except (ValueError, RecursionError):
                raise CorruptModel(f"{source}: header __metadata__.{key} is not valid JSON") from None
    if "init" in metadata:
        try:
            GateInit.from_dict(metadata["init"] if isinstance(metadata["init"], dict) else {})
        except InvalidInit as error:
            raise CorruptModel(f"{source}: header __metadata__.init is not an initialisation ({error})") from None
    return metadata


def to_strict_json(value: Any, where: str, depth: int = 0) -> Any:
    """A deep copy made of JSON types only; NaN and infinities become None.

    An exploded loss is a real training outcome, but NaN is not JSON and would
    break the browser's JSON.parse, so it is stored as null.
    """
    if depth > MAX_DEPTH:
        raise InvalidModel(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise InvalidModel(f"{where}: object keys must be strings")
        return {key: to_strict_json(item, f"{where}.{key}", depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_strict_json(item, f"{where}[]", depth + 1) for item in value]
    raise InvalidModel(f"{where}: {type(value).__name__} is not JSON-able")


def _last_step(history: list) -> int:
    last = history[-1] if history else None
    step = last.get("step") if isinstance(last, dict) else None
    return step if type(step) is int and step >= 0 else 0

"""Log output for the server and the command line: plain text, or one JSON object per line.

    UNROLLED_LOG_FORMAT=text   "INFO app.main: serving models from ..."   (the default)
    UNROLLED_LOG_FORMAT=json   {"time": "...", "level": "INFO", "logger": "app.main", "message": "...", ...}

A JSON line carries time (UTC, ISO 8601), level, logger and message; fields a
caller passed with `extra=`; the exception's traceback as `exception`; and,
for a line written while a request is being answered, that request's fields
(request_id, method, path, client), which the metrics middleware binds
with bind_request(). uvicorn's own lines, its access log included, go through
the same formatter when the server is started by `python -m app serve`
(uvicorn_log_config), so a log collector sees one format.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
ACCESS_LOGGER = "uvicorn.access"

# What every LogRecord has; anything else on a record came from `extra=` and is written out,
# except uvicorn's color_message (the message again, with terminal colour codes).
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}

# The request being answered in this context (an ASGI scope and its id), set by the
# metrics middleware. A ContextVar follows the request's task and what it hands to
# asyncio.to_thread, and is empty on training threads, which answer no request.
_current_request: ContextVar[tuple[dict, str] | None] = ContextVar("unrolled_request", default=None)


def bind_request(scope: dict, request_id: str) -> Token:
    """Mark lines logged from here on (in this context) as belonging to this request."""
    return _current_request.set((scope, request_id))


def unbind_request(token: Token) -> None:
    _current_request.reset(token)


def request_fields() -> dict[str, Any]:
    """The current request's fields for a log line; {} outside a request."""
    current = _current_request.get()
    if current is None:
        return {}
    scope, request_id = current
    fields: dict[str, Any] = {"request_id": request_id, "path": scope.get("path")}
    if scope.get("method"):
        fields["method"] = scope["method"]
    client = scope.get("client")
    if client:
        fields["client"] = f"{client[0]}:{client[1]}"
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(request_fields())
        if record.name == ACCESS_LOGGER:
            line.update(_access_fields(record))
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: an `extra=` value that JSON cannot hold (a Path, a device) is written as text.
        return json.dumps(line, ensure_ascii=False, default=str)


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access line '%s - "%s %s HTTP/%s" %d' as fields (client, method, path, http_version, status)."""
    args = record.args
    if not isinstance(args, tuple) or len(args) != 5:
        return {}
    client, method, path, http_version, status = args
    return {"client": client, "method": method, "path": path, "http_version": http_version, "status": status}


def make_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure(log_format: str, level: int) -> None:
    """Send the root logger's records to stderr in log_format, at level.

    Like logging.basicConfig, a root logger that already has handlers (a host
    program's, pytest's) is left alone, so calling the CLI in-process changes
    no one's logging.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    root.addHandler(make_handler(log_format))
    root.setLevel(level)


def uvicorn_log_config(log_format: str) -> dict | None:
    """The logging config to hand uvicorn.run(log_config=...): None keeps uvicorn's own (text)."""
    if log_format != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            ACCESS_LOGGER: {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
    }

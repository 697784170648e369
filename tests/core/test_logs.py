"""Log output (app/logs.py): UNROLLED_LOG_FORMAT=json writes one JSON object per line,
for the CLI and the server, uvicorn's access log included."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from app import logs
from app.__main__ import main
from app.settings import PROJECT_ROOT


def record(message: str = "hello %s", args=("world",), name: str = "app.test", **extra) -> logging.LogRecord:
    return logging.getLogger(name).makeRecord(name, logging.WARNING, __file__, 1, message, args, None, extra=extra)


def test_a_json_line_has_time_level_logger_message_and_the_extras():
    line = logs.JsonFormatter().format(record(job="ab12", steps=5))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "WARNING" and parsed["logger"] == "app.test" and parsed["message"] == "hello world"
    assert parsed["time"].endswith("+00:00") and "T" in parsed["time"]
    assert (parsed["job"], parsed["steps"]) == ("ab12", 5)
    assert "request_id" not in parsed  # logged outside a request


def test_an_exception_stays_on_the_one_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        made = logging.getLogger("app.test").makeRecord(
            "app.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = logs.JsonFormatter().format(made)
    assert "\n" not in line
    assert "ValueError: bad" in json.loads(line)["exception"]


def test_a_value_json_cannot_hold_is_written_as_text():
    parsed = json.loads(logs.JsonFormatter().format(record(folder=PROJECT_ROOT)))
    assert parsed["folder"] == str(PROJECT_ROOT)


def test_lines_logged_while_a_request_is_answered_carry_its_fields():
    scope = {"type": "http", "method": "POST", "path": "/api/models/m/train", "client": ("10.0.0.7", 51234)}
    token = logs.bind_request(scope, "c0ffee12")
    try:
        parsed = json.loads(logs.JsonFormatter().format(record()))
    finally:
        logs.unbind_request(token)
    assert parsed["request_id"] == "c0ffee12"
    assert (parsed["method"], parsed["path"], parsed["client"]) == ("POST", "/api/models/m/train", "10.0.0.7:51234")
    assert "request_id" not in json.loads(logs.JsonFormatter().format(record()))


def test_uvicorns_access_line_becomes_fields():
    access = record(
        '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", "/api/health?x=1", "1.1", 200), "uvicorn.access"
    )
    parsed = json.loads(logs.JsonFormatter().format(access))
    assert parsed["message"] == '127.0.0.1:5000 - "GET /api/health?x=1 HTTP/1.1" 200'
    assert (parsed["method"], parsed["path"], parsed["status"], parsed["client"]) == (
        "GET",
        "/api/health?x=1",
        200,
        "127.0.0.1:5000",
    )


def test_the_text_format_is_the_one_line_the_cli_always_wrote():
    stream = io.StringIO()
    logs.make_handler("text", stream).handle(record())
    assert stream.getvalue() == "WARNING app.test: hello world\n"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="log format must be one of text, json, not 'xml'"):
        logs.make_handler("xml")


def test_uvicorns_loggers_write_json_with_the_config_handed_to_uvicorn(capsys):
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access")]
    saved = [(logger.handlers[:], logger.propagate, logger.level) for logger in loggers]
    try:
        logging.config.dictConfig(logs.uvicorn_log_config("json"))
        colored = "Started server process [\x1b[36m%d\x1b[0m]"
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42, extra={"color_message": colored})
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET", "/", "1.1", 200)
    finally:
        for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
            logger.handlers[:], logger.propagate, logger.level = handlers, propagate, level
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["message"] for line in lines] == ["Started server process [42]", '1.2.3.4:5 - "GET / HTTP/1.1" 200']
    assert lines[1]["status"] == 200
    assert "color_message" not in lines[0]  # uvicorn's copy of the message for a terminal
    assert logs.uvicorn_log_config("text") is None  # uvicorn keeps its own


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_server_started_by_the_cli_logs_only_json_lines(tmp_path):
    """python -m app -v serve with UNROLLED_LOG_FORMAT=json: the app's lines, uvicorn's and
    the access log are all JSON objects, and the access line carries the request's fields."""
    port = free_port()
    env = {
        **os.environ,
        "UNROLLED_LOG_FORMAT": "json",
        "UNROLLED_MODELS_DIR": str(tmp_path / "models"),
        "UNROLLED_DEVICE": "cpu",
    }
    command = [sys.executable, "-m", "app", "-v", "serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in (out + err).decode().splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    assert {"app.main", "uvicorn.error", "uvicorn.access"} <= loggers
    access = [line for line in lines if line["logger"] == "uvicorn.access" and line["path"] == "/api/health"]
    assert access[-1]["status"] == 200 and access[-1]["method"] == "GET" and access[-1]["request_id"]


def test_serve_hands_uvicorn_the_json_config_only_when_asked(monkeypatch):
    uvicorn = pytest.importorskip("uvicorn")
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    assert main(["serve"]) == 0
    monkeypatch.setenv("UNROLLED_LOG_FORMAT", "json")
    assert main(["serve"]) == 0
    assert "log_config" not in calls[0]
    assert calls[1]["log_config"] == logs.uvicorn_log_config("json")

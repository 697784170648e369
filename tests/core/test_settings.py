"""Settings from UNROLLED_ variables: every variable read, every bad value refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT, Settings, SettingsError

# (variable, a good raw value, the field, what it becomes)
GOOD = [
    ("UNROLLED_MODELS_DIR", "/tmp/unrolled-models", "models_dir", Path("/tmp/unrolled-models")),
    ("UNROLLED_SEED_DIR", "/srv/unrolled/demo-models", "seed_dir", Path("/srv/unrolled/demo-models")),
    ("UNROLLED_LOG_FORMAT", "json", "log_format", "json"),
    ("UNROLLED_DEVICE", "cpu", "device", "cpu"),
    ("UNROLLED_HOST", "0.0.0.0", "host", "0.0.0.0"),
    ("UNROLLED_PORT", "8123", "port", 8123),
    ("UNROLLED_MAX_JOBS", "3", "max_jobs", 3),
    ("UNROLLED_MAX_QUEUED_JOBS", "0", "max_queued_jobs", 0),
    ("UNROLLED_JOB_MEMORY_MB", "512.5", "job_memory_mb", 512.5),
    ("UNROLLED_JOB_STEP_S", "0.25", "job_step_s", 0.25),
    ("UNROLLED_TORCH_THREADS", "2", "torch_threads", 2),
    ("UNROLLED_RAY_ADDRESS", "head-node:6379", "ray_address", "head-node:6379"),
    ("UNROLLED_EXPERIMENT_WORKERS", "4", "experiment_workers", 4),
    ("UNROLLED_MAX_HIDDEN_SIZE", "64", "max_hidden_size", 64),
    ("UNROLLED_MAX_TRACE_STEPS", "100", "max_trace_steps", 100),
    ("UNROLLED_MAX_TRAIN_STEPS", "5000", "max_train_steps", 5000),
    ("UNROLLED_MAX_BATCH_SIZE", "16", "max_batch_size", 16),
    ("UNROLLED_MAX_MODELS", "10", "max_models", 10),
    ("UNROLLED_MAX_BODY_BYTES", "1024", "max_body_bytes", 1024),
    ("UNROLLED_MAX_WS_MESSAGE_BYTES", "2048", "max_ws_message_bytes", 2048),
    ("UNROLLED_WS_STALL_TIMEOUT_S", "2.5", "ws_stall_timeout_s", 2.5),
    ("UNROLLED_MAX_STREAMS_PER_CLIENT", "4", "max_streams_per_client", 4),
    ("UNROLLED_WS_TRACES_PER_S", "0.5", "ws_traces_per_s", 0.5),
    (
        "UNROLLED_ALLOWED_HOSTS",
        "Lab.example, 10.0.0.5:8000,[::1]",
        "allowed_hosts",
        ("lab.example", "10.0.0.5:8000", "[::1]"),
    ),
    (
        "UNROLLED_ALLOWED_ORIGINS",
        "http://a.example, http://b.example:8000,",
        "allowed_origins",
        ("http://a.example", "http://b.example:8000"),
    ),
    ("UNROLLED_DEV", "1", "dev", True),
    ("UNROLLED_CLASSROOM", "on", "classroom", "on"),
    ("UNROLLED_CLASSROOM_TOKEN", "a-teachers-own-token", "classroom_token", "a-teachers-own-token"),
    ("UNROLLED_WORKSPACES_DIR", "/tmp/ws", "workspaces_dir", Path("/tmp/ws")),
    ("UNROLLED_MAX_WORKSPACES", "30", "max_workspaces", 30),
    ("UNROLLED_WORKSPACE_MAX_MODELS", "3", "workspace_max_models", 3),
    ("UNROLLED_WORKSPACE_MAX_JOBS", "1", "workspace_max_jobs", 1),
]

# (variable, a bad raw value, the message it must give)
BAD = [
    ("UNROLLED_PORT", "eighty", "UNROLLED_PORT must be a whole number, not 'eighty'"),
    ("UNROLLED_LOG_FORMAT", "xml", "UNROLLED_LOG_FORMAT must be 'text' or 'json', not 'xml'"),
    ("UNROLLED_PORT", "70000", "UNROLLED_PORT must be at most 65535, not '70000'"),
    ("UNROLLED_MAX_JOBS", "0", "UNROLLED_MAX_JOBS must be at least 1, not '0'"),
    ("UNROLLED_MAX_JOBS", "two", "UNROLLED_MAX_JOBS must be a whole number, not 'two'"),
    ("UNROLLED_MAX_QUEUED_JOBS", "-1", "UNROLLED_MAX_QUEUED_JOBS must be at least 0, not '-1'"),
    ("UNROLLED_JOB_MEMORY_MB", "0", "UNROLLED_JOB_MEMORY_MB must be more than 0, not '0'"),
    ("UNROLLED_JOB_STEP_S", "fast", "UNROLLED_JOB_STEP_S must be a number, not 'fast'"),
    ("UNROLLED_JOB_STEP_S", "120", "UNROLLED_JOB_STEP_S must be at most 60.0, not '120'"),
    ("UNROLLED_TORCH_THREADS", "-1", "UNROLLED_TORCH_THREADS must be at least 1, not '-1'"),
    (
        "UNROLLED_RAY_ADDRESS",
        "http://head:6379",
        "UNROLLED_RAY_ADDRESS must be host:port, ray://host:port, auto or local, not 'http://head:6379'",
    ),
    ("UNROLLED_EXPERIMENT_WORKERS", "0", "UNROLLED_EXPERIMENT_WORKERS must be at least 1, not '0'"),
    ("UNROLLED_MAX_HIDDEN_SIZE", "1.5", "UNROLLED_MAX_HIDDEN_SIZE must be a whole number, not '1.5'"),
    ("UNROLLED_MAX_TRACE_STEPS", "0", "UNROLLED_MAX_TRACE_STEPS must be at least 1, not '0'"),
    ("UNROLLED_MAX_TRAIN_STEPS", "lots", "UNROLLED_MAX_TRAIN_STEPS must be a whole number, not 'lots'"),
    ("UNROLLED_MAX_BATCH_SIZE", "0", "UNROLLED_MAX_BATCH_SIZE must be at least 1, not '0'"),
    ("UNROLLED_MAX_MODELS", "-5", "UNROLLED_MAX_MODELS must be at least 1, not '-5'"),
    ("UNROLLED_MAX_BODY_BYTES", "8MB", "UNROLLED_MAX_BODY_BYTES must be a whole number, not '8MB'"),
    ("UNROLLED_MAX_WS_MESSAGE_BYTES", "0", "UNROLLED_MAX_WS_MESSAGE_BYTES must be at least 1, not '0'"),
    ("UNROLLED_WS_STALL_TIMEOUT_S", "0", "UNROLLED_WS_STALL_TIMEOUT_S must be at least 0.1, not '0'"),
    ("UNROLLED_MAX_STREAMS_PER_CLIENT", "0", "UNROLLED_MAX_STREAMS_PER_CLIENT must be at least 1, not '0'"),
    ("UNROLLED_WS_TRACES_PER_S", "0", "UNROLLED_WS_TRACES_PER_S must be more than 0, not '0'"),
    ("UNROLLED_DEV", "maybe", "UNROLLED_DEV must be 1 or 0 (true or false), not 'maybe'"),
    ("UNROLLED_CLASSROOM", "yes", "UNROLLED_CLASSROOM must be 'auto', 'on' or 'off', not 'yes'"),
    (
        "UNROLLED_CLASSROOM_TOKEN",
        "short",
        "UNROLLED_CLASSROOM_TOKEN must be at least 16 characters without spaces (it guards the class)",
    ),
    ("UNROLLED_MAX_WORKSPACES", "0", "UNROLLED_MAX_WORKSPACES must be at least 1, not '0'"),
    ("UNROLLED_WORKSPACE_MAX_MODELS", "none", "UNROLLED_WORKSPACE_MAX_MODELS must be a whole number, not 'none'"),
    ("UNROLLED_WORKSPACE_MAX_JOBS", "0", "UNROLLED_WORKSPACE_MAX_JOBS must be at least 1, not '0'"),
    (
        "UNROLLED_ALLOWED_HOSTS",
        "lab.example,http://lab.example",
        "UNROLLED_ALLOWED_HOSTS must list host names such as example.org or example.org:8000, not 'http://lab.example'",
    ),
    (
        "UNROLLED_ALLOWED_ORIGINS",
        "lab.example",
        "UNROLLED_ALLOWED_ORIGINS must list origins such as https://example.org or http://host:8000, not 'lab.example'",
    ),
]


def test_defaults_without_any_variable():
    settings = Settings.from_env()
    assert settings.models_dir == PROJECT_ROOT / "models"
    assert (settings.device, settings.host, settings.port) == ("auto", "127.0.0.1", 8000)
    assert (settings.max_jobs, settings.torch_threads) == (2, 1)
    assert settings.allowed_hosts == () and settings.allowed_origins == ()
    assert settings.dev is False


@pytest.mark.parametrize("variable, raw, field, expected", GOOD, ids=[row[0] for row in GOOD])
def test_every_variable_is_read(monkeypatch, variable, raw, field, expected):
    monkeypatch.setenv(variable, raw)
    assert getattr(Settings.from_env(), field) == expected


@pytest.mark.parametrize("variable, raw, message", BAD, ids=[f"{row[0]}={row[1]}" for row in BAD])
def test_a_bad_value_names_the_variable(monkeypatch, variable, raw, message):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert str(caught.value) == message


def test_every_field_has_a_variable_in_this_test():
    assert {row[2] for row in GOOD} == set(Settings.model_fields)


def test_an_empty_seed_dir_means_no_seeding(monkeypatch):
    monkeypatch.setenv("UNROLLED_SEED_DIR", "")
    assert Settings.from_env().seed_dir is None


def test_models_dir_expands_home(monkeypatch):
    monkeypatch.setenv("UNROLLED_MODELS_DIR", "~/unrolled")
    assert Settings.from_env().models_dir == Path.home() / "unrolled"


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("UNROLLED_MAX_JOBS", "5")
    assert Settings.from_env(max_jobs=1).max_jobs == 1


def test_an_unknown_override_is_refused():
    with pytest.raises(SettingsError, match="UNROLLED_MAX_JOB is not a setting"):
        Settings.from_env(max_job=1)


def test_settings_are_frozen():
    with pytest.raises(ValueError):
        Settings.from_env().max_jobs = 9

"""Settings in one object, read by pydantic-settings from variables prefixed UNROLLED_.

    UNROLLED_MODELS_DIR   the model store folder (default: models/ in the project)
    UNROLLED_SEED_DIR     demo models copied into an empty or missing store at start-up
                          (default: models/ in the project; empty: never seed)
    UNROLLED_LOG_FORMAT   text | json: json writes one JSON object per log line (default text)
    UNROLLED_DEVICE       auto | cpu | cuda (default auto: CUDA when present)
    UNROLLED_HOST, UNROLLED_PORT   where `python -m app serve` listens (127.0.0.1:8000)
    UNROLLED_MAX_JOBS     training jobs that may run at once (default 2)
    UNROLLED_MAX_QUEUED_JOBS  jobs that may wait for a running slot (default 10); beyond it 429
    UNROLLED_JOB_MEMORY_MB, UNROLLED_JOB_STEP_S   a job's budget: estimated memory (default 2048 MB)
                          and seconds per training step (default 0.5); a job over it is refused
    UNROLLED_TORCH_THREADS  torch intra-op threads (default 1: the models are small)
    UNROLLED_EXPERIMENT_WORKERS  runs an experiment started from the API trains at once on its own
                          process pool (default 1); the experiment takes one of the MAX_JOBS slots
    UNROLLED_RAY_ADDRESS  the Ray cluster `experiment run --executor ray` uses: host:port,
                          ray://host:port, auto or local (default: local, a Ray instance here)
    UNROLLED_MAX_HIDDEN_SIZE, UNROLLED_MAX_TRACE_STEPS, UNROLLED_MAX_TRAIN_STEPS,
    UNROLLED_MAX_BATCH_SIZE, UNROLLED_MAX_MODELS, UNROLLED_MAX_BODY_BYTES,
    UNROLLED_MAX_WS_MESSAGE_BYTES
                          limits on what a client may ask for
    UNROLLED_WS_STALL_TIMEOUT_S   seconds a stream client may leave its events unread before it is
                          closed (default 10)
    UNROLLED_MAX_STREAMS_PER_CLIENT   event streams one client address may hold open (default 16)
    UNROLLED_WS_TRACES_PER_S   trace events a stream client is sent per second at most (default 4;
                          the latest trace and the job's last one always arrive)
    UNROLLED_ALLOWED_HOSTS     host names the server answers to besides loopback, comma-separated
                          (host or host:port; UNROLLED_HOST is added when it is not a wildcard)
    UNROLLED_ALLOWED_ORIGINS   extra browser origins (scheme://host[:port]) allowed to send
                          state-changing requests and open WebSockets, comma-separated
    UNROLLED_DEV          1 serves the developer pages under /static/dev (default 0)
    UNROLLED_CLASSROOM    auto | on | off: a teacher's token and a workspace per visitor
                          (default auto: on whenever the server listens beyond loopback)
    UNROLLED_CLASSROOM_TOKEN   the teacher's token, 16 characters or more (default: a new
                          random one each start, printed by serve)
    UNROLLED_WORKSPACES_DIR    the workspaces' folders (default: MODELS_DIR/workspaces)
    UNROLLED_MAX_WORKSPACES, UNROLLED_WORKSPACE_MAX_MODELS, UNROLLED_WORKSPACE_MAX_JOBS
                          classroom quotas: workspaces (200), models per workspace (10), training
                          jobs queued or running per student workspace (2)

A bad value stops the program with a SettingsError that names the variable and
says what it must be, rather than pydantic's nested validation report.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "UNROLLED_"

AtLeastOne = Annotated[int, Field(ge=1)]
MIN_TOKEN_LENGTH = 16  # a teacher's own token: long enough not to be guessed

# A host name or IP address (IPv6 in brackets), with an optional port; an origin is
# http(s):// and one of those, nothing after it.
HOST_ENTRY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(:[0-9]{1,5})?")
ORIGIN_ENTRY = re.compile(r"https?://" + HOST_ENTRY.pattern)
RAY_ADDRESS = re.compile(r"(ray://)?" + HOST_ENTRY.pattern)


class SettingsError(ValueError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    models_dir: Path = PROJECT_ROOT / "models"  # the model store
    # The shipped demo models an empty or missing store is filled from at start-up
    # (app/core/store/seed.py): in the container image, a folder beside the store volume.
    # None (an empty variable): never seed; the store's own folder: nothing to copy.
    seed_dir: Path | None = PROJECT_ROOT / "models"
    log_format: Literal["text", "json"] = "text"  # app/logs.py; json for a log collector
    device: str = "auto"  # auto | cpu | cuda; checked by core.device.pick_device
    host: str = "127.0.0.1"  # a classroom server is an explicit --host 0.0.0.0
    port: Annotated[int, Field(ge=0, le=65535)] = 8000  # 0: any free port
    max_jobs: AtLeastOne = 2  # training jobs running at once, each in a worker process (app/core/execution)
    max_queued_jobs: Annotated[int, Field(ge=0)] = 10  # jobs waiting for a slot, fair between owners; beyond it 429
    # A job's budget, against its cost estimated before it starts (app/core/execution/cost.py).
    # The time per step is also how long a cancel or a shutdown may wait for the batch under way.
    job_memory_mb: Annotated[float, Field(gt=0)] = 2048
    job_step_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    torch_threads: AtLeastOne = 1  # torch intra-op threads; small models run fastest on one (core/device.py)
    # The Ray cluster experiments run on with --executor ray (app/core/experiments/ray_executor.py).
    ray_address: str | None = None
    # An experiment from the API is one job (one slot of max_jobs) whose runs train on a process
    # pool of this many workers (app/api/jobs/experiment_runs.py): one, a job's core, by default.
    experiment_workers: AtLeastOne = 1
    max_hidden_size: AtLeastOne = 512
    max_trace_steps: AtLeastOne = 500  # longest sequence a trace may be asked for
    max_train_steps: AtLeastOne = 100_000  # per job
    max_batch_size: AtLeastOne = 512
    max_models: AtLeastOne = 200
    max_body_bytes: AtLeastOne = 8 * 2**20  # request bodies (a checkpoint upload is the largest)
    max_ws_message_bytes: AtLeastOne = 64 * 2**10  # what a WebSocket client may send in one message
    # A stream client whose sends have waited this long has stopped reading: it is closed
    # (and its connection aborted), so it cannot pin megabytes of socket buffers.
    ws_stall_timeout_s: Annotated[float, Field(ge=0.1)] = 10.0
    # Event streams one client address may hold open; a class behind one NAT address shares it.
    max_streams_per_client: AtLeastOne = 16
    # Trace events each stream client gets per second at most (app/api/jobs/streams.py): a job may
    # trace ten times a second, and what a class of watchers costs the server grows with it.
    ws_traces_per_s: Annotated[float, Field(gt=0)] = 4.0
    # Host names the server answers to besides the loopback ones (app/api/origin.py): an
    # unknown Host header is refused, which is what stops DNS rebinding. NoDecode: the
    # variable is a comma-separated list, not the JSON array pydantic-settings would expect.
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # Extra browser origins, besides the allowed hosts' own, that may send state-changing
    # requests and open WebSockets (a page served from elsewhere that uses this API).
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    dev: bool = False  # serve the developer pages (static/dev); never on a shared server
    # Classroom mode (app/api/auth.py, app/api/workspaces.py): auto turns it on whenever the
    # server listens beyond loopback, so a shared server is never open without it by accident.
    classroom: Literal["auto", "on", "off"] = "auto"
    classroom_token: str | None = None  # None: a new random token each start, printed by serve
    workspaces_dir: Path | None = None  # None: models_dir / "workspaces" (inside a mounted store volume)
    max_workspaces: AtLeastOne = 200  # one per student browser; bounds the disk a class can fill
    workspace_max_models: AtLeastOne = 10  # models one workspace may hold
    workspace_max_jobs: AtLeastOne = 2  # a student's jobs queued or running: one cannot fill the line

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_hosts", mode="after")
    @classmethod
    def _host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if not HOST_ENTRY.fullmatch(entry):
                raise ValueError(f"must list host names such as example.org or example.org:8000, not {entry!r}")
        return tuple(entry.lower() for entry in value)

    @field_validator("allowed_origins", mode="after")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if not ORIGIN_ENTRY.fullmatch(entry):
                raise ValueError(f"must list origins such as https://example.org or http://host:8000, not {entry!r}")
        return tuple(entry.lower() for entry in value)

    @field_validator("ray_address", mode="after")
    @classmethod
    def _ray_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # an empty variable: a local Ray instance
        value = value.strip()
        if value in ("local", "auto") or RAY_ADDRESS.fullmatch(value):
            return value
        raise ValueError(f"must be host:port, ray://host:port, auto or local, not {value!r}")

    @field_validator("classroom_token", mode="after")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # an empty variable: a new token each start
        if len(value) < MIN_TOKEN_LENGTH or not value.isprintable() or " " in value:
            raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters without spaces (it guards the class)")
        return value

    @field_validator("seed_dir", "workspaces_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            return Path(value).expanduser() if value.strip() else None
        return value

    @field_validator("models_dir", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The UNROLLED_ variables of this process, with `overrides` (field names) on top."""
        try:
            return cls(**overrides)
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    """One line per bad variable: 'UNROLLED_MAX_JOBS must be at least 1, not '0''."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        variable = ENV_PREFIX + field.upper()
        if problem["type"] == "value_error":  # our own validators name the bad entry themselves
            lines.append(f"{variable} {problem['ctx']['error']}")
            continue
        lines.append(f"{variable} {_requirement(problem)}, not {str(problem.get('input'))!r}")
    return "; ".join(lines)


def _requirement(problem: dict) -> str:
    kind, context = problem["type"], problem.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind == "greater_than_equal":
        return f"must be at least {context['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {context['le']}"
    if kind == "greater_than":
        return f"must be more than {context['gt']:g}"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind == "literal_error":
        return f"must be {context['expected']}"
    if kind in ("bool_parsing", "bool_type"):
        return "must be 1 or 0 (true or false)"
    if kind == "extra_forbidden":
        return "is not a setting"
    return problem["msg"].lower()

"""Settings in one object, read from environment variables prefixed UNROLLED_.

    UNROLLED_MODELS_DIR   the model store folder (default: models/ in the project)
    UNROLLED_DEVICE       auto | cpu | cuda (default auto: CUDA when present)
    UNROLLED_HOST, UNROLLED_PORT   where `python -m app serve` listens (127.0.0.1:8000)
    UNROLLED_MAX_JOBS     training jobs that may run at once (default 2)
    UNROLLED_TORCH_THREADS  torch intra-op threads (default 1: the models are small)
    UNROLLED_MAX_HIDDEN_SIZE, UNROLLED_MAX_TRACE_STEPS, UNROLLED_MAX_TRAIN_STEPS,
    UNROLLED_MAX_BATCH_SIZE, UNROLLED_MAX_MODELS, UNROLLED_MAX_BODY_BYTES,
    UNROLLED_MAX_WS_MESSAGE_BYTES
                          limits on what a client may ask for
    UNROLLED_ALLOWED_ORIGINS   extra browser origins allowed to open WebSockets
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    models_dir: Path = PROJECT_ROOT / "models"  # the model store
    device: str = "auto"  # auto | cpu | cuda
    host: str = "127.0.0.1"  # a classroom server is an explicit --host 0.0.0.0
    port: int = 8000
    max_jobs: int = 2  # concurrent training jobs; beyond it 429
    torch_threads: int = 1  # torch intra-op threads; small models run fastest on one (see core/device.py)
    max_hidden_size: int = 512
    max_trace_steps: int = 500  # longest sequence a trace may be asked for
    max_train_steps: int = 100_000  # per job
    max_batch_size: int = 512
    max_models: int = 200
    max_body_bytes: int = 8 * 2**20  # request bodies (a checkpoint upload is the largest)
    max_ws_message_bytes: int = 64 * 2**10  # what a WebSocket client may send in one message
    allowed_origins: tuple[str, ...] = ()  # extra browser origins allowed to open WebSockets, comma-separated

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict = {}
        for f in fields(cls):
            raw = environ.get(f"UNROLLED_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _parse(f.name, raw, cls.__dataclass_fields__[f.name].default)
        values.update(overrides)
        return cls(**values)


def _parse(name: str, raw: str, default):
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, Path):
        return Path(raw).expanduser()
    if isinstance(default, int):
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"UNROLLED_{name.upper()} must be a whole number, not {raw!r}") from None
        if value < 1 and name != "port":
            raise SettingsError(f"UNROLLED_{name.upper()} must be at least 1")
        return value
    return raw

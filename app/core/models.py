"""Models as the store keeps them: build, load and save a model with its task.

The CLI and the server both go through here, so a model trained from the
command line and one trained from the page are the same files. Metadata keeps
everything needed to rebuild the model (architecture config, task id and
options, the seed it was initialised with) and its training history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from app.core.architectures import ModelConfig, RecurrentModel, get_architecture
from app.core.store import ModelStore
from app.core.tasks import Task, make_task
from app.core.train import Progress, TrainConfig


@dataclass
class LoadedModel:
    name: str
    model: RecurrentModel
    task: Task
    metadata: dict

    @property
    def total_steps(self) -> int:
        return int(self.metadata.get("total_steps") or 0)


def build_model(
    name: str,
    architecture: str,
    task_id: str,
    hidden_size: int,
    seed: int = 0,
    activation: str = "tanh",
    task_options: dict | None = None,
) -> LoadedModel:
    """A freshly initialised model for a task (not yet stored). Raises ValueError
    (UnknownArchitecture, TaskInputError) with a message for a person."""
    task = make_task(task_id, task_options or {})
    arch = get_architecture(architecture)
    config = ModelConfig(architecture, task.input_size, task.output_size, hidden_size, activation)
    arch.check(config)
    # Initialise from the model's own seed, without touching the global RNG state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RecurrentModel(config)
    metadata = {
        "config": config.to_dict(),
        "task": {"id": task.id, "options": dict(task.options)},
        "seed": seed,
        "total_steps": 0,
        "history": [],
        "training_time_s": 0.0,
        "last_training": None,
    }
    return LoadedModel(name, model, task, metadata)


def create_model(store: ModelStore, **kwargs) -> LoadedModel:
    """build_model and store it; ModelExists when the name is taken."""
    loaded = build_model(**kwargs)
    store.create(loaded.name, loaded.metadata, tensors_of(loaded.model))
    loaded.metadata = store.load_metadata(loaded.name)
    return loaded


def load_model(store: ModelStore, name: str, device: torch.device | str = "cpu") -> LoadedModel:
    stored = store.load(name)
    metadata = stored.metadata
    config = ModelConfig(**{k: metadata["config"][k] for k in ("architecture", "input_size", "output_size", "hidden_size", "activation")})
    task = make_task(metadata["task"]["id"], metadata["task"].get("options") or {})
    with torch.device("meta"):
        model = RecurrentModel(config)
    model.load_state_dict(stored.tensors, assign=True)
    return LoadedModel(name, model.to(device), task, metadata)


def tensors_of(model: RecurrentModel) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().to("cpu", torch.float32).contiguous() for name, tensor in model.state_dict().items()}


def record_training(loaded: LoadedModel, progress: list[Progress], config: TrainConfig, seconds: float, status: str) -> None:
    """Fold a run's progress reports into the model's metadata (in memory)."""
    history = list(loaded.metadata.get("history") or [])
    history.extend(
        {"step": p.step, "loss": p.to_dict()["loss"], "metric": p.to_dict()["metric"], "grad_norm": p.to_dict()["grad_norm"]}
        for p in progress
    )
    loaded.metadata["history"] = history
    if progress:
        loaded.metadata["total_steps"] = max(loaded.total_steps, progress[-1].step)
    loaded.metadata["training_time_s"] = float(loaded.metadata.get("training_time_s") or 0.0) + seconds
    loaded.metadata["last_training"] = {
        "status": status,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "steps_per_s": progress[-1].steps_per_s if progress else None,
        "config": {
            "steps": config.steps,
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "optimizer": config.optimizer,
            "clip_norm": config.clip_norm,
            "tbptt": config.tbptt,
            "seed": config.seed,
        },
    }


def save_model(store: ModelStore, loaded: LoadedModel) -> None:
    store.save(loaded.name, loaded.metadata, tensors_of(loaded.model))
    loaded.metadata = store.load_metadata(loaded.name)

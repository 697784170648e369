"""Models as the store keeps them: build, load and save a model with its task.

The CLI and the server both go through here, so a model trained from the
command line and one trained from the page are the same files. Metadata
(store.ModelMetadata) keeps everything needed to rebuild the model
(architecture config, task id and options, the seed and the initialisation
scheme it started from)
and its training history.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from app.core.architectures import DEFAULT_INIT, GateInit, ModelConfig, RecurrentModel, check_init, get_architecture
from app.core.store import ModelMetadata, ModelStore, TaskSpec
from app.core.tasks import Task, make_task


@dataclass
class LoadedModel:
    name: str
    model: RecurrentModel
    task: Task
    metadata: ModelMetadata

    @property
    def total_steps(self) -> int:
        return self.metadata.total_steps


def build_model(
    name: str,
    architecture: str,
    task_id: str,
    hidden_size: int,
    seed: int = 0,
    activation: str | None = None,
    task_options: dict | None = None,
    init: GateInit | str | None = None,
) -> LoadedModel:
    """A freshly initialised model for a task (not yet stored); activation None is the
    architecture's first, init None (or "default") PyTorch's initialisation, a string is
    GateInit.parse's ("chrono:80"). Raises ValueError (UnknownArchitecture, TaskInputError,
    a size the architecture refuses, an InvalidInit) with a message for a person."""
    task = make_task(task_id, task_options or {})
    arch = get_architecture(architecture)
    config = ModelConfig(
        architecture, task.input_size, task.output_size, hidden_size, activation or arch.activations[0]
    )
    arch.check(config)
    init = as_init(init)
    check_init(arch, config, init)
    # Initialise from the model's own seed, without touching the global RNG state;
    # the scheme draws after PyTorch's default, from the same seeded stream.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RecurrentModel(config)
        arch.apply_init(model.rnn, init)
    metadata = ModelMetadata(config=config, task=TaskSpec(task.id, dict(task.options)), seed=seed, init=init, name=name)
    return LoadedModel(name, model, task, metadata)


def as_init(init: GateInit | str | None) -> GateInit:
    """A GateInit from what callers pass: None is the default, a string is parsed."""
    if init is None:
        return DEFAULT_INIT
    return GateInit.parse(init) if isinstance(init, str) else init


def create_model(store: ModelStore, **kwargs) -> LoadedModel:
    """build_model and store it; ModelExists when the name is taken."""
    loaded = build_model(**kwargs)
    store_new(store, loaded)
    return loaded


def store_new(store: ModelStore, loaded: LoadedModel) -> None:
    """Store a built model under its name for the first time; ModelExists when the name is taken."""
    # The metadata as stored, from the write itself: no read-back a racing delete could turn into a 404.
    loaded.metadata = store.create(loaded.name, loaded.metadata, tensors_of(loaded.model))


def load_model(store: ModelStore, name: str, device: torch.device | str = "cpu") -> LoadedModel:
    stored = store.load(name)
    task = stored.metadata.make_task()
    with torch.device("meta"):
        model = RecurrentModel(stored.metadata.config)
    model.load_state_dict(stored.tensors, assign=True)
    return LoadedModel(name, model.to(device), task, stored.metadata)


def tensors_of(model: RecurrentModel) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().to("cpu", torch.float32).contiguous() for name, tensor in model.state_dict().items()}


def save_model(store: ModelStore, loaded: LoadedModel) -> None:
    """Write weights and metadata; the metadata becomes what was stored (the store fills in and thins it)."""
    loaded.metadata = store.save(loaded.name, loaded.metadata, tensors_of(loaded.model))

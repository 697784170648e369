"""Sequence tasks, generated and seeded, with a registry by id.

    task = make_task("reber", {"max_length": 30})
    batch = task.batch(32, random.Random(0))      # training data
    seq = task.encode("BTSSXXTVVE")               # a person's input, with targets
    task.metric(logits, batch)                     # a score in [0, 1]

To add a task, write a Task subclass in its own module and list it in _TASK_CLASSES.
"""

from __future__ import annotations

from .adding import AddingTask
from .base import Batch, Sequence, SequenceTooLong, Task, TaskInputError, TaskOption, collate
from .copy import CopyTask
from .embedded_reber import EmbeddedReberTask, is_embedded_reber
from .fluent import FluentTask
from .reber import ReberTask, is_reber, legal_next
from .sine import SineTask
from .text import TextTask

# The order here is the order the page lists them in.
_TASK_CLASSES: tuple[type[Task], ...] = (
    ReberTask,
    EmbeddedReberTask,
    AddingTask,
    CopyTask,
    SineTask,
    FluentTask,
    TextTask,
)
TASKS: dict[str, type[Task]] = {cls.id: cls for cls in _TASK_CLASSES}


def list_tasks() -> list[type[Task]]:
    return list(TASKS.values())


def make_task(task_id: str, options: dict | None = None) -> Task:
    """A configured task; an unknown id or a bad option raises TaskInputError."""
    cls = TASKS.get(task_id) if isinstance(task_id, str) else None
    if cls is None:
        raise TaskInputError(f"unknown task {task_id!r}; the tasks are: {', '.join(TASKS)}")
    options = {} if options is None else options
    if not isinstance(options, dict) or not all(isinstance(key, str) for key in options):
        raise TaskInputError("task options must be a mapping from option names to values")
    return cls(**options)


__all__ = [
    "TASKS",
    "Batch",
    "Sequence",
    "SequenceTooLong",
    "Task",
    "TaskInputError",
    "TaskOption",
    "collate",
    "is_embedded_reber",
    "is_reber",
    "legal_next",
    "list_tasks",
    "make_task",
]

"""How many tensor operations one step of a recurrent loop dispatches, forward and backward.

At the tour's small sizes a step's time follows how many operations it runs more than how many
multiply-adds they do: each operation pays a fixed price (the dispatcher, an output allocation, a
kernel launch) whatever the size of its tensors. The cost chapter counts them for the common step
loop (timing.py) to say why a GRU step can take as long as an LSTM step with 3/4 of its weights.

Counted with a TorchDispatchMode, which sees every ATen operation once, below autograd, as it is
dispatched: composite operations arrive as the pieces that run (chunk as split), the backward's
operations arrive too (the CPU engine runs them on the calling thread), and counting is exact and
costs microseconds per operation. torch.profiler would also see them, but it records a composite
operation and its pieces as nested events that must be told apart, and it costs more to run.

Views (select, split, t, detach, ...) are left out: they move no data and launch no kernel, and some
of them (the detach of a tensor saved for backward) appear only because a dispatch mode is watching.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class _Counting(TorchDispatchMode):
    """Counts the operations that compute (not views) while active, by name."""

    def __init__(self):
        super().__init__()
        self.counts: Counter[str] = Counter()

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch wraps a mode's __torch_dispatch__ to keep torch.compile out of it, and the wrapper
        # imports torch._dynamo on the first operation (measured: 1.3 s of CPU on a first count, torch
        # 2.13), a module the server process does not otherwise load. Nothing is compiled under this
        # mode, so the wrapper is not wanted; a torch without this hook ignores the method and only
        # pays that import.
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not func.is_view:
            self.counts[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))


def count(run: Callable[[], torch.Tensor]) -> tuple[Counter[str], Counter[str]]:
    """Operations of `run()`, which returns a training step's scalar loss, and of its backward, by name.
    run must start from no gradients (zero_grad(set_to_none=True), as a training step does): adding
    into gradients left from before would count as operations too."""
    with _Counting() as forward:
        loss = run()
    with _Counting() as backward:
        loss.backward()
    return forward.counts, backward.counts


def step_operations(run: Callable[[int], torch.Tensor], steps: int = 3) -> tuple[Counter[str], Counter[str]]:
    """Operations one step of a loop adds, forward and backward, by name: run(n) is a training step's
    loss over n time steps, and the counts over steps + 1 less those over steps leave one inner step's
    work (the first step, whose state needs no gradient, and the work before and after the loop cancel)."""
    forward, backward = count(lambda: run(steps))
    forward_more, backward_more = count(lambda: run(steps + 1))
    return _difference(forward_more, forward), _difference(backward_more, backward)


def _difference(more: Counter[str], fewer: Counter[str]) -> Counter[str]:
    """more less fewer, name by name, a count that went down kept as a negative one (Counter's `-` drops it)."""
    return Counter({name: more[name] - fewer[name] for name in more | fewer if more[name] != fewer[name]})


def per_step(run: Callable[[int], torch.Tensor], steps: int = 3) -> dict[str, int]:
    """How many operations one step of the loop adds: forward, backward and both."""
    forward, backward = step_operations(run, steps)
    return {"forward": forward.total(), "backward": backward.total(), "total": forward.total() + backward.total()}

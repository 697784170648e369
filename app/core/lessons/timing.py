"""What the gates cost: weights, multiply-adds and operations per step, and measured training time.

The same training step (forward over a batch, the loss, backward) is timed for
the Elman net, the GRU and the LSTM at one size:

    fused            the family's torch.nn module (nn.RNN / nn.GRU / nn.LSTM), what training runs.
                     On the CPU each is its own kernel and they are not equally optimised:
                     torch hands the LSTM to oneDNN's fused LSTM when oneDNN is built in
                     and enabled; the Elman net and the GRU run torch's own cell loops;
    fused_onednn_off the same with oneDNN switched off (torch.backends.mkldnn.flags), to
                     show how much of the difference is that kernel;
    common           one plain-torch step loop for every family (common_step_loop below):
                     every input projection in one matrix product, then per step the
                     recurrent product and the family's elementwise gate arithmetic. Same
                     code path, so the times follow what the arithmetic costs.

Why the common loop's times do not follow the multiply-adds at the chapter's size:
each family's step is also counted in tensor operations, forward and backward
(operations.py), and the GRU and the LSTM are timed again on the common loop at
LARGE_HIDDEN, where the matrix products outweigh the per-operation overhead.

Rounds interleave the families and ways (each round times every pair once, in a
shuffled order), so a load change on a shared machine hits all of them alike; a
figure is the median over rounds of each family's time divided by the Elman net's
in the same round. Time is the timing thread's CPU time: training's one thread
does all the work on it (oneDNN's kernels included), and on a shared machine wall
time would also count the time other processes held the core. Times depend on the
machine, the load and the torch build: the figure says which threads and whether
oneDNN was on. Nothing here is asserted on in tests beyond its shape; the ratios
are what the page states.
"""

from __future__ import annotations

import random
import time
import warnings
from statistics import median

import torch
import torch.nn.functional as F

from app.core.architectures import ModelConfig, RecurrentModel
from app.core.lessons import figures, operations
from app.core.models import LoadedModel

FAMILIES = ("elman", "gru", "lstm")
WAYS = ("fused", "fused_onednn_off", "common")
BATCH = 32
LENGTH = 24  # the chapters' embedded Reber strings
ROUNDS = 5
STEPS_PER_TIMING = 4  # training steps per timed pair and round (after one untimed warm-up step)
LARGE_HIDDEN = 256  # where the GRU and the LSTM are timed again: the products outweigh the overhead there
LARGE_FAMILIES = ("gru", "lstm")
LARGE_STEPS_PER_TIMING = 1  # a step takes tens of ms at this size: one per round, warmed up once, not per round


def _gates(family: str, gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None):
    """One step's elementwise arithmetic from the input and recurrent pre-activations (torch.nn's gate order)."""
    if family == "elman":
        return torch.tanh(gi + gh), None
    if family == "gru":
        ir, iz, in_ = gi.chunk(3, dim=1)
        hr, hz, hn = gh.chunk(3, dim=1)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    i, f, g, o = (gi + gh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def common_step_loop(family: str, core: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(B, T, H) hidden states of a one-layer torch.nn core, computed with plain torch ops one step at a
    time, the same code for every family: equal to core(x)[0] up to rounding (tests/core/test_cost_timing.py)."""
    w_ih, w_hh, b_ih, b_hh = core.weight_ih_l0, core.weight_hh_l0, core.bias_ih_l0, core.bias_hh_l0
    batch, steps, _ = x.shape
    inputs = torch.addmm(b_ih, x.reshape(batch * steps, -1), w_ih.T).view(batch, steps, -1)  # every W_ih x_t at once
    h = x.new_zeros(batch, core.hidden_size)
    c = x.new_zeros(batch, core.hidden_size) if family == "lstm" else None
    states = []
    for t in range(steps):
        h, c = _gates(family, inputs[:, t], torch.addmm(b_hh, h, w_hh.T), h, c)
        states.append(h)
    return torch.stack(states, dim=1)


def multiply_adds(model: RecurrentModel) -> int:
    """Multiply-adds of one step for one sequence: every weight matrix is used once per step
    (W_ih x_t, W_hh h_{t-1}, W_hy h_t and a shortcut's W_xy x_t); biases and gates' elementwise work left out."""
    return sum(p.numel() for name, p in model.named_parameters() if "weight" in name)


def _models(config: ModelConfig, families: tuple[str, ...] = FAMILIES) -> dict[str, RecurrentModel]:
    torch.manual_seed(0)  # the weights do not change the time, only make the run repeatable
    return {
        family: RecurrentModel(ModelConfig(family, config.input_size, config.output_size, config.hidden_size, "tanh"))
        for family in families
    }


def _loss(family: str, model: RecurrentModel, way: str, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """A training step's loss, gradients cleared for its backward: `model` over x run the given way."""
    if way == "common":
        h = common_step_loop(family, model.rnn, x)
    else:
        h, _ = model.rnn(x)
    model.zero_grad(set_to_none=True)
    return F.binary_cross_entropy_with_logits(model.readout(h), target)


def _step_seconds(
    family: str,
    model: RecurrentModel,
    way: str,
    x: torch.Tensor,
    target: torch.Tensor,
    steps: int | None = None,
    warm_up: bool = True,
) -> float:
    """CPU seconds per training step (forward, loss, backward) of `model` run the given way
    (the mean of STEPS_PER_TIMING steps unless told), after an untimed step unless told not to."""
    steps = STEPS_PER_TIMING if steps is None else steps
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*TF32.*")  # flags() also resets a TF32 option, and says so
        with torch.backends.mkldnn.flags(enabled=way != "fused_onednn_off"):
            if warm_up:  # first-call allocations and kernel choice stay out of the time
                _loss(family, model, way, x, target).backward()
            start = time.thread_time()
            for _ in range(steps):
                _loss(family, model, way, x, target).backward()
            return (time.thread_time() - start) / steps


def step_operations(family: str, model: RecurrentModel, x: torch.Tensor, target: torch.Tensor) -> dict[str, int]:
    """Tensor operations one step of the common loop dispatches in a training step, forward and
    backward (operations.per_step): the same at every size, so counted once at the figure's."""
    return operations.per_step(lambda n: _loss(family, model, "common", x[:, :n], target[:, :n]))


def measure(config: ModelConfig, rounds: int | None = None, seed: int = 0) -> dict:
    """Weights, multiply-adds and interleaved training-step times of each family at config's sizes
    (ROUNDS rounds unless told)."""
    rounds = ROUNDS if rounds is None else rounds
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as training runs (one thread per worker, app/core/device.py); restored below
    try:
        return _measure(config, rounds, seed)
    finally:
        torch.set_num_threads(threads)


def _measure(config: ModelConfig, rounds: int, seed: int) -> dict:
    models = _models(config)
    large = _models(ModelConfig("lstm", config.input_size, config.output_size, LARGE_HIDDEN), LARGE_FAMILIES)
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(BATCH, LENGTH, config.input_size, generator=generator)
    target = (torch.rand(BATCH, LENGTH, config.output_size, generator=generator) > 0.5).float()
    times: dict[str, dict[str, list[float]]] = {way: {f: [] for f in FAMILIES} for way in WAYS}
    large_times: dict[str, list[float]] = {f: [] for f in LARGE_FAMILIES}
    order = [(way, family) for way in WAYS for family in FAMILIES] + [("large", f) for f in LARGE_FAMILIES]
    for family, model in large.items():  # their warm-up, once: the common loop chooses no kernel per call
        _loss(family, model, "common", x, target).backward()
    shuffler = random.Random(seed)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for way, family in order:
            if way == "large":
                seconds = _step_seconds(family, large[family], "common", x, target, LARGE_STEPS_PER_TIMING, False)
                large_times[family].append(seconds)
            else:
                times[way][family].append(_step_seconds(family, models[family], way, x, target))
    plain = multiply_adds(models["elman"])
    families = {
        family: {
            "parameters": model.parameter_count(),
            "multiply_adds": multiply_adds(model),
            "multiply_adds_ratio": multiply_adds(model) / plain,
            "operations": step_operations(family, model, x, target),
        }
        for family, model in models.items()
    }
    timing = {
        way: {
            family: {
                "ms": median(times[way][family]) * 1000,
                "ratio": _median_ratio(times[way][family], times[way]["elman"]),
            }
            for family in FAMILIES
        }
        for way in WAYS
    }
    return {
        "hidden": config.hidden_size,
        "inputs": config.input_size,
        "batch": BATCH,
        "length": LENGTH,
        "rounds": rounds,
        "threads": torch.get_num_threads(),
        "onednn": bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled),
        "families": families,
        "timing": timing,
        # how much slower the common loop is than the fused kernel, per family: the kernels' own speed-up
        "common_over_fused": {f: timing["common"][f]["ms"] / timing["fused"][f]["ms"] for f in FAMILIES},
        # the GRU against the LSTM on the common loop, at this size and at LARGE_HIDDEN: time (the median
        # of the rounds' ratios) beside the multiply-adds and the operations per step
        "gru_over_lstm": {
            "time": _median_ratio(times["common"]["gru"], times["common"]["lstm"]),
            "multiply_adds": families["gru"]["multiply_adds"] / families["lstm"]["multiply_adds"],
            "operations": families["gru"]["operations"]["total"] / families["lstm"]["operations"]["total"],
        },
        "large": {
            "hidden": LARGE_HIDDEN,
            "ms": {f: median(large_times[f]) * 1000 for f in LARGE_FAMILIES},
            "gru_over_lstm": {
                "time": _median_ratio(large_times["gru"], large_times["lstm"]),
                "multiply_adds": multiply_adds(large["gru"]) / multiply_adds(large["lstm"]),
            },
        },
    }


def _median_ratio(times: list[float], others: list[float]) -> float:
    """The median over rounds of one time over another timed in the same round."""
    return median(a / b for a, b in zip(times, others, strict=True))


def cost(lstm: LoadedModel, elman: LoadedModel, count: int, seed: int) -> dict:
    """The cost chapter's figure: the shown pair's weights (figures.cost) and every family's
    multiply-adds and interleaved training-step times at the LSTM's sizes (count is unused: no sequences)."""
    return {**figures.cost(lstm, elman), **measure(lstm.model.config, seed=seed)}

"""Schemas of the trace resource: what POST /models/{name}/trace takes and returns.

TraceDocument (the engine's Trace, also sent in a job's trace events) and
TraceOut (it, plus which model and input) document responses only: the route
writes the document straight from numpy arrays with orjson (a trace holds ~10^5
numbers), so pydantic never validates it. Arrays are time first; T steps,
H hidden, I input, O output.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.core.trace.interventions import MAX_INTERVENTIONS, Intervention
from app.core.trace.interventions import MAX_VALUE as MAX_INTERVENTION_VALUE

# A number JSON can carry: NaN and infinities are sent as null (and named in `nonfinite`).
Number = float | None
Vector = list[Number]
Matrix = list[list[Number]]

# The longest `input` text accepted before the task reads it; the real bound is in
# steps (UNROLLED_MAX_TRACE_STEPS), checked after encoding.
MAX_INPUT_CHARS = 100_000


class InterventionIn(BaseModel):
    """One value forced in the forward pass (docs/api.md, Interventions)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    step: int | None = Field(
        description="The 0-based step to clamp at; null for every step.", ge=0, le=1_000_000, examples=[5]
    )
    target: str = Field(
        description="'h', 'c' (LSTM) or 'gate:<name>' (lstm: i, f, g, o; gru: r, z, n).",
        max_length=16,
        examples=["gate:f"],
    )
    unit: int = Field(description="The 0-based hidden unit.", ge=0, le=1_000_000, examples=[3])
    value: float = Field(
        description="The value forced there: finite, |value| <= 1e6.",
        ge=-MAX_INTERVENTION_VALUE,
        le=MAX_INTERVENTION_VALUE,
        examples=[0.0],
    )

    def to_core(self) -> Intervention:
        return Intervention(step=self.step, target=self.target, unit=self.unit, value=float(self.value))


class TraceIn(BaseModel):
    """Give exactly one of `input` (text the task encodes) or `x` (raw input vectors).

    Strict: a number is a JSON number (an integer is accepted where a float is meant), a
    flag is true or false; "1" or true in `x` is refused."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"input": "BTSSXXTVVE"},
                {"input": "0.1 0.5* 0.2 0.9*"},
                {
                    "x": [[1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0]],
                    "target": [[0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0]],
                },
            ]
        },
    )

    input: str | None = Field(
        None,
        max_length=MAX_INPUT_CHARS,
        description=(
            "A person's input, read by the model's task: symbols ('BTSSXXTVVE'), words "
            "('france is where i grew up ...') or numbers ('0.1 0.5* 0.2 0.9*'). The task supplies the targets."
        ),
        examples=["BTSSXXTVVE"],
    )
    x: list[list[float]] | None = Field(
        None,
        description=(
            "Raw inputs, T rows of I finite numbers (|value| <= 1e6), 1 <= T <= UNROLLED_MAX_TRACE_STEPS. "
            "Steps are labelled t=0 .. t=T-1."
        ),
        examples=[[[1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0]]],
    )
    target: list[Any] | None = Field(
        None,
        validation_alias=AliasChoices("target", "y"),
        description=(
            "Only with `x`: T targets in the task's loss kind - a class index per step (cross_entropy), "
            "a vector of O values in [0, 1] (bce), or O numbers (mse; a bare number when O = 1). "
            "For a many-to-one task only the last step's target counts. Without it every loss is 0 "
            "and loss_mask is 0, but the forward values are still traced. `y` is accepted as an alias."
        ),
        examples=[[1, 3, 2]],
    )
    grad_flow: bool | None = Field(
        None,
        description="Compute the T x T gradient-flow table; default: when T <= 400.",
        examples=[True],
    )
    interventions: list[InterventionIn] | None = Field(
        None,
        max_length=MAX_INTERVENTIONS,
        description=(
            f"At most {MAX_INTERVENTIONS} values to clamp in the forward pass. The trace is then exact for the "
            "clamped network (no gradient passes back through a clamped value), and the response adds "
            "`interventions`, `clean` (the unclamped run's outputs and losses) and `difference` (clamped minus clean)."
        ),
        examples=[[{"step": 6, "target": "gate:f", "unit": 0, "value": 0.0}]],
    )

    @model_validator(mode="after")
    def _one_source(self) -> TraceIn:
        # A custom error keeps the message as written (a plain ValueError gets "Value error, " before it).
        if self.input is not None and self.x is not None:
            raise PydanticCustomError("trace_input", "give either input or x, not both")
        if self.input is None and self.x is None:
            raise PydanticCustomError(
                "trace_input", "give input (text for the model's task) or x (a list of input vectors)"
            )
        if self.input is not None and self.target is not None:
            raise PydanticCustomError(
                "trace_input", "target goes with x; for an input text the task supplies the targets"
            )
        return self


class TraceDocument(BaseModel):
    """The Trace of docs/design.md: one sequence's forward pass and BPTT, as the engine computes it."""

    architecture: str = Field(description="Cell family id.", examples=["lstm"])
    task: str = Field(description="Task id.", examples=["reber"])
    steps: int = Field(description="T, the number of steps.", examples=[10])
    labels: list[str] = Field(description="(T) the input of each step in words.", examples=[["B", "T", "S"]])
    target_labels: list[str] = Field(
        description="(T) the target of each step in words; '' where masked.", examples=[["T|P", "S|X", "S|X"]]
    )
    symbols: list[str] | None = Field(
        description="Output symbols in output order (symbolic tasks), else null.",
        examples=[["B", "T", "P", "S", "X", "V", "E"]],
    )
    x: Matrix = Field(description="(T, I) inputs x_t.", examples=[[[1.0, 0.0], [0.0, 1.0]]])
    h: Matrix = Field(description="(T, H) hidden states h_t.", examples=[[[0.12, -0.5], [0.3, None]]])
    c: Matrix | None = Field(
        description="(T, H) LSTM cell states c_t; null for other families.", examples=[[[0.12, -0.5], [0.3, None]]]
    )
    gates: dict[str, Matrix] = Field(
        description="Gate name -> (T, H): lstm i,f,g,o; gru r,z,n; else {}.",
        examples=[{"i": [[0.5]], "f": [[0.7]], "g": [[0.1]], "o": [[0.6]]}],
    )
    logits: Matrix = Field(description="(T, O) raw outputs.", examples=[[[2.1, -1.3], [0.4, 0.2]]])
    readout_terms: dict[str, Matrix] = Field(
        description=(
            "Each term of the logits -> (T, O): 'W_hy h_t', 'W_xy x_t' (shortcut models only) and 'b_y'; "
            "they sum to logits."
        ),
        examples=[{"W_hy h_t": [[1.9, -1.0]], "W_xy x_t": [[0.3, -0.2]], "b_y": [[-0.1, -0.1]]}],
    )
    y: Matrix = Field(
        description="(T, O) outputs after the task's nonlinearity (softmax, sigmoid or none).",
        examples=[[[0.89, 0.21], [0.6, 0.55]]],
    )
    target: list[int] | Matrix = Field(
        description="(T) class indices, or (T, O) target vectors.", examples=[[1, 3], [[1, 0], [0, 1]]]
    )
    loss_mask: Vector = Field(description="(T) 1 where L_t counts, else 0.", examples=[[1.0, 1.0, 0.0]])
    loss_kind: Literal["cross_entropy", "bce", "mse"] = Field(description="How L_t is computed.", examples=["bce"])
    losses: Vector = Field(description="(T) per-step losses L_t.", examples=[[0.31, 0.02, 0.0]])
    loss: Number = Field(description="L = sum_t L_t; null if not finite.", examples=[3.2])
    grad_h: Matrix = Field(
        description="(T, H) dL/dh_t, the total derivative through all later steps.",
        examples=[[[0.12, -0.5], [0.3, None]]],
    )
    grad_c: Matrix | None = Field(
        description="(T, H) dL/dc_t for LSTM; else null.", examples=[[[0.12, -0.5], [0.3, None]]]
    )
    grad_x: Matrix = Field(description="(T, I) dL/dx_t.", examples=[[[0.01, -0.02], [0.0, 0.03]]])
    grad_flow: Matrix | None = Field(
        description="(T, T) [s][t] = ||dL_s/dh_t|| for t <= s (0 above the diagonal); null when skipped.",
        examples=[[[0.4, 0.0], [0.01, 0.3]]],
    )
    grad_flow_c: Matrix | None = Field(
        None,
        description=(
            "(T, T) [s][t] = ||dL_s/dc_t|| for LSTM, how far step s's error reaches back through the cell state; "
            "else null."
        ),
        examples=[[[0.2, 0.0], [0.05, 0.1]]],
    )
    matrix_grad_norms: dict[str, Vector] = Field(
        description="Shared matrix label (W_xh, W_hh, W_hy, ...) -> (T) norm of step t's contribution to its gradient.",
        examples=[{"W_hh": [0.1, 0.05, 0.01]}],
    )
    parameter_grad_norms: dict[str, Number] = Field(
        description="Tensor name -> norm of dL/dW summed over steps.", examples=[{"rnn.weight_hh_l0": 0.8}]
    )
    nonfinite: list[str] = Field(
        description="Fields that held NaN or infinity (sent as null): an exploded forward pass or gradient.",
        examples=[[], ["h", "grad_h", "loss"]],
    )


class RunOutputs(BaseModel):
    outputs: Matrix = Field(description="(T, O) outputs y_t.", examples=[[[0.9, 0.1]]])
    losses: Vector = Field(description="(T) per-step losses L_t.", examples=[[0.3, 0.0]])
    loss: Number = Field(description="L = sum_t L_t.", examples=[3.2])


class TraceOut(TraceDocument):
    """The Trace document, plus which model and input produced it."""

    interventions: list[InterventionIn] | None = Field(
        None,
        description="The interventions applied, as given; absent without any.",
        examples=[[{"step": 6, "target": "gate:f", "unit": 0, "value": 0.0}]],
    )
    clean: RunOutputs | None = Field(
        None,
        description="With interventions: the same input through the unclamped network.",
        examples=[{"outputs": [[0.9, 0.1]], "losses": [0.1, 0.0], "loss": 0.1}],
    )
    difference: RunOutputs | None = Field(
        None,
        description="With interventions: the clamped run's outputs, losses and loss minus the clean run's.",
        examples=[{"outputs": [[-0.8, 0.8]], "losses": [0.0, 13.0], "loss": 13.0}],
    )

    model: str = Field(description="The traced model's name.", examples=["reber-lstm"])
    input: str | None = Field(description="The `input` text traced; null when `x` was given.", examples=["BTSSXXTVVE"])
    total_steps: int = Field(description="Training steps of the model when traced.", examples=[2000])

"""Schemas of the health, architecture and task resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    status: Literal["ok"] = Field(description="Always 'ok' when the server answers.", examples=["ok"])
    device: str = Field(description="The torch device models train and run on.", examples=["cpu", "cuda"])
    torch: str = Field(description="The installed PyTorch version.", examples=["2.13.0+cpu"])
    version: str = Field(description="The Unrolled version.", examples=["0.1.0"])
    store: Literal["writable", "read-only"] = Field(
        "writable",
        description=(
            "Whether the models folder takes writes. Read-only (a read-only mount, a folder owned by another "
            "user, a full disk): models can be listed, traced and downloaded, not created, trained or imported."
        ),
        examples=["writable", "read-only"],
    )
    store_problem: str | None = Field(
        None,
        description="Why the models folder cannot be written, naming it; null when it can.",
        examples=[None, "the model folder /srv/unrolled/models cannot be written (Permission denied); ..."],
    )


class ArchitectureOut(BaseModel):
    id: str = Field(description="Registry id used when creating a model.", examples=["lstm"])
    title: str = Field(description="Human name.", examples=["LSTM"])
    summary: str = Field(
        description="One sentence on what the cell does.",
        examples=["A cell state c_t runs along the sequence; gates decide what is written, kept and shown."],
    )
    equations: list[str] = Field(
        description="The cell's equations, torch.nn naming.",
        examples=[["c_t = f ⊙ c_{t-1} + i ⊙ g", "h_t = o ⊙ tanh(c_t)"]],
    )
    gate_names: list[str] = Field(
        description="Gates a trace reports, in torch's chunk order.", examples=[["i", "f", "g", "o"]]
    )
    activations: list[str] = Field(
        description="Allowed values of `activation`; the first is the default.", examples=[["tanh", "relu"]]
    )
    init_schemes: list[str] = Field(
        description="Initialisation schemes POST /models takes for this family (init.scheme); the first is PyTorch's.",
        examples=[["default", "forget_bias", "chrono"]],
    )
    has_cell_state: bool = Field(description="Whether traces carry c_t (LSTM).", examples=[True])
    has_shortcut: bool = Field(description="Whether a direct input-to-output path exists.", examples=[False])
    shared_matrices: dict[str, str] = Field(
        description="Shared matrix label -> exported tensor name, reused at every step of the unrolled net.",
        examples=[{"W_xh": "rnn.weight_ih_l0", "W_hh": "rnn.weight_hh_l0", "W_hy": "readout.weight"}],
    )


class TaskOptionOut(BaseModel):
    name: str = Field(description="Option keyword.", examples=["lag"])
    kind: Literal["int", "float", "str"] = Field(description="Value type.", examples=["int"])
    default: Any = Field(description="Value used when the option is not given.", examples=[10])
    description: str = Field(
        description="What the option changes.", examples=["Blank steps between the symbols and the recall cue."]
    )
    minimum: float | None = Field(None, description="Smallest value (for str: shortest length).", examples=[0])
    maximum: float | None = Field(None, description="Largest value (for str: longest length).", examples=[200])


class GrammarTransitionOut(BaseModel):
    from_: str = Field(alias="from", description="The state the symbol is read in.", examples=["1"])
    to: str = Field(description="The state after reading it.", examples=["2"])
    symbol: str = Field(description="The symbol read.", examples=["T"])


class GrammarOut(BaseModel):
    """A grammar task's finite-state grammar, as the page draws it. States are short strings
    (reber.state_name): "3" for Reber, "T/3" for state 3 of the embedded grammar's T branch,
    "end" after the final E."""

    name: str = Field(description="The grammar's name.", examples=["the Reber grammar"])
    start: str = Field(description="The state every string starts in.", examples=["0"])
    states: list[str] = Field(description="Every state reachable from the start.", examples=[["0", "1", "2"]])
    end: list[str] = Field(description="States with no way out: a complete string ends there.", examples=[["7"]])
    transitions: list[GrammarTransitionOut] = Field(
        description="Every labelled edge.", examples=[[{"from": "0", "to": "1", "symbol": "B"}]]
    )


class TaskOut(BaseModel):
    id: str = Field(description="Registry id.", examples=["reber"])
    title: str = Field(description="Human name.", examples=["Reber grammar"])
    description: str = Field(
        description="What the task asks of a network.",
        examples=["Predict the legal next symbols of strings from the Reber grammar."],
    )
    symbols: list[str] | None = Field(
        description="Output symbols in output order (symbolic tasks), else null.",
        examples=[["B", "T", "P", "S", "X", "V", "E"]],
    )
    input_symbols: list[str] | None = Field(
        description="Input symbols in one-hot order, else null.", examples=[["B", "T", "P", "S", "X", "V", "E"]]
    )
    input_size: int = Field(description="Size I of x_t.", examples=[7])
    output_size: int = Field(description="Size O of y_t.", examples=[7])
    loss_kind: Literal["cross_entropy", "bce", "mse"] = Field(description="How L_t is computed.", examples=["bce"])
    mode: Literal["many_to_many", "many_to_one"] = Field(
        description="One output per step, or per sequence.", examples=["many_to_many"]
    )
    metric_name: str = Field(description="What the task's metric measures.", examples=["legal-set accuracy"])
    input_kind: Literal["symbols", "words", "numbers"] = Field(
        description="How a typed `input` is read.", examples=["symbols"]
    )
    max_length: int = Field(description="Longest input the task encodes.", examples=[500])
    probe_text: str = Field(description="The default input traced for this task.", examples=["BTSSXXTVVE"])
    options: dict[str, Any] = Field(
        description="Option values of this task (defaults here).", examples=[{"max_length": 40}]
    )
    options_spec: list[TaskOptionOut] = Field(
        description="Every option with its type, default and range.",
        examples=[
            [
                {
                    "name": "max_length",
                    "kind": "int",
                    "default": 40,
                    "description": "Longest generated string.",
                    "minimum": 10,
                    "maximum": 200,
                }
            ]
        ],
    )
    grammar: GrammarOut | None = Field(
        None,
        description="The grammar generating the task's strings (reber, embedded_reber); null for other tasks.",
        examples=[None],
    )


class SampleOut(BaseModel):
    task: str = Field(description="The task id.", examples=["reber"])
    seed: int = Field(description="The seed the sequence was drawn with.", examples=[0])
    steps: int = Field(description="Number of steps T.", examples=[10])
    labels: list[str] = Field(
        description="Readable input of each step.", examples=[["B", "T", "S", "S", "X", "X", "T", "V", "V", "E"]]
    )
    target_labels: list[str] = Field(
        description="Readable target of each step (empty where no loss counts).", examples=[["T|P", "S|X", "E", ""]]
    )
    x: list[list[float]] = Field(
        description="Encoded inputs, T x input_size.", examples=[[[1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0]]]
    )
    target: list = Field(
        description="Targets: class indices (cross_entropy) or T x output_size vectors.",
        examples=[[[0, 1, 1, 0, 0, 0, 0]]],
    )
    loss_mask: list[float] = Field(description="1 where the step's loss counts.", examples=[[1.0, 1.0, 0.0]])

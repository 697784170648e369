"""Schemas of the lesson figures: the numbers the tour states, computed from the stored models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FigureOut(BaseModel):
    name: str = Field(description="The figure's name, as the tour's templates use it.", examples=["cost"])
    description: str = Field(
        description="What the figure measures, in one sentence.",
        examples=["The weights of the LSTM and the Elman net, and their ratio."],
    )
    models: list[str] = Field(
        description="The stored models it is measured on.", examples=[["lstm-embedded-reber", "elman-embedded-reber"]]
    )
    sequences: int = Field(
        description="How many seeded sequences it is measured over (per length, for the by-length figures; "
        "0 when it reads only the weights).",
        examples=[40],
    )
    seed: int = Field(
        description="The seed the sequences are drawn from: the same seed, the same figure.", examples=[0]
    )
    missing: list[str] = Field(
        description="Models the figure needs that are not in the store; its value is then null.", examples=[[]]
    )
    experiment: str | None = Field(
        None,
        description="The experiment whose stored results the figure reads (the caller's, else the shipped ones).",
        examples=["shortcuts"],
    )
    value: dict[str, Any] | None = Field(
        description=(
            "The measured figure: numbers, lists and distributions "
            "({median, q1, q3, min, max, n}) as docs/api.md, Lesson figures, lists per figure."
        ),
        examples=[{"lstm": {"parameters": 5479, "core_weights": 4992}, "core_ratio": 4.0}],
    )


class FiguresOut(BaseModel):
    figures: dict[str, FigureOut] = Field(
        description="Every figure the tour states, by name.",
        examples=[
            {
                "cost": {
                    "name": "cost",
                    "description": "The weights of the LSTM and the Elman net, and their ratio.",
                    "models": ["lstm-embedded-reber", "elman-embedded-reber"],
                    "sequences": 0,
                    "seed": 0,
                    "missing": [],
                    "value": {"core_ratio": 4.0},
                }
            }
        ],
    )

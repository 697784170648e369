"""POST /api/models/{name}/generate: the model writes, one symbol at a time, from a prefix.

A plain `def` route: drawing 1,000 samples takes a fraction of a second to seconds, which
FastAPI runs in its threadpool, off the event loop. The engine (app/core/analysis/generate.py)
checks everything that depends on the model; the body's bounds are checked by GenerateIn.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import LoadedModelDep, ModelName
from app.api.responses import numpy_json_response
from app.api.schemas.common import error_responses
from app.api.schemas.generate import GenerateIn, GenerateOut
from app.core.analysis.generate import generate, generation_document

router = APIRouter(tags=["generate"])


@router.post(
    "/models/{name}/generate",
    summary="Sample from the model: extend a prefix symbol by symbol, with each step's distribution",
    description=(
        "For Reber tasks the grammar judges each sample and `acceptance` gives the rate; for fluent and text "
        "`completions` lists the likeliest next words or characters after the prefix. Seeded: the same request "
        "gives the same samples. docs/api.md, Sampling."
    ),
    response_model=GenerateOut,
    response_class=Response,
    responses=error_responses(404, 422),
)
def generate_from_model(body: GenerateIn, name: ModelName, loaded: LoadedModelDep) -> Response:
    generation = generate(loaded, body.prefix, body.steps, body.temperature, body.seed, body.samples)
    return numpy_json_response({"model": name, **generation_document(generation)})

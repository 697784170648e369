# A CPU image of Unrolled: uvicorn serving app.main:app as a non-root user.

# The page's browser library (D3), pinned by package-lock.json, fetched at build time only.
FROM node:20-slim AS vendor
WORKDIR /vendor
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/unrolled

# The CPU build of torch first, from PyTorch's CPU index: the default PyPI wheel
# would pull several GB of CUDA libraries that this image never uses.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

COPY pyproject.toml README.md ./
COPY app ./app
COPY static ./static
COPY templates ./templates
COPY models ./models
COPY --from=vendor /vendor/node_modules/d3/dist ./node_modules/d3/dist
RUN pip install -e . \
    && useradd --create-home --uid 10001 unrolled \
    && chown -R unrolled:unrolled /srv/unrolled/models

USER unrolled
ENV UNROLLED_MODELS_DIR=/srv/unrolled/models \
    UNROLLED_DEVICE=cpu
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)" || exit 1

# Inside a container the server must listen beyond loopback for the port mapping to reach it.
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]

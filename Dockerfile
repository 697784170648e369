# A CPU image of Unrolled: `python -m app serve` as a non-root user, the model store a volume.
#
#   docker build -t unrolled .
#   docker run -p 127.0.0.1:8000:8000 -v unrolled-models:/srv/unrolled/models unrolled
#
# (docs/operations.md: volumes, ownership, logs, metrics.)
#
# Base images are pinned by exact tag. The build that wrote this file could not reach a
# registry, so no digest is written; to pin by digest too, look each tag up and append it:
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm    (the "Digest:" line)
#   FROM python:3.11.14-slim-bookworm@sha256:<digest>
# and refresh both (tag and digest) when moving to a newer patch release.

# The page's browser libraries (D3, @msgpack/msgpack, dagre) and the API docs' (Swagger UI, ReDoc),
# pinned by package-lock.json, fetched at build time only; --omit=dev leaves out the linter.
# Only the folders /vendor serves are kept (VENDOR_FOLDERS in app/api/routers/pages.py; a test
# holds the two lists equal): ReDoc's bundle already contains React and the rest of its
# dependencies, which would otherwise add about 80 MB to the image.
FROM node:20.19.5-bookworm-slim AS vendor
WORKDIR /vendor
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
    && for folder in d3/dist @msgpack/msgpack/dist.esm swagger-ui-dist redoc/bundles @dagrejs/dagre/dist; do \
         mkdir -p "/served/$folder" && cp -r "node_modules/$folder/." "/served/$folder/"; \
       done

FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/unrolled

# Dependencies before the code, from the two files that name them, so that a code change
# reuses these layers. constraints.txt pins every version (torch's only there).
COPY constraints.txt pyproject.toml ./
# torch's CPU build from PyTorch's CPU index: PyPI's default wheel would pull several GB of
# CUDA libraries that this image never uses. --no-deps: torch's own dependencies come from
# PyPI in the next step, at the versions constraints.txt pins.
RUN pip install --index-url https://download.pytorch.org/whl/cpu --no-deps --constraint constraints.txt torch
# The runtime dependencies pyproject.toml lists (not its test extras), at the pinned versions.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --constraint constraints.txt --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The user the server runs as: uid 10001 in group 0 (root's group, which grants nothing by
# itself). The store folder belongs to that uid and group and is group-writable, so the image
# also runs under another uid given group 0 (`--user 12345:0`, as OpenShift does). The account
# is written into /etc/passwd directly: minimal bases may have no useradd.
RUN echo "unrolled:x:10001:0:Unrolled:/home/unrolled:/usr/sbin/nologin" >> /etc/passwd \
    && mkdir -p /home/unrolled /srv/unrolled/models \
    && chown 10001:0 /home/unrolled \
    && chown 10001:0 /srv/unrolled/models \
    && chmod 2775 /srv/unrolled/models

# The code, the page and the demo models: the layers a change rebuilds. The code is run from
# here (PYTHONPATH), not installed: nothing is rebuilt by pip when it changes.
COPY --from=vendor /served ./node_modules
COPY templates ./templates
COPY static ./static
COPY app ./app
# The shipped demo models and experiment results (models/experiments/ and their x-* models;
# only those: .dockerignore) sit beside the store, not in it: the store is a volume, and an
# empty one is seeded from here at start-up (app/core/store/seed.py).
COPY models ./demo-models

ENV PYTHONPATH=/srv/unrolled \
    UNROLLED_MODELS_DIR=/srv/unrolled/models \
    UNROLLED_SEED_DIR=/srv/unrolled/demo-models \
    UNROLLED_DEVICE=cpu \
    UNROLLED_HOST=0.0.0.0 \
    UNROLLED_PORT=8000 \
    UNROLLED_CLASSROOM=off

# Trained models outlive the container only on a volume: a named one (`-v unrolled-models:...`,
# filled from the image's empty, writable folder) or a host folder (`-v $PWD/models:...`, which
# the server's uid must be able to write; see docs/operations.md). Declared after the folder is
# made and owned: later changes to a VOLUME path in a Dockerfile are discarded.
VOLUME /srv/unrolled/models

USER 10001:0
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)" || exit 1

# Inside a container the server must listen beyond loopback (UNROLLED_HOST above) for the port
# mapping to reach it; publish it on the host's loopback only: -p 127.0.0.1:8000:8000. That
# listening address says nothing of who can reach it (-p decides), so classroom mode, which
# would switch itself on for 0.0.0.0, is off here: serve a class with -e UNROLLED_CLASSROOM=on
# (the teacher's URL, with its token, is in the container's log).
# -v: the server's own INFO lines (jobs started and ended); UNROLLED_LOG_FORMAT=json for a collector.
CMD ["python", "-m", "app", "-v", "serve"]

# jirasync production image: `jirasync supervise` over the sync-*.json files in /config.
#
#   docker build -t jirasync .
#   docker run -d --name jirasync --init --stop-timeout 30 -p 3000:3000 \
#     -v "$PWD/config:/config:ro" --env-file .env.consolidated \
#     -e JIRASYNC_MONGODB_URL=mongodb://mongo.example.internal:27017 jirasync
#
# Only the package and its runtime dependencies are installed. The `embedded` extra (a beta,
# GPL-licensed MongoDB stand-in used by `jirasync demo` and the test suite) and the `test`
# extra are deliberately left out: production talks to a real MongoDB.
# Details: docs/operations.md

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/jirasync
WORKDIR /src
# pyproject.toml names README.md as the package readme, so the build needs it.
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/jirasync/bin/pip install .

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 jirasync \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/jirasync \
      --shell /usr/sbin/nologin jirasync \
 && mkdir -p /config
COPY --from=build /opt/jirasync /opt/jirasync
ENV PATH=/opt/jirasync/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    JIRASYNC_CONFIG_DIR=/config \
    JIRASYNC_LOG_FORMAT=json
WORKDIR /home/jirasync
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 3000
# The supervisor stops its workers on SIGTERM (SIGTERM to each, SIGKILL after 10 s) and
# exits 0; give it a longer grace than that: `docker run --stop-timeout 30`, compose
# `stop_grace_period: 30s`, Kubernetes `terminationGracePeriodSeconds: 30`.
STOPSIGNAL SIGTERM
# `jirasync health` exits 0 healthy, 1 degraded, 2 unhealthy or unreachable. Degraded (some
# pairs failing, at least one running) counts as healthy here: restarting the container
# would stop the good pairs and fix none (a bad token, an unreachable Jira site). Only
# "no worker running" or "supervisor not answering" fails the check. Degraded pairs show
# in /health and /metrics; alert on those instead.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD jirasync health --timeout 5 || [ $? -eq 1 ]
CMD ["jirasync", "supervise"]

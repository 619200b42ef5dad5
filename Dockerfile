# One image for every envmon service and the simulator: `docker run envmon <command>` runs `envmon <command>`
# (ingest, alerts, compensation, hj212-gateway, simulate …, db upgrade, db seed, mosquitto-config).
FROM python:3.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY services ./services
COPY simulators ./simulators
RUN uv sync --frozen --no-dev

FROM python:3.11-slim-bookworm
# CJK font: the compensation service embeds WenQuanYi Zen Hei (TrueType outlines) in its Chinese PDF statements.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app envmon
COPY --from=build --chown=envmon:envmon /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 TZ=Asia/Shanghai
WORKDIR /app
USER envmon
EXPOSE 8001 8002 8003 8004 9212
ENTRYPOINT ["envmon"]
CMD ["--help"]

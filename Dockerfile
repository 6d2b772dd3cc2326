# The app's image: `reflex run --env prod` (pages, REST API and websocket on one port), for
# compose.yaml and for app machines. docs/deploy.md says how it is used. Not built on the
# development machine (no container engine there).
#
# python:3.11-slim on Debian 13 (trixie), whose nodejs is 20 (bookworm's is 18; the README asks
# for 20+). Node/npm are only here to install bun from the npm registry, as scripts/bootstrap.sh.
FROM python:3.11-slim-trixie

# As the Makefile: bun from .tools on PATH, Reflex downloads nothing else, no telemetry.
# HOST 0.0.0.0: listen on the container's interface, not only its loopback.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PATH=/app/.tools/bun/node_modules/.bin:$PATH \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_DIR=/app/.reflex \
    REFLEX_TELEMETRY_ENABLED=false \
    HOST=0.0.0.0 \
    PORT=3000

RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 app \
 && mkdir /app && chown app:app /app
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

USER app
RUN npm install --no-audit --no-fund --prefix .tools/bun bun@1.4.5 \
 && npm cache clean --force

# Only what the app needs, path by path: never .env, .venv or a local billing.db.
COPY --chown=app:app rxconfig.py alembic.ini pyproject.toml ./
COPY --chown=app:app alembic/ alembic/
COPY --chown=app:app assets/ assets/
COPY --chown=app:app reflex.lock/ reflex.lock/
COPY --chown=app:app billing_app/ billing_app/

# Install the frontend's packages and build it once here, so that a container's start needs no
# registry: `reflex run --env prod` still compiles and builds at every start (about 10 s on two
# cores with the packages in place), but installs nothing.
RUN reflex export --frontend-only --no-zip --env prod \
 && rm -rf /home/app/.bun/install/cache

EXPOSE 3000
# WORKERS → granian's GRANIAN_WORKERS, as `make run` does. `billing_app.config workers` refuses
# WORKERS > 1 without REDIS_URL, and any start with APP_ENV=prod without Razorpay keys.
# Migrations are not run here: the one-shot `migrate` service (or a deploy step) runs them once.
CMD ["sh", "-c", "workers=$(python -m billing_app.config workers) || exit 1; echo \"==> billing_app on port $PORT, $workers worker(s)\"; GRANIAN_WORKERS=$workers exec reflex run --env prod"]

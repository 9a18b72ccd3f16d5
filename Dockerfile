# velux-privacy: one image for the web process (gunicorn), the Celery worker and Celery beat.
# Settings come from environment variables only (velux_privacy/settings.py); no .env is baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Non-root runtime user. The code stays owned by root (read-only to the app); the app writes
# only to PRIVATE_STORAGE_ROOT (exports), which a volume usually mounts.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /data/private \
    && chown app:app /data/private \
    && chmod 0700 /data/private

WORKDIR /app

# Dependencies first, for layer caching. Every package is pinned with hashes; all have wheels
# (psycopg[binary]), so no compiler is needed.
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .

# Static files for whitenoise (CompressedManifestStaticFilesStorage when DEBUG is off). The
# settings refuse to load without secrets when DEBUG is off: dummy values for this step only.
RUN DEBUG=false \
    SECRET_KEY=build-time-dummy-not-a-secret \
    RECEIPT_HASH_KEY=build-time-dummy-not-a-secret \
    python manage.py collectstatic --noinput

# Gunicorn reads WEB_CONCURRENCY (workers) and GUNICORN_CMD_ARGS, so the compose file's
# `migrate && gunicorn` start uses the same tuning. No access log: it would record client IPs
# and paths holding confirmation keys (logs carry ids, never personal data).
ENV PRIVATE_STORAGE_ROOT=/data/private \
    WEB_CONCURRENCY=3 \
    GUNICORN_CMD_ARGS="--timeout 30 --graceful-timeout 30 --keep-alive 5 --max-requests 1000 --max-requests-jitter 100 --worker-tmp-dir /dev/shm"

USER app

EXPOSE 8000

# /healthz checks the database (and cache and broker when configured): 503 makes urlopen raise.
# Django answers only the host names in ALLOWED_HOSTS (400 otherwise), so the check sends the
# first of them as Host, without a leading dot; localhost when unset or "*".
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.*') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]

CMD ["gunicorn", "velux_privacy.wsgi:application", "--bind", "0.0.0.0:8000"]

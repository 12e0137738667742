# Production image: gunicorn serving ietp_site.wsgi as a non-root user (compose.yaml runs it behind nginx).
# Run `python manage.py migrate` (same image) before starting a new release: compose.yaml's migrate service does.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump and pg_restore for `manage.py backup` and `restore`: Debian's, at least as new as the database server.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install .
COPY . .

# The compiled translations (.mo) are committed, and a test checks them against the .po files.
# Build-time only: the real SECRET_KEY comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input

# The mount points of compose.yaml's volumes, owned by the site's user so that new volumes are too.
RUN useradd --create-home --uid 10001 ietp \
    && mkdir -p /app/media /srv/static /srv/media /srv/private-media /srv/backups \
    && chown ietp /app/media /srv/static /srv/media /srv/private-media /srv/backups
# The private files (membership letters) and the backups, when no volume is mounted there.
RUN mkdir -p /app/private-media /app/backups && chown ietp /app/private-media /app/backups
USER ietp

EXPOSE 8000
# Workers, timeout and trusted proxies come from the environment (deploy/gunicorn.conf.py).
CMD ["gunicorn", "ietp_site.wsgi", "--config", "deploy/gunicorn.conf.py"]

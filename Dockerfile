# Production image: gunicorn serving ietp_site.wsgi as a non-root user (compose.yaml runs it behind nginx).
# Run `python manage.py migrate` (same image) before starting a new release: compose.yaml's migrate service does.
#
# Two stages, so that nothing used only to build (pip's caches, the PostgreSQL client package and its Perl
# wrappers) reaches the image: the builder installs the dependencies into a virtual environment and the final stage
# copies that and the two PostgreSQL programs backups run. tests/containers/ measures the result (≤ 200 MB of the
# project's own layers).

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# pg_dump and pg_restore for `manage.py backup` and `restore` (operations/backups.py runs only these two): Debian's,
# at least as new as the database server. Only the two programs are copied out below.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml /build/
# The project installs its dependencies only (pyproject.toml: packages = []). pip and setuptools are not needed
# at run time: removed from the environment the final stage copies.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install /build \
    && /opt/venv/bin/pip uninstall --yes ietp-site pip setuptools \
    && find /opt/venv -depth -type d -name tests -path '*/site-packages/*/tests' -prune -exec rm -rf {} +

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# libpq, which pg_dump and pg_restore link against (psycopg carries its own). `apt-get clean` also drops apt's
# package caches (/var/cache/apt/*.bin, about 80 MB), which the lists' removal alone leaves behind.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libpq5 \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=builder /usr/lib/postgresql/15/bin/pg_dump /usr/lib/postgresql/15/bin/pg_restore /usr/local/bin/
COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# .dockerignore keeps tests/, bench/, docs/ and local leftovers out.
COPY . .

# The compiled translations (.mo) are committed, and a test checks them against the .po files.
# Build-time only: the real SECRET_KEY comes from the environment at run time. The file cache this command touches
# (CACHE_DIR, used when there is no REDIS_URL) is made afresh below, owned by the site's user: left to root, the
# site could not write it and /readyz would fail.
RUN SECRET_KEY=build-only CACHE_DIR=/tmp/build-cache python manage.py collectstatic --no-input \
    && rm -rf /tmp/build-cache

# The mount points of compose.yaml's volumes, owned by the site's user so that new volumes are too; the private
# files (membership letters), the backups and the file cache, when no volume is mounted there.
RUN useradd --create-home --uid 10001 ietp \
    && mkdir -p /app/media /srv/static /srv/media /srv/private-media /srv/backups \
       /app/private-media /app/backups /app/.cache \
    && chown ietp /app/media /srv/static /srv/media /srv/private-media /srv/backups \
       /app/private-media /app/backups /app/.cache
USER ietp

EXPOSE 8000
# Workers, timeout and trusted proxies come from the environment (deploy/gunicorn.conf.py).
CMD ["gunicorn", "ietp_site.wsgi", "--config", "deploy/gunicorn.conf.py"]

#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas up to date. Runs in the
# temporalio/admin-tools image before the server starts; safe to run again on an existing cluster.
set -eu
# POSTGRES_PORT and SCHEMA_DIR are for running it outside the image (the cluster test does).
port=${POSTGRES_PORT:-5432}
schemas=${SCHEMA_DIR:-/etc/temporal/schema}
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$@"; }

if command -v nc >/dev/null 2>&1; then
  until nc -z "$POSTGRES_SEEDS" "$port"; do echo 'waiting for PostgreSQL...'; sleep 1; done
fi
for db in temporal temporal_visibility; do
  schema=$([ "$db" = temporal ] && echo temporal || echo visibility)
  sql "$db" create || echo "database $db exists"
  # setup-schema only on an empty database; update-schema applies whatever versions are missing.
  sql "$db" setup-schema -v 0.0 || echo "schema of $db exists"
  sql "$db" update-schema -d "$schemas/postgresql/v12/$schema/versioned"
done
echo 'schemas ready'

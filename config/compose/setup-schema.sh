#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas up to date. Runs in the
# temporalio/admin-tools image before the server starts; safe to run again on an existing cluster.
set -eu
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p 5432 -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$@"; }

until nc -z "$POSTGRES_SEEDS" 5432; do echo 'waiting for PostgreSQL...'; sleep 1; done
for db in temporal temporal_visibility; do
  schema=$([ "$db" = temporal ] && echo temporal || echo visibility)
  sql "$db" create || echo "database $db exists"
  # setup-schema only on an empty database; update-schema applies whatever versions are missing.
  sql "$db" setup-schema -v 0.0 || echo "schema of $db exists"
  sql "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
echo 'schemas ready'

#!/bin/sh
# Creates the `default` namespace and ptq's search attributes through the operator API, once the
# server answers. Runs in the temporalio/admin-tools image; safe to run again.
set -eu
until temporal operator cluster health >/dev/null 2>&1; do echo 'waiting for Temporal...'; sleep 2; done
temporal operator namespace describe -n default >/dev/null 2>&1 || temporal operator namespace create -n default --retention 7d
# A new namespace reaches every frontend's cache within seconds; until then it is "not found".
until temporal operator search-attribute list -n default >/dev/null 2>&1; do echo 'waiting for namespace default...'; sleep 1; done
temporal operator search-attribute list -n default | grep -q PtqTasksDone ||
  temporal operator search-attribute create -n default \
    --name PtqPlan --type Keyword --name PtqStatus --type Keyword \
    --name PtqTasksTotal --type Int --name PtqTasksDone --type Int
echo 'namespace default and ptq search attributes ready'

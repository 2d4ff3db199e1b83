#!/usr/bin/env bash
# README command 1: installs, builds and starts one node on 127.0.0.1:8000,
# printing its credentials and a working AWS CLI example. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
DATA_DIR="${TANDEM_DATA_DIR:-$PWD/data/us-east-1}"
mkdir -p "$DATA_DIR"
./build/tandem node --region us-east-1 --listen 127.0.0.1:8000 --data-dir "$DATA_DIR" &
NODE_PID=$!
trap 'kill -TERM $NODE_PID 2>/dev/null; wait $NODE_PID' INT TERM
for _ in $(seq 1 100); do
  if curl -sf http://127.0.0.1:8000/health >/dev/null; then break; fi
  sleep 0.1
done
cat <<TXT

Tandem node us-east-1 is up at http://127.0.0.1:8000
Credentials (AWS shared-credentials format): $DATA_DIR/credentials
$(sed -n 's/^aws_/  aws_/p' "$DATA_DIR/credentials")

Try it:
  export AWS_SHARED_CREDENTIALS_FILE=$DATA_DIR/credentials
  aws dynamodb create-table --table-name woocommerce_data \\
    --attribute-definitions AttributeName=id,AttributeType=S \\
    --key-schema AttributeName=id,KeyType=HASH \\
    --provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5 \\
    --region us-east-1 --endpoint-url http://127.0.0.1:8000
  aws dynamodb scan --table-name woocommerce_data --limit 1 \\
    --region us-east-1 --endpoint-url http://127.0.0.1:8000
  curl http://127.0.0.1:8000/health

Ctrl-C stops the node.
TXT
wait $NODE_PID

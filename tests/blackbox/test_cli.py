"""Debian's AWS CLI v2 against a node: the seed's create-table exactly as
written (plus --endpoint-url), then the everyday item commands."""
import json
import subprocess

import pytest

from conftest import AWS_CLI

# The seed's command, word for word (its us-east-1 half).
SEED_CREATE_TABLE = [
    "create-table", "--table-name", "woocommerce_data",
    "--attribute-definitions", "AttributeName=id,AttributeType=S",
    "--key-schema", "AttributeName=id,KeyType=HASH",
    "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5",
    "--region", "us-east-1",
]


def run(node, *args):
    return subprocess.run([AWS_CLI, "dynamodb", *args, "--endpoint-url", node.endpoint,
                           "--output", "json"],
                          env=node.cli_env(), capture_output=True, text=True, timeout=60)


def cli(node, *args):
    out = run(node, *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


@pytest.fixture(scope="module")
def seeded(shared_node):
    desc = cli(shared_node, *SEED_CREATE_TABLE)["TableDescription"]
    return shared_node, desc


def test_seed_create_table(seeded):
    node, desc = seeded
    assert desc["TableName"] == "woocommerce_data"
    assert desc["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert desc["TableArn"].endswith(":table/woocommerce_data")
    again = run(node, *SEED_CREATE_TABLE)
    assert again.returncode == 254
    assert "ResourceInUseException" in again.stderr
    listed = cli(node, "list-tables", "--region", "us-east-1")
    assert "woocommerce_data" in listed["TableNames"]


def test_item_commands(seeded):
    node, _ = seeded
    t = ["--table-name", "woocommerce_data", "--region", "us-east-1"]
    cli(node, "put-item", *t, "--item",
        '{"id":{"S":"product#1"},"name":{"S":"Mug"},"stock":{"N":"10"}}')
    cli(node, "put-item", *t, "--item", '{"id":{"S":"product#2"},"stock":{"N":"0"}}')
    got = cli(node, "get-item", *t, "--key", '{"id":{"S":"product#1"}}')
    assert got["Item"] == {"id": {"S": "product#1"}, "name": {"S": "Mug"}, "stock": {"N": "10"}}
    assert cli(node, "get-item", *t, "--key", '{"id":{"S":"nope"}}') == {}

    page = cli(node, "scan", *t, "--limit", "1")
    assert page["Count"] == 1 and len(page["Items"]) == 1

    out = cli(node, "query", *t, "--key-condition-expression", "id = :id",
              "--expression-attribute-values", '{":id":{"S":"product#2"}}')
    assert out["Items"] == [{"id": {"S": "product#2"}, "stock": {"N": "0"}}]

    out = cli(node, "update-item", *t, "--key", '{"id":{"S":"product#1"}}',
              "--update-expression", "SET stock = stock - :one",
              "--condition-expression", "stock >= :one",
              "--expression-attribute-values", '{":one":{"N":"1"}}',
              "--return-values", "UPDATED_NEW")
    assert out["Attributes"] == {"stock": {"N": "9"}}

    failed = run(node, "update-item", *t, "--key", '{"id":{"S":"product#2"}}',
                 "--update-expression", "SET stock = stock - :one",
                 "--condition-expression", "stock >= :one",
                 "--expression-attribute-values", '{":one":{"N":"1"}}')
    assert failed.returncode == 254
    assert ("An error occurred (ConditionalCheckFailedException) when calling the UpdateItem "
            "operation: The conditional request failed") in failed.stderr
    assert cli(node, "get-item", *t, "--key", '{"id":{"S":"product#2"}}')["Item"]["stock"] == \
        {"N": "0"}

    requests = {"woocommerce_data": [
        {"PutRequest": {"Item": {"id": {"S": f"order#{i}"}, "total": {"N": f"{i}.5"}}}}
        for i in range(5)] + [{"DeleteRequest": {"Key": {"id": {"S": "product#2"}}}}]}
    out = cli(node, "batch-write-item", "--region", "us-east-1",
              "--request-items", json.dumps(requests))
    assert out["UnprocessedItems"] == {}
    everything = cli(node, "scan", *t)
    ids = sorted(i["id"]["S"] for i in everything["Items"])
    assert ids == [f"order#{i}" for i in range(5)] + ["product#1"]


def test_delete_table_last(seeded):
    node, _ = seeded
    out = cli(node, "delete-table", "--table-name", "woocommerce_data", "--region", "us-east-1")
    assert out["TableDescription"]["TableName"] == "woocommerce_data"
    gone = run(node, "describe-table", "--table-name", "woocommerce_data", "--region",
               "us-east-1")
    assert gone.returncode == 254
    assert "ResourceNotFoundException" in gone.stderr

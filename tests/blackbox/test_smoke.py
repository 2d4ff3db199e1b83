"""The seed's recipe with the real AWS CLI v2 and boto3, against the real binary."""
import json
import subprocess
import urllib.request

from conftest import AWS_CLI, create_table


def cli(node, *args):
    out = subprocess.run([AWS_CLI, "dynamodb", *args, "--endpoint-url", node.endpoint,
                          "--region", node.region, "--output", "json"],
                         env=node.cli_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_seed_create_table_and_item_round_trip(node):
    desc = cli(node, "create-table", "--table-name", "woocommerce_data",
               "--attribute-definitions", "AttributeName=id,AttributeType=S",
               "--key-schema", "AttributeName=id,KeyType=HASH",
               "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5")
    table = desc["TableDescription"]
    assert table["TableName"] == "woocommerce_data"
    assert table["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/woocommerce_data"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5

    cli(node, "put-item", "--table-name", "woocommerce_data",
        "--item", '{"id":{"S":"p1"},"price":{"N":"19.990"}}')
    got = cli(node, "get-item", "--table-name", "woocommerce_data", "--key", '{"id":{"S":"p1"}}')
    assert got["Item"] == {"id": {"S": "p1"}, "price": {"N": "19.99"}}

    page = cli(node, "scan", "--table-name", "woocommerce_data", "--max-items", "1")
    assert len(page["Items"]) == 1


def test_health_check_of_the_seed_passes(node):
    # The seed's Flask check does table.scan(Limit=1) through boto3.
    create_table(node.client(), "woocommerce_data")
    table = node.resource().Table("woocommerce_data")
    assert table.scan(Limit=1)["Count"] == 0
    with urllib.request.urlopen(node.endpoint + "/health", timeout=5) as r:
        body = json.loads(r.read())
    assert r.status == 200 and body["status"] == "ok"

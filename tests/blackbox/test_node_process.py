"""The node as a process: durability across SIGKILL, clean shutdown, data
directory locking, generated credentials, /health and /metrics."""
import configparser
import os
import signal
import subprocess
import tempfile
import threading
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import TANDEM_BIN, Node, create_table, free_port, wait_until


def test_every_acknowledged_write_survives_sigkill(start_node):
    node = start_node()
    create_table(node.client(), "orders")
    acked = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker):
        client = node.client()
        i = 0
        while not stop.is_set() and i < 5000:  # bounded even if the kill never comes
            key = f"w{worker}-{i}"
            try:
                client.put_item(TableName="orders", Item={"id": {"S": key}, "n": {"N": str(i)}})
            except Exception:  # the node died under us: this write was not acknowledged
                return
            with lock:
                acked.append(key)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acked) >= 1500, timeout=60, what="1500 acknowledged writes")
    node.kill()  # SIGKILL in the middle of the load
    stop.set()
    for t in threads:
        t.join(timeout=30)
    data_dir = node.data_dir
    node.owns_dir = False

    restarted = start_node(data_dir=data_dir)
    client = restarted.client()
    found = set()
    kwargs = {"TableName": "orders", "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        found.update(item["id"]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    missing = [k for k in acked if k not in found]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    desc = client.describe_table(TableName="orders")["Table"]
    assert desc["ItemCount"] == len(found)


def test_sigterm_stops_cleanly_and_data_persists(start_node):
    node = start_node()
    client = node.client()
    create_table(client, "tbl")
    client.put_item(TableName="tbl", Item={"id": {"S": "a"}})
    assert node.stop(signal.SIGTERM) == 0
    assert "stopped cleanly" in node.read_log()
    node.owns_dir = False
    again = start_node(data_dir=node.data_dir)
    assert again.client().get_item(TableName="tbl", Key={"id": {"S": "a"}})["Item"] == {
        "id": {"S": "a"}}


def test_second_node_on_same_data_dir_is_refused(node):
    port = free_port()
    out = subprocess.run([TANDEM_BIN, "node", "--region", "us-east-1", "--listen",
                          f"127.0.0.1:{port}", "--data-dir", node.data_dir],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "in use by another tandem node" in out.stdout + out.stderr


def test_without_credentials_flag_a_key_pair_is_generated(start_node):
    node = start_node(credentials=False)
    path = os.path.join(node.data_dir, "credentials")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert path in node.read_log()
    creds = configparser.ConfigParser()
    creds.read(path)
    key, secret = creds["default"]["aws_access_key_id"], creds["default"]["aws_secret_access_key"]
    client = boto3.client("dynamodb", endpoint_url=node.endpoint, region_name="us-east-1",
                          aws_access_key_id=key, aws_secret_access_key=secret,
                          config=Config(retries={"max_attempts": 1}))
    assert client.list_tables()["TableNames"] == []
    # The same key pair is kept across restarts.
    node.stop()
    node.owns_dir = False
    again = start_node(data_dir=node.data_dir, credentials=False)
    creds2 = configparser.ConfigParser()
    creds2.read(path)
    assert creds2["default"]["aws_access_key_id"] == key


def test_liveness_health_and_metrics(node):
    with urllib.request.urlopen(node.endpoint + "/", timeout=5) as r:
        assert r.read().decode() == "healthy: dynamodb.us-east-1.amazonaws.com "
    client = node.client()
    create_table(client, "tbl")
    client.put_item(TableName="tbl", Item={"id": {"S": "a"}})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_item(TableName="missing", Key={"id": {"S": "a"}})
    with urllib.request.urlopen(node.endpoint + "/metrics", timeout=5) as r:
        text = r.read().decode()
    assert 'tandem_requests_total{operation="PutItem",outcome="success"} 1' in text
    assert 'tandem_requests_total{operation="GetItem",outcome="client_error"} 1' in text
    assert 'tandem_items{table="tbl"} 1' in text
    assert "tandem_request_duration_seconds_bucket" in text

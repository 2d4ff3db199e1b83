"""Wire fidelity: malformed requests, unknown operations, authentication,
headers, checksums and the request-size cap."""
import datetime
import json
import urllib.error
import urllib.request
import zlib

import pytest

from bbutil import error_of, raw_call, unique
from conftest import ACCESS_KEY, create_table

SER = "com.amazon.coral.service#SerializationException"
VAL = "com.amazon.coral.validate#ValidationException"


@pytest.mark.parametrize("body,message", [
    ({"TableName": True}, "TRUE_VALUE cannot be converted to String"),
    ({"TableName": 12}, "NUMBER_VALUE cannot be converted to String"),
    ({"TableName": 1.5}, "DECIMAL_VALUE cannot be converted to String"),
    ({"TableName": ["a"]}, "Unrecognized collection type class java.lang.String"),
    ({"TableName": {"a": 1}}, "Start of structure or map found where not expected"),
])
def test_wrong_json_types_are_serialization_errors(shared_node, body, message):
    status, _, out = raw_call(shared_node, "DescribeTable", body)
    assert status == 400
    assert out == {"__type": SER, "Message": message}


@pytest.mark.parametrize("op,body,message", [
    ("ListTables", {"Limit": "5"}, "STRING_VALUE cannot be converted to Integer"),
    ("ListTables", {"Limit": True}, "TRUE_VALUE cannot be converted to Integer"),
    ("PutItem", {"TableName": "abc", "Item": []},
     "Unrecognized collection type java.util.Map<java.lang.String, "
     "com.amazonaws.dynamodb.v20120810.AttributeValue>"),
    ("PutItem", {"TableName": "abc", "Item": {"a": "x"}}, "Unexpected value type in payload"),
    ("PutItem", {"TableName": "abc", "Item": {"a": {"S": 5}}},
     "NUMBER_VALUE cannot be converted to String"),
    ("PutItem", {"TableName": "abc", "Item": {"a": {"B": 5}}},
     "only base-64-encoded strings are convertible to bytes"),
    ("PutItem", {"TableName": "abc", "Item": {"a": {"SS": "x"}}}, "Unexpected field type"),
    ("PutItem", {"TableName": "abc", "Item": {"a": {"BOOL": "maybe"}}},
     "Unexpected token received from parser"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"S": "x"}}, "ConsistentRead": 1},
     "NUMBER_VALUE cannot be converted to Boolean"),
    ("CreateTable", {"TableName": "abc", "KeySchema": {}},
     "Start of structure or map found where not expected"),
])
def test_more_serialization_errors(shared_node, op, body, message):
    status, _, out = raw_call(shared_node, op, body)
    assert (status, out) == (400, {"__type": SER, "Message": message})


def test_bad_json_body(shared_node):
    for body in (b"{not json", b"[1, 2]", b'"text"', b'{"TableName": "abc"'):
        status, headers, out = raw_call(shared_node, "ListTables", body)
        assert status == 400
        assert out["__type"] == SER
        assert headers["x-amzn-requestid"]


def test_unknown_operation(shared_node):
    status, _, out = raw_call(shared_node, "FlyToTheMoon", {})
    assert status == 400
    assert out == {"__type": "com.amazon.coral.service#UnknownOperationException"}
    status, _, out = raw_call(shared_node, "ListTables", {},
                              target="DynamoDB_20990101.ListTables")
    assert status == 400
    assert out["__type"] == "com.amazon.coral.service#UnknownOperationException"


def test_response_headers_and_crc32(shared_node):
    status, headers, out = raw_call(shared_node, "ListTables", {})
    assert status == 200
    assert len(headers["x-amzn-requestid"]) >= 20
    body = json.dumps(out, separators=(",", ":")).encode()
    assert "x-amz-crc32" in headers
    # Recompute over the exact bytes, fetched again.
    import http.client
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from conftest import SECRET_KEY
    req = AWSRequest(method="POST", url=shared_node.endpoint + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", shared_node.port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers=dict(req.headers.items()))
    resp = conn.getresponse()
    raw = resp.read()
    assert int(resp.getheader("x-amz-crc32")) == zlib.crc32(raw)
    assert resp.getheader("Content-Type").startswith("application/x-amz-json-1.0")
    conn.close()
    del body
    # Error responses carry both headers too.
    status, headers, _ = raw_call(shared_node, "DescribeTable", {"TableName": "nosuchtable"})
    assert status == 400 and headers["x-amzn-requestid"] and headers["x-amz-crc32"]


def test_request_ids_differ(shared_node):
    ids = {raw_call(shared_node, "ListTables", {})[1]["x-amzn-requestid"] for _ in range(3)}
    assert len(ids) == 3


def test_boto3_sees_request_id_and_checks_crc(sddb):
    out = sddb.list_tables()
    assert out["ResponseMetadata"]["RequestId"]
    assert out["ResponseMetadata"]["HTTPHeaders"]["x-amz-crc32"]


def test_body_over_16mb_is_413(shared_node):
    import socket
    size = 16 * 1024 * 1024 + 10
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{shared_node.port}\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            "X-Amz-Target: DynamoDB_20120810.PutItem\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", shared_node.port), timeout=10) as s:
        s.sendall(head)
        try:
            chunk = b"x" * 65536
            for _ in range(0, size, len(chunk)):
                s.sendall(chunk)
        except OSError:
            pass  # the server may stop reading once it has answered
        reply = b""
        try:
            while b"\r\n" not in reply:
                data = s.recv(4096)
                if not data:
                    break
                reply += data
        except OSError:
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    # The node keeps serving.
    assert raw_call(shared_node, "ListTables", {})[0] == 200


def test_liveness_get_root(shared_node):
    with urllib.request.urlopen(shared_node.endpoint + "/", timeout=5) as r:
        assert r.status == 200
        assert r.read().decode().startswith("healthy: dynamodb.")


def test_missing_authentication(shared_node):
    req = urllib.request.Request(shared_node.endpoint + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 400
    body = json.loads(info.value.read())
    assert body == {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                    "message": "Request is missing Authentication Token"}


def test_wrong_secret_is_invalid_signature(shared_node):
    client = shared_node.client(secret="not-the-right-secret-at-all-000000000000")
    code, message, resp = error_of(client.list_tables)
    assert code == "InvalidSignatureException"
    assert message.startswith("The request signature we calculated does not match the signature "
                              "you provided.")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_key_is_unrecognized_client(shared_node):
    client = shared_node.client(key="AKIAUNKNOWNKEY000000")
    code, message, _ = error_of(client.list_tables)
    assert code == "UnrecognizedClientException"
    assert message == "The security token included in the request is invalid."


def test_wrong_region_scope(shared_node):
    status, _, out = raw_call(shared_node, "ListTables", {}, region="eu-west-1")
    assert status == 400
    assert out["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert "eu-west-1" in out["message"]


def test_expired_signature(shared_node):
    import botocore.auth
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from conftest import SECRET_KEY
    import http.client

    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    req = AWSRequest(method="POST", url=shared_node.endpoint + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", "us-east-1")
    real = botocore.auth.datetime.datetime
    class Frozen(real):  # noqa: E306
        @classmethod
        def utcnow(cls):
            return old
    botocore.auth.datetime.datetime = Frozen
    try:
        signer.add_auth(req)
    finally:
        botocore.auth.datetime.datetime = real
    conn = http.client.HTTPConnection("127.0.0.1", shared_node.port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers=dict(req.headers.items()))
    resp = conn.getresponse()
    out = json.loads(resp.read())
    conn.close()
    assert resp.status == 400
    assert out["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert out["message"].startswith("Signature expired: ")


def test_validation_errors_capped_and_joined(sraw):
    code, message, resp = error_of(
        sraw.create_table, TableName="a", AttributeDefinitions=[], KeySchema=[],
        BillingMode="BAD")
    assert code == "ValidationException"
    assert message.startswith("3 validation errors detected: ")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_service_error_type_namespace(shared_node):
    status, _, out = raw_call(shared_node, "DescribeTable", {"TableName": "nosuchtable"})
    assert out["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    status, _, out = raw_call(shared_node, "DescribeTable", {"TableName": "a"})
    assert out["__type"] == VAL


def test_bad_input_changes_nothing(shared_node, sddb):
    name = create_table(sddb, unique("untouched"))
    sddb.put_item(TableName=name, Item={"id": {"S": "k"}, "v": {"N": "1"}})
    bad = [
        ("PutItem", {"TableName": name, "Item": {"id": {"S": "k"}, "v": {"N": "x"}}}),
        ("UpdateItem", {"TableName": name, "Key": {"id": {"S": "k"}},
                        "UpdateExpression": "SET v = :v"}),
        ("UpdateItem", {"TableName": name, "Key": {"id": {"S": "k"}},
                        "UpdateExpression": "SET v = v + :s",
                        "ExpressionAttributeValues": {":s": {"S": "a"}}}),
        ("DeleteItem", {"TableName": name, "Key": {"id": {"S": "k"}},
                        "ConditionExpression": "v ="}),
        ("BatchWriteItem", {"RequestItems": {name: [
            {"DeleteRequest": {"Key": {"id": {"S": "k"}}}},
            {"PutRequest": {"Item": {"id": {"N": "1"}}}}]}}),
    ]
    for op, body in bad:
        status, _, out = raw_call(shared_node, op, body)
        assert status == 400, (op, out)
    assert sddb.get_item(TableName=name, Key={"id": {"S": "k"}})["Item"]["v"] == {"N": "1"}


def test_members_an_operation_does_not_have_are_ignored(shared_node, sddb):
    # Found by the request fuzzer: UpdateItem does not have AttributesToGet,
    # so its schema did not type-check it, and a string there crashed the
    # node. DynamoDB ignores members an operation does not have.
    t = create_table(sddb, unique("extra"))
    status, _, out = raw_call(shared_node, "UpdateItem", {
        "TableName": t, "Key": {"id": {"S": "k"}},
        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "1"}},
        "AttributesToGet": "UPDATED_NEW", "ProjectionExpression": 7})
    assert status == 200, out
    assert sddb.get_item(TableName=t, Key={"id": {"S": "k"}})["Item"]["v"] == {"N": "1"}
    status, _, out = raw_call(shared_node, "PutItem", {
        "TableName": t, "Item": {"id": {"S": "p"}}, "AttributesToGet": {"x": 1}})
    assert status == 200, out
    assert shared_node.running

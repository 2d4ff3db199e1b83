"""Small helpers shared by the black-box suites."""
import itertools

import pytest
from botocore.exceptions import ClientError

_counter = itertools.count()


def unique(prefix="tbl"):
    """A table name no other test in this process uses."""
    return f"{prefix}_{next(_counter):05d}"


def error_of(call, *args, **kwargs):
    """Runs a client call that must fail; returns (code, message, response)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response["Error"]
    return err["Code"], err.get("Message", ""), info.value.response


def validation(call, *args, **kwargs):
    """Runs a call that must fail with ValidationException; returns the message."""
    code, message, _ = error_of(call, *args, **kwargs)
    assert code == "ValidationException", (code, message)
    return message


def raw_call(node, op, body, sign=True, region=None, key=None, secret=None, target=None,
             headers=None):
    """Sends one DynamoDB request as raw JSON (dict, or bytes/str sent verbatim),
    signed with SigV4 unless sign=False. Returns (status, headers, parsed body or
    text)."""
    import http.client
    import json

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from conftest import ACCESS_KEY, SECRET_KEY

    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode()
    hdrs = {"Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": target or f"DynamoDB_20120810.{op}"}
    hdrs.update(headers or {})
    request = AWSRequest(method="POST", url=node.endpoint + "/", data=data, headers=hdrs)
    if sign:
        creds = Credentials(key or ACCESS_KEY, secret or SECRET_KEY)
        SigV4Auth(creds, "dynamodb", region or node.region).add_auth(request)
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
    try:
        conn.request("POST", "/", body=data, headers=dict(request.headers.items()))
        resp = conn.getresponse()
        raw = resp.read()
        resp_headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return resp.status, resp_headers, parsed

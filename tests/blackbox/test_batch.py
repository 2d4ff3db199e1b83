"""BatchGetItem and BatchWriteItem: limits, shapes, duplicates, capacity."""
import pytest

from bbutil import error_of, unique, validation
from conftest import create_table

S = lambda v: {"S": v}  # noqa: E731


@pytest.fixture(scope="module")
def tables(sddb):
    a = create_table(sddb, unique("batch_a"))
    b = create_table(sddb, unique("batch_b"), hash_key=("h", "N"), range_key=("r", "S"))
    return a, b


def test_batch_write_then_get_two_tables(sddb, tables):
    a, b = tables
    out = sddb.batch_write_item(RequestItems={
        a: [{"PutRequest": {"Item": {"id": S(f"k{i}"), "v": {"N": str(i)}}}} for i in range(10)],
        b: [{"PutRequest": {"Item": {"h": {"N": "1"}, "r": S(x)}}} for x in "xyz"],
    }, ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {}
    caps = {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]}
    assert caps == {a: 10.0, b: 3.0}
    got = sddb.batch_get_item(RequestItems={
        a: {"Keys": [{"id": S("k1")}, {"id": S("k2")}, {"id": S("absent")}]},
        b: {"Keys": [{"h": {"N": "1"}, "r": S("y")}], "ProjectionExpression": "r"},
    }, ReturnConsumedCapacity="TOTAL")
    assert got["UnprocessedKeys"] == {}
    assert sorted(i["id"]["S"] for i in got["Responses"][a]) == ["k1", "k2"]
    assert got["Responses"][b] == [{"r": S("y")}]
    caps = {c["TableName"]: c["CapacityUnits"] for c in got["ConsumedCapacity"]}
    # Each key is rounded up on its own; a missing item costs the minimum.
    assert caps[a] == 1.5 and caps[b] == 0.5
    # Deletes in a batch.
    sddb.batch_write_item(RequestItems={a: [{"DeleteRequest": {"Key": {"id": S("k1")}}},
                                            {"DeleteRequest": {"Key": {"id": S("nope")}}}]})
    got = sddb.batch_get_item(RequestItems={a: {"Keys": [{"id": S("k1")}, {"id": S("k2")}],
                                                "ConsistentRead": True}})
    assert [i["id"]["S"] for i in got["Responses"][a]] == ["k2"]


def test_batch_get_100_keys_and_101(sddb, tables):
    a, _ = tables
    keys = [{"id": S(f"g{i}")} for i in range(100)]
    out = sddb.batch_get_item(RequestItems={a: {"Keys": keys}})
    assert out["Responses"][a] == [] and out["UnprocessedKeys"] == {}
    m = validation(sddb.batch_get_item, RequestItems={a: {"Keys": keys + [{"id": S("x")}]}})
    # The value's rendering in this message is not pinned here.
    assert m.startswith("1 validation error detected: Value '[")
    assert m.endswith(f"' at 'requestItems.{a}.member.keys' failed to satisfy constraint: Member "
                      "must have length less than or equal to 100")


def test_batch_get_over_100_across_tables(sddb, tables):
    a, b = tables
    m = validation(sddb.batch_get_item, RequestItems={
        a: {"Keys": [{"id": S(f"g{i}")} for i in range(60)]},
        b: {"Keys": [{"h": {"N": str(i)}, "r": S("r")} for i in range(41)]}})
    assert m == "Too many items requested for the BatchGetItem call"


def test_batch_get_errors(sddb, sraw, tables):
    a, _ = tables
    m = validation(sddb.batch_get_item, RequestItems={a: {"Keys": [{"id": S("x")},
                                                                  {"id": S("x")}]}})
    assert m == "Provided list of item keys contains duplicates"
    m = validation(sddb.batch_get_item, RequestItems={a: {"Keys": [{"id": {"N": "1"}}]}})
    assert m == "The provided key element does not match the schema"
    code, message, _ = error_of(sddb.batch_get_item,
                                RequestItems={"nosuchtable": {"Keys": [{"id": S("x")}]}})
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found"
    m = validation(sraw.batch_get_item, RequestItems={})
    assert m == ("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1")
    m = validation(sraw.batch_get_item, RequestItems={a: {"Keys": []}})
    assert m == (f"1 validation error detected: Value '[]' at 'requestItems.{a}.member.keys' "
                 "failed to satisfy constraint: Member must have length greater than or equal "
                 "to 1")


def test_batch_write_limits_and_duplicates(sddb, sraw, tables):
    a, _ = tables
    puts = [{"PutRequest": {"Item": {"id": S(f"w{i}")}}} for i in range(26)]
    m = validation(sraw.batch_write_item, RequestItems={a: puts})
    assert "Member must have length less than or equal to 25" in m
    sddb.batch_write_item(RequestItems={a: puts[:25]})
    m = validation(sddb.batch_write_item, RequestItems={a: [
        {"PutRequest": {"Item": {"id": S("d")}}}, {"DeleteRequest": {"Key": {"id": S("d")}}}]})
    assert m == "Provided list of item keys contains duplicates"
    m = validation(sddb.batch_write_item, RequestItems={a: [
        {"PutRequest": {"Item": {"id": S("d")}}}, {"PutRequest": {"Item": {"id": S("d")}}}]})
    assert m == "Provided list of item keys contains duplicates"
    m = validation(sddb.batch_write_item, RequestItems={a: [
        {"PutRequest": {"Item": {"nokey": S("d")}}}]})
    assert m == "One or more parameter values were invalid: Missing the key id in the item"
    m = validation(sraw.batch_write_item, RequestItems={a: [{}]})
    assert m == ("Supplied AttributeValue has more than one datatypes set, must contain exactly "
                 "one of the supported datatypes")
    code, _, _ = error_of(sddb.batch_write_item, RequestItems={
        "nosuchtable": [{"PutRequest": {"Item": {"id": S("d")}}}]})
    assert code == "ResourceNotFoundException"
    # Nothing of a refused batch was written.
    got = sddb.get_item(TableName=a, Key={"id": S("d")})
    assert "Item" not in got


def test_batch_write_many_tables_over_25(sddb, tables):
    a, b = tables
    m = validation(sddb.batch_write_item, RequestItems={
        a: [{"PutRequest": {"Item": {"id": S(f"m{i}")}}} for i in range(20)],
        b: [{"PutRequest": {"Item": {"h": {"N": str(i)}, "r": S("r")}}} for i in range(6)]})
    assert m == "Too many items requested for the BatchWriteItem call"


def test_batch_get_large_items_unprocessed_shape(sddb):
    # 100 items of ~390 KB are ~39 MB: more than one 16 MB response holds.
    name = create_table(sddb, unique("batch_big"))
    blob = "x" * (390 * 1024)
    for i in range(0, 50, 25):
        sddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"id": S(f"b{j}"), "blob": S(blob)}}}
            for j in range(i, i + 25)]})
    keys = [{"id": S(f"b{j}")} for j in range(50)]
    out = sddb.batch_get_item(RequestItems={name: {"Keys": keys, "ConsistentRead": True}})
    got = {i["id"]["S"] for i in out["Responses"][name]}
    left = out["UnprocessedKeys"].get(name, {"Keys": []})
    assert out["UnprocessedKeys"]  # something is left for the caller to retry
    assert left["ConsistentRead"] is True
    assert got | {k["id"]["S"] for k in left["Keys"]} == {f"b{j}" for j in range(50)}
    assert not got & {k["id"]["S"] for k in left["Keys"]}
    # Retrying the unprocessed keys eventually returns everything.
    while out["UnprocessedKeys"]:
        out = sddb.batch_get_item(RequestItems=out["UnprocessedKeys"])
        got |= {i["id"]["S"] for i in out["Responses"][name]}
    assert got == {f"b{j}" for j in range(50)}

"""Item operations and types: PutItem, GetItem, UpdateItem, DeleteItem,
ReturnValues, ReturnValuesOnConditionCheckFailure, consumed capacity,
all attribute types, numbers and size limits."""
import pytest

from bbutil import error_of, raw_call, unique, validation
from conftest import create_table


@pytest.fixture(scope="module")
def table(sddb):
    return create_table(sddb, unique("items"))


@pytest.fixture(scope="module")
def table2(sddb):
    return create_table(sddb, unique("items2"), range_key=("sk", "N"))


def test_put_get_round_trip_all_types(sddb, table):
    item = {
        "id": {"S": "all-types"},
        "s": {"S": "héllo ✓"},
        "n": {"N": "-12.5"},
        "b": {"B": b"\x00\x01\xff"},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "z": {"NULL": True},
        "ss": {"SS": ["b", "a"]},
        "ns": {"NS": ["3", "1.5"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {}}]},
        "m": {"M": {"inner": {"M": {"deep": {"SS": ["q"]}}}, "e": {"S": ""}}},
        "empty_s": {"S": ""},
        "empty_b": {"B": b""},
    }
    sddb.put_item(TableName=table, Item=item)
    got = sddb.get_item(TableName=table, Key={"id": {"S": "all-types"}},
                        ConsistentRead=True)["Item"]
    assert set(got["ss"]["SS"]) == {"a", "b"}
    assert sorted(got["ns"]["NS"]) == ["1.5", "3"]
    assert set(got["bs"]["BS"]) == {b"\x01", b"\x02"}
    for k in ("ss", "ns", "bs"):
        got.pop(k)
        item.pop(k)
    assert got == item


@pytest.mark.parametrize("given,stored", [
    ("1.0", "1"), ("0.000", "0"), ("-0", "0"), ("1E+2", "100"), ("00012.3400", "12.34"),
    ("1e-3", "0.001"), ("12345678901234567890123456789012345678",
                        "12345678901234567890123456789012345678"),
    ("9.9999999999999999999999999999999999999E+125",
     "99999999999999999999999999999999999999" + "0" * 88),
    ("1E-130", "0." + "0" * 129 + "1"),
    ("-1E-130", "-0." + "0" * 129 + "1"),
])
def test_number_normalization(sddb, table, given, stored):
    sddb.put_item(TableName=table, Item={"id": {"S": "num"}, "n": {"N": given}})
    got = sddb.get_item(TableName=table, Key={"id": {"S": "num"}})["Item"]["n"]["N"]
    assert got == stored


@pytest.mark.parametrize("value,message", [
    ("1E+126", "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range"),
    ("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range"),
    ("123456789012345678901234567890123456789",
     "Attempting to store more than 38 significant digits in a Number"),
    ("abc", "The parameter cannot be converted to a numeric value: abc"),
    ("", "The parameter cannot be converted to a numeric value"),
])
def test_number_errors(sddb, table, value, message):
    got = validation(sddb.put_item, TableName=table, Item={"id": {"S": "x"}, "n": {"N": value}})
    assert got == message


def test_numbers_exact_not_double(sddb, table):
    sddb.put_item(TableName=table, Item={"id": {"S": "exact"},
                                         "n": {"N": "0.1"}})
    out = sddb.update_item(TableName=table, Key={"id": {"S": "exact"}},
                           UpdateExpression="SET n = n + :v",
                           ExpressionAttributeValues={":v": {"N": "0.2"}},
                           ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"n": {"N": "0.3"}}
    out = sddb.update_item(TableName=table, Key={"id": {"S": "exact"}},
                           UpdateExpression="SET n = :big - :one",
                           ExpressionAttributeValues={
                               ":big": {"N": "10000000000000000000000000000000000000"},
                               ":one": {"N": "1"}},
                           ReturnValues="UPDATED_NEW")
    assert out["Attributes"]["n"]["N"] == "9" * 37


def test_set_errors(sddb, table):
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "x"}, "s": {"SS": []}})
    assert m == ("One or more parameter values were invalid: An string set  may not be empty")
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "x"}, "s": {"NS": []}})
    assert m == ("One or more parameter values were invalid: An number set  may not be empty")
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "x"}, "s": {"SS": ["a", "a"]}})
    assert m == ("One or more parameter values were invalid: Input collection [a, a] contains "
                 "duplicates.")
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "x"}, "s": {"NS": ["1", "1.0"]}})
    assert m == "Input collection contains duplicates"
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "x"}, "s": {"BS": [b"b", b"b"]}})
    assert m == ("One or more parameter values were invalid: Input collection [Yg==, Yg==]of type "
                 "BS contains duplicates.")


def test_attribute_value_with_two_types(sraw, table):
    m = validation(sraw.put_item, TableName=table,
                   Item={"id": {"S": "x"}, "a": {"S": "x", "N": "1"}})
    assert m == ("Supplied AttributeValue has more than one datatypes set, must contain exactly "
                 "one of the supported datatypes")
    m = validation(sraw.put_item, TableName=table, Item={"id": {"S": "x"}, "a": {}})
    assert m == ("Supplied AttributeValue is empty, must contain exactly one of the supported "
                 "datatypes")


def test_null_false_rejected(sraw, table):
    m = validation(sraw.put_item, TableName=table, Item={"id": {"S": "x"}, "a": {"NULL": False}})
    assert m == "One or more parameter values were invalid: Null attribute value types must have the value of true"


def test_get_missing_item_has_no_item_member(sddb, table):
    out = sddb.get_item(TableName=table, Key={"id": {"S": "never"}})
    assert "Item" not in out


def test_key_errors(sddb, sraw, table, table2):
    m = validation(sddb.get_item, TableName=table, Key={"id": {"N": "1"}})
    assert m == "The provided key element does not match the schema"
    m = validation(sddb.get_item, TableName=table, Key={"id": {"S": "a"}, "x": {"S": "b"}})
    assert m == "The provided key element does not match the schema"
    m = validation(sddb.get_item, TableName=table2, Key={"id": {"S": "a"}})
    assert m == "The provided key element does not match the schema"
    m = validation(sddb.put_item, TableName=table, Item={"x": {"S": "a"}})
    assert m == "One or more parameter values were invalid: Missing the key id in the item"
    m = validation(sddb.put_item, TableName=table, Item={"id": {"N": "1"}})
    assert m == ("One or more parameter values were invalid: Type mismatch for key id expected: S "
                 "actual: N")
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": ""}})
    assert m == ("One or more parameter values are not valid. The AttributeValue for a key "
                 "attribute cannot contain an empty string value. Key: id")
    m = validation(sddb.get_item, TableName=table, Key={"id": {"S": ""}})
    assert m == ("One or more parameter values are not valid. The AttributeValue for a key "
                 "attribute cannot contain an empty string value. Key: id")


def test_missing_table(sddb):
    for call, kwargs in [(sddb.get_item, {"Key": {"id": {"S": "a"}}}),
                         (sddb.put_item, {"Item": {"id": {"S": "a"}}}),
                         (sddb.delete_item, {"Key": {"id": {"S": "a"}}}),
                         (sddb.update_item, {"Key": {"id": {"S": "a"}}}),
                         (sddb.scan, {}),
                         (sddb.query, {"KeyConditionExpression": "id = :v",
                                       "ExpressionAttributeValues": {":v": {"S": "a"}}})]:
        code, message, _ = error_of(call, TableName="nosuchtable", **kwargs)
        assert code == "ResourceNotFoundException"
        assert message == "Requested resource not found"


def test_key_size_limits(sddb, table, table2):
    sddb.put_item(TableName=table, Item={"id": {"S": "h" * 2048}})
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "h" * 2049}})
    assert m == ("One or more parameter values were invalid: Size of hashkey has exceeded the "
                 "maximum size limit of2048 bytes")
    sddb.put_item(TableName=create_table(sddb, unique(), range_key=("sk", "S")),
                  Item={"id": {"S": "a"}, "sk": {"S": "r" * 1024}})
    t3 = create_table(sddb, unique(), range_key=("sk", "S"))
    m = validation(sddb.put_item, TableName=t3, Item={"id": {"S": "a"}, "sk": {"S": "r" * 1025}})
    assert m == ("One or more parameter values were invalid: Aggregated size of all range keys "
                 "has exceeded the size limit of 1024 bytes")


def test_item_size_limit(sddb, table):
    # 400 KB exactly is allowed: name "id"(2)+"big"(3) + value bytes.
    limit = 400 * 1024
    sddb.put_item(TableName=table, Item={"id": {"S": "a"}, "big": {"S": "x" * (limit - 6)}})
    m = validation(sddb.put_item, TableName=table,
                   Item={"id": {"S": "a"}, "big": {"S": "x" * (limit - 5)}})
    assert m == "Item size has exceeded the maximum allowed size"
    sddb.put_item(TableName=table, Item={"id": {"S": "grow"}, "big": {"S": "x" * (limit - 100)}})
    m = validation(sddb.update_item, TableName=table, Key={"id": {"S": "grow"}},
                   UpdateExpression="SET more = :v",
                   ExpressionAttributeValues={":v": {"S": "y" * 200}})
    assert m == "Item size to update has exceeded the maximum allowed size"


def test_nesting_depth_limit(sddb, table):
    def nested(depth):
        v = {"S": "leaf"}
        for _ in range(depth):
            v = {"M": {"a": v}}
        return v
    sddb.put_item(TableName=table, Item={"id": {"S": "deep"}, "d": nested(31)})
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "deep"}, "d": nested(32)})
    assert "Nesting Levels have exceeded supported limits" in m


def test_put_return_values(sddb, table):
    key = {"id": {"S": "rv-put"}}
    out = sddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in out
    out = sddb.put_item(TableName=table, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {**key, "v": {"N": "1"}}
    for bad in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
        m = validation(sddb.put_item, TableName=table, Item=key, ReturnValues=bad)
        assert m == "ReturnValues can only be ALL_OLD or NONE"
        m = validation(sddb.delete_item, TableName=table, Key=key, ReturnValues=bad)
        assert m == "ReturnValues can only be ALL_OLD or NONE"


def test_delete_return_values(sddb, table):
    key = {"id": {"S": "rv-del"}}
    out = sddb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert "Attributes" not in out
    sddb.put_item(TableName=table, Item={**key, "v": {"S": "x"}})
    out = sddb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {**key, "v": {"S": "x"}}
    assert "Item" not in sddb.get_item(TableName=table, Key=key)


def test_update_return_values(sddb, table):
    key = {"id": {"S": "rv-upd"}}
    sddb.put_item(TableName=table, Item={**key, "a": {"N": "1"}, "b": {"S": "keep"},
                                         "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}})
    upd = dict(TableName=table, Key=key, UpdateExpression="SET a = a + :one, m.x = :v, c = :v",
               ExpressionAttributeValues={":one": {"N": "1"}, ":v": {"S": "new"}})
    out = sddb.update_item(**upd, ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"a": {"N": "1"}, "m": {"M": {"x": {"N": "1"}}}}
    out = sddb.update_item(**upd, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"a": {"N": "3"}, "m": {"M": {"x": {"S": "new"}}},
                                 "c": {"S": "new"}}
    out = sddb.update_item(**upd, ReturnValues="ALL_OLD")
    assert out["Attributes"]["a"] == {"N": "3"} and out["Attributes"]["b"] == {"S": "keep"}
    out = sddb.update_item(**upd, ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key, "a": {"N": "5"}, "b": {"S": "keep"}, "c": {"S": "new"},
                                 "m": {"M": {"x": {"S": "new"}, "y": {"N": "2"}}}}
    out = sddb.update_item(**upd, ReturnValues="NONE")
    assert "Attributes" not in out
    # REMOVE with UPDATED_OLD returns the removed value; UPDATED_NEW nothing.
    out = sddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE b",
                           ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"b": {"S": "keep"}}
    out = sddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE c",
                           ReturnValues="UPDATED_NEW")
    assert "Attributes" not in out


def test_update_creates_item(sddb, table):
    key = {"id": {"S": "upsert"}}
    out = sddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :v",
                           ExpressionAttributeValues={":v": {"N": "7"}}, ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key, "v": {"N": "7"}}
    # An update with no expression creates the key-only item.
    key2 = {"id": {"S": "bare"}}
    out = sddb.update_item(TableName=table, Key=key2, ReturnValues="ALL_NEW")
    assert out["Attributes"] == key2
    assert sddb.get_item(TableName=table, Key=key2)["Item"] == key2


def test_update_that_only_removes_does_not_create_item(sddb, table):
    # As in DynamoDB: REMOVE (or DELETE from a set) on a missing item writes
    # nothing and returns no Attributes; on an existing item it updates it.
    for i, kwargs in enumerate([
            {"UpdateExpression": "REMOVE a, b.c"},
            {"UpdateExpression": "DELETE s :v", "ExpressionAttributeValues": {":v": {"SS": ["x"]}}},
            {"AttributeUpdates": {"a": {"Action": "DELETE"}}}]):
        key = {"id": {"S": f"only-removes-{i}"}}
        out = sddb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", **kwargs)
        assert "Attributes" not in out, (kwargs, out)
        assert "Item" not in sddb.get_item(TableName=table, Key=key, ConsistentRead=True), kwargs
    key = {"id": {"S": "only-removes-existing"}}
    sddb.put_item(TableName=table, Item={**key, "a": {"N": "1"}, "b": {"N": "2"}})
    out = sddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE a",
                           ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key, "b": {"N": "2"}}
    # SET together with REMOVE still creates the item.
    key = {"id": {"S": "set-and-remove"}}
    out = sddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :v REMOVE a",
                           ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key, "v": {"N": "1"}}


def test_update_key_attribute_refused(sddb, table):
    m = validation(sddb.update_item, TableName=table, Key={"id": {"S": "k"}},
                   UpdateExpression="SET id = :v", ExpressionAttributeValues={":v": {"S": "z"}})
    assert m == ("One or more parameter values were invalid: Cannot update attribute id. This "
                 "attribute is part of the key")


def test_condition_failed_plain(sddb, table):
    key = {"id": {"S": "cond"}}
    sddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}})
    code, message, resp = error_of(sddb.put_item, TableName=table, Item=key,
                                   ConditionExpression="attribute_not_exists(id)")
    assert code == "ConditionalCheckFailedException"
    assert message == "The conditional request failed"
    assert "Item" not in resp
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sddb.get_item(TableName=table, Key=key)["Item"]["v"] == {"N": "1"}


@pytest.mark.parametrize("op", ["PutItem", "UpdateItem", "DeleteItem"])
def test_return_values_on_condition_check_failure(shared_node, sddb, table, op):
    key = {"id": {"S": f"rvoccf-{op}"}}
    old = {**key, "v": {"N": "1"}, "l": {"L": [{"S": "a"}]}}
    sddb.put_item(TableName=table, Item=old)
    body = dict(TableName=table, ConditionExpression="v = :two",
                ExpressionAttributeValues={":two": {"N": "2"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD")
    if op == "PutItem":
        body["Item"] = key
    else:
        body["Key"] = key
    if op == "UpdateItem":
        body["UpdateExpression"] = "SET w = :two"
    status, _, out = raw_call(shared_node, op, body)
    assert status == 400
    assert out == {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                   "message": "The conditional request failed", "Item": old}
    body["ReturnValuesOnConditionCheckFailure"] = "NONE"
    status, _, out = raw_call(shared_node, op, body)
    assert status == 400 and "Item" not in out
    body["ReturnValuesOnConditionCheckFailure"] = "ALL_NEW"
    status, _, out = raw_call(shared_node, op, body)
    assert status == 400
    assert out["message"] == (
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
    assert sddb.get_item(TableName=table, Key=key)["Item"] == old


def test_condition_failure_on_missing_item_has_no_item(shared_node, sddb, table):
    status, _, out = raw_call(shared_node, "UpdateItem", dict(
        TableName=table, Key={"id": {"S": "absent"}}, UpdateExpression="SET v = :v",
        ConditionExpression="attribute_exists(id)", ExpressionAttributeValues={":v": {"N": "1"}},
        ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert status == 400
    assert out["__type"].endswith("#ConditionalCheckFailedException")
    assert "Item" not in out
    assert "Item" not in sddb.get_item(TableName=table, Key={"id": {"S": "absent"}})


def test_projection_nested_paths(sddb, table):
    key = {"id": {"S": "proj"}}
    sddb.put_item(TableName=table, Item={
        **key, "a": {"M": {"b": {"L": [{"S": "x"}, {"M": {"c": {"N": "1"}, "d": {"N": "2"}}}]},
                           "e": {"S": "y"}}},
        "top": {"S": "t"}, "list": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]},
        "dotted.name": {"S": "dn"}})
    got = sddb.get_item(TableName=table, Key=key,
                        ProjectionExpression="a.b[1].c, top, #l[2], #l[0], nope, a.nope",
                        ExpressionAttributeNames={"#l": "list"})["Item"]
    assert got == {"a": {"M": {"b": {"L": [{"M": {"c": {"N": "1"}}}]}}},
                   "top": {"S": "t"}, "list": {"L": [{"N": "0"}, {"N": "2"}]}}
    got = sddb.get_item(TableName=table, Key=key, ProjectionExpression="#d",
                        ExpressionAttributeNames={"#d": "dotted.name"})["Item"]
    assert got == {"dotted.name": {"S": "dn"}}
    got = sddb.get_item(TableName=table, Key=key, ProjectionExpression="nothing_here")
    assert got["Item"] == {}
    got = sddb.get_item(TableName=table, Key=key, AttributesToGet=["top", "id"])["Item"]
    assert got == {"top": {"S": "t"}, **key}


def test_projection_errors(sddb, table):
    key = {"id": {"S": "proj"}}
    m = validation(sddb.get_item, TableName=table, Key=key, ProjectionExpression="a, a")
    assert m == ("Invalid ProjectionExpression: Two document paths overlap with each other; must "
                 "remove or rewrite one of these paths; path one: [a], path two: [a]")
    m = validation(sddb.get_item, TableName=table, Key=key, ProjectionExpression="a.b, a")
    assert m.startswith("Invalid ProjectionExpression: Two document paths overlap")
    m = validation(sddb.get_item, TableName=table, Key=key, ProjectionExpression="a, #x",
                   ExpressionAttributeNames={"#x": "b", "#y": "c"})
    assert m == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#y}"
    m = validation(sddb.get_item, TableName=table, Key=key, ProjectionExpression="#x")
    assert m == ("Invalid ProjectionExpression: An expression attribute name used in the "
                 "document path is not defined; attribute name: #x")
    m = validation(sddb.get_item, TableName=table, Key=key, ProjectionExpression="a,")
    assert m == 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'
    m = validation(sddb.get_item, TableName=table, Key=key, ProjectionExpression="a, b",
                   AttributesToGet=["a"])
    assert m == ("Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {AttributesToGet} Expression parameters: "
                 "{ProjectionExpression}")


def test_consumed_capacity_units(sddb, table):
    key = {"id": {"S": "cap"}}
    out = sddb.put_item(TableName=table, Item={**key, "v": {"S": "x" * 3000}},
                        ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 3.0}
    out = sddb.get_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 0.5}
    out = sddb.get_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL",
                        ConsistentRead=True)
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0
    sddb.put_item(TableName=table, Item={**key, "v": {"S": "x" * 9000}})
    out = sddb.get_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL",
                        ConsistentRead=True)
    assert out["ConsumedCapacity"]["CapacityUnits"] == 3.0
    out = sddb.get_item(TableName=table, Key=key, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.5,
                                       "Table": {"CapacityUnits": 1.5}}
    out = sddb.delete_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 9.0
    out = sddb.get_item(TableName=table, Key=key, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in out
    out = sddb.update_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0


@pytest.mark.parametrize("text", ["+3", ".123", "0001.23", "1e+5", "0e1000", "-17.4E37", "5."])
def test_number_forms_accepted(sddb, table, text):
    sddb.put_item(TableName=table, Item={"id": {"S": "forms"}, "n": {"N": text}})


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "dog", " 1", "1 ", "1e", "--1"])
def test_number_forms_rejected(sddb, table, text):
    m = validation(sddb.put_item, TableName=table, Item={"id": {"S": "forms"}, "n": {"N": text}})
    assert m == f"The parameter cannot be converted to a numeric value: {text}"


def test_imprecise_arithmetic_is_refused(sddb, table):
    # DynamoDB calls a result needing more than 38 digits an overflow.
    m = validation(sddb.update_item, TableName=table, Key={"id": {"S": "imprecise"}},
                   UpdateExpression="SET b = :a - :b",
                   ExpressionAttributeValues={":a": {"N": "1e50"}, ":b": {"N": "1"}})
    assert m == ("Number overflow. Attempting to store a number with magnitude larger than "
                 "supported range")
    m = validation(sddb.update_item, TableName=table, Key={"id": {"S": "imprecise"}},
                   UpdateExpression="SET b = :a + :a",
                   ExpressionAttributeValues={":a": {"N": "9e125"}})
    assert m == ("Number overflow. Attempting to store a number with magnitude larger than "
                 "supported range")
    assert "Item" not in sddb.get_item(TableName=table, Key={"id": {"S": "imprecise"}})


def test_number_as_json_number_is_serialization_error(shared_node, table):
    status, _, out = raw_call(shared_node, "PutItem", {"TableName": table,
                                                       "Item": {"id": {"S": "x"}, "n": {"N": 5}}})
    assert status == 400
    assert out == {"__type": "com.amazon.coral.service#SerializationException",
                   "Message": "NUMBER_VALUE cannot be converted to String"}

"""The legacy (pre-expression) parameters that older SDK code still sends:
Expected, AttributeUpdates, KeyConditions, QueryFilter, ScanFilter."""
import pytest

from bbutil import error_of, unique, validation
from conftest import create_table


@pytest.fixture(scope="module")
def table(sddb):
    name = unique("legacy")
    create_table(sddb, name, hash_key=("pk", "S"), range_key=("sk", "N"))
    for i in range(10):
        sddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                            "tag": {"S": "even" if i % 2 == 0 else "odd"}})
    return name


def test_expected_value_and_exists(sddb, table):
    key = {"pk": {"S": "q"}, "sk": {"N": "1"}}
    sddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}},
                  Expected={"pk": {"Exists": False}})
    code, _, _ = error_of(sddb.put_item, TableName=table, Item={**key, "v": {"N": "2"}},
                          Expected={"pk": {"Exists": False}})
    assert code == "ConditionalCheckFailedException"
    sddb.put_item(TableName=table, Item={**key, "v": {"N": "2"}},
                  Expected={"v": {"Value": {"N": "1"}}})
    code, _, _ = error_of(sddb.delete_item, TableName=table, Key=key,
                          Expected={"v": {"ComparisonOperator": "GT",
                                          "AttributeValueList": [{"N": "5"}]}})
    assert code == "ConditionalCheckFailedException"
    sddb.delete_item(TableName=table, Key=key,
                     Expected={"v": {"ComparisonOperator": "BETWEEN",
                                     "AttributeValueList": [{"N": "1"}, {"N": "3"}]},
                               "nope": {"ComparisonOperator": "NULL"}})
    assert "Item" not in sddb.get_item(TableName=table, Key=key)


def test_expected_or_operator(sddb, table):
    key = {"pk": {"S": "r"}, "sk": {"N": "1"}}
    sddb.put_item(TableName=table, Item={**key, "a": {"S": "x"}})
    sddb.put_item(TableName=table, Item={**key, "a": {"S": "y"}}, ConditionalOperator="OR",
                  Expected={"a": {"Value": {"S": "nope"}}, "b": {"Exists": False}})
    assert sddb.get_item(TableName=table, Key=key)["Item"]["a"] == {"S": "y"}


def test_expected_validation_messages(sddb, table):
    key = {"pk": {"S": "s"}, "sk": {"N": "1"}}
    msg = validation(sddb.put_item, TableName=table, Item=key,
                     Expected={"a": {"Exists": True}})
    assert msg == ("One or more parameter values were invalid: Value must be provided when "
                   "Exists is true for Attribute: a")
    msg = validation(sddb.put_item, TableName=table, Item=key,
                     Expected={"a": {"ComparisonOperator": "EQ"}})
    assert msg == ("One or more parameter values were invalid: Invalid number of argument(s) "
                   "for the EQ ComparisonOperator")
    msg = validation(sddb.put_item, TableName=table, Item=key, ConditionExpression="a = :v",
                     ExpressionAttributeValues={":v": {"S": "x"}},
                     Expected={"a": {"Exists": False}})
    assert msg.startswith("Can not use both expression and non-expression parameters")


def test_attribute_updates(sddb, table):
    key = {"pk": {"S": "u"}, "sk": {"N": "1"}}
    out = sddb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "n": {"Action": "ADD", "Value": {"N": "5"}},
        "s": {"Action": "PUT", "Value": {"S": "x"}},
        "tags": {"Action": "ADD", "Value": {"SS": ["a", "b"]}},
        "l": {"Action": "ADD", "Value": {"L": [{"N": "1"}]}}})
    assert out["Attributes"] == {**key, "n": {"N": "5"}, "s": {"S": "x"},
                                 "tags": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}}
    out = sddb.update_item(TableName=table, Key=key, ReturnValues="UPDATED_NEW",
                           AttributeUpdates={"s": {"Action": "DELETE"},
                                             "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
                                             "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}}})
    assert out["Attributes"] == {"tags": {"SS": ["b"]}, "l": {"L": [{"N": "1"}, {"N": "2"}]}}
    msg = validation(sddb.update_item, TableName=table, Key=key,
                     AttributeUpdates={"pk": {"Action": "PUT", "Value": {"S": "z"}}})
    assert msg == ("One or more parameter values were invalid: Cannot update attribute pk. "
                   "This attribute is part of the key")
    msg = validation(sddb.update_item, TableName=table, Key=key,
                     AttributeUpdates={"s": {"Action": "ADD", "Value": {"S": "z"}}})
    assert msg == ("One or more parameter values were invalid: ADD action is not supported for "
                   "the type S")


def test_key_conditions_and_query_filter(sddb, table):
    out = sddb.query(TableName=table, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "6"}]}},
        QueryFilter={"tag": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "even"}]}},
        ScanIndexForward=False)
    assert [i["sk"]["N"] for i in out["Items"]] == ["8", "6"]
    assert out["ScannedCount"] == 4
    msg = validation(sddb.query, TableName=table, KeyConditions={
        "sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})
    assert msg == "Query condition missed key schema element: pk"
    msg = validation(sddb.query, TableName=table, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})
    assert msg == ("One or more parameter values were invalid: Condition parameter type does not "
                   "match schema type")


def test_scan_filter(sddb, table):
    out = sddb.scan(TableName=table, ScanFilter={
        "tag": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "odd"}]},
        "sk": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "3"}]}})
    assert sorted(i["sk"]["N"] for i in out["Items"]) == ["1", "3"]

"""Table operations as DynamoDB answers them: CreateTable, DescribeTable,
ListTables, UpdateTable, DeleteTable, tags, DescribeEndpoints."""
import datetime
import re

import pytest

from bbutil import error_of, raw_call, unique, validation
from conftest import create_table

ARN_PREFIX = "arn:aws:dynamodb:us-east-1:000000000000:table/"


def test_create_table_description_shape(sddb):
    name = unique()
    desc = sddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
    )["TableDescription"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] in ("CREATING", "ACTIVE")
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                 {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted(desc["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"}]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert desc["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    assert desc["ItemCount"] == 0 and desc["TableSizeBytes"] == 0
    assert desc["TableArn"] == ARN_PREFIX + name
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        desc["TableId"])
    assert isinstance(desc["CreationDateTime"], datetime.datetime)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - desc["CreationDateTime"]).total_seconds()) < 60


def test_describe_table_active_and_billing_summary(sddb):
    name = create_table(sddb, unique())
    t = sddb.describe_table(TableName=name)["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 0
    waiter = sddb.get_waiter("table_exists")
    waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})


def test_item_count_and_size_follow_writes(sddb):
    name = create_table(sddb, unique())
    sddb.put_item(TableName=name, Item={"id": {"S": "a"}, "v": {"S": "xyz"}})
    sddb.put_item(TableName=name, Item={"id": {"S": "b"}})
    t = sddb.describe_table(TableName=name)["Table"]
    assert t["ItemCount"] == 2
    # id(2)+"a"(1) + v(1)+"xyz"(3) = 7; id(2)+"b"(1) = 3
    assert t["TableSizeBytes"] == 10


def test_create_existing_table_is_resource_in_use(sddb):
    name = create_table(sddb, unique())
    code, message, resp = error_of(create_table, sddb, name)
    assert code == "ResourceInUseException"
    assert message == f"Table already exists: {name}"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("name,constraint", [
    ("a", "Member must have length greater than or equal to 3"),
    ("x" * 256, "Member must have length less than or equal to 255"),
])
def test_table_name_length(sraw, name, constraint):
    message = validation(create_table, sraw, name)
    assert message == (f"1 validation error detected: Value '{name}' at 'tableName' failed to "
                       f"satisfy constraint: {constraint}")


def test_table_name_pattern_and_length_together(sraw):
    message = validation(sraw.describe_table, TableName="a;")
    assert message == (
        "2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at "
        "'tableName' failed to satisfy constraint: Member must have length greater than or "
        "equal to 3")


def test_create_table_missing_everything(sraw):
    message = validation(sraw.create_table)
    assert message.startswith("3 validation errors detected: ")
    assert "Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null" in message
    assert "Value null at 'tableName' failed to satisfy constraint: Member must not be null" in message
    assert "Value null at 'keySchema' failed to satisfy constraint: Member must not be null" in message


def test_create_table_bad_attribute_type_enum(sraw):
    message = validation(
        sraw.create_table, TableName="abc",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "X"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    assert message == (
        "1 validation error detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' "
        "failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]")


def test_create_table_key_not_defined(sraw):
    message = validation(
        sraw.create_table, TableName="abc",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "b", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    assert message == (
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [b], AttributeDefinitions: [a]")


def test_create_table_extra_definition(sraw):
    message = validation(
        sraw.create_table, TableName="abc",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                              {"AttributeName": "b", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    assert message == (
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions")


def test_create_table_range_first(sraw):
    message = validation(
        sraw.create_table, TableName="abc",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"}], BillingMode="PAY_PER_REQUEST")
    assert message == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"


def test_create_table_provisioned_without_throughput(sraw):
    message = validation(
        sraw.create_table, TableName="abc",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    assert message == ("One or more parameter values were invalid: ReadCapacityUnits and "
                       "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")


def test_create_table_pay_per_request_with_throughput(sraw):
    message = validation(
        sraw.create_table, TableName="abc", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert message == ("One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                       "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")


def test_create_table_zero_throughput(sraw):
    message = validation(
        sraw.create_table, TableName="abc",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1})
    assert message == (
        "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' "
        "failed to satisfy constraint: Member must have value greater than or equal to 1")


def test_create_table_with_index_is_refused_clearly(sddb):
    code, message, _ = error_of(
        sddb.create_table, TableName=unique(), BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                              {"AttributeName": "b", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi",
                                 "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    assert code == "ValidationException"
    assert "index" in message.lower()


def test_describe_missing_table(sddb):
    code, message, resp = error_of(sddb.describe_table, TableName="nosuchtable")
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found: Table: nosuchtable not found"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_delete_missing_table(sddb):
    code, message, _ = error_of(sddb.delete_table, TableName="nosuchtable")
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found: Table: nosuchtable not found"


def test_delete_table(sddb):
    name = create_table(sddb, unique())
    sddb.put_item(TableName=name, Item={"id": {"S": "x"}})
    desc = sddb.delete_table(TableName=name)["TableDescription"]
    assert desc["TableName"] == name and desc["TableStatus"] == "DELETING"
    sddb.get_waiter("table_not_exists").wait(TableName=name,
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert error_of(sddb.get_item, TableName=name, Key={"id": {"S": "x"}})[0] == \
        "ResourceNotFoundException"
    # The name is free again, and the new table is empty.
    create_table(sddb, name)
    assert "Item" not in sddb.get_item(TableName=name, Key={"id": {"S": "x"}})
    assert sddb.scan(TableName=name)["Count"] == 0


def test_list_tables_paging(node):
    ddb = node.client()
    assert ddb.list_tables()["TableNames"] == []
    names = [f"tbl{i:02d}" for i in range(7)]
    for n in reversed(names):
        create_table(ddb, n)
    assert ddb.list_tables()["TableNames"] == names
    assert "LastEvaluatedTableName" not in ddb.list_tables()
    page = ddb.list_tables(Limit=3)
    assert page["TableNames"] == names[:3]
    assert page["LastEvaluatedTableName"] == "tbl02"
    page = ddb.list_tables(Limit=3, ExclusiveStartTableName="tbl02")
    assert page["TableNames"] == names[3:6]
    page = ddb.list_tables(Limit=3, ExclusiveStartTableName="tbl05")
    assert page["TableNames"] == ["tbl06"]
    assert "LastEvaluatedTableName" not in page
    # The start name need not exist.
    assert ddb.list_tables(ExclusiveStartTableName="tbl035")["TableNames"] == names[4:]
    # boto3's paginator follows LastEvaluatedTableName to the end.
    pages = ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
    assert [n for p in pages for n in p["TableNames"]] == names


def test_list_tables_limit_bounds(raw_ddb):
    message = validation(raw_ddb.list_tables, Limit=0)
    assert message == ("1 validation error detected: Value '0' at 'limit' failed to satisfy "
                       "constraint: Member must have value greater than or equal to 1")
    message = validation(raw_ddb.list_tables, Limit=101)
    assert message == ("1 validation error detected: Value '101' at 'limit' failed to satisfy "
                       "constraint: Member must have value less than or equal to 100")


def test_update_table_throughput_and_billing(sddb):
    name = unique()
    sddb.create_table(TableName=name,
                      AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                      KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                      ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    desc = sddb.update_table(TableName=name, ProvisionedThroughput={
        "ReadCapacityUnits": 10, "WriteCapacityUnits": 5})["TableDescription"]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 10
    assert "LastIncreaseDateTime" in desc["ProvisionedThroughput"]
    t = sddb.describe_table(TableName=name)["Table"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 10
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED" if "BillingModeSummary" in t \
        else True
    sddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    t = sddb.describe_table(TableName=name)["Table"]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    sddb.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput={
        "ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    t = sddb.describe_table(TableName=name)["Table"]
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def test_update_table_errors(sddb, sraw):
    name = unique()
    sddb.create_table(TableName=name,
                      AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                      KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                      ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    message = validation(sraw.update_table, TableName=name)
    assert message.startswith("At least one of ProvisionedThroughput, BillingMode")
    message = validation(sddb.update_table, TableName=name, ProvisionedThroughput={
        "ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    assert message.startswith("The provisioned throughput for the table will not change.")
    code, message, _ = error_of(sddb.update_table, TableName="nosuchtable",
                                ProvisionedThroughput={"ReadCapacityUnits": 1,
                                                       "WriteCapacityUnits": 1})
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found: Table: nosuchtable not found"


def test_tags_round_trip(sddb):
    name = create_table(sddb, unique(), Tags=[{"Key": "env", "Value": "prod"}])
    arn = sddb.describe_table(TableName=name)["Table"]["TableArn"]
    assert sddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    sddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "shop"},
                                             {"Key": "env", "Value": "dr"}])
    tags = sddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [{"Key": "env", "Value": "dr"},
                                                    {"Key": "team", "Value": "shop"}]
    sddb.untag_resource(ResourceArn=arn, TagKeys=["env", "absent"])
    assert sddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team",
                                                                    "Value": "shop"}]


def test_tag_errors(sddb, sraw):
    arn = ARN_PREFIX + "nosuchtable"
    code, message, _ = error_of(sddb.tag_resource, ResourceArn=arn,
                                Tags=[{"Key": "a", "Value": "b"}])
    assert code == "ResourceNotFoundException"
    assert message == f"Requested resource not found: ResourcArn: {arn} not found"
    code, message, _ = error_of(sddb.list_tags_of_resource, ResourceArn=arn)
    assert code == "ResourceNotFoundException"
    assert message == f"Requested resource not found: ResourcArn: {arn} not found"
    code, message, _ = error_of(sddb.untag_resource, ResourceArn=arn, TagKeys=["a"])
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found"
    message = validation(sddb.list_tags_of_resource, ResourceArn="garbage")
    assert message == "Invalid TableArn: Invalid ResourceArn provided as input garbage"
    name = create_table(sddb, unique())
    message = validation(sraw.tag_resource, ResourceArn=ARN_PREFIX + name, Tags=[])
    assert message == "Atleast one Tag needs to be provided as Input."


def test_describe_endpoints(sddb):
    endpoints = sddb.describe_endpoints()["Endpoints"]
    assert len(endpoints) == 1
    assert endpoints[0]["Address"] == "dynamodb.us-east-1.amazonaws.com"
    assert endpoints[0]["CachePeriodInMinutes"] == 1440


def test_tables_survive_restart(start_node):
    n = start_node()
    ddb = n.client()
    create_table(ddb, "kept", range_key=("sk", "N"))
    ddb.put_item(TableName="kept", Item={"id": {"S": "a"}, "sk": {"N": "1"}})
    data_dir = n.data_dir
    assert n.stop() == 0
    n2 = start_node(data_dir=data_dir)
    ddb2 = n2.client()
    assert ddb2.list_tables()["TableNames"] == ["kept"]
    t = ddb2.describe_table(TableName="kept")["Table"]
    assert t["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert ddb2.get_item(TableName="kept", Key={"id": {"S": "a"}, "sk": {"N": "1"}})["Item"]


def test_deletion_protection(shared_node, sddb):
    # Stored and described; DeleteTable refused with DynamoDB's message, and
    # nothing deleted, until UpdateTable turns it off. Raw JSON: Debian's
    # botocore predates DeletionProtectionEnabled.
    def call(op, **body):
        status, _, out = raw_call(shared_node, op, body)
        return status, out

    def protected(table):
        status, out = call("DescribeTable", TableName=table)
        assert status == 200, out
        return out["Table"]["DeletionProtectionEnabled"]

    t = unique("protected")
    status, out = call("CreateTable", TableName=t, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                       DeletionProtectionEnabled=True)
    assert status == 200 and out["TableDescription"]["DeletionProtectionEnabled"] is True, out
    sddb.put_item(TableName=t, Item={"id": {"S": "kept"}})
    assert protected(t) is True
    m = validation(sddb.delete_table, TableName=t)
    assert m == ("Resource cannot be deleted as it is currently protected against deletion. "
                 "Disable deletion protection first.")
    assert sddb.get_item(TableName=t, Key={"id": {"S": "kept"}})["Item"]["id"] == {"S": "kept"}
    status, out = call("UpdateTable", TableName=t, DeletionProtectionEnabled=False)
    assert status == 200 and out["TableDescription"]["DeletionProtectionEnabled"] is False, out
    assert protected(t) is False
    sddb.delete_table(TableName=t)
    code, _, _ = error_of(sddb.describe_table, TableName=t)
    assert code == "ResourceNotFoundException"
    # Off by default; turned on by UpdateTable too.
    t2 = create_table(sddb, unique("unprotected"))
    assert protected(t2) is False
    assert call("UpdateTable", TableName=t2, DeletionProtectionEnabled=True)[0] == 200
    validation(sddb.delete_table, TableName=t2)
    assert call("UpdateTable", TableName=t2, DeletionProtectionEnabled=False)[0] == 200
    sddb.delete_table(TableName=t2)

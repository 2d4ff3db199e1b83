"""Query and Scan: key conditions, ordering, paging, Select, filters,
parallel scan and the 1 MB page."""
import pytest

from bbutil import error_of, unique, validation
from conftest import create_table

N = lambda v: {"N": str(v)}  # noqa: E731
S = lambda v: {"S": v}  # noqa: E731


@pytest.fixture(scope="module")
def qtable(sddb):
    """Hash "p" with sort keys 0..19 (N), plus hash "q" with string sort keys."""
    name = create_table(sddb, unique("query"), hash_key=("pk", "S"), range_key=("sk", "N"))
    for i in range(20):
        sddb.put_item(TableName=name, Item={"pk": S("p"), "sk": N(i), "odd": {"BOOL": i % 2 == 1},
                                            "data": S(f"d{i}")})
    sddb.put_item(TableName=name, Item={"pk": S("other"), "sk": N(0)})
    return name


@pytest.fixture(scope="module")
def stable(sddb):
    """String sort keys, for begins_with and byte ordering."""
    name = create_table(sddb, unique("query_s"), hash_key=("pk", "S"), range_key=("sk", "S"))
    for sk in ["a", "ab", "abc", "b", "ba", "Z", "é", "a\u0000"]:
        sddb.put_item(TableName=name, Item={"pk": S("h"), "sk": S(sk)})
    return name


def sks(items):
    return [int(i["sk"]["N"]) for i in items]


def q(sddb, table, cond, values, **kwargs):
    return sddb.query(TableName=table, KeyConditionExpression=cond,
                      ExpressionAttributeValues=values, **kwargs)


@pytest.mark.parametrize("cond,values,expected", [
    ("pk = :p", {}, list(range(20))),
    ("pk = :p AND sk = :a", {":a": N(5)}, [5]),
    ("pk = :p AND sk < :a", {":a": N(3)}, [0, 1, 2]),
    ("pk = :p AND sk <= :a", {":a": N(3)}, [0, 1, 2, 3]),
    ("pk = :p AND sk > :a", {":a": N(16)}, [17, 18, 19]),
    ("pk = :p AND sk >= :a", {":a": N(17)}, [17, 18, 19]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": N(4), ":b": N(7)}, [4, 5, 6, 7]),
    ("sk BETWEEN :a AND :b AND pk = :p", {":a": N(4), ":b": N(5)}, [4, 5]),
    ("pk = :p AND sk > :a", {":a": N(-1.5)}, list(range(20))),
    ("pk = :p AND sk < :a", {":a": N(0)}, []),
    ("(pk = :p) AND (sk = :a)", {":a": N(3)}, [3]),
])
def test_query_range_operators(sddb, qtable, cond, values, expected):
    out = q(sddb, qtable, cond, {":p": S("p"), **values})
    assert sks(out["Items"]) == expected
    assert out["Count"] == len(expected) and out["ScannedCount"] == len(expected)
    back = q(sddb, qtable, cond, {":p": S("p"), **values}, ScanIndexForward=False)
    assert sks(back["Items"]) == list(reversed(expected))


def test_query_string_sort_order_and_begins_with(sddb, stable):
    out = q(sddb, stable, "pk = :h", {":h": S("h")})
    assert [i["sk"]["S"] for i in out["Items"]] == ["Z", "a", "a\u0000", "ab", "abc", "b", "ba",
                                                     "é"]
    out = q(sddb, stable, "pk = :h AND begins_with(sk, :a)", {":h": S("h"), ":a": S("a")})
    assert [i["sk"]["S"] for i in out["Items"]] == ["a", "a\u0000", "ab", "abc"]
    out = q(sddb, stable, "pk = :h AND begins_with(sk, :a)", {":h": S("h"), ":a": S("ab")},
            ScanIndexForward=False)
    assert [i["sk"]["S"] for i in out["Items"]] == ["abc", "ab"]


def test_query_binary_and_number_order(sddb):
    name = create_table(sddb, unique("query_b"), hash_key=("pk", "B"), range_key=("sk", "N"))
    nums = ["-1E+10", "-2.5", "-1", "0", "1E-5", "0.5", "3", "10", "1.5E+20"]
    for n in nums:
        sddb.put_item(TableName=name, Item={"pk": {"B": b"\x00\xff"}, "sk": N(n)})
    out = q(sddb, name, "pk = :p", {":p": {"B": b"\x00\xff"}})
    assert [i["sk"]["N"] for i in out["Items"]] == [
        "-10000000000", "-2.5", "-1", "0", "0.00001", "0.5", "3", "10",
        "150000000000000000000"]
    assert out["Items"][0]["pk"] == {"B": b"\x00\xff"}


def test_query_paging_to_completion(sddb, qtable):
    seen, start, pages = [], None, 0
    while True:
        kwargs = {"Limit": 6}
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = q(sddb, qtable, "pk = :p", {":p": S("p")}, **kwargs)
        pages += 1
        seen += sks(out["Items"])
        start = out.get("LastEvaluatedKey")
        if start:
            assert start == {"pk": S("p"), "sk": out["Items"][-1]["sk"]}
        else:
            break
    assert seen == list(range(20)) and pages == 4
    # Limit landing exactly on the last item still reports a LastEvaluatedKey;
    # the next page is empty without one.
    out = q(sddb, qtable, "pk = :p AND sk >= :a", {":p": S("p"), ":a": N(15)}, Limit=5)
    assert sks(out["Items"]) == [15, 16, 17, 18, 19]
    assert out["LastEvaluatedKey"] == {"pk": S("p"), "sk": N(19)}
    out = q(sddb, qtable, "pk = :p AND sk >= :a", {":p": S("p"), ":a": N(15)}, Limit=5,
            ExclusiveStartKey=out["LastEvaluatedKey"])
    assert out["Items"] == [] and out["Count"] == 0 and "LastEvaluatedKey" not in out
    # Backwards paging.
    out = q(sddb, qtable, "pk = :p", {":p": S("p")}, Limit=3, ScanIndexForward=False,
            ExclusiveStartKey={"pk": S("p"), "sk": N(10)})
    assert sks(out["Items"]) == [9, 8, 7]
    # boto3's paginator walks all pages.
    pages = sddb.get_paginator("query").paginate(
        TableName=qtable, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("p")}, PaginationConfig={"PageSize": 7})
    assert [s for p in pages for s in sks(p["Items"])] == list(range(20))


def test_query_filter_and_limit_counts(sddb, qtable):
    out = q(sddb, qtable, "pk = :p", {":p": S("p"), ":t": {"BOOL": True}},
            FilterExpression="odd = :t", Limit=10)
    assert sks(out["Items"]) == [1, 3, 5, 7, 9]
    assert out["Count"] == 5 and out["ScannedCount"] == 10
    assert out["LastEvaluatedKey"]["sk"] == N(9)
    out = q(sddb, qtable, "pk = :p", {":p": S("p"), ":t": {"BOOL": True}},
            FilterExpression="odd = :t", Select="COUNT")
    assert out["Count"] == 10 and out["ScannedCount"] == 20 and "Items" not in out


def test_query_select_and_projection(sddb, qtable):
    out = q(sddb, qtable, "pk = :p AND sk = :a", {":p": S("p"), ":a": N(3)},
            ProjectionExpression="#d", ExpressionAttributeNames={"#d": "data"})
    assert out["Items"] == [{"data": S("d3")}]
    out = q(sddb, qtable, "pk = :p AND sk = :a", {":p": S("p"), ":a": N(3)},
            Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="sk")
    assert out["Items"] == [{"sk": N(3)}]
    out = q(sddb, qtable, "pk = :p", {":p": S("p")}, Select="ALL_ATTRIBUTES", Limit=1)
    assert set(out["Items"][0]) == {"pk", "sk", "odd", "data"}
    out = q(sddb, qtable, "pk = :p", {":p": S("p")}, Select="COUNT")
    assert out == {**out, "Count": 20, "ScannedCount": 20}
    assert "Items" not in out
    # DynamoDB's messages (Query wraps them, Scan does not).
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")}, Select="SPECIFIC_ATTRIBUTES")
    assert m == ("1 validation error detected: Must specify the AttributesToGet or "
                 "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")}, Select="COUNT",
                   ProjectionExpression="sk")
    assert m == ("1 validation error detected: Cannot specify the ProjectionExpression when "
                 "choosing to get only the Count")
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")}, Select="ALL_ATTRIBUTES",
                   ProjectionExpression="sk")
    assert m == ("1 validation error detected: Cannot specify the ProjectionExpression when "
                 "choosing to get ALL_ATTRIBUTES")
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")}, Select="ALL_PROJECTED_ATTRIBUTES")
    assert m == ("1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when "
                 "Querying using an IndexName")
    m = validation(sddb.scan, TableName=qtable, Select="SPECIFIC_ATTRIBUTES")
    assert m == ("Must specify the AttributesToGet or ProjectionExpression when choosing to get "
                 "SPECIFIC_ATTRIBUTES")
    m = validation(sddb.scan, TableName=qtable, Select="COUNT", AttributesToGet=["sk"])
    assert m == "Cannot specify the AttributesToGet when choosing to get only the Count"


@pytest.mark.parametrize("cond,values,message", [
    ("sk = :a", {":a": N(1)}, "Query condition missed key schema element: pk"),
    ("pk = :p AND odd = :a", {":p": S("p"), ":a": N(1)},
     "Query condition missed key schema element: sk"),
    ("pk < :p", {":p": S("p")}, "Query key condition not supported"),
    ("pk = :p OR sk = :a", {":p": S("p"), ":a": N(1)},
     "Invalid operator used in KeyConditionExpression: OR"),
    ("pk = :p AND size(sk) > :a", {":p": S("p"), ":a": N(1)},
     "KeyConditionExpressions cannot contain nested operations"),
    ("pk = :p AND sk.x = :a", {":p": S("p"), ":a": N(1)},
     "KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk = :p AND :a = :a", {":p": S("p"), ":a": N(1)},
     "Invalid condition in KeyConditionExpression: No key attribute specified"),
    ("pk = :p AND sk BETWEEN :b AND :a", {":p": S("p"), ":a": N(1), ":b": N(2)},
     "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater "
     "than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound "
     "operand: AttributeValue: {N:1}"),
    ("pk = :p AND sk = :a AND sk = :a", {":p": S("p"), ":a": N(1)},
     "KeyConditionExpressions must only contain one condition per key"),
    ("pk = :p AND begins_with(sk, :a)", {":p": S("p"), ":a": N(1)},
     "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator "
     "or function: begins_with, operand type: N"),
    ("pk = :p AND sk = :a", {":p": N(1), ":a": N(1)},
     "One or more parameter values were invalid: Condition parameter type does not match schema "
     "type"),
    ("pk = :p AND attribute_exists(sk)", {":p": S("p")},
     "Invalid operator used in KeyConditionExpression: attribute_exists"),
    ("pk = :p AND sk <> :a", {":p": S("p"), ":a": N(1)},
     "Invalid operator used in KeyConditionExpression: <>"),
])
def test_query_key_condition_errors(sddb, qtable, cond, values, message):
    assert validation(q, sddb, qtable, cond, values) == message


def test_query_other_errors(sddb, sraw, qtable):
    m = validation(sraw.query, TableName=qtable)
    assert m == ("Either the KeyConditions or KeyConditionExpression parameter must be specified "
                 "in the request.")
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")},
                   ExclusiveStartKey={"pk": S("other"), "sk": N(0)})
    assert m == ("The provided starting key is outside query boundaries based on provided "
                 "conditions")
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")}, ExclusiveStartKey={"pk": S("p")})
    assert m == "The provided starting key is invalid"
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")},
                   ExclusiveStartKey={"pk": S("p"), "sk": S("1")})
    assert m == "The provided key element does not match the schema"
    m = validation(sddb.scan, TableName=qtable, ExclusiveStartKey={"pk": S("p")})
    assert m == ("The provided starting key is invalid: The provided key element does not match "
                 "the schema")
    m = validation(q, sraw, qtable, "pk = :p", {":p": S("p")}, Limit=0)
    assert m == ("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                 "Member must have value greater than or equal to 1")
    m = validation(q, sddb, qtable, "pk = :p", {":p": S("p")}, IndexName="nope")
    assert m == "The table does not have the specified index: nope"


@pytest.fixture(scope="module")
def big_scan_table(sddb):
    name = create_table(sddb, unique("scan"), hash_key=("id", "N"))
    with_batches = [{"PutRequest": {"Item": {"id": N(i), "v": N(i % 7)}}} for i in range(300)]
    for i in range(0, 300, 25):
        sddb.batch_write_item(RequestItems={name: with_batches[i:i + 25]})
    return name


def test_scan_all_and_paging(sddb, big_scan_table):
    out = sddb.scan(TableName=big_scan_table)
    assert out["Count"] == 300 and out["ScannedCount"] == 300
    assert "LastEvaluatedKey" not in out
    assert sorted(int(i["id"]["N"]) for i in out["Items"]) == list(range(300))
    seen, start = [], None
    while True:
        kwargs = {"Limit": 70}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = sddb.scan(TableName=big_scan_table, **kwargs)
        assert page["Count"] <= 70
        seen += [int(i["id"]["N"]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(seen) == list(range(300)) and len(seen) == 300


def test_scan_filter_select_count(sddb, big_scan_table):
    out = sddb.scan(TableName=big_scan_table, FilterExpression="v = :z",
                    ExpressionAttributeValues={":z": N(0)})
    assert out["Count"] == 43 and out["ScannedCount"] == 300
    out = sddb.scan(TableName=big_scan_table, Select="COUNT", FilterExpression="v = :z",
                    ExpressionAttributeValues={":z": N(0)})
    assert "Items" not in out and out["Count"] == 43


@pytest.mark.parametrize("total", [1, 2, 3, 7, 16])
def test_parallel_scan_segments_partition_the_table(sddb, big_scan_table, total):
    segments = []
    for seg in range(total):
        ids, start = [], None
        while True:
            kwargs = {"Segment": seg, "TotalSegments": total, "Limit": 40}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = sddb.scan(TableName=big_scan_table, **kwargs)
            ids += [int(i["id"]["N"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        segments.append(set(ids))
    union = set().union(*segments)
    assert union == set(range(300))
    assert sum(len(s) for s in segments) == 300  # disjoint
    if total in (2, 3):
        assert all(len(s) > 0 for s in segments)  # the key space really splits


def test_parallel_scan_errors(sddb, sraw, big_scan_table):
    m = validation(sraw.scan, TableName=big_scan_table, Segment=0)
    assert m == ("The TotalSegments parameter is required but was not present in the request when "
                 "Segment parameter is present")
    m = validation(sraw.scan, TableName=big_scan_table, TotalSegments=2)
    assert m == ("The Segment parameter is required but was not present in the request when "
                 "parameter TotalSegments is present")
    m = validation(sddb.scan, TableName=big_scan_table, Segment=2, TotalSegments=2)
    assert m == ("The Segment parameter is zero-based and must be less than parameter "
                 "TotalSegments: Segment: 2 is not less than TotalSegments: 2")
    m = validation(sraw.scan, TableName=big_scan_table, Segment=0, TotalSegments=1000001)
    assert m == ("1 validation error detected: Value '1000001' at 'totalSegments' failed to "
                 "satisfy constraint: Member must have value less than or equal to 1000000")


def test_one_megabyte_page(sddb):
    name = create_table(sddb, unique("mb"), hash_key=("pk", "S"), range_key=("sk", "N"))
    blob = "x" * (100 * 1024)
    for i in range(30):
        sddb.put_item(TableName=name, Item={"pk": S("p"), "sk": N(i), "blob": S(blob)})
    for op in ("scan", "query"):
        seen, start, pages = [], None, 0
        while True:
            kwargs = {"TableName": name}
            if op == "query":
                kwargs.update(KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": S("p")})
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = getattr(sddb, op)(**kwargs)
            pages += 1
            assert page["Count"] <= 11  # no page carries much more than 1 MB
            seen += sks(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert sorted(seen) == list(range(30))
        assert 3 <= pages <= 4
    out = sddb.scan(TableName=name, Select="COUNT")
    assert out["Count"] < 30 and "LastEvaluatedKey" in out


def test_query_consumed_capacity(sddb, qtable):
    out = q(sddb, qtable, "pk = :p", {":p": S("p")}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["TableName"] == qtable
    assert out["ConsumedCapacity"]["CapacityUnits"] == 0.5
    out = q(sddb, qtable, "pk = :p", {":p": S("p")}, ReturnConsumedCapacity="TOTAL",
            ConsistentRead=True)
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_scan_empty_table(sddb):
    name = create_table(sddb, unique("empty"))
    out = sddb.scan(TableName=name)
    assert out["Items"] == [] and out["Count"] == 0 and out["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in out
    out = sddb.scan(TableName=name, Limit=1)
    assert "LastEvaluatedKey" not in out

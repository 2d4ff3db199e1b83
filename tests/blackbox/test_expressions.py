"""The expression language: UpdateExpression (SET/REMOVE/ADD/DELETE),
conditions and their functions, placeholders and DynamoDB's error texts."""
import pytest

from bbutil import error_of, unique, validation
from conftest import create_table


@pytest.fixture(scope="module")
def table(sddb):
    return create_table(sddb, unique("expr"))


@pytest.fixture
def item(sddb, table, request):
    """A fresh item for each test; returns (update, get, key)."""
    key = {"id": {"S": request.node.name}}
    sddb.put_item(TableName=table, Item={
        **key,
        "n": {"N": "10"},
        "s": {"S": "hello"},
        "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
        "m": {"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "deep"}}}}},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x01"]},
        "t": {"BOOL": True},
        "nul": {"NULL": True},
    })

    def update(expr, values=None, names=None, cond=None, rv="ALL_NEW"):
        kwargs = dict(TableName=table, Key=key, UpdateExpression=expr, ReturnValues=rv)
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if cond:
            kwargs["ConditionExpression"] = cond
        return sddb.update_item(**kwargs).get("Attributes")

    def get():
        return sddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]

    return update, get, key


N = lambda v: {"N": str(v)}  # noqa: E731
S = lambda v: {"S": v}  # noqa: E731


def test_set_arithmetic_and_functions(item):
    update, get, _ = item
    out = update("SET n = n + :one, x = :two - n, y = if_not_exists(absent, :one), "
                 "z = if_not_exists(n, :one)", {":one": N(1), ":two": N(2)})
    assert out["n"] == N(11) and out["x"] == N(-8) and out["y"] == N(1) and out["z"] == N(10)
    out = update("SET l = list_append(l, :tail), l2 = list_append(:head, l)",
                 {":tail": {"L": [S("t")]}, ":head": {"L": [S("h")]}})
    assert out["l"]["L"][-1] == S("t") and len(out["l"]["L"]) == 5
    assert out["l2"]["L"][0] == S("h") and len(out["l2"]["L"]) == 5


def test_set_nested_paths_and_list_indexes(item):
    update, get, _ = item
    out = update("SET m.b.c = :v, m.#new = :v, l[1] = :v, l[99] = :w",
                 {":v": S("set"), ":w": S("appended")}, {"#new": "new"})
    assert out["m"]["M"]["b"]["M"]["c"] == S("set")
    assert out["m"]["M"]["new"] == S("set")
    assert out["l"]["L"] == [N(0), S("set"), N(2), N(3), S("appended")]


def test_set_invalid_document_path(item):
    update, _, _ = item
    m = validation(update, "SET nope.a = :v", {":v": N(1)})
    assert m == "The document path provided in the update expression is invalid for update"
    m = validation(update, "SET s[0] = :v", {":v": N(1)})
    assert m == "The document path provided in the update expression is invalid for update"


def test_set_operand_type_errors(item):
    update, get, _ = item
    m = validation(update, "SET n = s + :one", {":one": N(1)})
    assert m == "An operand in the update expression has an incorrect data type"
    m = validation(update, "SET l = list_append(l, s)")
    assert m == "An operand in the update expression has an incorrect data type"
    m = validation(update, "SET n = :s + :one", {":s": S("a"), ":one": N(1)})
    assert m == ("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                 "operator or function: +, operand type: S")
    m = validation(update, "SET l = list_append(:s, l)", {":s": S("a")})
    assert m == ("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                 "operator or function: list_append, operand type: S")
    m = validation(update, "SET n = absent + :one", {":one": N(1)})
    assert m == ("The provided expression refers to an attribute that does not exist in the "
                 "item")
    assert get()["n"] == N(10)


def test_remove(item):
    update, get, key = item
    out = update("REMOVE s, m.b, l[1], l[3], absent, nope.deeper")
    assert "s" not in out
    assert out["m"] == {"M": {"a": N(1)}}
    assert out["l"]["L"] == [N(0), N(2)]


def test_add_numbers_and_sets(item):
    update, get, _ = item
    out = update("ADD n :five, newnum :five, ss :more, ns :nums, newset :more",
                 {":five": N(5), ":more": {"SS": ["y", "z"]}, ":nums": {"NS": ["2", "3"]}})
    assert out["n"] == N(15) and out["newnum"] == N(5)
    assert sorted(out["ss"]["SS"]) == ["x", "y", "z"]
    assert sorted(out["ns"]["NS"]) == ["1", "2", "3"]
    assert sorted(out["newset"]["SS"]) == ["y", "z"]
    m = validation(update, "ADD s :five", {":five": N(5)})
    assert m == "An operand in the update expression has an incorrect data type"
    m = validation(update, "ADD n :s", {":s": S("x")})
    assert m == ("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                 "operator: ADD, operand type: STRING")
    m = validation(update, "ADD ss :n", {":n": {"NS": ["1"]}})
    assert m == "An operand in the update expression has an incorrect data type"


def test_delete_from_sets(item):
    update, get, _ = item
    out = update("DELETE ss :x, ns :nums, absent :x", {":x": {"SS": ["x", "q"]},
                                                        ":nums": {"NS": ["1", "2"]}})
    assert out["ss"] == {"SS": ["y"]}
    assert "ns" not in out  # emptied sets disappear
    assert "absent" not in out
    m = validation(update, "DELETE n :x", {":x": {"SS": ["x"]}})
    assert m == "An operand in the update expression has an incorrect data type"
    m = validation(update, "DELETE ss :s", {":s": S("y")})
    assert m == ("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                 "operator: DELETE, operand type: STRING")


def test_all_clauses_together(item):
    update, get, _ = item
    out = update("SET a = :one REMOVE s ADD n :one DELETE ss :x",
                 {":one": N(1), ":x": {"SS": ["x"]}})
    assert out["a"] == N(1) and "s" not in out and out["n"] == N(11)
    assert out["ss"] == {"SS": ["y"]}


def test_update_expression_errors(item):
    update, get, _ = item
    m = validation(update, "SET a = :v")
    assert m == ("Invalid UpdateExpression: An expression attribute value used in expression is "
                 "not defined; attribute value: :v")
    m = validation(update, "SET #a = :v", {":v": N(1)})
    assert m == ("Invalid UpdateExpression: An expression attribute name used in the document "
                 "path is not defined; attribute name: #a")
    m = validation(update, "SET a = :v", {":v": N(1), ":w": N(2)})
    assert m == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    m = validation(update, "SET a = :v", {":v": N(1)}, {"#u": "x"})
    assert m == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
    m = validation(update, "SET a = :v, a = :v", {":v": N(1)})
    assert m == ("Invalid UpdateExpression: Two document paths overlap with each other; must "
                 "remove or rewrite one of these paths; path one: [a], path two: [a]")
    m = validation(update, "SET m.a = :v REMOVE m", {":v": N(1)})
    assert m == ("Invalid UpdateExpression: Two document paths overlap with each other; must "
                 "remove or rewrite one of these paths; path one: [m, a], path two: [m]")
    m = validation(update, "SET a = :v SET b = :v", {":v": N(1)})
    assert m == ('Invalid UpdateExpression: The "SET" section can only be used once in an update '
                 'expression;')
    m = validation(update, "SET a")
    assert m == 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "a"'
    m = validation(update, "SET a = :v", {":v": N(1)}, rv="BOGUS")
    assert "Member must satisfy enum value set" in m
    m = validation(update, "SET name = :v", {":v": N(1)})
    assert m == ("Invalid UpdateExpression: Attribute name is a reserved keyword; reserved "
                 "keyword: name")
    m = validation(update, "SET a = foo(:v)", {":v": N(1)})
    assert m == "Invalid UpdateExpression: Invalid function name; function: foo"
    m = validation(update, "SET a = if_not_exists(:v, b)", {":v": N(1)})
    assert m == ("Invalid UpdateExpression: Operator or function requires a document path; "
                 "operator or function: if_not_exists")
    m = validation(update, "SET a = list_append(:v)", {":v": {"L": []}})
    assert m == ("Invalid UpdateExpression: Incorrect number of operands for operator or "
                 "function; operator or function: list_append, number of operands: 1")
    m = validation(update, "")
    assert m == "Invalid UpdateExpression: The expression can not be empty;"
    assert get()["n"] == N(10)


def test_placeholder_keys_syntax(sddb, table):
    m = validation(sddb.get_item, TableName=table, Key={"id": S("x")},
                   ProjectionExpression="a", ExpressionAttributeNames={"a": "b"})
    assert m == 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'
    m = validation(sddb.put_item, TableName=table, Item={"id": S("x")},
                   ConditionExpression="a = :v", ExpressionAttributeValues={"v": N(1)})
    assert m == 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'
    m = validation(sddb.put_item, TableName=table, Item={"id": S("x")},
                   ExpressionAttributeValues={":v": N(1)})
    assert m == ("ExpressionAttributeValues can only be specified when using expressions: "
                 "ConditionExpression is null")
    m = validation(sddb.put_item, TableName=table, Item={"id": S("x")},
                   ExpressionAttributeNames={"#v": "a"})
    assert m == "ExpressionAttributeNames can only be specified when using expressions"
    m = validation(sddb.put_item, TableName=table, Item={"id": S("x")},
                   ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"NS": []}})
    assert m == ("ExpressionAttributeValues contains invalid value: One or more parameter values "
                 "were invalid: An number set  may not be empty for key :v")


CONDITIONS_TRUE = [
    ("n = :ten", {":ten": N(10)}),
    ("n <> :one", {":one": N(1)}),
    ("n > :one AND n >= :ten AND n < :big AND n <= :ten",
     {":one": N(1), ":ten": N(10), ":big": N(11)}),
    ("n BETWEEN :one AND :ten", {":one": N(1), ":ten": N(10)}),
    ("n IN (:one, :ten)", {":one": N(1), ":ten": N(10)}),
    ("s IN (:a, :b) OR n = :ten", {":a": S("a"), ":b": S("b"), ":ten": N(10)}),
    ("NOT (n = :one)", {":one": N(1)}),
    ("(n = :one OR n = :ten) AND s = :s", {":one": N(1), ":ten": N(10), ":s": S("hello")}),
    ("attribute_exists(m.b.c) AND attribute_not_exists(m.zz) AND attribute_exists(l[3])", None),
    ("attribute_not_exists(l[4])", None),
    ("attribute_type(n, :N) AND attribute_type(ss, :SS) AND attribute_type(nul, :NULL)",
     {":N": S("N"), ":SS": S("SS"), ":NULL": S("NULL")}),
    ("begins_with(s, :he) AND NOT begins_with(bs_absent, :he)", {":he": S("he")}),
    ("contains(s, :ell) AND contains(ss, :x) AND contains(l, :two) AND contains(ns, :one)",
     {":ell": S("ell"), ":x": S("x"), ":two": N(2), ":one": N(1)}),
    ("size(s) = :five AND size(l) = :four AND size(m) = :two AND size(ss) = :two",
     {":five": N(5), ":four": N(4), ":two": N(2)}),
    ("size(bs) = :one", {":one": N(1)}),
    ("m.b.c = :deep AND l[2] = :two", {":deep": S("deep"), ":two": N(2)}),
    ("t = :t AND nul = :nul", {":t": {"BOOL": True}, ":nul": {"NULL": True}}),
    ("m = :m", {":m": {"M": {"a": N(1), "b": {"M": {"c": S("deep")}}}}}),
    ("ss = :ss", {":ss": {"SS": ["y", "x"]}}),
    ("n <> :str", {":str": S("10")}),
    ("s > :a", {":a": S("a")}),
    ("#n = :ten", {":ten": N(10), "#n": None}),
]

CONDITIONS_FALSE = [
    ("n = :one", {":one": N(1)}),
    ("n < :str", {":str": S("zzz")}),  # different types never compare
    ("absent = absent2", None),
    ("attribute_exists(absent)", None),
    ("attribute_not_exists(n)", None),
    ("attribute_type(n, :S)", {":S": S("S")}),
    ("begins_with(n, :one)", {":one": S("1")}),
    ("contains(n, :one)", {":one": N(1)}),
    ("size(n) = :one", {":one": N(1)}),
    ("size(absent) > :zero", {":zero": N(0)}),
    ("n BETWEEN :big AND :bigger", {":big": N(11), ":bigger": N(20)}),
    ("NOT attribute_exists(n)", None),
    ("s IN (:a)", {":a": S("a")}),
]


def _names_values(values):
    names = None
    if values and "#n" in values:
        values = {k: v for k, v in values.items() if k != "#n"}
        names = {"#n": "n"}
    return names, values


@pytest.mark.parametrize("cond,values", CONDITIONS_TRUE)
def test_condition_true(item, cond, values):
    update, get, _ = item
    names, values = _names_values(values)
    values = dict(values or {}, **{":mark": S("ok")})
    assert update("SET mark = :mark", values, names, cond=cond)["mark"] == S("ok")


@pytest.mark.parametrize("cond,values", CONDITIONS_FALSE)
def test_condition_false(item, cond, values):
    update, get, _ = item
    values = dict(values or {}, **{":mark": S("ok")})
    code, message, _ = error_of(update, "SET mark = :mark", values, cond=cond)
    assert code == "ConditionalCheckFailedException"
    assert "mark" not in get()


@pytest.mark.parametrize("cond,values,message", [
    ("n = ", None, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    ("a b", None, 'Invalid ConditionExpression: Syntax error; token: "b", near: "a b"'),
    ("foo(n)", None, "Invalid ConditionExpression: Invalid function name; function: foo"),
    ("attribute_exists(:v)", {":v": N(1)},
     "Invalid ConditionExpression: Operator or function requires a document path; operator or "
     "function: attribute_exists"),
    ("begins_with(s, :v)", {":v": N(1)},
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
     "function: begins_with, operand type: N"),
    ("attribute_type(n, :v)", {":v": S("X")},
     "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: "
     "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("size(:v) = :v", {":v": N(1)},
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
     "function: size, operand type: N"),
    ("n BETWEEN :b AND :a", {":a": N(1), ":b": N(2)},
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
     "equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: "
     "AttributeValue: {N:1}"),
    ("n = n", None,
     "Invalid ConditionExpression: The first operand must be distinct from the remaining operands "
     "for this operator or function; operator: =, first operand: [n]"),
    ("attribute_exists(n) = :v", {":v": {"BOOL": True}},
     "Invalid ConditionExpression: The function is not allowed to be used this way in an "
     "expression; function: attribute_exists"),
    ("size(s)", None,
     "Invalid ConditionExpression: The function is not allowed to be used this way in an "
     "expression; function: size"),
    ("((n = :v))", {":v": N(1)},
     "Invalid ConditionExpression: The expression has redundant parentheses;"),
    ("n = :undefined", None,
     "Invalid ConditionExpression: An expression attribute value used in expression is not "
     "defined; attribute value: :undefined"),
    ("", None, "Invalid ConditionExpression: The expression can not be empty;"),
    ("size = :v", {":v": N(1)},
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"),
])
def test_condition_errors(sddb, table, cond, values, message):
    kwargs = dict(TableName=table, Item={"id": S("cond-errors")}, ConditionExpression=cond)
    if values:
        kwargs["ExpressionAttributeValues"] = values
    assert validation(sddb.put_item, **kwargs) == message


def test_condition_on_absent_item(sddb, table):
    key = {"id": S("cond-absent")}
    sddb.put_item(TableName=table, Item=key, ConditionExpression="attribute_not_exists(id)")
    code, _, _ = error_of(sddb.put_item, TableName=table, Item=key,
                          ConditionExpression="attribute_not_exists(id)")
    assert code == "ConditionalCheckFailedException"
    code, _, _ = error_of(sddb.delete_item, TableName=table, Key={"id": S("never-there")},
                          ConditionExpression="attribute_exists(id)")
    assert code == "ConditionalCheckFailedException"
    # Conditions on a absent item see no attributes: <> is true.
    sddb.delete_item(TableName=table, Key={"id": S("never-there")},
                     ConditionExpression="a <> :v", ExpressionAttributeValues={":v": N(1)})


def test_expression_size_limit(sddb, table):
    cond = " OR ".join(["n = :v"] * 800)
    assert len(cond) > 4096
    m = validation(sddb.put_item, TableName=table, Item={"id": S("x")}, ConditionExpression=cond,
                   ExpressionAttributeValues={":v": N(1)})
    assert "Expression size has exceeded the maximum allowed size" in m

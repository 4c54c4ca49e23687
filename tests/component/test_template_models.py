"""The PynamoDB models and infra/template.json describe the same tables.

The template creates the tables (in AWS and in the local stack); the models read and write
them. A key, index or projection that differs only shows up at runtime, as a ValidationException
or an index that silently lacks the attributes a query needs, so it is checked here, both ways.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import chalicelib.store
from chalicelib.store.base import MODELS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "infra" / "template.json").read_text())

for _module in pkgutil.iter_modules(chalicelib.store.__path__):
    importlib.import_module(f"chalicelib.store.{_module.name}")


def _template_tables() -> dict[str, dict]:
    """short name -> table Properties, from TableName `${AWS::StackName}-<short>`."""
    tables = {}
    for logical, res in TEMPLATE["Resources"].items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        name = res["Properties"]["TableName"]
        match = re.fullmatch(r"\$\{AWS::StackName\}-(.+)", name.get("Fn::Sub", "") if isinstance(name, dict) else "")
        assert match, f"{logical}: TableName must be {{'Fn::Sub': '${{AWS::StackName}}-<short name>'}}"
        tables[match.group(1)] = res["Properties"]
    return tables


TABLES = _template_tables()


def _keys(key_schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def _types(definitions: list[dict]) -> dict[str, str]:
    return {d["AttributeName"]: d["AttributeType"] for d in definitions}


def _model_view(model) -> dict:
    schema = model._get_schema()
    definitions = _types(schema["attribute_definitions"])
    indexes = {}
    for index in schema["global_secondary_indexes"]:
        definitions.update(_types(index["attribute_definitions"]))
        indexes[index["index_name"]] = {
            "keys": _keys(index["key_schema"]),
            "projection": _projection(index["projection"]),
        }
    return {"keys": _keys(schema["key_schema"]), "types": definitions, "indexes": indexes,
            "local_indexes": sorted(i["index_name"] for i in schema["local_secondary_indexes"])}


def _template_view(props: dict) -> dict:
    return {
        "keys": _keys(props["KeySchema"]),
        "types": _types(props["AttributeDefinitions"]),
        "indexes": {
            gsi["IndexName"]: {"keys": _keys(gsi["KeySchema"]), "projection": _projection(gsi["Projection"])}
            for gsi in props.get("GlobalSecondaryIndexes", [])
        },
        "local_indexes": sorted(i["IndexName"] for i in props.get("LocalSecondaryIndexes", [])),
    }


def _projection(projection: dict) -> tuple:
    return projection["ProjectionType"], tuple(sorted(projection.get("NonKeyAttributes", [])))


def _ttl_attribute(model) -> str | None:
    from pynamodb.attributes import TTLAttribute

    names = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
    return names[0] if names else None


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_matches_its_template_table(model):
    short = model.Meta.short_name
    assert short in TABLES, f"{model.__name__}: no table `${{AWS::StackName}}-{short}` in infra/template.json"
    props = TABLES[short]
    assert _model_view(model) == _template_view(props)

    ttl = props.get("TimeToLiveSpecification", {})
    assert _ttl_attribute(model) == (ttl["AttributeName"] if ttl.get("Enabled") else None), "TTL attribute"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_index_keys_have_the_models_types(model):
    """An index class redeclares its key attributes; they must have the model's own types."""
    own = {a.attr_name: a.attr_type for a in model.get_attributes().values()}
    for index in model._get_schema()["global_secondary_indexes"]:
        for definition in index["attribute_definitions"]:
            name = definition["AttributeName"]
            assert name in own, f"{index['index_name']}: `{name}` is not an attribute of {model.__name__}"
            assert own[name] == definition["AttributeType"], f"{index['index_name']}.{name}"


@pytest.mark.parametrize("short", sorted(TABLES))
def test_every_template_table_has_a_model(short):
    owners = [m.__name__ for m in MODELS if m.Meta.short_name == short]
    assert owners, f"table `{short}` has no PynamoDB model registered with chalicelib.store.base.register"


def test_the_idempotency_table_has_the_layout_powertools_expects():
    """Its records keep Powertools' layout: chalicelib/store/idempotency.py honours those Powertools wrote."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    defaults = inspect.signature(DynamoDBPersistenceLayer.__init__).parameters
    props = TABLES["idempotency"]
    assert _keys(props["KeySchema"]) == {"HASH": defaults["key_attr"].default}
    assert _types(props["AttributeDefinitions"]) == {defaults["key_attr"].default: "S"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": defaults["expiry_attr"].default, "Enabled": True}


# Tables more than one model writes, by design (each model still matches the table: see above).
SHARED_TABLES = {"idempotency": {"IdempotencyRecord", "StockAdjustmentItem"}}  # a stock adjustment's key record


def test_no_two_models_claim_one_table_but_the_shared_ones():
    owners: dict[str, set[str]] = {}
    for model in MODELS:
        owners.setdefault(model.Meta.short_name, set()).add(model.__name__)
    assert {short: names for short, names in owners.items() if len(names) > 1} == SHARED_TABLES

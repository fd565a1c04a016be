"""Function signatures (ember/rules/templates/calls.py): argument counts and Go's assignability."""

from __future__ import annotations

from typing import Any

import pytest

from ember.rules.templates.calls import TemplateFunction, function
from ember.rules.templates.values import MISSING, GoDuration, QueryResult, SafeHTML, make_sample


def _fail(message: str) -> Exception:
    return ValueError(message)


def test_arity() -> None:
    fixed = function("f", ("string", "int"), lambda a, b: None)
    variadic = function("g", ("string",), lambda *a: None, "any")
    assert fixed.accepts(2) and not fixed.accepts(1) and not fixed.accepts(3)
    assert variadic.accepts(1) and variadic.accepts(5) and not variadic.accepts(0)
    assert fixed.arity_text() == "want 2"
    assert variadic.arity_text() == "want at least 1"
    assert variadic.param_type(3) == "any"


@pytest.mark.parametrize(
    ("value", "param_type"),
    [
        ("s", "string"), (1.5, "float64"), (3, "int"), (True, "bool"), (None, "any"), ([1], "value"),
        (QueryResult(), "template.queryResult"), (make_sample({}, 1.0), "*template.sample"),
        (GoDuration(1), "time.Duration"),
    ],
)  # fmt: skip
def test_assignable_values_pass(value: Any, param_type: str) -> None:
    assert TemplateFunction.check_type(value, param_type, _fail) is value


@pytest.mark.parametrize(
    ("value", "param_type", "message"),
    [
        (1.5, "string", "wrong type for value; expected string; got float64"),
        (SafeHTML("x"), "string", "wrong type for value; expected string; got template.HTML"),
        (1, "float64", "wrong type for value; expected float64; got int"),
        (True, "int", "wrong type for value; expected int; got bool"),
        ("s", "template.queryResult", "wrong type for value; expected template.queryResult; got string"),
        (MISSING, "string", "invalid value; expected string"),
        (None, "string", "wrong type for value; expected string; got interface {}"),
        (None, "*template.sample", "wrong type for value; expected *template.sample; got interface {}"),
    ],
)
def test_unassignable_values_fail_with_go_messages(value: Any, param_type: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        TemplateFunction.check_type(value, param_type, _fail)
    assert str(caught.value) == message


def test_nil_query_result_becomes_empty() -> None:
    assert TemplateFunction.check_type(MISSING, "template.queryResult", _fail) == QueryResult()
    assert TemplateFunction.check_type(MISSING, "*template.sample", _fail) is None
    assert TemplateFunction.check_type(MISSING, "any", _fail) is None
    assert TemplateFunction.check_type(MISSING, "value", _fail) is None

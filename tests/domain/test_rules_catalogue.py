"""The rules package as a whole: each of R1–R26 lives in one function named in its docstring (and
in the parts `RULE_PARTS` lists, R10's warning); findings and their helpers; no database or
Textual imported."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys

import pytest

import lta_tui.domain.rules as rules
from lta_tui.domain.rules import Finding, Refused, Severity, collect, ensure_allowed, unacknowledged

RULE_NUMBER = re.compile(r"\bR(\d+)\b")
ALL_RULES = [f"R{n}" for n in range(1, 27)]


def rule_functions() -> dict[str, list[str]]:
    """Rule number → the functions of `lta_tui.domain.rules` whose docstring names it."""
    named: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(rules.__path__, rules.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue  # imported, counted in its own module
            for number in set(RULE_NUMBER.findall(inspect.getdoc(function) or "")):
                named.setdefault(f"R{number}", []).append(f"{module.__name__}.{name}")
    return named


def _qualified(function) -> str:
    return f"{function.__module__}.{function.__name__}"


def test_r1_to_r26_each_named_in_exactly_one_function_docstring_besides_its_parts():
    named = rule_functions()
    assert sorted(named, key=lambda r: int(r[1:])) == ALL_RULES
    parts = {rule: {_qualified(f) for f in fns} for rule, fns in rules.RULE_PARTS.items()}
    beyond = {
        rule: fns
        for rule, fns in named.items()
        if len(set(fns) - parts.get(rule, set())) != 1 or not parts.get(rule, set()) <= set(fns)
    }
    assert beyond == {}


@pytest.mark.parametrize("rule", ALL_RULES)
def test_rule_table_points_at_the_function_naming_the_rule(rule):
    function = rules.RULES[rule]
    parts = {_qualified(f) for f in rules.RULE_PARTS.get(rule, ())}
    (qualified,) = set(rule_functions()[rule]) - parts
    assert qualified == _qualified(function)
    for each in (function, *rules.RULE_PARTS.get(rule, ())):
        assert inspect.getdoc(each).startswith((f"{rule} ", f"{rule}:"))


def test_rules_import_no_database_and_no_textual():
    code = (
        "import sys, lta_tui.domain.rules\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('sqlalchemy', 'sqlmodel', 'textual', 'alembic', 'pycountry')]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_findings_are_collected_errors_first():
    w = Finding("R4", Severity.warning, "R4: short")
    e = Finding("R6", Severity.error, "R6: late")
    i = Finding("R21", Severity.info, "R21: services")
    assert collect([i, w], [e]) == [e, w, i]


def test_ensure_allowed_refuses_errors_and_returns_warnings():
    w = Finding("R4", Severity.warning, "R4: short")
    e = Finding("R6", Severity.error, "R6: late")
    assert ensure_allowed([w]) == [w]
    with pytest.raises(Refused) as raised:
        ensure_allowed([w, e])
    assert str(raised.value) == "R6: late" and raised.value.findings == [e]


def test_unacknowledged_warnings_are_those_not_yet_acknowledged():
    w4 = Finding("R4", Severity.warning, "R4: short")
    w9 = Finding("R9", Severity.warning, "R9: low")
    assert unacknowledged([w4, w9], {"R4"}) == [w9]

"""schemathesis hooks: what docs/openapi.yaml says in words but its JSON Schema cannot.

A segment's rule tree holds at most 64 conditions and groups in all (SegmentRule.maxConditions; the document's
Condition description says so). A schema can bound each group and the depth, not a total across levels, so a
schema-valid tree over it is rightly refused with 400, and schemathesis counted that as "Schema-valid request
rejected". Such cases are not generated for the two operations that take a tree; every other case and check stays.
Loaded through SCHEMATHESIS_HOOKS by Benchmarks/api-fuzz.py and APIFuzzTests.
"""
import schemathesis

MAX_NODES = 64


def nodes(rule):
    """Conditions and groups in a tree, counted as campaignd counts them: every object, groups included."""
    if isinstance(rule, dict):
        for key in ("all", "any"):
            if isinstance(rule.get(key), list):
                return 1 + sum(nodes(r) for r in rule[key])
        return 1
    return 0


@schemathesis.hook("filter_case").apply_to(method="POST", path_regex=r"^/api/segments(/preview)?$")
def within_the_total(ctx, case):
    body = case.body
    return not isinstance(body, dict) or nodes(body.get("conditions")) <= MAX_NODES

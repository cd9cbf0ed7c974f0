"""The cost map (Saleor style): per type and field, a complexity and what multiplies it.

Tune here, with the figures of docs/security.md in view; budgets are configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.schema.common import DEFAULT_PAGE


@dataclass(frozen=True)
class FieldCost:
    """`complexity` of one resolution; `multipliers` name the arguments whose value (an Int)
    or length (a list) multiplies it, else `size`, the typical length of the list."""

    complexity: int = 1
    multipliers: tuple[str, ...] = ()
    size: int | None = None


PAGED = FieldCost(1, ("first", "last"), DEFAULT_PAGE)
LOOKUP = FieldCost(1)
FREE = FieldCost(0)
DEFAULT_LIST_SIZE = 10
# Typical lengths of introspection lists; `__Schema.types` is the schema's own count.
INTROSPECTION_SIZES = {
    ("__Type", "fields"): 10,
    ("__Type", "inputFields"): 6,
    ("__Type", "enumValues"): 6,
    ("__Type", "interfaces"): 1,
    ("__Type", "possibleTypes"): 2,
    ("__Field", "args"): 2,
    ("__Directive", "args"): 2,
}
MUTATION = FieldCost(10)
# Every `...Connection` type: `first` on the root field already multiplies the edges, and
# `totalCount` runs a COUNT over the whole filtered jurisdiction.
CONNECTION_FIELDS = {"edges": FieldCost(0, (), 1), "totalCount": FieldCost(10)}

# Fields whose cost is not the default: 1 for an object, 0 for a scalar or enum, 10 for a
# mutation; a list multiplies by DEFAULT_LIST_SIZE unless its size is given here. Sizes are
# typical lengths (a household has about 3 members, a resident 1 to 3 applications), not bounds:
# the budget is about the load a client may cause, and exact counts are not known beforehand.
COST_MAP: dict[str, dict[str, FieldCost]] = {
    "Query": {
        "nodes": FieldCost(1, ("ids",), 1),
        "_entities": FieldCost(1, ("representations",), 1),
        "divisions": FieldCost(1, (), 30),
        "serviceItems": FieldCost(0, (), 11),
        "residents": PAGED,
        "cases": PAGED,
        "approvalTasks": PAGED,
        "payments": PAGED,
        "auditEvents": PAGED,
        "auditCheckpoint": FieldCost(5),
        "supervision": FieldCost(50),
        "policyDecision": FREE,
        "me": FREE,
    },
    "Mutation": {},
    "Subscription": {},
    "Resident": {"cases": FieldCost(1, (), 3), "entitlements": FieldCost(1, (), 2)},
    "Household": {"members": FieldCost(1, (), 5), "size": LOOKUP},
    "Case": {"approvalTasks": FieldCost(1, (), 5), "events": FieldCost(1, (), 8)},
    "Entitlement": {"payments": FieldCost(1, ("last",), 12)},
    "Division": {"children": FieldCost(1, (), 20)},
    # A report comes with its children's figures; asking a child for its own children builds
    # that child's report (a few aggregate statements): 2 per child is that share.
    "SupervisionReport": {"children": FieldCost(2, (), 20)},
    "AuditEvent": {"resources": FieldCost(0, (), 5)},
    "AuditResource": {"fields": FieldCost(0, (), 8)},
}

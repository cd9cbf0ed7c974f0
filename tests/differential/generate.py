"""Random GraphQL documents over the `residents` connection, for the differential read test.

`QueryGenerator(random.Random(seed), cursors).generate()` returns one document with its
variables. The documents cover what the compiled read path claims to serve (Resident scalars
and guarded fields, flags, cases, Case.entitlement, Entitlement.payments(last:), entitlements,
aliases, named and inline fragments, __typename, @include/@skip, pageInfo, cursors,
totalCount), now and then a field it leaves to the resolvers, and a few bad arguments.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

RESIDENT_FIELDS = (
    "id",
    "name",
    "idNumber",
    "phone",
    "address",
    "bankAccount",
    "monthlyIncome",
    "healthCondition",
    "disabilityLevel",
    "gender",
    "birthDate",
    "ethnicity",
)
FLAG_FIELDS = (
    "specialHardship",
    "keySpecialCare",
    "leftBehindChild",
    "leftBehindWoman",
    "leftBehindElder",
)
CASE_FIELDS = (
    "id",
    "caseNumber",
    "channel",
    "proxyAgent",
    "status",
    "submittedAt",
    "acceptedAt",
    "dueDate",
    "decidedAt",
    "noticeEndsAt",
    "inPersonVisitRequired",
    "version",
)
ENTITLEMENT_FIELDS = (
    "id",
    "monthlyAmount",
    "startPeriod",
    "endPeriod",
    "status",
    "statusReason",
    "version",
)
PAYMENT_FIELDS = (
    "id",
    "amount",
    "bankAccount",
    "period",
    "status",
    "batch",
    "paidAt",
    "failureReason",
    "attempt",
)
PAGE_INFO_FIELDS = ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")
HOUSEHOLD_FIELDS = (
    "id",
    "registrationType",
    "declaredMonthlyIncome",
    "verifiedMonthlyIncome",
    "size",
)
TASK_FIELDS = (
    "id",
    "department",
    "kind",
    "status",
    "decidedBy",
    "decidedAt",
    "opinion",
    "findings",
    "dueDate",
    "version",
)
TASK_STATUSES = ("PENDING", "APPROVED", "REJECTED", "RETURNED", "CANCELLED")
TASK_DEPARTMENTS = ("CIVIL_AFFAIRS", "PUBLIC_SECURITY", "HUMAN_RESOURCES", "HOUSING", "FINANCE")
PAYMENT_STATUSES = ("SCHEDULED", "PAID", "FAILED", "RETURNED", "CANCELLED")
MEMBER_RESIDENT_FIELDS = ("id", "name", "idNumber", "phone", "address", "monthlyIncome")

# Fields the compiled path leaves to the resolvers (the fallback), by parent type.
FALLBACK_FIELDS = {
    "Resident": ("division { code name level }", "household { division { code } }"),
    "Case": (
        "item { code name }",
        "events { kind toStatus actor { department } }",
        "applicant { name idNumber }",
        "certificate { number issuedAt }",
    ),
    "Entitlement": ("item { code }", "case { caseNumber }", "resident { name phone }"),
    "Payment": ("division { code }", "entitlement { id startPeriod }"),
}

# Division codes for `filter.divisionCode`: the hand-made world's county, township and
# villages, the other county (outside most callers' jurisdiction), the region and city, bare
# prefixes, and a division that has no rows.
FILTER_CODES = (
    "640104000000",
    "640104001000",
    "640104001001",
    "640104001002",
    "640105000000",
    "640105002000",
    "640105002001",
    "640000000000",
    "640100000000",
    "640104",
    "640104001",
    "640106000000",
)
BAD_FILTER_CODES = ("64010", "6401040010011", "abcdefghijkl", "000000000000", "64-104")
BAD_CURSORS = ("not-a-cursor", "Y3Vyc29yOmFiYw", "UmVzaWRlbnQ6MQ", "%%%")
MAX_ALIASES = 12  # the hub refuses more than 15 per operation


@dataclass(frozen=True)
class GeneratedQuery:
    """One document to send, with its variables (and operation name, for multi-operation
    documents); `tags` say what kind of case it is, for the report."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None = None
    tags: tuple[str, ...] = ()
    # `residents` root fields in the operation that runs (each is one served root field).
    residents_fields: int = 1


@dataclass
class _Document:
    """What one document collects while it is built."""

    variable_types: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    fragments: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (type, body)
    aliases: int = 0
    residents_fields: int = 0
    fallback_left: int = 0
    bad_payments: bool = False
    default_last: int | None = None
    tags: set[str] = field(default_factory=set)

    def variable(self, name: str, type_: str, value: Any, *, send: bool = True) -> str:
        """Declare `$name` (a fresh name when taken) and return the reference."""
        base, n = name, 1
        while name in self.variable_types:
            n += 1
            name = f"{base}{n}"
        self.variable_types[name] = type_
        if send:
            self.variables[name] = value
        return f"${name}"


class QueryGenerator:
    """Seeded: the same `random.Random` state gives the same documents."""

    def __init__(
        self,
        rng: random.Random,
        cursors: Sequence[str],
        resident_ids: Sequence[str] = (),
        case_keys: Sequence[tuple[str, str]] = (),
        periods: Sequence[str] = (),
    ) -> None:
        self.rng = rng
        self.periods = list(periods)
        self.cursors = list(cursors)
        self.resident_ids = list(resident_ids)
        self.case_keys = list(case_keys)  # (global id, case number)
        self.count = 0

    # -- the document ------------------------------------------------------------------------

    def generate(self) -> GeneratedQuery:
        self.count += 1
        rng = self.rng
        doc = _Document()
        doc.fallback_left = 1 if rng.random() < 0.12 else 0
        if doc.fallback_left:
            doc.tags.add("fallback")
        bad = rng.random() < 0.1
        if rng.random() < 0.7:
            doc.default_last = rng.randint(0, 15)

        choice = rng.random()
        if self.resident_ids and choice < 0.2:
            doc.tags.add("one-resident")
            roots = [self._resident_root(doc)]
        elif self.case_keys and choice < 0.32:
            doc.tags.add("one-case")
            roots = [self._case_root(doc)]
        elif choice < 0.4:
            doc.tags.add("tasks")
            roots = [self._tasks_root(doc)]
        elif self.periods and choice < 0.48:
            doc.tags.add("payments")
            roots = [self._payments_root(doc)]
        else:
            roots = [self._residents_root(doc, bad=bad)]
        if rng.random() < 0.12:
            doc.tags.add("two-roots")
            roots.append(self._second_root(doc))
            rng.shuffle(roots)
        if rng.random() < 0.05:
            roots.insert(rng.randrange(len(roots) + 1), "__typename")

        body = "\n  ".join(roots)
        definitions = "".join(
            f"({', '.join(f'${n}: {t}' for n, t in doc.variable_types.items())})"
            if doc.variable_types
            else ""
        )
        name = f"Page{self.count}" if rng.random() < 0.5 else None
        operation_name = None
        if not definitions and name is None and rng.random() < 0.5:
            text = "{\n  %s\n}" % body
        else:
            head = f"query {name}" if name else "query"
            text = "%s%s {\n  %s\n}" % (head, definitions, body)
        if rng.random() < 0.03:
            # Two operations in one document: the request names the one to run.
            doc.tags.add("operation-name")
            main = name or f"Page{self.count}"
            head = f"query {main}{definitions}"
            text = "%s {\n  %s\n}\nquery Other {\n  me { subject }\n}" % (head, body)
            operation_name = main
        for fname, (type_name, fbody) in doc.fragments.items():
            text += f"\nfragment {fname} on {type_name} {{ {fbody} }}"
        return GeneratedQuery(
            text, doc.variables, operation_name, tuple(sorted(doc.tags)), doc.residents_fields
        )

    def _residents_root(self, doc: _Document, *, bad: bool) -> str:
        rng = self.rng
        args = self._page_args(doc, bad=bad)
        alias = self._alias(doc, "page") if rng.random() < 0.2 else ""
        root = f"{alias}residents{args} {{ {self._connection(doc)} }}"
        doc.residents_fields += 1
        if rng.random() < 0.06:
            # The same root field twice, with other arguments: two connections in one answer.
            doc.tags.add("two-pages")
            other = f"{self._alias(doc, 'more')}residents{self._page_args(doc, bad=False)}"
            root += f"\n  {other} {{ {self._connection(doc)} }}"
            doc.residents_fields += 1
        return root

    def _resident_root(self, doc: _Document) -> str:
        """`resident(id:)`: a resident of the world (in or out of the caller's area), one that
        does not exist, or a malformed id."""
        rng = self.rng
        resident_id = rng.choice(self.resident_ids)
        if rng.random() < 0.5:
            argument = doc.variable("id", "ID!", resident_id)
        else:
            argument = _literal(resident_id)
        alias = self._alias(doc, "one") if rng.random() < 0.2 else ""
        return f"{alias}resident(id: {argument}) {{ {self._resident(doc)} }}"

    def _case_root(self, doc: _Document) -> str:
        """`case(id:)` or `caseByNumber(caseNumber:)`: a case of the world (in or out of the
        caller's area) or one that does not exist."""
        rng = self.rng
        case_id, number = rng.choice(self.case_keys)
        if rng.random() < 0.5:
            field, name, type_, value = "case", "id", "ID!", case_id
        else:
            field, name, type_, value = "caseByNumber", "caseNumber", "String!", number
        if rng.random() < 0.5:
            argument = doc.variable(name, type_, value)
        else:
            argument = _literal(value)
        alias = self._alias(doc, "one") if rng.random() < 0.2 else ""
        return f"{alias}{field}({name}: {argument}) {{ {self._case(doc)} }}"

    def _tasks_root(self, doc: _Document) -> str:
        """`approvalTasks`: paged, filtered by status and department (overdue now and then,
        which the compiled path leaves to the resolver)."""
        rng = self.rng
        args = self._plain_page_args(doc)
        found: dict[str, Any] = {}
        if rng.random() < 0.5:
            found["status"] = _Enum(rng.choice(TASK_STATUSES))
        if rng.random() < 0.4:
            found["department"] = _Enum(rng.choice(TASK_DEPARTMENTS))
        if rng.random() < 0.1:
            found["overdue"] = rng.random() < 0.5
        if found:
            args.append(self._filter(doc, found, "ApprovalTaskFilter"))
        rng.shuffle(args)
        shown = f"({', '.join(args)})" if args else ""
        return f"approvalTasks{shown} {{ {self._connection(doc, 'ApprovalTask', self._task)} }}"

    def _payments_root(self, doc: _Document) -> str:
        """`payments`: paged, filtered by period (some invalid), status and division."""
        rng = self.rng
        args = self._plain_page_args(doc)
        found: dict[str, Any] = {}
        if rng.random() < 0.6:
            found["period"] = rng.choice(self.periods)
        if rng.random() < 0.3:
            found["status"] = _Enum(rng.choice(PAYMENT_STATUSES))
        if rng.random() < 0.3:
            found["divisionCode"] = rng.choice(FILTER_CODES)
        if found:
            args.append(self._filter(doc, found, "PaymentFilter"))
        rng.shuffle(args)
        shown = f"({', '.join(args)})" if args else ""
        return f"payments{shown} {{ {self._connection(doc, 'Payment', self._payment)} }}"

    def _plain_page_args(self, doc: _Document) -> list[str]:
        rng = self.rng
        args = []
        if rng.random() < 0.7:
            args.append(self._argument(doc, "first", "Int", rng.randint(0, 8)))
        if rng.random() < 0.3 and self.cursors:
            args.append(self._argument(doc, "after", "String", rng.choice(self.cursors)))
        return args

    def _task(self, doc: _Document) -> str:
        items = self._scalars(doc, TASK_FIELDS, 1, 5)
        if self.rng.random() < 0.4:
            items.append(f"{self._maybe_alias(doc, 'case')}case {{ {self._case(doc)} }}")
        return self._fragmentize(doc, "ApprovalTask", items)

    def _second_root(self, doc: _Document) -> str:
        choice = self.rng.choice(("cases", "me", "serviceItems", "residentsCount"))
        if choice == "cases":
            first = self.rng.randint(0, 5)
            fields = " ".join(self._sample(CASE_FIELDS, 1, 4))
            return f"cases(first: {first}) {{ totalCount edges {{ cursor node {{ {fields} }} }} }}"
        if choice == "me":
            return "me { subject department level }"
        if choice == "serviceItems":
            return "serviceItems { code }"
        doc.residents_fields += 1
        return f"{self._alias(doc, 'all')}residents {{ totalCount }}"

    # -- arguments -------------------------------------------------------------------------

    def _page_args(self, doc: _Document, *, bad: bool) -> str:
        """`first`, `after` and `filter`, each left out, written literally or as a variable; with
        `bad`, exactly one of them (or a nested `last`) is invalid."""
        rng = self.rng
        args: list[str] = []
        broken = rng.choice(("first", "after", "filter", "last")) if bad else None
        if broken:
            doc.tags.add(f"bad-{broken}")
        if broken == "last":
            doc.bad_payments = True

        if broken == "first":
            args.append(self._argument(doc, "first", "Int", rng.choice((-1, 101, -5, 1000))))
        elif rng.random() < 0.75:
            args.append(self._argument(doc, "first", "Int", rng.randint(0, 7)))
        elif rng.random() < 0.2:
            args.append(self._argument(doc, "first", "Int", None))

        if broken == "after":
            args.append(self._argument(doc, "after", "String", rng.choice(BAD_CURSORS)))
        elif rng.random() < 0.35 and self.cursors:
            args.append(self._argument(doc, "after", "String", rng.choice(self.cursors)))
        elif rng.random() < 0.05:
            args.append(self._argument(doc, "after", "String", ""))

        if broken == "filter":
            code = rng.choice(BAD_FILTER_CODES)
            args.append(self._filter(doc, {"divisionCode": code}))
        elif rng.random() < 0.35:
            args.append(self._filter(doc, {"divisionCode": rng.choice(FILTER_CODES)}))
        elif rng.random() < 0.05:
            doc.tags.add("other-filter")
            other = rng.choice(
                (
                    {"hasActiveEntitlement": rng.random() < 0.5},
                    {"itemCode": "DB_URBAN"},
                    {"nameContains": "张"},
                )
            )
            args.append(self._filter(doc, other))
        rng.shuffle(args)
        return f"({', '.join(args)})" if args else ""

    def _argument(self, doc: _Document, name: str, type_: str, value: Any) -> str:
        if self.rng.random() < 0.6:
            return f"{name}: {doc.variable(name, type_, value)}"
        return f"{name}: {_literal(value)}"

    def _filter(self, doc: _Document, value: dict[str, Any], type_: str = "ResidentFilter") -> str:
        if self.rng.random() < 0.6:
            return f"filter: {doc.variable('filter', type_, value)}"
        inner = ", ".join(f"{k}: {_literal(v)}" for k, v in value.items())
        return f"filter: {{{inner}}}"

    # -- selections ------------------------------------------------------------------------

    def _connection(self, doc: _Document, node_type: str = "Resident", node: Any = None) -> str:
        rng = self.rng
        node = node or self._resident
        items: list[str] = []
        if rng.random() < 0.4:
            items.append(f"{self._maybe_alias(doc, 'totalCount')}totalCount")
        if rng.random() < 0.4:
            info = self._sample(PAGE_INFO_FIELDS, 1, 4)
            info = [f"{self._maybe_alias(doc, f)}{f}" for f in info]
            items.append(f"{self._maybe_alias(doc, 'pageInfo')}pageInfo {{ {' '.join(info)} }}")
        if rng.random() < 0.92 or not items:
            edge: list[str] = []
            if rng.random() < 0.5:
                edge.append(f"{self._maybe_alias(doc, 'cursor')}cursor")
            if rng.random() < 0.1:
                edge.append("__typename")
            if rng.random() < 0.95 or not edge:
                edge.append(f"{self._maybe_alias(doc, 'node')}node {{ {node(doc)} }}")
            rng.shuffle(edge)
            items.append(f"edges {{ {' '.join(edge)} }}")
        if rng.random() < 0.1:
            items.append("__typename")
        rng.shuffle(items)
        return self._fragmentize(doc, f"{node_type}Connection", items, rate=0.08)

    def _resident(self, doc: _Document) -> str:
        rng = self.rng
        items = self._scalars(doc, RESIDENT_FIELDS, 0, 7)
        if rng.random() < 0.3:
            flags = [f"{self._maybe_alias(doc, f)}{f}" for f in self._sample(FLAG_FIELDS, 1, 5)]
            items.append(f"flags {{ {' '.join(flags)} }}")
        if rng.random() < 0.45:
            items.append(f"{self._maybe_alias(doc, 'cases')}cases {{ {self._case(doc)} }}")
        if rng.random() < 0.12:
            # The same relation again under an alias, with its own selection.
            items.append(f"{self._alias(doc, 'apps')}cases {{ {self._case(doc)} }}")
        if rng.random() < 0.35:
            items.append(
                f"{self._maybe_alias(doc, 'entitlements')}entitlements "
                f"{{ {self._entitlement(doc)} }}"
            )
        if rng.random() < 0.3:
            items.append(
                f"{self._maybe_alias(doc, 'household')}household {{ {self._household(doc)} }}"
            )
        self._extras(doc, "Resident", items)
        if doc.fallback_left:  # the outermost Resident takes the fallback field if nothing did
            items.append(rng.choice(FALLBACK_FIELDS["Resident"]))
            doc.fallback_left = 0
        return self._fragmentize(doc, "Resident", items)

    def _household(self, doc: _Document) -> str:
        """A household: its fields, its members (each with a resident, who may be outside the
        caller's area, or be a resident of the page too) and its head."""
        rng = self.rng
        items = self._scalars(doc, HOUSEHOLD_FIELDS, 0, 4)
        if rng.random() < 0.6:
            member: list[str] = ["relation"] if rng.random() < 0.7 else []
            if rng.random() < 0.7:
                member.append(
                    f"resident {{ {' '.join(self._sample(MEMBER_RESIDENT_FIELDS, 1, 3))} }}"
                )
            items.append(f"members {{ {' '.join(member) or '__typename'} }}")
        if rng.random() < 0.25:
            items.append(f"head {{ {' '.join(self._sample(MEMBER_RESIDENT_FIELDS, 1, 3))} }}")
        return " ".join(items) or "__typename"

    def _case(self, doc: _Document) -> str:
        items = self._scalars(doc, CASE_FIELDS, 0, 5)
        if self.rng.random() < 0.5:
            entitlement = self._entitlement(doc)
            items.append(f"{self._maybe_alias(doc, 'entitlement')}entitlement {{ {entitlement} }}")
        if self.rng.random() < 0.3:
            tasks = " ".join(self._scalars(doc, TASK_FIELDS, 1, 5))
            items.append(f"{self._maybe_alias(doc, 'approvalTasks')}approvalTasks {{ {tasks} }}")
        self._extras(doc, "Case", items)
        return self._fragmentize(doc, "Case", items)

    def _entitlement(self, doc: _Document) -> str:
        rng = self.rng
        items = self._scalars(doc, ENTITLEMENT_FIELDS, 0, 4)
        if rng.random() < 0.6:
            items.append(self._payments(doc, aliased=False))
        if rng.random() < 0.1:
            items.append(self._payments(doc, aliased=True))
        self._extras(doc, "Entitlement", items)
        return self._fragmentize(doc, "Entitlement", items)

    def _payments(self, doc: _Document, *, aliased: bool) -> str:
        """`payments`, `payments(last: n)` or `payments(last: $last)`. Unaliased ones in a
        document share one `last`, so that merged selections never conflict."""
        rng = self.rng
        if doc.bad_payments:
            doc.bad_payments = False
            last: int | None = rng.choice((-1, 101))
            aliased = True
        elif aliased:
            last = rng.randint(0, 15)
        else:
            last = doc.default_last
        alias = self._alias(doc, f"last{'' if last is None else abs(last)}") if aliased else ""
        if last is None:
            args = ""
        elif rng.random() < 0.3:
            args = f"(last: {doc.variable('last', 'Int!', last)})"
        else:
            args = f"(last: {last})"
        return f"{alias}payments{args} {{ {self._payment(doc)} }}"

    def _payment(self, doc: _Document) -> str:
        items = self._scalars(doc, PAYMENT_FIELDS, 1, 5)
        self._extras(doc, "Payment", items)
        return self._fragmentize(doc, "Payment", items, rate=0.1)

    def _scalars(self, doc: _Document, fields: Sequence[str], low: int, high: int) -> list[str]:
        """A random subset in random order; some aliased, some asked twice under two aliases,
        some under @include/@skip."""
        rng = self.rng
        items = []
        for name in self._sample(fields, low, high):
            items.append(self._directive(doc, f"{self._maybe_alias(doc, name)}{name}"))
            if rng.random() < 0.05 and doc.aliases < MAX_ALIASES:
                items.append(f"{self._alias(doc, name)}{name}")
        return items

    def _extras(self, doc: _Document, type_name: str, items: list[str]) -> None:
        rng = self.rng
        if rng.random() < 0.12:
            items.append("__typename")
        if doc.fallback_left and rng.random() < 0.4:
            items.append(rng.choice(FALLBACK_FIELDS[type_name]))
            doc.fallback_left = 0
        if not items:
            items.append("id" if rng.random() < 0.7 else "__typename")
        rng.shuffle(items)

    # -- aliases, directives, fragments ------------------------------------------------------

    def _alias(self, doc: _Document, base: str) -> str:
        doc.aliases += 1
        return f"{base}_{doc.aliases}: "

    def _maybe_alias(self, doc: _Document, base: str) -> str:
        if doc.aliases < MAX_ALIASES and self.rng.random() < 0.1:
            return self._alias(doc, base)
        return ""

    def _directive(self, doc: _Document, item: str) -> str:
        rng = self.rng
        if rng.random() >= 0.06:
            return item
        doc.tags.add("directive")
        name = rng.choice(("include", "skip"))
        if rng.random() < 0.25:
            return f"{item} @{name}(if: {_literal(rng.random() < 0.5)})"
        flag = doc.variable(name, "Boolean!", rng.random() < 0.5)
        return f"{item} @{name}(if: {flag})"

    def _fragmentize(
        self, doc: _Document, type_name: str, items: list[str], rate: float = 0.2
    ) -> str:
        """Move a run of `items` into a named fragment, or an inline fragment (with or without
        a type condition, sometimes under @include/@skip)."""
        rng = self.rng
        roll = rng.random()
        if len(items) >= 1 and roll < rate + 0.15:
            start = rng.randrange(len(items))
            end = rng.randint(start + 1, len(items))
            inner = " ".join(items[start:end])
            if roll < rate:
                doc.tags.add("fragment")
                name = f"{type_name[:3]}{len(doc.fragments) + 1}"
                doc.fragments[name] = (type_name, inner)
                spread = f"...{name}"
                if rng.random() < 0.15:
                    spread = self._spread_directive(doc, spread)
                items[start:end] = [spread]
                if rng.random() < 0.2:
                    # Spread twice: the second adds nothing, and must change nothing.
                    items.insert(rng.randrange(len(items) + 1), f"...{name}")
            else:
                doc.tags.add("inline-fragment")
                condition = rng.choice((f" on {type_name}", "", f" on {type_name}"))
                if rng.random() < 0.2:
                    condition = self._spread_directive(doc, condition)
                items[start:end] = [f"...{condition} {{ {inner} }}"]
        return " ".join(items)

    def _spread_directive(self, doc: _Document, text: str) -> str:
        doc.tags.add("directive")
        name = self.rng.choice(("include", "skip"))
        flag = doc.variable(f"{name}Part", "Boolean!", self.rng.random() < 0.5)
        return f"{text} @{name}(if: {flag})"

    def _sample(self, fields: Sequence[str], low: int, high: int) -> list[str]:
        return self.rng.sample(list(fields), self.rng.randint(low, min(high, len(fields))))


class _Enum(str):
    """An enum value: bare in a document, a string in the variables."""


def _literal(value: Any) -> str:
    if isinstance(value, _Enum):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join(f"{k}: {_literal(v)}" for k, v in value.items())
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def policy_sweep() -> GeneratedQuery:
    """Every supported field of every row a caller may see, once: run for each caller, it
    covers each cell of the policy table on each row (need-to-know both ways)."""

    def entitlement(last: int) -> str:
        return f"{' '.join(ENTITLEMENT_FIELDS)} payments(last: {last}) {{ {' '.join(PAYMENT_FIELDS)} }}"

    node = (
        f"{' '.join(RESIDENT_FIELDS)} flags {{ {' '.join(FLAG_FIELDS)} }} "
        f"cases {{ {' '.join(CASE_FIELDS)} entitlement {{ {entitlement(15)} }} }} "
        f"entitlements {{ {entitlement(14)} }}"
    )
    query = (
        "query Sweep { residents(first: 20) { totalCount "
        f"pageInfo {{ {' '.join(PAGE_INFO_FIELDS)} }} edges {{ cursor node {{ {node} }} }} }} }}"
    )
    return GeneratedQuery(query, {}, None, ("sweep",))


def generate_queries(
    seed: int,
    count: int,
    cursors: Sequence[str],
    resident_ids: Sequence[str] = (),
    case_keys: Sequence[tuple[str, str]] = (),
    periods: Sequence[str] = (),
) -> list[GeneratedQuery]:
    """`count` documents from `seed`: the same seed, cursors and keys give the same list."""
    generator = QueryGenerator(random.Random(seed), cursors, resident_ids, case_keys, periods)
    return [generator.generate() for _ in range(count)]

"""Compiles a root connection's selection and a caller shape into one PostgreSQL statement.

The statement materializes the page (`n0`, with one look-ahead row, and `p0`) and writes each
object's JSON as text (`'{"key":' || value || ...`, arrays with `string_agg`; values encoded as
`json_build_object` encodes them, without the spaces it put around every colon and comma, which
made pages a tenth larger and cost the database more) with one lateral subquery per relation: for
pages of tens of rows that is a few index lookups per row, which measured about half the
database time of materializing and hash-joining whole row sets (bench/README.md). The
caller's jurisdiction (`visible`), masks (`MASKS[...].sql`) and need to know
(`holds_open_task`) are the hub's own SQLAlchemy expressions, rendered once per plan; request
values (page size, cursor, filter) stay bind parameters.

Each lateral subquery returns two columns: the JSON of its rows (`j`) and the audit event's
resource documents for those rows and everything below them (`a`), written in the audit log's
canonical JSON (`{"divisionCode":..,"fields":[..],"id":..,"type":..}`, keys sorted, no spaces),
so one pass over the rows yields both the answer and what the audit event lists, and the
recorder stores and hashes that text without building an object per row. A plan with denied
fields also returns, per audited row set, `[[globalId, divisionCode, hasOpenTask, path], ...]`
(the rows reached again from the page) for the FORBIDDEN_FIELD errors' paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from hub.auth.principal import Principal
from hub.compiled.selection import Selected, Unsupported
from hub.compiled.shapes import (
    ID,
    SHAPES,
    TYPENAME,
    Column,
    Count,
    Embedded,
    Guarded,
    Relation,
    Shape,
)
from hub.db.queries import holds_open_task
from hub.policy.evaluator import Decision, PolicyEvaluator
from hub.policy.grants import Grant
from hub.policy.jurisdiction import visible
from hub.policy.masks import MASKS

_DIALECT = postgresql.dialect()
MAX_LAST = 100
EMPTY = "'[]'::json"  # the rows of a plan with denied fields (a `json` column)
EMPTY_ARRAY = "'[]'"  # JSON text
NULL = "'null'"


def render(expression: Any) -> str:
    """An SQLAlchemy expression as PostgreSQL text with its (constant) values inlined."""
    return str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def global_id_sql(type_name: str, column: str) -> str:
    """`to_global_id` in SQL: base64url of "Type:pk" without padding."""
    encoded = f"encode(convert_to({_quote(type_name + ':')} || {column}, 'UTF8'), 'base64')"
    return f"rtrim(translate({encoded}, '+/', '-_'), '=')"


def value_sql(kind: str, expr: str) -> str:
    """A column as strawberry serializes it (dates ISO, datetimes `isoformat()`, decimals as
    strings)."""
    if kind == "date":
        return f"to_char({expr}, 'YYYY-MM-DD')"
    if kind == "datetime":
        utc = f"({expr} AT TIME ZONE 'UTC')"
        fraction = (
            f"CASE WHEN date_part('microseconds', {expr})::int % 1000000 = 0 THEN ''"
            f" ELSE to_char({utc}, '.US') END"
        )
        return f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} || '+00:00')"
    if kind == "decimal":
        return f"({expr})::text"
    if kind == "upper":
        return f"upper({expr})"
    return expr


def json_value(kind: str, expr: str) -> str:
    """A column as `value_sql` renders it, as JSON text (never NULL), as `json_build_object`
    writes it: numbers and booleans as their text, dates, times and decimals quoted (their text
    needs no escaping), everything else through `to_json`."""
    if kind in ("int", "bool"):
        return f"coalesce(({expr})::text, {NULL})"
    if kind in ("date", "datetime", "decimal"):
        return f"""coalesce('"' || {expr} || '"', {NULL})"""
    return _any_json(expr)


def _any_json(expr: str) -> str:
    """Any SQL value as JSON text (never NULL), exactly as `json_build_object` writes it."""
    return f"coalesce(to_json({expr})::text, {NULL})"


def _plain_string(expr: str) -> str:
    """A text that needs no JSON escaping (global ids, cursors: base64url) as a JSON string."""
    return f"""('"' || {expr} || '"')"""


def _json_object(pairs: list[tuple[str, str]]) -> str:
    """`{"key":value,...}` as text, from (response key, JSON text that is never NULL)."""
    if not pairs:
        return "'{}'"
    parts = []
    for n, (key, value) in enumerate(pairs):
        parts.append(_quote(("{" if n == 0 else ",") + orjson.dumps(key).decode() + ":"))
        parts.append(value)
    parts.append("'}'")
    return "(" + " || ".join(parts) + ")"


def _json_array(element: str, order: str) -> str:
    """The group's elements (JSON text) as a JSON array, in `order`; NULL for no rows."""
    return f"('[' || string_agg({element}, ',' ORDER BY {order}) || ']')"


def _type_name(name: str) -> str:
    return _quote(orjson.dumps(name).decode())


def _utf8(json_expression: str) -> str:
    """The response's JSON as UTF-8 bytes (bytea): the driver hands them over as they are, and
    the response embeds them as they are; as text they were decoded and encoded again."""
    return f"convert_to(({json_expression})::text, 'UTF8')"


def _grants_json(grants: tuple[tuple[str, Grant], ...]) -> str:
    # Field names and grants are plain ASCII: orjson writes the canonical form.
    return orjson.dumps(
        [{"field": f, "grant": str(g)} for f, g in grants], option=orjson.OPT_SORT_KEYS
    ).decode()


def _document_sql(
    alias: str,
    type_name: str,
    with_task: tuple[tuple[str, Grant], ...],
    without_task: tuple[tuple[str, Grant], ...],
) -> str:
    """The resource document of the row `alias` as the recorder writes it: canonical JSON,
    keys sorted, no spaces. Global ids (the row's `_gid`) and type names need no escaping; the
    division code goes through `to_json`."""
    fields = _quote(_grants_json(without_task))
    if with_task != without_task:
        fields = f"CASE WHEN {alias}._task THEN {_quote(_grants_json(with_task))} ELSE {fields} END"
    division = f"coalesce(to_json({alias}.division_code)::text, 'null')"
    global_id = f"{alias}._gid"
    tail = _quote(f'","type":"{type_name}"}}')
    return (
        f"""('{{"divisionCode":' || {division} || ',"fields":' || {fields}"""
        f""" || ',"id":"' || {global_id} || {tail})"""
    )


@dataclass(frozen=True, slots=True)
class AuditSpec:
    """One audited row set: which result column lists its rows, and the grants of the guarded
    fields read on them (with and without an open task, for need-to-know fields)."""

    type_name: str
    column: int
    with_task: tuple[tuple[str, Grant], ...]
    without_task: tuple[tuple[str, Grant], ...]


@dataclass(frozen=True, slots=True)
class Denial:
    """A denied field selected on the rows of one audited row set: every such row gets a null
    and a FORBIDDEN_FIELD error at `route` (None: the row's index from its path) + `key`."""

    column: int
    route: tuple[str | None, ...]
    key: str
    keys_from_root: tuple[str, ...]
    type_name: str
    field_name: str


@dataclass(frozen=True, slots=True)
class Plan:
    """`sql` returns the JSON (UTF-8 bytes), the resource documents (comma-separated, or NULL
    for none) and, for `denials`, the row lists of `audits`. `unique_resources`: no resource
    can be listed twice (each audited type is reached by one path only), so the documents need
    no merging."""

    sql: str
    params: tuple[str, ...]
    audits: tuple[AuditSpec, ...]
    denials: tuple[Denial, ...] = ()
    unique_resources: bool = True


@dataclass
class _Rows:
    """The rows of one shape at one place in the selection (the page, or a relation's rows per
    parent row), and what its selections need from them."""

    name: str
    shape: Shape
    selections: list[tuple[Selected, ...]]
    task: bool = False
    township: bool = False
    guarded: dict[str, Decision] = field(default_factory=dict)
    audit_column: int | None = None
    # This row's resource document (SQL text), or None when these rows are not audited.
    document: str | None = None
    # LEFT JOIN LATERAL clauses of the relations read on these rows, and the aliases of those
    # whose audit text (`a`) belongs to each row's.
    laterals: list[str] = field(default_factory=list)
    child_audits: list[str] = field(default_factory=list)
    # Reached through a relation that looks rows up by their own id (many to one: several
    # parents may reach the same row), or below one.
    shared: bool = False
    # How the audit reaches these rows from the page: (alias, rows query correlated to the
    # previous alias) per level below p0, and the aliases whose `_pos` make up the path.
    chain: tuple[tuple[str, str], ...] = ()
    positions: tuple[str, ...] = ("p",)


class Planner:
    """Builds one `Plan`; create one per compilation."""

    def __init__(self, evaluator: PolicyEvaluator, principal: Principal) -> None:
        self.evaluator = evaluator
        self.principal = principal
        self.ctes: list[str] = []
        self.params: list[str] = []
        self.audit_columns: list[str] = []
        self.audits: list[AuditSpec] = []
        self.audited_types: list[str] = []
        self.may_repeat = False  # whether a resource may be listed twice in the documents
        self.edges: list[str] = []  # the page's aggregates, one per `edges` selection
        self.denials: list[Denial] = []
        # Whether row sets carry their path (indexes from the root), for denied-field errors.
        self.paths = False
        self._names = 0

    # -- small helpers ---------------------------------------------------------------------

    def param(self, name: str) -> str:
        if name not in self.params:
            self.params.append(name)
        return f"${self.params.index(name) + 1}"

    def name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}{self._names}"

    def decision(self, type_name: str, field_name: str) -> Decision:
        p = self.principal
        return self.evaluator.decide_for(p.department, p.level, p.roles, type_name, field_name)

    # -- row sets --------------------------------------------------------------------------

    def _inspect(self, rows: _Rows) -> None:
        """Which guarded fields the selections read, and whether rows need task or township."""
        for selection in rows.selections:
            for sel in selection:
                spec = rows.shape.fields.get(sel.name)
                if not isinstance(spec, Guarded):
                    continue
                decision = self.decision(rows.shape.type_name, sel.name)
                masked = decision.grant is Grant.MASKED or decision.need_to_know
                if masked and decision.mask is None:
                    raise Unsupported("a masked field without a mask")
                rows.guarded[sel.name] = decision
                rows.task = rows.task or decision.need_to_know
                if masked and decision.mask and MASKS[decision.mask].context:
                    rows.township = True
        if rows.task and rows.shape.need_to_know is None:
            raise Unsupported("need to know on a type without a resident")

    def _extras(
        self, rows: _Rows, alias: str, parent_alias: str | None, township: str | None = None
    ) -> str:
        """The computed columns of a row set: `_task` (need to know), `_township` (the name a
        mask shows; `township`: one code for every row, a parameter) and `_gid` (the global id,
        which the JSON and the audit document both write: computed once per row)."""
        shape = rows.shape
        extras = []
        if rows.task:
            assert shape.need_to_know is not None
            source = parent_alias if shape.need_to_know_from_parent else alias
            resident, household = shape.need_to_know
            holds = holds_open_task(
                self.principal.department.value,
                None if resident is None else sa.literal_column(f"{source}.{resident}"),
                sa.literal_column(f"{source}.{household}"),
            )
            extras.append(f"{render(holds)} AS _task")
        else:
            extras.append("false AS _task")
        if rows.township:
            code = township or f"substr({alias}.division_code, 1, 9) || '000'"
            name = f"(SELECT d.full_name FROM divisions d WHERE d.code = {code})"
            extras.append(f"{name} AS _township")
        if self._needs_gid(rows):
            extras.append(f"{global_id_sql(shape.type_name, f'{alias}.id')} AS _gid")
        return ", ".join(extras)

    @staticmethod
    def _audited(rows: _Rows) -> bool:
        """Whether the audit event lists these rows: always for their type, or fields guarded."""
        return rows.shape.always_audited or bool(rows.guarded)

    def _needs_gid(self, rows: _Rows) -> bool:
        """Whether the rows' global id is written: selected as `id`, or in the audit document."""
        if self._audited(rows):
            return True
        fields = rows.shape.fields
        return any(fields.get(sel.name) == ID for selected in rows.selections for sel in selected)

    def _narrow_page(self, rows: _Rows, where: list[str], limit: str) -> str:
        """The page of a village (or of a township, for rows without the township index): the
        ids from the (division_code, id) index, the first ones in id order, then their rows.
        The prepared statement's generic plan would otherwise read the whole table in id order
        until enough rows fall in the division: for the benchmark data 2-10 ms for a township
        and up to 80 ms for a division outside the caller's area (no row matches), about 1 ms
        this way. A county's or a wider page keeps that id-order read: its rows are dense
        enough, and reading every index entry of a county costs more (6.8 against 2.1 ms;
        docs/performance.md)."""
        table = rows.shape.table
        ids = (
            f"SELECT {table}.id FROM {table} WHERE {' AND '.join(where)}"
            f" ORDER BY {table}.id LIMIT {limit}"
        )
        return (
            f"SELECT {self._columns(rows)} FROM {table} WHERE {table}.id IN ({ids})"
            f" ORDER BY {table}.id"
        )

    def _root_need_to_know(self, rows: _Rows) -> None:
        """Rows whose need to know comes from their parent (payments, from the entitlement)
        cannot decide it at the root, where there is no parent row."""
        if rows.task and rows.shape.need_to_know_from_parent:
            raise Unsupported("need to know from a parent row at the root")

    def _columns(self, rows: _Rows, *keys: str) -> str:
        """Only the columns the selections, the audit, need to know and `keys` read: narrower
        rows make the page and each subquery cheaper than `table.*`."""
        shape = rows.shape
        own = () if shape.need_to_know_from_parent else (shape.need_to_know or ())
        needed = {"id", *keys, *(c for c in own if c is not None)}
        if shape.scoped:
            needed.add("division_code")
        for selection in rows.selections:
            for sel in selection:
                spec = shape.fields.get(sel.name)
                if isinstance(spec, Column | Guarded):
                    needed.add(spec.column)
                elif isinstance(spec, Embedded):
                    needed.update(c.column for c in spec.fields.values())
                    if spec.present:
                        needed.add(spec.present)
                elif isinstance(spec, Relation):
                    needed.add(spec.parent_key)
        return ", ".join(f"{shape.table}.{c}" for c in sorted(needed))

    def _has_denied(self, shape: Shape, selections: list[tuple[Selected, ...]]) -> bool:
        for selection in selections:
            for sel in selection:
                spec = shape.fields.get(sel.name)
                if isinstance(spec, Guarded):
                    if self.decision(shape.type_name, sel.name).grant is Grant.DENIED:
                        return True
                elif isinstance(spec, Relation):
                    if self._has_denied(SHAPES[spec.type_name], [sel.children]):
                        return True
        return False

    def _audit(self, rows: _Rows) -> None:
        if not self._audited(rows):
            return
        type_name = rows.shape.type_name
        with_task = tuple((f, d.grant) for f, d in sorted(rows.guarded.items()))
        without_task = tuple((f, d.effective(False)) for f, d in sorted(rows.guarded.items()))
        self.audited_types.append(type_name)
        self.may_repeat = self.may_repeat or rows.shared
        rows.document = _document_sql(rows.name, type_name, with_task, without_task)
        if not self.paths:
            return
        column = len(self.audit_columns) + 2
        source = "p0 p" + "".join(f" CROSS JOIN LATERAL ({sql}) {a}" for a, sql in rows.chain)
        a = rows.chain[-1][0] if rows.chain else "p"
        path = ", ARRAY[" + ", ".join(f"{x}._pos" for x in rows.positions) + "]::int[]"
        self.audit_columns.append(
            f"(SELECT coalesce(json_agg(json_build_array("
            f"{global_id_sql(type_name, f'{a}.id')}, {a}.division_code, {a}._task"
            f"{path})), {EMPTY}) FROM {source})::text"
        )
        self.audits.append(AuditSpec(type_name, column, with_task, without_task))
        rows.audit_column = column

    def _row_audit(self, rows: _Rows) -> str | None:
        """The audit text of one row: its own document, then those of the rows below it."""
        parts = [] if rows.document is None else [rows.document]
        parts.extend(f"{child}.a" for child in rows.child_audits)
        if not parts:
            return None
        if len(parts) == 1 and rows.document is not None:
            return parts[0]
        # concat_ws skips NULLs (relations without rows); NULLIF drops rows with nothing.
        return f"NULLIF(concat_ws(',', {', '.join(parts)}), '')"

    def _unique(self) -> bool:
        """Whether no resource can be listed twice: each audited type is reached on one path,
        through relations from parent to children only (a child row has one parent)."""
        return not self.may_repeat and len(set(self.audited_types)) == len(self.audited_types)

    # -- objects ---------------------------------------------------------------------------

    def object_sql(
        self,
        rows: _Rows,
        selection: tuple[Selected, ...],
        alias: str,
        route: tuple[str | None, ...],
    ) -> str:
        """The JSON object of one row of `rows` (as `alias`) at `route` (response keys, None for
        list indexes, from below the root field)."""
        pairs: list[tuple[str, str]] = []
        shape = rows.shape
        for sel in selection:
            if sel.name == TYPENAME:
                pairs.append((sel.key, _type_name(shape.type_name)))
                continue
            spec = shape.fields.get(sel.name)
            if spec is None:
                raise Unsupported(f"{shape.type_name}.{sel.name}")
            if spec == ID:
                expr = _plain_string(f"{alias}._gid")
            elif isinstance(spec, Column):
                expr = json_value(spec.kind, value_sql(spec.kind, f"{alias}.{spec.column}"))
            elif isinstance(spec, Guarded):
                if rows.guarded[sel.name].grant is Grant.DENIED:
                    self._deny(rows, route, sel)
                    expr = NULL
                else:
                    expr = _any_json(self._guarded(rows, sel.name, spec, alias))
            elif isinstance(spec, Embedded):
                expr = f"coalesce({self._embedded(spec, sel.children, alias)}, {NULL})"
            elif isinstance(spec, Relation):
                expr = self._relation(rows, spec, sel, alias, route)
            elif isinstance(spec, Count):
                expr = (
                    f"((SELECT count(*) FROM {spec.table} c WHERE c.{spec.key} = {alias}.id)::text)"
                )
            else:  # pragma: no cover - shapes are declared above
                raise Unsupported(sel.name)
            pairs.append((sel.key, expr))
        return _json_object(pairs)

    def _deny(self, rows: _Rows, route: tuple[str | None, ...], sel: Selected) -> None:
        assert rows.audit_column is not None  # guarded fields make a row set audited
        self.denials.append(
            Denial(
                rows.audit_column,
                route,
                sel.key,
                tuple(k for k in route if k is not None) + (sel.key,),
                rows.shape.type_name,
                sel.name,
            )
        )

    def _guarded(self, rows: _Rows, field_name: str, spec: Guarded, alias: str) -> str:
        """A readable guarded field's value (denied ones are `null`, in `object_sql`)."""
        decision = rows.guarded[field_name]
        full = value_sql(spec.kind, f"{alias}.{spec.column}")
        if decision.grant is Grant.FULL and not decision.need_to_know:
            return full
        assert decision.mask is not None
        mask = MASKS[decision.mask]
        context: list[Any] = [sa.literal_column(f"{alias}._township") for _ in mask.context]
        masked_sql = render(mask.sql(sa.literal_column(f"{alias}.{spec.column}"), *context))
        masked = value_sql(spec.kind, masked_sql) if spec.kind != "decimal" else masked_sql
        if decision.need_to_know and decision.grant is Grant.FULL:
            return f"(CASE WHEN {alias}._task THEN {full} ELSE {masked} END)"
        return masked

    def _embedded(self, spec: Embedded, selection: tuple[Selected, ...], alias: str) -> str:
        pairs = []
        for sel in selection:
            if sel.name == TYPENAME:
                pairs.append((sel.key, _type_name(spec.type_name)))
                continue
            column = spec.fields.get(sel.name)
            if column is None:
                raise Unsupported(f"{spec.type_name}.{sel.name}")
            value = value_sql(column.kind, f"{alias}.{column.column}")
            pairs.append((sel.key, json_value(column.kind, value)))
        built = _json_object(pairs)
        if spec.present is None:
            return built
        return f"(CASE WHEN coalesce({alias}.{spec.present}, '') = '' THEN NULL ELSE {built} END)"

    def _relation(
        self,
        parent: _Rows,
        spec: Relation,
        sel: Selected,
        parent_alias: str,
        route: tuple[str | None, ...],
    ) -> str:
        """A lateral subquery per parent row (for pages of tens of rows, a few index lookups
        each, cheaper than materializing and hashing whole row sets) giving the relation's JSON
        and its audit text; returns the parent's expression for the JSON."""
        shape = SHAPES[spec.type_name]
        last = None
        if spec.last_argument is not None:
            last = sel.arg(spec.last_argument, 12)
            if not isinstance(last, int) or last < 0 or last > MAX_LAST:
                raise Unsupported("an out-of-range argument (the resolver reports it)")
        alias = self.name("r")
        rows = _Rows(alias, shape, [sel.children], shared=parent.shared or spec.child_key == "id")
        self._inspect(rows)
        table = shape.table
        inner = (
            f"SELECT {self._columns(rows, spec.child_key)} FROM {table}"
            f" WHERE {table}.{spec.child_key} = {parent_alias}.{spec.parent_key}"
        )
        if shape.scoped:
            inner += f" AND {render(visible(self.principal, shape.model))}"
        if last is not None:
            inner += f" ORDER BY {table}.id DESC LIMIT {int(last)}"
        elif spec.single:
            inner += f" ORDER BY {table}.id LIMIT 1"
        position = ", (row_number() OVER (ORDER BY x.id) - 1)::int AS _pos" if self.paths else ""
        # OFFSET 0: not merged into the outer query, where `_gid` and `_task` would be computed
        # again at each use.
        rows_sql = (
            f"SELECT x.*, {self._extras(rows, 'x', parent_alias)}{position}"
            f" FROM ({inner}) x OFFSET 0"
        )
        rows.chain = (*parent.chain, (alias, rows_sql))
        rows.positions = parent.positions if spec.single else (*parent.positions, alias)
        self._audit(rows)

        child_route = (*route, sel.key) if spec.single else (*route, sel.key, None)
        obj = self.object_sql(rows, sel.children, alias, child_route)
        audit = self._row_audit(rows)
        joins = "".join(rows.laterals)
        lateral = self.name("c")
        if spec.single:
            columns = f"{obj} AS j, {audit or 'NULL::text'} AS a"
        else:
            agg_audit = "NULL::text" if audit is None else f"string_agg({audit}, ',')"
            columns = f"{_json_array(obj, f'{alias}.id')} AS j, {agg_audit} AS a"
        parent.laterals.append(
            f" LEFT JOIN LATERAL (SELECT {columns} FROM ({rows_sql}) {alias}{joins}) {lateral}"
            " ON true"
        )
        if audit is not None:
            parent.child_audits.append(lateral)
        return f"coalesce({lateral}.j, {NULL if spec.single else EMPTY_ARRAY})"

    # -- the root connection ---------------------------------------------------------------

    def connection(
        self,
        type_name: str,
        selection: tuple[Selected, ...],
        *,
        after: bool,
        division: bool,
        equals: tuple[str, ...] = (),
        narrow: bool = False,
        township: bool = False,
    ) -> Plan:
        """A page of a root connection: in the caller's area, under a division (`division`;
        `narrow`: one township or village, `$township_code` that township's 12-digit code;
        `township`: one township, `$township` its 9-digit prefix), with `column = $column` for
        each of `equals`, after a cursor (`after`)."""
        shape = SHAPES[type_name]
        table = shape.table
        node_selections = [
            node.children
            for edges in selection
            if edges.name == "edges"
            for node in edges.children
            if node.name == "node"
        ]
        rows = _Rows("p", shape, node_selections)
        self._inspect(rows)
        self._root_need_to_know(rows)
        self.paths = self._has_denied(shape, node_selections)
        where = [render(visible(self.principal, shape.model))]
        where.extend(f"{table}.{column} = {self.param(column)}" for column in equals)
        by_township = division and township and shape.township_index
        if by_township:  # the same rows as the range, on the (township, id) index
            where.append(f"substr({table}.division_code, 1, 9) = {self.param('township')}")
        elif division:
            where.append(
                f"{table}.division_code BETWEEN {self.param('division_low')}"
                f" AND {self.param('division_high')}"
            )
        count_where = " AND ".join(where)
        if after:
            where.append(f"{table}.id > {self.param('after')}")
        first = self.param("first")
        limit = self.param("limit")
        lookahead = (
            f"SELECT {self._columns(rows)} FROM {table} WHERE {' AND '.join(where)}"
            f" ORDER BY {table}.id LIMIT {limit}"
        )
        if division and narrow and shape.division_id_index and not by_township:
            lookahead = self._narrow_page(rows, where, limit)
        self.ctes.append(f"n0 AS MATERIALIZED ({lookahead})")
        position = ", (row_number() OVER (ORDER BY s.id) - 1)::int AS _pos" if self.paths else ""
        # A township's or a village's page lies in one township: its name is read once.
        page_in_township = division and narrow and rows.township
        township_code = self.param("township_code") if page_in_township else None
        self.ctes.append(
            f"p0 AS MATERIALIZED (SELECT s.*, {self._extras(rows, 's', None, township_code)}"
            f"{position}"
            f" FROM n0 s ORDER BY s.id LIMIT {first})"
        )
        self._audit(rows)
        pairs = []
        for sel in selection:
            if sel.name == TYPENAME:
                expr = _type_name(f"{type_name}Connection")
            elif sel.name == "edges":
                expr = self._edges(rows, sel, (sel.key,))
            elif sel.name == "pageInfo":
                expr = self._page_info(sel, first)
            elif sel.name == "totalCount":
                expr = f"((SELECT count(*) FROM {table} WHERE {count_where})::text)"
            else:
                raise Unsupported(f"{type_name}Connection.{sel.name}")
            pairs.append((sel.key, expr))
        # One pass over the page: the edges' JSON and every row's audit text.
        audit = self._row_audit(rows)
        audits = "NULL::text" if audit is None else f"string_agg({audit}, ',')"
        aggregates = [*self.edges, f"{audits} AS a"]
        page = f"(SELECT {', '.join(aggregates)} FROM p0 p{''.join(rows.laterals)}) t"
        columns = [_utf8(_json_object(pairs)), "t.a", *self.audit_columns]
        sql = f"WITH {', '.join(self.ctes)} SELECT {', '.join(columns)} FROM {page}"
        return Plan(
            sql, tuple(self.params), tuple(self.audits), tuple(self.denials), self._unique()
        )

    def one(self, type_name: str, selection: tuple[Selected, ...], key: str = "id") -> Plan:
        """One object whose `key` column equals `$key` (the lowest id if several); the
        statement returns no row when the caller may see none."""
        shape = SHAPES[type_name]
        table = shape.table
        rows = _Rows("p", shape, [selection])
        rows.positions = ()  # the object is the root field itself: no list index above it
        self._inspect(rows)
        self._root_need_to_know(rows)
        self.paths = self._has_denied(shape, [selection])
        visible_rows = render(visible(self.principal, shape.model))
        where = f"{visible_rows} AND {table}.{key} = {self.param('key')}"
        row = f"SELECT {self._columns(rows)} FROM {table} WHERE {where} ORDER BY {table}.id LIMIT 1"
        self.ctes.append(
            f"p0 AS MATERIALIZED (SELECT s.*, {self._extras(rows, 's', None)} FROM ({row}) s)"
        )
        self._audit(rows)
        obj = self.object_sql(rows, selection, "p", ())
        audit = self._row_audit(rows) or "NULL::text"
        columns = [_utf8(obj), audit, *self.audit_columns]
        joins = "".join(rows.laterals)
        sql = f"WITH {', '.join(self.ctes)} SELECT {', '.join(columns)} FROM p0 p{joins}"
        return Plan(
            sql, tuple(self.params), tuple(self.audits), tuple(self.denials), self._unique()
        )

    def _edges(self, rows: _Rows, edges: Selected, route: tuple[str | None, ...]) -> str:
        pairs: list[tuple[str, str]] = []
        for sel in edges.children:
            if sel.name == TYPENAME:
                pairs.append((sel.key, _type_name(rows.shape.type_name + "Edge")))
            elif sel.name == "cursor":
                pairs.append((sel.key, _plain_string(global_id_sql("cursor", "p.id"))))
            elif sel.name == "node":
                obj = self.object_sql(rows, sel.children, "p", (*route, None, sel.key))
                pairs.append((sel.key, obj))
            else:
                raise Unsupported(f"Edge.{sel.name}")
        name = f"e{len(self.edges)}"
        self.edges.append(f"{_json_array(_json_object(pairs), 'p.id')} AS {name}")
        return f"coalesce(t.{name}, {EMPTY_ARRAY})"

    def _page_info(self, page_info: Selected, first: str) -> str:
        cursor = _plain_string(global_id_sql("cursor", "p.id"))
        values = {
            "hasNextPage": f"(((SELECT count(*) FROM n0) > {first})::text)",
            "hasPreviousPage": "'false'",
            "startCursor": f"coalesce((SELECT {cursor} FROM p0 p ORDER BY p.id LIMIT 1), {NULL})",
            "endCursor": (
                f"coalesce((SELECT {cursor} FROM p0 p ORDER BY p.id DESC LIMIT 1), {NULL})"
            ),
            TYPENAME: _type_name("PageInfo"),
        }
        pairs = []
        for sel in page_info.children:
            if sel.name not in values:
                raise Unsupported(f"PageInfo.{sel.name}")
            pairs.append((sel.key, values[sel.name]))
        return _json_object(pairs)

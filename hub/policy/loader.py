"""Load and validate a field-policy YAML file; any mistake stops the load with one precise line."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the venv

from hub.errors import ConfigError
from hub.policy.grants import Grant
from hub.policy.masks import MASKS
from hub.policy.model import Caller, CallerMatcher, FieldRef, Policy, Rule
from hub.types import ROLES, Department, Level

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")
TOP_LEVEL_KEYS = frozenset({"version", "description", "callers", "masks", "rules"})
MATCHER_KEYS = frozenset({"departments", "levels", "roles"})
RULE_KEYS = frozenset({"rule", "field", "fields", "who", "grant", "need_to_know", "note"})
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD = re.compile(r"^([A-Z][A-Za-z0-9]*)\.([a-z][A-Za-z0-9]*)$")


class PolicyError(ConfigError):
    """The policy file is invalid; the message names the file, line, rule and key."""


class _Map(dict[str, Any]):
    """A YAML mapping that knows the line it starts on and the line of each key."""

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers each mapping's line and refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    result = _Map(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            problem = f"duplicate key {key!r}"
            raise yaml.MarkedYAMLError(problem=problem, problem_mark=key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_policy(
    path: Path | None = None, known_fields: Mapping[str, Collection[str]] | None = None
) -> Policy:
    """The policy at `path` (the packaged default when None), validated against `known_fields`."""
    file = DEFAULT_POLICY_PATH if path is None else Path(path)
    source = file.name if path is None else str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{source}: cannot read the policy file: {exc.strerror}") from exc
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{where}: invalid YAML: {problem}") from exc
    return _Builder(source, known_fields).build(data)


class _Builder:
    def __init__(self, source: str, known_fields: Mapping[str, Collection[str]] | None) -> None:
        self.source = source
        self.known = known_fields
        self.callers: dict[str, Caller] = {}

    def fail(self, line: int | None, where: str, problem: str) -> PolicyError:
        at = f"{self.source}:{line}" if line else self.source
        return PolicyError(f"{at}: {where}: {problem}")

    def build(self, data: Any) -> Policy:
        if not isinstance(data, _Map):
            raise self.fail(None, "top level", "must be a mapping with 'version' and 'rules'")
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                raise self.fail(data.line, "top level", f"unknown key {key!r}")
        version = data.get("version")
        if version is None:
            raise self.fail(data.line, "top level", "missing 'version'")
        if not isinstance(version, str) or not version.strip():
            raise self.fail(data.line, "version", "must be a non-empty quoted string")
        callers = self._mapping(data, "callers")
        for name, spec in callers.items():
            self.callers[name] = self._caller_group(name, spec, callers.line_of(name))
        raw_masks = self._mapping(data, "masks")
        masks = dict(
            self._mask(ref, name, raw_masks.line_of(ref)) for ref, name in raw_masks.items()
        )
        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise self.fail(data.line, "rules", "must be a non-empty list of rules")
        rules: list[Rule] = []
        for index, raw in enumerate(raw_rules, start=1):
            rule = self._rule(index, raw, masks)
            if any(r.name == rule.name for r in rules):
                raise self.fail(rule.line, f"rule {rule.name!r}", "duplicate rule name")
            rules.append(rule)
        return Policy(version.strip(), self.source, tuple(rules), masks, dict(self.callers))

    def _mapping(self, data: _Map, key: str) -> _Map:
        value = data.get(key) or _Map()
        if not isinstance(value, _Map):
            raise self.fail(data.line, key, "must be a mapping")
        return value

    def _mask(self, ref: str, name: Any, line: int) -> tuple[FieldRef, str]:
        field_ref = self._field_ref(ref, f"masks {ref!r}", line)
        if not isinstance(name, str) or name not in MASKS:
            known = ", ".join(sorted(MASKS))
            raise self.fail(line, f"masks {ref!r}", f"unknown mask {name!r} (known: {known})")
        return field_ref, name

    def _field_ref(self, value: Any, where: str, line: int | None) -> FieldRef:
        match = FIELD.match(value) if isinstance(value, str) else None
        if match is None:
            raise self.fail(line, where, f"field must be written Type.field, got {value!r}")
        type_name, field_name = match.groups()
        if self.known is not None:
            if type_name not in self.known:
                raise self.fail(line, where, f"unknown type {type_name!r}")
            if field_name not in self.known[type_name]:
                raise self.fail(line, where, f"unknown field {field_name!r} of type {type_name}")
        return type_name, field_name

    def _caller_group(self, name: Any, spec: Any, line: int) -> Caller:
        where = f"callers {name!r}"
        if not isinstance(name, str) or not NAME.match(name):
            raise self.fail(line, "callers", f"group name must be lower_snake, got {name!r}")
        if isinstance(spec, list):
            return self._union(name, spec, where, line)
        return Caller(name, (self._matcher(spec, where, line),), (name,))

    def _union(self, label: str, names: list[Any], where: str, line: int | None) -> Caller:
        if not names:
            raise self.fail(line, where, "an empty list of caller groups matches no one")
        matchers: list[CallerMatcher] = []
        members: dict[str, None] = {}
        for group in names:
            if not isinstance(group, str) or group not in self.callers:
                raise self.fail(line, where, f"unknown caller group {group!r}")
            matchers.extend(self.callers[group].matchers)
            members.update(dict.fromkeys(self.callers[group].members))
        return Caller(label, tuple(matchers), tuple(members))

    def _matcher(self, spec: Any, where: str, line: int | None) -> CallerMatcher:
        if not isinstance(spec, _Map):
            raise self.fail(line, where, "a caller is a mapping of departments, levels, roles")
        line = spec.line
        for key in spec:
            if key not in MATCHER_KEYS:
                raise self.fail(line, where, f"unknown key {key!r} (departments, levels, roles)")
        departments = roles = None
        if "departments" in spec:
            values = self._names(spec["departments"], where, line, "departments")
            for bad in (v for v in values if v not in Department._value2member_map_):
                raise self.fail(spec.line_of("departments"), where, f"unknown department {bad!r}")
            departments = frozenset(Department(v) for v in values)
        if "roles" in spec:
            roles = frozenset(self._names(spec["roles"], where, line, "roles"))
            for bad in sorted(roles - ROLES):
                raise self.fail(spec.line_of("roles"), where, f"unknown role {bad!r}")
        levels = None
        if "levels" in spec:
            levels = self._levels(spec["levels"], where, spec.line_of("levels"))
        return CallerMatcher(departments, levels, roles)

    def _names(self, value: Any, where: str, line: int | None, key: str) -> list[str]:
        values = [value] if isinstance(value, str) else value
        if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
            raise self.fail(line, where, f"{key!r} must be a name or a non-empty list of names")
        return values

    def _levels(self, value: Any, where: str, line: int | None) -> tuple[Level, Level]:
        names = self._names(value, where, line, "levels")
        for bad in (n for n in names if n not in Level.__members__):
            raise self.fail(line, where, f"unknown level {bad!r}")
        if len(names) > 2:
            raise self.fail(line, where, "levels is [LEVEL] or a range [HIGHEST, LOWEST]")
        high, low = Level[names[0]], Level[names[-1]]
        if high > low:
            raise self.fail(line, where, f"level range runs from {high.name} down, not up")
        return high, low

    def _rule(self, index: int, raw: Any, masks: dict[FieldRef, str]) -> Rule:
        if not isinstance(raw, _Map):
            raise self.fail(None, f"rule #{index}", "a rule is a mapping")
        line = raw.line
        name = raw.get("rule")
        label = f"rule {name!r}" if isinstance(name, str) else f"rule #{index}"
        raw_fields = raw.get("fields", raw.get("field"))
        if isinstance(raw_fields, str):
            raw_fields = [raw_fields]
        if isinstance(raw_fields, list) and raw_fields:
            label += f" ({', '.join(str(f) for f in raw_fields)})"
        for key in raw:
            if key not in RULE_KEYS:
                raise self.fail(line, label, f"unknown key {key!r}")
        if not isinstance(name, str) or not NAME.match(name):
            raise self.fail(line, label, "'rule' must be a lower_snake name")
        if ("field" in raw) == ("fields" in raw) or not (
            isinstance(raw_fields, list) and raw_fields
        ):
            raise self.fail(line, label, "give exactly one of 'field' or a non-empty 'fields'")
        fields = tuple(self._field_ref(f, label, line) for f in raw_fields)
        grant = raw.get("grant")
        if not isinstance(grant, str) or grant not in Grant.__members__:
            raise self.fail(line, label, f"bad grant {grant!r} (FULL, MASKED, DENIED)")
        need_to_know = raw.get("need_to_know", False)
        if not isinstance(need_to_know, bool) or (need_to_know and grant != Grant.FULL):
            raise self.fail(line, label, "need_to_know is true or false, and only qualifies FULL")
        for type_name, field_name in fields:
            if (grant == Grant.MASKED or need_to_know) and (type_name, field_name) not in masks:
                problem = f"{type_name}.{field_name} can be MASKED but has no mask in 'masks'"
                raise self.fail(line, label, problem)
        note = raw.get("note")
        if note is not None and not isinstance(note, str):
            raise self.fail(line, label, "note must be text")
        who = self._who(raw.get("who"), label, raw.line_of("who"))
        return Rule(name, fields, who, Grant(grant), need_to_know, note, index, line)

    def _who(self, value: Any, where: str, line: int | None) -> Caller:
        if value is None:
            raise self.fail(line, where, "missing 'who'")
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return self._union(", ".join(str(v) for v in value), value, where, line)
        matcher = self._matcher(value, where, line)
        return Caller(matcher.describe(), (matcher,), (matcher.describe(),))

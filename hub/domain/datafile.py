"""Reading the YAML data files packaged under hub/domain/data, with line numbers for errors."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

Path = tuple[str | int, ...]


class DataFileError(ValueError):
    """A packaged data file breaks its schema; the message names the file, line and key."""

    def __init__(self, source: str, line: int | None, where: str, problem: str) -> None:
        at = f"{source}:{line}" if line is not None else source
        super().__init__(f"{at}: {where}: {problem}")
        self.source = source
        self.line = line
        self.where = where
        self.problem = problem


class LineIndex:
    """Line numbers (1-based) of every mapping key and sequence item of a YAML document."""

    def __init__(self, lines: dict[Path, int]) -> None:
        self._lines = lines

    def line(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), None)


def read_packaged(name: str) -> str:
    """The text of hub/domain/data/`name`."""
    return resources.files("hub.domain").joinpath("data", name).read_text(encoding="utf-8")


def parse_yaml(text: str, source: str) -> tuple[Any, LineIndex]:
    """The document in `text` and its line index; a syntax error names `source` and the line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise DataFileError(source, line, "document", f"not valid YAML ({exc.problem})") from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if node is not None:
        _index(node, (), lines)
    return data, LineIndex(lines)


def _index(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, str(key_node.value))
            lines[key_path] = key_node.start_mark.line + 1
            _index(value_node, key_path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), lines)

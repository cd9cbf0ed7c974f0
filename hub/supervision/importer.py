"""CSV import of supervision records: all or nothing per file, every bad line reported.

A file is UTF-8 (a BOM from spreadsheet exports is fine) with a header naming the kind's
columns (docs/supervision.md lists them). Line numbers count the header as line 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.db.directory import DivisionDirectory
from hub.domain.clock import Clock
from hub.supervision.audit import record_import
from hub.supervision.kinds import KINDS, RecordKind


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    kind: str
    file: str
    imported: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(
    kind: RecordKind, text: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[LineError]]:
    """Parse the CSV text: (line, values) of the good rows and the errors of the bad ones."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    expected = [c.name for c in kind.columns]
    required = {c.name for c in kind.columns if c.required}
    missing = [c for c in expected if c not in header and c in required]
    unknown = [h for h in header if h not in expected]
    if not header or missing or unknown or len(set(header)) != len(header):
        problem = f"the header must name the columns {', '.join(expected)}"
        if missing:
            problem += f"; missing {', '.join(missing)}"
        if unknown:
            problem += f"; unknown {', '.join(unknown)}"
        return [], [LineError(1, None, problem)]
    good: list[tuple[int, dict[str, Any]]] = []
    errors: list[LineError] = []
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are allowed (a trailing newline, a spacer)
        if len(cells) != len(header):
            message = f"has {len(cells)} cells, the header has {len(header)}"
            errors.append(LineError(start, None, message))
            continue
        values, problems = kind.parse(dict(zip(header, cells, strict=True)))
        errors.extend(LineError(start, p.column, p.message) for p in problems)
        if not problems:
            good.append((start, values))
    return good, errors


async def _check_against_database(
    session: AsyncSession, kind: RecordKind, rows: list[tuple[int, dict[str, Any]]]
) -> list[LineError]:
    directory = DivisionDirectory()
    await directory.ensure(session)
    errors = []
    for line, values in rows:
        code = values[kind.division_column]
        if directory.get(code) is None:
            errors.append(LineError(line, kind.division_column, f"no division {code}"))
    if kind.unique:
        errors.extend(await _duplicates(session, kind, rows))
    return errors


async def _duplicates(
    session: AsyncSession, kind: RecordKind, rows: list[tuple[int, dict[str, Any]]]
) -> list[LineError]:
    columns = [getattr(kind.model, c) for c in kind.unique]
    keys = {line: tuple(values[c] for c in kind.unique) for line, values in rows}
    stored: set[tuple[Any, ...]] = set()
    wanted = list(set(keys.values()))
    for offset in range(0, len(wanted), 500):
        stmt = select(*columns).where(tuple_(*columns).in_(wanted[offset : offset + 500]))
        stored.update(tuple(r) for r in (await session.execute(stmt)).all())
    errors: list[LineError] = []
    first_line: dict[tuple[Any, ...], int] = {}
    what = ", ".join(kind.unique)
    for line, key in keys.items():
        if key in stored:
            errors.append(LineError(line, None, f"a record with this {what} already exists"))
        elif key in first_line:
            errors.append(LineError(line, None, f"repeats the {what} of line {first_line[key]}"))
        else:
            first_line[key] = line
    return errors


def read_file(path: Path) -> str:
    """The file's text; a file that is not UTF-8 text is refused whole."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportRefused(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{path}: cannot be read as UTF-8 text ({exc})") from None


class ImportRefused(Exception):
    """The file cannot be read at all (no line-by-line errors to give)."""


async def import_csv(
    sessions: async_sessionmaker[AsyncSession],
    kind_name: str,
    file_name: str,
    text: str,
    clock: Clock,
) -> ImportResult:
    """Import one file of `kind_name` records; nothing is written unless every line is good."""
    kind = KINDS[kind_name]
    result = ImportResult(kind_name, file_name)
    rows, result.errors = read_rows(kind, text)
    async with sessions() as session:
        result.errors.extend(await _check_against_database(session, kind, rows))
        result.errors.sort(key=lambda e: e.line)
        if result.errors or not rows:
            await session.rollback()
            return result
        await session.execute(insert(kind.model), [values for _, values in rows])
        await record_import(session, clock, kind_name, file_name, len(rows))
        await session.commit()  # the rows and their audit event, or neither
        result.imported = len(rows)
    return result

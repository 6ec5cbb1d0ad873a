"""Stream a table or view of the store to CSV, JSON Lines or Parquet, in constant memory.

Usage::

    conn = open_readonly("sqlite:///storage/narratives.db", what="export")
    export_relation(conn, "v_articles", "parquet", Path("articles.parquet"))
    export_relation(conn, "v_omissions", "csv", None, stdout=sys.stdout)   # -o -

Rows are read ``fetchmany`` batches at a time and written as they come (Parquet: one row
group per batch through ``pyarrow.parquet.ParquetWriter``), so a million rows never sit
in memory. A file is written beside its target under a temporary name and renamed when
complete: an error leaves no half file. The store is opened read-only.

Values are written as ``SELECT *`` returns them, except:

- columns declared DATETIME (every time column of the tables, and of the views that pass
  them through) become ISO 8601 UTC text, ``2026-03-02T06:00:00Z`` (with ``.ffffff`` when
  the store has microseconds), and Parquet ``timestamp[us, UTC]``;
- BLOBs become base64 text in CSV and ``{"$base64": true, "encoded": "…"}`` in JSON Lines
  (Datasette's convention), binary in Parquet;
- JSON Lines is one object per line, UTF-8, with U+0085, U+2028 and U+2029 escaped so
  that every line splitter agrees where records end;
- CSV quotes every text value and leaves numbers bare, so NULL (an empty unquoted field)
  and empty text (``""``) stay apart; the first line is the header;
- Parquet columns take their type from the declared SQL type (BOOLEAN becomes bool), or
  for computed view columns from the first batch's values.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .errors import QueryError
from .sqlquery import iter_batches

FORMATS = ("csv", "jsonl", "parquet")
BATCH_ROWS = 1000  # csv/jsonl: rows per fetchmany
ROW_GROUP_ROWS = 20_000  # parquet: rows per fetch and per row group
PARQUET_HINT = "pip install 'narratives[parquet]'"
_STORED_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?")


@dataclass
class ExportResult:
    name: str  # the table or view, as the store spells it
    kind: str  # table | view
    rows: int
    path: Path | None  # None: written to stdout


def relations(conn: sqlite3.Connection) -> dict[str, str]:
    """Every table and view of the store: name -> 'table' | 'view' (views first)."""
    rows = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                        "ORDER BY type DESC, name").fetchall()
    return {name: kind for name, kind in rows}


def resolve(conn: sqlite3.Connection, name: str) -> tuple[str, str]:
    """(name as stored, kind) of a table or view; unknown names list what there is."""
    found = relations(conn)
    for stored, kind in found.items():
        if stored.lower() == name.lower():
            return stored, kind
    views = ", ".join(n for n, k in found.items() if k == "view") or "none"
    tables = ", ".join(n for n, k in found.items() if k == "table") or "none"
    raise QueryError(f"export: no table or view named {name!r}. Views: {views}. Tables: {tables}. "
                     "Fix: pass one of these names")


def _declared_types(conn: sqlite3.Connection, name: str) -> dict[str, str]:
    return {row[1]: (row[2] or "").upper()
            for row in conn.execute(f"PRAGMA table_xinfo({quote_name(name)})")}


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def iso_time(value: Any) -> Any:
    """Stored time text -> ISO 8601 UTC ('2026-03-02T06:00:00Z'); anything else unchanged."""
    if not isinstance(value, str) or not _STORED_TIME.fullmatch(value):
        return value
    date, clock = value[:10], value[11:]
    if "." in clock and not clock.split(".", 1)[1].strip("0"):
        clock = clock.split(".", 1)[0]
    return f"{date}T{clock}Z"


def _is_time(decl: str) -> bool:
    return "DATE" in decl or "TIME" in decl


# --- CSV and JSON Lines -------------------------------------------------------------

def csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        value = base64.b64encode(value).decode("ascii")
    return '"' + str(value).replace('"', '""') + '"'


def csv_line(values: Sequence[Any]) -> str:
    return ",".join(csv_field(v) for v in values) + "\n"


def json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    return value


#: Characters str.splitlines() (and some editors) break lines at, which JSON may leave raw.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(columns: Sequence[str], row: Sequence[Any]) -> str:
    """One JSON Lines record: UTF-8 text, with every line-breaking character escaped."""
    text = json.dumps(dict(zip(columns, map(json_value, row), strict=True)), ensure_ascii=False)
    return text.translate(_LINE_BREAKS) + "\n"


def _write_text(batches: Iterator[Iterator[tuple]], columns: list[str], fmt: str, out: IO[str]) -> int:
    n = 0
    if fmt == "csv":
        out.write(csv_line(columns))
    for batch in batches:
        for row in batch:
            if fmt == "csv":
                out.write(csv_line(row))
            else:
                out.write(json_line(columns, row))
            n += 1
    return n


# --- Parquet ------------------------------------------------------------------------

def require_pyarrow() -> Any:
    """The pyarrow modules Parquet needs, or a QueryError saying how to install them."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise QueryError(f"export: Parquet needs pyarrow, which is not installed. Fix: {PARQUET_HINT} "
                         "(or export --format csv / jsonl)") from None
    return pyarrow


def _arrow_type(pa: Any, decl: str, sample: list[Any]) -> Any:
    """The column's Arrow type: SQLite's type-affinity rules on the declared type, else the values."""
    if _is_time(decl):
        return pa.timestamp("us", tz="UTC")
    if "BOOL" in decl:
        return pa.bool_()
    if "INT" in decl:
        return pa.int64()
    if any(k in decl for k in ("CHAR", "CLOB", "TEXT")):
        return pa.string()
    if "BLOB" in decl or "BINARY" in decl:
        return pa.binary()
    if any(k in decl for k in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return pa.float64()
    values = [v for v in sample if v is not None]
    if values and all(isinstance(v, int) for v in values):
        return pa.int64()
    if values and all(isinstance(v, int | float) for v in values):
        return pa.float64()
    if values and all(isinstance(v, bytes) for v in values):
        return pa.binary()
    return pa.string()


def _converter(pa: Any, arrow_type: Any) -> Callable[[Any], Any]:
    if pa.types.is_timestamp(arrow_type):
        return lambda v: v if v is None else datetime.fromisoformat(v.removesuffix("Z"))
    if pa.types.is_boolean(arrow_type):
        return lambda v: v if v is None else {0: False, 1: True}[v]
    if pa.types.is_string(arrow_type):
        return lambda v: v if v is None or isinstance(v, str) else str(v)
    if pa.types.is_floating(arrow_type):
        return lambda v: v if v is None else float(v)
    return lambda v: v


def _write_parquet(batches: Iterator[Iterator[tuple]], columns: list[str], decls: list[str], path: Path,
                   name: str) -> int:
    pa = require_pyarrow()
    import pyarrow.parquet as pq

    writer, schema, converters, n = None, None, [], 0
    try:
        for rows in batches:
            batch = list(rows)
            if writer is None:
                types = [_arrow_type(pa, d, [r[i] for r in batch]) for i, d in enumerate(decls)]
                schema = pa.schema([pa.field(c, t) for c, t in zip(columns, types, strict=True)])
                converters = [_converter(pa, t) for t in types]
                writer = pq.ParquetWriter(str(path), schema)
            arrays = []
            for i, (field, convert) in enumerate(zip(schema, converters, strict=True)):  # type: ignore[arg-type]
                try:
                    arrays.append(pa.array([convert(r[i]) for r in batch], type=field.type))
                except (ValueError, TypeError, KeyError, pa.ArrowException) as exc:
                    raise QueryError(
                        f"export: column {field.name!r} of {name} holds values of more than one type "
                        f"(Parquet column type {field.type}: {exc}). Fix: export --format csv or jsonl, "
                        "or CAST the column in your own view") from None
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            n += len(batch)
        if writer is None:  # no rows: still a valid file with the columns
            types = [_arrow_type(pa, d, []) for d in decls]
            schema = pa.schema([pa.field(c, t) for c, t in zip(columns, types, strict=True)])
            writer = pq.ParquetWriter(str(path), schema)
    finally:
        if writer is not None:
            writer.close()
    return n


# --- the export -------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export_relation(conn: sqlite3.Connection, name: str, fmt: str, path: Path | None, *,
                    stdout: IO[str] | None = None, batch_rows: int | None = None) -> ExportResult:
    """Write every row of table or view ``name`` to ``path`` (None: ``stdout``; csv/jsonl only)."""
    if fmt not in FORMATS:
        raise QueryError(f"export: unknown format {fmt!r}. Fix: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        require_pyarrow()  # before any work, so the hint comes first
        if path is None:
            raise QueryError("export: Parquet is a binary file format, not for stdout. Fix: pass "
                             "-o FILE.parquet")
    stored, kind = resolve(conn, name)
    if path is not None and not path.parent.is_dir():
        raise QueryError(f"export: folder {path.parent} does not exist. Fix: create it or pass another -o")
    decls = _declared_types(conn, stored)
    try:
        cursor = conn.execute(f"SELECT * FROM {quote_name(stored)}")
    except sqlite3.Error as exc:
        raise QueryError(f"export: cannot read {kind} {stored}: {exc}. Fix: check the store with "
                         "`narratives sql`") from None
    columns = [d[0] for d in cursor.description]
    decls_in_order = [decls.get(c, "") for c in columns]
    times = {i for i, d in enumerate(decls_in_order) if _is_time(d)}
    size = batch_rows or (ROW_GROUP_ROWS if fmt == "parquet" else BATCH_ROWS)

    def batches() -> Iterator[Iterator[tuple]]:
        for batch in iter_batches(cursor, size, what="export"):
            # rows converted one by one as they are written: no second copy of the batch
            if times:
                yield (tuple(iso_time(v) if i in times else v for i, v in enumerate(row)) for row in batch)
            else:
                yield iter(batch)

    try:
        if path is None:
            assert stdout is not None
            n = _write_text(batches(), columns, fmt, stdout)
            stdout.flush()
            return ExportResult(stored, kind, n, None)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            if fmt == "parquet":
                os.close(fd)
                n = _write_parquet(batches(), columns, decls_in_order, tmp, stored)
            else:
                with open(fd, "w", encoding="utf-8", newline="") as out:
                    n = _write_text(batches(), columns, fmt, out)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide it from other users
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    finally:
        cursor.close()
    return ExportResult(stored, kind, n, path)

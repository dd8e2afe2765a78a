"""`load_registry`: a registry file (.yaml/.yml, .csv, .xlsx) read, validated, and cached.

Reading and validating a registry (YAML import, parse, 100 pydantic validations,
contact checks) costs ~60 ms on every `thidua validate`/`plan`, while registries
change far less often than campaign files. A valid registry is kept as JSON lines keyed
by its bytes, this code, the Apprise version and the unit limit (`thidua.store.cache`);
invalid ones are never cached, so error messages always come from a fresh check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thidua import tables as _reader
from thidua.registry import channel_rules as _channel_rules
from thidua.registry import compiled
from thidua.registry import contacts as _contacts
from thidua.registry import findings as _findings
from thidua.registry import models as _models
from thidua.registry import references as _references
from thidua.registry import table_source as _tables
from thidua.registry import validation as _validation
from thidua.registry import vocabulary as _vocabulary
from thidua.registry import yaml_source as _yaml
from thidua.registry.findings import fail
from thidua.registry.models import Registry
from thidua.registry.table_source import read_bytes
from thidua.registry.validation import validate
from thidua.store.cache import cache_dir, fingerprint, source_fingerprint
from thidua.tables import TEXT_HOW, TableError, decode_utf8
from thidua.text import fold as _fold
from thidua.text import names as _names

SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")


def load_registry(path: str | Path, *, check_contacts: bool = True) -> Registry:
    """Load and validate a registry from .yaml/.yml, .csv or .xlsx; raise RegistryError."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise fail(source, "đây là một thư mục, không phải là một tệp danh mục đơn vị")
    if suffix not in SUFFIXES:
        hint = "; hãy lưu lại dạng .xlsx" if suffix in (".xls", ".ods") else ""
        raise fail(
            source,
            f"không đọc được tệp đuôi “{path.suffix}”{hint}; dùng một trong: {', '.join(SUFFIXES)}",
        )
    raw = read_bytes(path, source)
    cache_file = _compiled_cache_file(raw, suffix, check_contacts)
    cached = compiled.read(cache_file, source)
    if cached is not None:
        return cached
    if suffix == ".xlsx":
        data, locations, problems = _tables.read_xlsx(path, source)
    elif suffix == ".csv":
        data, locations, problems = _tables.read_csv(path, raw, source)
    else:
        try:
            text = decode_utf8(raw, source, how=TEXT_HOW)
        except TableError as exc:
            raise fail(source, exc.message, where=exc.where) from None
        data, locations, problems = _yaml.read_yaml(text, source)
        _check_count(data, source)
    registry = validate(
        data, source=source, check_contacts=check_contacts, locations=locations, problems=problems
    )
    compiled.write(cache_file, registry)
    return registry


def _check_count(data: Any, source: str) -> None:
    """A YAML registry holds no more units than a table may (its bytes alone bound it
    only loosely: a short unit takes a few dozen bytes)."""
    units = data.get("units") if isinstance(data, dict) else None
    limit = _tables.limits()
    if isinstance(units, list) and len(units) > limit.rows:
        raise fail(source, f"danh mục có {len(units)} đơn vị, quá {limit.rows}; {limit.hint}")


def _compiled_cache_file(raw: bytes, suffix: str, check_contacts: bool) -> Path:
    # Every module that shapes the result: a change to any of them retires the cache.
    code = source_fingerprint(
        __file__,
        compiled.__file__,
        _contacts.__file__,
        _channel_rules.__file__,
        _names.__file__,
        _models.__file__,
        _validation.__file__,
        _findings.__file__,
        _references.__file__,
        _yaml.__file__,
        _tables.__file__,
        _vocabulary.__file__,
        _reader.__file__,
        _fold.__file__,
    )
    # An absent Apprise gets its own key, so installing it later retires the cached result.
    version = (_contacts.apprise_version() or "absent") if check_contacts else "-"
    # The limit too: a registry cached under a higher one is refused afresh under a lower one.
    rows = str(_tables.limits().rows)
    key = fingerprint(compiled.FORMAT, code, version, suffix, str(check_contacts), rows, raw)
    return cache_dir() / "registries" / f"{key}.jsonl"

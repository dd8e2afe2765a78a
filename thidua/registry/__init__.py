"""The units registry: units, groups, contacts, and who can be reached now.

Import the registry from here (`from thidua.registry import Registry, load_registry`).
The names are loaded on first use, so that a module needing only `UnitKind` does not
pay for the YAML and table readers. Where each lives:

- `vocabulary`: kinds of units and groups, the words offices use for them, column titles;
- `models`: the pydantic `Unit` and `Group` (their field rules) and the `Registry`;
- `validation`: `parse_registry`, pydantic errors in Vietnamese, registry-wide rules;
- `yaml_source`, `table_source`: a YAML file, a CSV/XLSX list (via `thidua.tables`) as data;
- `loading`: `load_registry`, with the compiled cache;
- `contacts`: Apprise URLs; `reach`: who can be reached now.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thidua.registry.loading import load_registry
    from thidua.registry.models import Group, Registry, Unit, wants_digest
    from thidua.registry.validation import parse_registry
    from thidua.registry.vocabulary import Digest, UnitKind

_EXPORTS = {
    "Digest": "thidua.registry.vocabulary",
    "Group": "thidua.registry.models",
    "Registry": "thidua.registry.models",
    "Unit": "thidua.registry.models",
    "UnitKind": "thidua.registry.vocabulary",
    "load_registry": "thidua.registry.loading",
    "parse_registry": "thidua.registry.validation",
    "wants_digest": "thidua.registry.models",
}

__all__ = [
    "Digest",
    "Group",
    "Registry",
    "Unit",
    "UnitKind",
    "load_registry",
    "parse_registry",
    "wants_digest",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The JSON both sides of the campaign sandbox speak: declaration data and problems.

JSON, never pickle: the parent must not run anything a campaign file could have crafted.
Values JSON lacks travel tagged ({"$date": …}, {"$phrase": …}); an object of the file's
own arrives as an `Opaque` stand-in.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as clock
from typing import Any

from thidua.errors import Problem


class Opaque:
    """Stands for a value the child could not send as data (an object of the file's own)."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return self.text


def encode(value: Any) -> Any:
    """`value` as JSON-able data, tagging what JSON lacks."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return "".join((value,))  # a StrEnum member as its plain value
    if isinstance(value, int):
        value = int(value)
        return value if value.bit_length() <= 63 else {"$int": hex(value)}
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"$float": repr(value)}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, clock):
        return {"$time": value.isoformat()}
    kind = type(value)
    if kind.__module__ == "thidua.dates.phrases" and kind.__name__ == "Phrase":
        return {"$phrase": value.text}
    try:
        text = repr(value)[:200]
    except Exception:  # a file's own object may raise from __repr__
        text = f"<{kind.__name__}>"
    return {"$opaque": kind.__name__, "repr": text}


def decode(value: Any) -> Any:
    """The value `encode` gave `value` for (an `Opaque` for a file's own objects)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$dict" in value:
        out = {}
        for k, v in value["$dict"]:
            key = decode(k)
            out[key if hashable(key) else repr(key)] = decode(v)
        return out
    if "$int" in value:
        return int(value["$int"], 16)
    if "$float" in value:
        return float(value["$float"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$time" in value:
        return clock.fromisoformat(value["$time"])
    if "$phrase" in value:
        from thidua.dates.phrases import parse_phrase

        try:
            return parse_phrase(value["$phrase"])
        except ValueError:
            return value["$phrase"]
    return Opaque(str(value.get("$opaque", "object")), str(value.get("repr", "")))


def hashable(value: Any) -> bool:
    """True when `value` can be a dict key."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def encode_problem(p: Problem) -> dict[str, Any]:
    """A problem as JSON-able data."""
    out = {"path": p.path, "message": p.message, "source": p.source, "severity": p.severity}
    if p.has_value:
        out["value"] = encode(p.value)
    return out

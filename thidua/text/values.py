"""Any value as text for an error message."""

from __future__ import annotations

from thidua.errors import number_text


def value_text(value: object) -> str:
    """`value` as text for a message, even an int too long for str()."""
    if isinstance(value, int) and not isinstance(value, bool):
        return number_text(value)
    try:
        return str(value)
    except ValueError:  # a container holding such an int
        return f"<{type(value).__name__}>"

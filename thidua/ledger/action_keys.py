"""Action keys of messages that are not a planned action of a campaign, and their names.

A delivery record's action key is a planned action's key ("bao-cao/-/reminder/3d") for a
campaign's notices; the portal's acknowledgements of receipts use "tiep-nhan/<số>". Views
that list deliveries (failures, the board) name those in words through `describe`.
"""

from __future__ import annotations

__all__ = ["RECEIPT_KEY_PREFIX", "describe_action_key", "receipt_action_key"]

#: Action key of the acknowledgement of a receipt (a portal submission): "tiep-nhan/<số>".
RECEIPT_KEY_PREFIX = "tiep-nhan/"


def receipt_action_key(number: str) -> str:
    """The delivery records' action key of the acknowledgement of receipt `number`."""
    return f"{RECEIPT_KEY_PREFIX}{number}"


def describe_action_key(key: str) -> str:
    """A notice named in words when no planned action has the key: “Giấy báo tiếp nhận số …”;
    other keys as they are."""
    if key.startswith(RECEIPT_KEY_PREFIX):
        return f"Giấy báo tiếp nhận số {key[len(RECEIPT_KEY_PREFIX) :]}"
    return key

"""The unit's own pages under /u/<token>: what it owes, the forms to hand it in, receipts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

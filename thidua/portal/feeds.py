"""The unit's calendar subscription: an iCalendar feed of all its deadlines, every campaign."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

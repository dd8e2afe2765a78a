"""The Ban Thi đua's pages under /ban: sign-in, boards, submissions, nomination review."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""The unit's nomination forms under /u/<token>/de-nghi: a dossier with one file per
document, and a returned nomination corrected and handed in again."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

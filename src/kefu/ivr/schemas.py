"""The IVR API's request and response bodies."""

from __future__ import annotations

"""A local emulator of the DataForSEO Backlinks API (see server.py), with deterministic data (dataset.py)."""

from infra.local.emulator.server import DataForSEOEmulator

__all__ = ["DataForSEOEmulator"]

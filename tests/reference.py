"""Where tests find the vendor's reference material and the project's fault cases.

The DataForSEO OpenAPI spec and its published samples stay in the shared reference folder beside
the repository (CI lays it there); BACKLINKS_SHARED_DIR points elsewhere. The small fault cases are
copied into tests/fixtures/cases so they travel with the repository.
"""

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
CASES = REPOSITORY / "tests" / "fixtures" / "cases"


def shared_dir() -> Path:
    return Path(os.environ.get("BACKLINKS_SHARED_DIR") or REPOSITORY.parent / "shared")


def reference_path(*parts: str) -> Path:
    """Return a path under shared/reference/dataforseo, or skip the test when the folder is absent."""
    path = shared_dir().joinpath("reference", "dataforseo", *parts)
    if not path.exists():
        pytest.skip(f"DataForSEO reference material not found at {path}; set BACKLINKS_SHARED_DIR")
    return path

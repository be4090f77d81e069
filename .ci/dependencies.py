"""Print the project's pinned dependencies from pyproject.toml, one a line, as a requirements file.

Usage: python .ci/dependencies.py [--dev]. With --dev the development extras are included.
"""

import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
packages = list(project["dependencies"])
if "--dev" in sys.argv[1:]:
    packages += project["optional-dependencies"]["dev"]
print("\n".join(packages))

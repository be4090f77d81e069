"""Build the Lambda dependency layer without Docker.

Installs the [project].dependencies of pyproject.toml into layers/build/python as manylinux x86_64
wheels for CPython 3.12, the runtime and architecture the stack gives every function. pip must not
compile anything here, because a wheel built for this machine could fail to import on Lambda, so
only binary wheels are accepted. boto3 and botocore are left out on purpose: the Lambda runtime
provides both, and a botocore in the layer would shadow the runtime's copy and no longer match its
boto3. aws-xray-sdk (the Powertools tracer extra) pulls botocore in, so it is removed after install.

The build is skipped when a hash of its inputs (dependency list, Python version, platform) matches
the stamp file written by the last successful build.

Usage: python layers/build.py [--force]
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
BUILD_DIR = ROOT / "layers" / "build"
# Lambda adds /opt/python to sys.path, and a layer is unpacked into /opt, so packages go here.
TARGET_DIR = BUILD_DIR / "python"
STAMP_FILE = BUILD_DIR / ".inputs-hash"

PYTHON_VERSION = "3.12"
PLATFORM = "manylinux2014_x86_64"
IMPLEMENTATION = "cp"
# Distributions the Lambda Python runtime already contains, removed from the layer after install.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")


def read_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """Read the [project].dependencies list from pyproject.toml."""
    with pyproject.open("rb") as file:
        project = tomllib.load(file).get("project", {})
    dependencies = project.get("dependencies")
    if not dependencies:
        raise SystemExit(f"no [project].dependencies found in {pyproject}")
    return list(dependencies)


def compute_inputs_hash(dependencies: list[str]) -> str:
    """Hash everything that decides the layer's content."""
    inputs = {
        "dependencies": sorted(dependencies),
        "python_version": PYTHON_VERSION,
        "platform": PLATFORM,
        "implementation": IMPLEMENTATION,
        "runtime_provided": sorted(RUNTIME_PROVIDED),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def pip_command(dependencies: list[str], target: Path = TARGET_DIR) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--target",
        str(target),
        "--platform",
        PLATFORM,
        "--implementation",
        IMPLEMENTATION,
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        *dependencies,
    ]


def remove_runtime_provided(target: Path) -> list[str]:
    """Delete the packages and dist-info folders of RUNTIME_PROVIDED from target."""
    removed = []
    for name in RUNTIME_PROVIDED:
        package_dir = target / name
        dist_infos = list(target.glob(f"{name}-*.dist-info"))
        if not package_dir.exists() and not dist_infos:
            continue
        shutil.rmtree(package_dir, ignore_errors=True)
        for dist_info in dist_infos:
            shutil.rmtree(dist_info)
        removed.append(name)
    return removed


def build_layer(force: bool = False) -> Path:
    """Build layers/build unless the stamp shows it is current, and return the folder.

    Raises subprocess.CalledProcessError when pip fails. A failed build removes the stamp, so the
    next run starts again from an empty folder.
    """
    dependencies = read_dependencies()
    inputs_hash = compute_inputs_hash(dependencies)

    current = STAMP_FILE.is_file() and STAMP_FILE.read_text().strip() == inputs_hash
    if current and TARGET_DIR.is_dir() and not force:
        print(f"layer is up to date: {BUILD_DIR.relative_to(ROOT)} (inputs hash {inputs_hash[:12]})")
        return BUILD_DIR

    print(f"building layer in {BUILD_DIR.relative_to(ROOT)} for {PLATFORM}, CPython {PYTHON_VERSION}:")
    for dependency in dependencies:
        print(f"  {dependency}")

    # Start from an empty folder so packages dropped from pyproject.toml leave the layer too.
    if BUILD_DIR.exists():
        shutil.rmtree(BUILD_DIR)
    TARGET_DIR.mkdir(parents=True)

    subprocess.run(pip_command(dependencies), check=True)

    removed = remove_runtime_provided(TARGET_DIR)
    if removed:
        print(f"removed (provided by the Lambda runtime): {', '.join(removed)}")

    # Caches and bytecode from this machine only make the layer bigger.
    for cache_dir in list(TARGET_DIR.rglob("__pycache__")):
        shutil.rmtree(cache_dir, ignore_errors=True)

    STAMP_FILE.write_text(inputs_hash + "\n")
    size_mb = sum(path.stat().st_size for path in TARGET_DIR.rglob("*") if path.is_file()) / 1e6
    print(f"layer built: {size_mb:.1f} MB, inputs hash {inputs_hash[:12]}")
    return BUILD_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the inputs hash matches")
    args = parser.parse_args()
    try:
        build_layer(force=args.force)
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"pip failed with exit code {error.returncode}; the layer was not built") from None


if __name__ == "__main__":
    main()

"""Where the bundled schema and migrations live.

The wheel carries them inside the package (`model_conformance/schemas`, `.../migrations`);
an editable install runs from the checkout, where they sit at the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory holding the bundled `schemas` or `migrations`."""
    installed = _PACKAGE_DIR / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"model_conformance is installed without its {name}/ directory")

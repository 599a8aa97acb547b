"""The PEP 517 build backend of the walogs package: maturin's, behind a check for cargo.

Building walogs from source (``pip install ./bindings/python``, or the sdist) compiles its
Rust extension with cargo. Where cargo is not on ``PATH``, maturin's own backend would
download a Rust toolchain into a temporary directory and try to build with it; this backend
stops at once instead, with one sentence saying what is missing (pip frames it as "exit code:
1", one line of output). Where cargo is found, every hook is maturin's, unchanged, and
maturin is told never to install Rust itself (``MATURIN_NO_INSTALL_RUST``).

Cost: one ``cargo --version`` per hook (a few milliseconds), on top of maturin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any, Optional

import maturin  # type: ignore[import-untyped]  # it ships no type information

NO_CARGO = (
    "walogs: building from source needs a Rust toolchain (cargo 1.89 or later on PATH, "
    "e.g. from https://rustup.rs or your distribution) and none was found: install Rust, "
    "or install a prebuilt walogs wheel instead."
)
"""The one sentence printed (to stderr, exit status 1) when cargo is missing or broken."""

# Optional, not `X | None`: this alias is evaluated at run time, on Python 3.9 too.
_Settings = Optional[Mapping[str, Any]]


def _require_cargo() -> None:
    """Return if ``cargo`` on ``PATH`` runs; else exit with :data:`NO_CARGO`.

    ``cargo --version`` must succeed: a rustup proxy without an installed toolchain is on
    ``PATH`` yet cannot build. Sets ``MATURIN_NO_INSTALL_RUST`` so that maturin never
    downloads a toolchain of its own.
    """
    os.environ["MATURIN_NO_INSTALL_RUST"] = "1"
    cargo = shutil.which("cargo")
    if cargo is not None:
        try:
            done = subprocess.run(
                [cargo, "--version"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        except OSError:
            pass
        else:
            if done.returncode == 0:
                return
    # SystemExit with a string: the interpreter prints it alone to stderr, exit status 1.
    sys.exit(NO_CARGO)


def get_requires_for_build_wheel(config_settings: _Settings = None) -> list[str]:
    """PEP 517: maturin's extra requirements, once cargo is found (else exits)."""
    _require_cargo()
    return list(maturin.get_requires_for_build_wheel(config_settings))


def get_requires_for_build_editable(config_settings: _Settings = None) -> list[str]:
    """PEP 660: maturin's extra requirements, once cargo is found (else exits)."""
    _require_cargo()
    return list(maturin.get_requires_for_build_editable(config_settings))


def get_requires_for_build_sdist(config_settings: _Settings = None) -> list[str]:
    """PEP 517: maturin's extra requirements, once cargo is found (maturin's sdist reads
    ``cargo metadata``; else exits)."""
    _require_cargo()
    return list(maturin.get_requires_for_build_sdist(config_settings))


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: _Settings = None
) -> str:
    """PEP 517: maturin writes the ``.dist-info``, once cargo is found (else exits)."""
    _require_cargo()
    return str(maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings))


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: _Settings = None
) -> str:
    """PEP 660: maturin writes the ``.dist-info``, once cargo is found (else exits)."""
    _require_cargo()
    return str(maturin.prepare_metadata_for_build_editable(metadata_directory, config_settings))


def build_wheel(
    wheel_directory: str, config_settings: _Settings = None, metadata_directory: str | None = None
) -> str:
    """PEP 517: maturin compiles and packs the wheel (a release build), once cargo is found
    (else exits)."""
    _require_cargo()
    return str(maturin.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_editable(
    wheel_directory: str, config_settings: _Settings = None, metadata_directory: str | None = None
) -> str:
    """PEP 660: maturin compiles an editable wheel, once cargo is found (else exits)."""
    _require_cargo()
    return str(maturin.build_editable(wheel_directory, config_settings, metadata_directory))


def build_sdist(sdist_directory: str, config_settings: _Settings = None) -> str:
    """PEP 517: maturin packs the sdist, once cargo is found (else exits)."""
    _require_cargo()
    return str(maturin.build_sdist(sdist_directory, config_settings))

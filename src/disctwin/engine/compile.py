"""Build (and cache on disk) a compiled module: generated model source + the solver kernel.

Why textual appending
---------------------
Numba can cache a jitted function on disk (``cache=True``) only if everything it calls is
resolvable as a global of an importable module: a function that receives other jitted
functions as arguments, or closes over them (a solver factory such as
``make_solver(rhs, jac)``), is specialised on those function objects and cannot be cached,
so every process would pay the full compilation again. Instead, the solver kernel
(:mod:`disctwin.engine._kernel`) refers to ``rhs``, ``jac``, ``dfdt`` and the size constants
as module globals, and its *source text* is appended to the generated model source. The
combined file is written to a cache directory under a name derived from its content hash
and imported from there, so Numba's on-disk cache (kept beside it in ``__pycache__``)
is reused by later runs and by worker processes.

The cache directory is ``$DISCTWIN_CACHE_DIR`` if set, else ``~/.cache/disctwin/compiled``.
The module is registered in :data:`sys.modules` under its content-derived name, so objects
referring to it can be pickled within a process tree; a freshly spawned worker calls
:func:`build_module` with the same source (getting the same name, and Numba's cached
machine code) before it unpickles anything from that module.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import sys
import tempfile
import threading
import types
from pathlib import Path

import numba
import numpy as np

__all__ = ["build_module", "cache_dir", "kernel_source"]

_KERNEL_FILE = Path(__file__).with_name("_kernel.py")
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """The directory holding compiled modules (created if missing)."""
    env = os.environ.get("DISCTWIN_CACHE_DIR")
    path = Path(env) if env else Path.home() / ".cache" / "disctwin" / "compiled"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kernel_source() -> str:
    """Text of the solver kernel appended to every model module."""
    return _KERNEL_FILE.read_text(encoding="utf-8")


_NO_DERIVED = """

@nb.njit(cache=True)
def _derive_one(p):
    # this model has no parameter-derived constants to refresh after parameter events
    return 0
"""


def _combined_source(model_source: str) -> str:
    if "def _derive_one(" not in model_source:
        model_source = model_source.rstrip("\n") + "\n" + _NO_DERIVED
    return (
        model_source.rstrip("\n")
        + "\n\n\n# "
        + "-" * 78
        + "\n# Solver kernel, appended by disctwin.engine.compile.build_module"
        + " from disctwin/engine/_kernel.py\n\n"
        + kernel_source()
    )


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, os.replace)."""
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def build_module(model_source: str, name: str) -> types.ModuleType:
    """Append the kernel to ``model_source``, write it to the cache and import it.

    The file is ``<cache_dir>/<name>_<hash16>.py`` where the hash (SHA-256) covers the
    combined source and the Numba and NumPy versions. The module is registered in
    :data:`sys.modules` under that file's stem; building the same source again in this
    process returns the same module object. Safe when several processes build at once
    (the file is only ever replaced atomically, by identical content).

    Args:
        model_source: Python source defining ``N_STATES``, ``N_BLOCKS``, ``BLOCK_SIZE``,
            ``N_TAIL`` and the Numba functions ``rhs``, ``jac`` and ``dfdt`` (see
            :mod:`disctwin.engine._kernel`).
        name: prefix of the module name (non-identifier characters become ``_``).

    Returns:
        The imported module, exposing the kernel's ``solve_patient``, ``solve_population``,
        ``alloc_work``, ``solve_fixed_steps`` and ``STATUS_*`` constants.
    """
    source = _combined_source(model_source)
    digest = hashlib.sha256()
    digest.update(source.encode("utf-8"))
    digest.update(f"\0numba={numba.__version__}\0numpy={np.__version__}".encode())
    stem = re.sub(r"\W", "_", name) or "model"
    if stem[0].isdigit():
        stem = "m_" + stem
    module_name = f"{stem}_{digest.hexdigest()[:16]}"

    with _LOCK:
        module = sys.modules.get(module_name)
        if module is not None:
            return module
        path = cache_dir() / f"{module_name}.py"
        # Rewrite only if missing or different: keeping the file (and its mtime) untouched
        # keeps Numba's on-disk cache valid.
        try:
            current = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != source:
            _write_atomic(path, source)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - defensive
            raise ImportError(f"cannot import compiled model from {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        return module

"""Build huashu: a wheel (`pip install .`) has the guard engine compiled with mypyc.

The compiled modules are built from the same Python files and give the same findings, about
a quarter faster (benchmarks/bench_guards.py). Editable installs (`pip install -e .`, what
`make test` and `make demo` use) stay pure Python, so an edit takes effect at once. Set
HUASHU_PURE_PYTHON=1 to build a pure-Python wheel. Without a C compiler the build warns and
the wheel is pure Python: every compiled module is an optional extension.
"""

import os
import sys

from setuptools import setup

# The hot path of `guards.check`; policy.py and loader.py stay Python (pydantic models).
COMPILED_GUARDS = [
    "guards/context.py",
    "guards/draft_artifacts.py",
    "guards/engine.py",
    "guards/fact_guard.py",
    "guards/missing_structure.py",
    "guards/patterns.py",
    "guards/phrase_guard.py",
    "guards/phrase_rules.py",
    "guards/prefilter.py",
    "guards/privacy.py",
    "guards/registry.py",
    "guards/text.py",
    "guards/timeexpr.py",
    "guards/tone.py",
    "guards/unkeepable_promise.py",
    "guards/violation.py",
]


def compiled_guards() -> list:
    """mypyc extensions for a wheel build; none for an editable or a pure-Python build."""
    if "bdist_wheel" not in sys.argv or os.environ.get("HUASHU_PURE_PYTHON") == "1":
        return []
    from mypyc.build import mypycify

    extensions = mypycify(COMPILED_GUARDS, opt_level="3")
    for extension in extensions:
        extension.optional = True  # no compiler: the .py modules are used instead
    return extensions


setup(ext_modules=compiled_guards())

"""docs/layers.md covers every public layer function of tf_slim: each public callable of the
package ``tf_slim.layers`` (``sys.modules["tf_slim.layers"]``) and of the module
``tf_slim.layers.layers`` (the one ``slim.layers`` is: ``tf_slim/__init__`` rebinds the
attribute) is a supported layer, a statement, left out with a reason, or not a layer."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from slimdsl.layers import LAYER_NAMES, LAYERS, META_LAYERS
from slimdsl.layers.tf_slim_names import (
    LANGUAGE,
    LEFT_OUT,
    NOT_LAYERS,
    OMITTED_ARGUMENTS,
    VARIABLES_LEFT_OUT,
)

DOCUMENTED = {**LANGUAGE, **LEFT_OUT, **NOT_LAYERS}
LAYERS_MD = Path(__file__).resolve().parent.parent / "docs" / "layers.md"


def public_callables(module) -> set[str]:
    """The public functions, classes and partials of a module (not its submodules)."""
    return {name for name in dir(module) if not name.startswith("_")
            and callable(getattr(module, name))}


def supported(name: str) -> bool:
    """Is ``name`` a registry layer with TF-Slim's meaning (its tf_name is slim.NAME)?"""
    kind = LAYERS.get(LAYER_NAMES.get(name, ""))
    return kind is not None and kind.tf_name.startswith("slim.")


@pytest.fixture(scope="module")
def tf_slim_layer_names(slim) -> set[str]:
    package = sys.modules["tf_slim.layers"]
    module = importlib.import_module("tf_slim.layers.layers")
    assert package is not module and slim.layers is module  # the rebinding the docs explain
    names = public_callables(package) | public_callables(module)
    assert {"conv2d", "instance_norm", "group_norm", "poincare_normalize"} <= names
    return names


def test_every_public_layer_function_is_supported_or_documented(tf_slim_layer_names):
    missing = sorted(n for n in tf_slim_layer_names if not supported(n) and n not in DOCUMENTED)
    assert not missing, ("tf_slim functions neither supported nor listed in "
                         f"slimdsl/layers/tf_slim_names.py: {missing}")


def test_docs_layers_md_names_every_public_layer_function(tf_slim_layer_names):
    """The acceptance reads docs/layers.md itself: its tf_slim section names every function,
    supported ones in the table (with the .slim layer), the others with a reason."""
    text = LAYERS_MD.read_text()
    section = text[text.index("## tf_slim's public layer functions"):]
    supported_rows = set(re.findall(r"^\| `(\w+)` \| `?\w", section, re.M))
    explained = set(re.findall(r"^- `(\w+)`: \S", section, re.M))
    for name in sorted(tf_slim_layer_names):
        assert name in supported_rows or name in explained, f"docs/layers.md misses {name}"
        assert not (name in supported_rows and name in explained), name
    for name in supported_rows - set(LANGUAGE):
        assert supported(name), f"docs/layers.md lists {name} as supported"
        assert f"## `{LAYER_NAMES[name]}`" in text, f"no reference section for {name}"


def test_documented_names_exist_and_are_not_also_supported(tf_slim_layer_names, slim):
    stale = sorted(n for n in DOCUMENTED if n not in tf_slim_layer_names)
    assert not stale, f"listed but not in tf_slim's layer modules: {stale}"
    both = sorted(n for n in LEFT_OUT | NOT_LAYERS if supported(n))
    assert not both, f"both supported and left out: {both}"
    assert set(LANGUAGE) == set(META_LAYERS)
    for name in VARIABLES_LEFT_OUT:
        assert callable(getattr(slim, name)), name
    assert supported("model_variable") and callable(slim.model_variable)


def test_supported_layers_take_tf_slims_arguments(tf_slim_layer_names, slim):
    """Every registry argument of a supported layer is an argument of TF-Slim's function, in
    TF-Slim's order; what the registry leaves out is scope-like (docs/layers.md says why)."""
    import inspect
    for name in sorted(n for n in tf_slim_layer_names | {"model_variable"} if supported(n)):
        kind = LAYERS[LAYER_NAMES[name]]
        fn = getattr(slim, name)
        params = list(inspect.signature(fn).parameters)
        ours = [a.name for a in kind.args]
        assert set(ours) <= set(params), (name, set(ours) - set(params))
        assert ours == [p for p in params if p in ours], (name, ours, params)
        left = [p for p in params[1:] if p not in ours]  # the first is the input (or name)
        allowed = set(OMITTED_ARGUMENTS) | {"name", "reuse", "caching_device", "device",
                                            "partitioner", "custom_getter", "use_resource",
                                            "synchronization", "aggregation"}
        assert set(left) <= allowed, (name, left)

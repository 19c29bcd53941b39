"""The model zoo (models/*.slim) against tf_slim.nets, network by network.

``test_network_matches_tf_slim[name]`` builds the network with tf_slim (under its own
``*_arg_scope()``, is_training=False) and compiles our .slim file in the same process, then
requires:
- the same variables: names, shapes, trainable flags (BatchNorm moving statistics included),
  initializers and regularizers;
- the same end-point keys and shapes, output shape and parameter totals, both from the compiler
  and from ``slimc summary --format json`` run in a process that never imports TensorFlow;
- with every variable copied by name into the module that ``slimc compile`` generates, the same
  logits and end-point values (rtol 1e-4).

The published figures (EXPECTED_TRAINABLE) are checked against both tf_slim and our summary.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from oracles.fingerprints import (
    our_initializer,
    our_regularizers,
    recording_initializers,
    tf_regularizers,
)
from oracles.weights import trained_like_values
from oracles.zoo import compile_at_size, named_size_inputs

from slimdsl.api import compile_file

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


@dataclass(frozen=True)
class Net:
    """How tf_slim builds one network: module, arg_scope, input size, extra kwargs."""

    module: str
    arg_scope: str
    size: int
    kwargs: tuple = ()
    scope: str = ""  # TF-Slim's variable scope, when it is not the function's name


NETS: dict[str, Net] = {
    "alexnet_v2": Net("alexnet", "alexnet_v2_arg_scope", 224),
    "overfeat": Net("overfeat", "overfeat_arg_scope", 231),
    "vgg_a": Net("vgg", "vgg_arg_scope", 224),
    "vgg_16": Net("vgg", "vgg_arg_scope", 224),
    "vgg_19": Net("vgg", "vgg_arg_scope", 224),
    "inception_v1": Net("inception_v1", "inception_v1_arg_scope", 224, scope="InceptionV1"),
    "inception_v2": Net("inception_v2", "inception_v2_arg_scope", 224, scope="InceptionV2"),
    "inception_v3": Net("inception_v3", "inception_v3_arg_scope", 299, scope="InceptionV3"),
    **{f"resnet_v{v}_{d}": Net(f"resnet_v{v}", "resnet_arg_scope", 224, (("num_classes", 1000),))
       for v in (1, 2) for d in (50, 101, 152, 200)},
}

#: Trainable parameters at num_classes=1000 (the issue's figures and slim_semantics.md, 5).
EXPECTED_TRAINABLE = {
    "alexnet_v2": 50_303_912, "overfeat": 145_704_424, "vgg_a": 132_863_336,
    "vgg_16": 138_357_544, "vgg_19": 143_667_240, "inception_v1": 6_617_624,
    "inception_v2": 11_178_336, "inception_v3": 27_143_152, "resnet_v1_50": 25_557_032,
    "resnet_v1_101": 44_549_160, "resnet_v1_152": 60_192_808, "resnet_v1_200": 64_673_832,
    "resnet_v2_50": 25_568_360, "resnet_v2_101": 44_577_896, "resnet_v2_152": 60_236_904,
    "resnet_v2_200": 64_726_120,
}


def slim_path(name: str) -> Path:
    return MODELS / f"{name}.slim"


# ---------------------------------------------------------------------------- quick (no TF)


@lru_cache(maxsize=1)
def count_tokens_script():
    """scripts/count_tokens.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("count_tokens", ROOT / "scripts" /
                                                  "count_tokens.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def zoo_figures() -> tuple[dict, dict]:
    """The figures of models/README.md: rows by network, and families (computed once)."""
    script = count_tokens_script()
    rows = {n: script.measure(n) for n in script.networks()}
    families = {name: script.measure_family(members) for name, members in script.FAMILIES.items()}
    return rows, families


@pytest.mark.parametrize("name", sorted(NETS))
def test_compiles_to_the_published_parameter_count(name):
    graph = compile_file(str(slim_path(name)))  # the parameters do not depend on H, W
    assert graph.name == (NETS[name].scope or name)
    assert graph.trainable_params == EXPECTED_TRAINABLE[name]


@pytest.mark.parametrize("name", sorted(NETS))
def test_at_most_half_the_tokens_of_tf_slim(name):
    row = zoo_figures()[0][name]
    assert row["slim_tokens"] * 2 <= row["python_tokens"], row


@pytest.mark.slow  # every zoo model generated: seconds; CI runs it
def test_readme_figures_are_current():
    script = count_tokens_script()
    rows, _ = zoo_figures()
    assert sorted(rows) == sorted(NETS)
    assert all((MODELS / f"{n}.slim").exists() for n in script.MODELS_NETWORKS)
    current = script.README.read_text()
    assert script.readme_with(script.all_tables(), current) == current, \
        "models/README.md is out of date: run python scripts/count_tokens.py --write"


# ---------------------------------------------------------------------------- tf_slim oracle


@dataclass
class Built:
    """A network built by tf_slim in its own tf.Graph, with what the comparisons need."""

    graph: object
    images: object
    logits: object
    end_points: dict
    variables: dict  # name -> (shape, trainable)
    initializers: dict = field(default_factory=dict)  # name -> tf_initializer(...)
    regularizers: dict = field(default_factory=dict)  # name -> ("l2", scale)


def build_tf_slim(tf, slim, name: str, net_kwargs: dict | None = None,
                  scope_kwargs: dict | None = None) -> Built:
    """Build ``name`` as its docstring says (under its own arg_scope), recording the initializer
    every variable is created with and the regularization losses. The kwargs go to the network
    function and to its arg_scope function."""
    net = NETS[name]
    module = importlib.import_module(f"tf_slim.nets.{net.module}")
    graph = tf.Graph()
    with graph.as_default(), recording_initializers() as initializers:
        images = tf.compat.v1.placeholder(tf.float32, [None, net.size, net.size, 3], "images")
        with slim.arg_scope(getattr(module, net.arg_scope)(**(scope_kwargs or {}))):
            logits, end_points = getattr(module, name)(
                images, is_training=False, **{**dict(net.kwargs), **(net_kwargs or {})})
        trainable = {v.op.name for v in tf.compat.v1.trainable_variables()}
        variables = {v.op.name: (tuple(v.shape.as_list()), v.op.name in trainable)
                     for v in tf.compat.v1.global_variables()}
        regularizers = tf_regularizers(tf)
    return Built(graph, images, logits, end_points, variables, initializers, regularizers)


@lru_cache(maxsize=1)
def sized_input(name: str) -> list[str]:
    """``--input NAME=[?,S,S,3]`` (S: TF-Slim's size) where the network declares named sizes."""
    graph = compile_file(str(slim_path(name)))
    size = NETS[name].size
    return [f"--input={p.name}=[?,{size},{size},3]" for p in named_size_inputs(graph)]


def summaries_without_tensorflow() -> dict:
    """``slimc summary --format json`` of every network, from one process that fails if
    anything imports TensorFlow; a network with named sizes (resnet) at its TF-Slim size."""
    code = (
        "import contextlib, io, json, sys\n"
        "from slimdsl.cli import main\n"
        "out = {}\n"
        "for name, args in json.loads(sys.argv[1]).items():\n"
        "    buf = io.StringIO()\n"
        "    with contextlib.redirect_stdout(buf):\n"
        "        code = main(['summary', '--format', 'json', *args])\n"
        "    assert code == 0, (name, code)\n"
        "    out[name] = json.loads(buf.getvalue())['models'][0]\n"
        "assert 'tensorflow' not in sys.modules, 'slimc summary imported TensorFlow'\n"
        "print(json.dumps(out))\n")
    args = {name: [str(slim_path(name)), *sized_input(name)]
            for name in NETS if slim_path(name).exists()}
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------------- numerics


def random_values(built: Built, seed: int) -> dict[str, np.ndarray]:
    """A trained-looking value for every variable (their usual 0 and 1 would hide a mix-up)."""
    return trained_like_values({name: shape for name, (shape, _) in built.variables.items()},
                               seed)


def run_tf_slim(tf, built: Built, values: dict, images: np.ndarray):
    """Load ``values`` into the tf_slim graph by name; return (logits, end points) on images."""
    with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as sess:
        variables = tf.compat.v1.global_variables()
        feeds = {v: tf.compat.v1.placeholder(v.dtype.base_dtype, v.shape) for v in variables}
        sess.run([v.assign(p) for v, p in feeds.items()],
                 {p: values[v.op.name] for v, p in feeds.items()})
        return sess.run((built.logits, built.end_points), {built.images: images})


def generated_model_class(tmp_path: Path, graph, codegen):
    """Generate the TensorFlow module of ``graph``, import it, return the model's class."""
    path = tmp_path / f"{graph.name.lower()}_generated.py"
    path.write_text(codegen.generate(graph, graph.path))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, codegen.class_names([graph])[0])


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """rtol 1e-4, with an absolute floor at 1e-4 of the tensor's scale (values near 0)."""
    scale = max(float(np.max(np.abs(want))), 1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale, err_msg=what)


# ---------------------------------------------------------------------------- the test


def assert_same_structure(graph, built: Built) -> None:
    """Variables (names, shapes, trainable flags, initializers, regularizers), end points and
    output shape of our graph equal tf_slim's."""
    ours = {v.name: (tuple(v.shape), v.trainable) for v in graph.variables}
    assert sorted(ours) == sorted(built.variables)
    assert ours == built.variables
    assert {v.name: our_initializer(v.initializer) for v in graph.variables} \
        == built.initializers
    assert our_regularizers(graph.variables) == built.regularizers
    tf_points = {k: v.shape.as_list() for k, v in built.end_points.items()}
    assert sorted(graph.end_points) == sorted(tf_points)
    assert {k: list(t.shape) for k, t in graph.end_points.items()} == tf_points
    assert list(graph.outputs[0].tensor.shape) == built.logits.shape.as_list()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NETS))
def test_network_matches_tf_slim(name, tf, slim, tmp_path):
    built = build_tf_slim(tf, slim, name)
    graph = compile_at_size(str(slim_path(name)), NETS[name].size)
    assert graph.name == (NETS[name].scope or name)

    # Variables (moving statistics included, initializers, regularizers), end points, output.
    assert_same_structure(graph, built)

    # Totals: ours equal tf_slim's and the published figure.
    trainable = sum(int(np.prod(s)) for s, t in built.variables.values() if t)
    total = sum(int(np.prod(s)) for s, _ in built.variables.values())
    assert (graph.trainable_params, graph.total_params) == (trainable, total)
    assert trainable == EXPECTED_TRAINABLE[name]

    # The same shapes and totals from `slimc summary`, computed without TensorFlow.
    summary = summaries_without_tensorflow()[name]
    assert (summary["trainable_params"], summary["total_params"]) == (trainable, total)
    assert {v["name"]: (tuple(v["shape"]), v["trainable"]) for v in summary["variables"]} \
        == built.variables
    assert {e["name"]: e["shape"] for e in summary["end_points"]} \
        == {k: v.shape.as_list() for k, v in built.end_points.items()}
    assert summary["outputs"][0]["shape"] == built.logits.shape.as_list()

    # Numerics: the generated module with tf_slim's variable values computes tf_slim's values.
    codegen = pytest.importorskip("slimdsl.backends.tensorflow.codegen",
                                  reason="structure matches; the numeric half needs the "
                                         "TensorFlow backend (slimdsl/backends/tensorflow)")
    values = random_values(built, seed=7)
    size = NETS[name].size
    # batch 1 keeps 16 networks within the time budget; inference has no batch coupling
    images = np.random.default_rng(1).uniform(0.0, 1.0, (1, size, size, 3)).astype(np.float32)
    want_logits, want_points = run_tf_slim(tf, built, values, images)

    model = generated_model_class(tmp_path, graph, codegen)()
    model(tf.constant(images), training=False)  # creates the variables
    variables = {v.name.rsplit(":", 1)[0]: v for v in model.variables}
    assert sorted(variables) == sorted(values)
    for key, variable in variables.items():
        variable.assign(values[key])
    logits, end_points = model(tf.constant(images), training=False)
    assert_close(logits.numpy(), want_logits, "logits")
    assert sorted(end_points) == sorted(want_points)
    for key, want in want_points.items():
        assert_close(end_points[key].numpy(), want, f"end point {key}")


#: Non-default parameters: (network, network function kwargs, arg_scope function kwargs). Our
#: models take both kinds under TF-Slim's names.
VARIANTS = [
    ("overfeat", {"spatial_squeeze": False, "num_classes": 10}, {"weight_decay": 0.001}),
    ("vgg_a", {"dropout_keep_prob": 0.7}, {"weight_decay": 0.0001}),
    ("inception_v1", {"spatial_squeeze": False}, {"use_batch_norm": False}),
    ("inception_v2", {"depth_multiplier": 0.5, "min_depth": 8}, {}),
    ("inception_v3", {"depth_multiplier": 0.3, "create_aux_logits": False},
     {"batch_norm_decay": 0.99, "batch_norm_epsilon": 0.01}),
    ("resnet_v1_50", {"output_stride": 16, "num_classes": None}, {}),
    ("resnet_v1_101", {"output_stride": 8, "global_pool": False},
     {"weight_decay": 0.001, "batch_norm_scale": False}),
    ("resnet_v2_50", {"output_stride": 16, "num_classes": 10}, {"batch_norm_decay": 0.9}),
    ("resnet_v2_50", {"global_pool": False, "num_classes": None}, {}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "net_kwargs", "scope_kwargs"), VARIANTS,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VARIANTS)])
def test_parameters_act_as_in_tf_slim(name, net_kwargs, scope_kwargs, tf, slim):
    built = build_tf_slim(tf, slim, name, net_kwargs, scope_kwargs)
    graph = compile_at_size(str(slim_path(name)), NETS[name].size,
                            overrides={**net_kwargs, **scope_kwargs})
    assert_same_structure(graph, built)

"""The registry against TF-Slim's real signatures: every argument TF-Slim's function takes is
either supported (in the kind's schema) or listed as unsupported (layers/tf_slim_args.py), and
arg_scope lists exactly the kinds TF-Slim decorates with @add_arg_scope (LayerKind.arg_scopable)."""

from __future__ import annotations

import inspect

from slimdsl.layers import LAYERS
from slimdsl.layers.tf_slim_args import UNSUPPORTED


def _function(tf, slim, tf_name: str):
    from tf_slim.nets import resnet_utils
    root, *path = tf_name.split(".")
    obj = {"slim": slim, "tf": tf, "resnet_utils": resnet_utils}[root]
    for part in path:
        obj = getattr(obj, part)
    return obj


def test_every_tf_slim_argument_is_supported_or_listed(tf, slim):
    problems = []
    for kind in LAYERS.values():
        if not kind.tf_name.startswith("slim."):
            continue
        fn = inspect.unwrap(_function(tf, slim, kind.tf_name))
        theirs = set(list(inspect.signature(fn).parameters)[1:]) - {"scope", kind.scope_arg}
        ours = set(kind.arg_names) | set(UNSUPPORTED.get(kind.name, ()))
        if theirs - ours:
            problems.append(f"{kind.name}: TF-Slim takes {sorted(theirs - ours)}, unlisted")
        if set(UNSUPPORTED.get(kind.name, ())) & set(kind.arg_names):
            problems.append(f"{kind.name}: listed unsupported but supported: "
                            f"{sorted(set(UNSUPPORTED[kind.name]) & set(kind.arg_names))}")
        if set(UNSUPPORTED.get(kind.name, ())) - theirs:
            problems.append(f"{kind.name}: listed unsupported but not TF-Slim's: "
                            f"{sorted(set(UNSUPPORTED[kind.name]) - theirs)}")
    assert not problems, "\n".join(problems)


def test_arg_scope_takes_the_kinds_tf_slim_decorates(tf, slim):
    from tf_slim.ops.arg_scope import has_arg_scope
    # nasnet_utils (drop_path) is tensorflow/models' code, not part of the tf_slim package;
    # TensorFlow's own functions are never decorated (some, as tf.nn.hard_swish, are newer
    # than TF 2.21's names)
    wrong = [k.name for k in LAYERS.values() if k.tf_name.startswith("tf.") and k.arg_scopable]
    wrong += [k.name for k in LAYERS.values()
              if k.tf_name.startswith(("slim.", "resnet_utils."))
              and k.arg_scopable != has_arg_scope(_function(tf, slim, k.tf_name))]
    assert not wrong, f"arg_scope disagrees with TF-Slim for {wrong}"

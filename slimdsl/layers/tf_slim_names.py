"""Every public function of tf_slim's layer modules, and what .slim makes of it: a layer of the
registry, a statement of the language, deliberately left out (and why), or not a layer at all.

``docs/layers.md`` is generated from these tables, and ``tests/test_tf_slim_coverage.py``
imports tf_slim 1.1.0 and fails on a public callable of :data:`MODULES` that is none of them.
Which module is listed matters: ``tf_slim/__init__.py`` does ``from tf_slim.layers import *``,
which rebinds the attribute ``tf_slim.layers`` (what ``slim.layers`` gives) to the submodule
``tf_slim.layers.layers``; the package ``tf_slim/layers/__init__.py`` is only
``sys.modules["tf_slim.layers"]``, and it alone has ``instance_norm`` and ``group_norm``.
"""

from __future__ import annotations

#: The modules whose public callables (names without a leading ``_``) are covered: the
#: package, and the module ``slim.layers`` really is.
MODULES = ("tf_slim.layers (the package: sys.modules['tf_slim.layers'])",
           "tf_slim.layers.layers (what slim.layers and slim.conv2d & co. come from)")

#: tf_slim names that are .slim statements rather than layers.
LANGUAGE = {
    "repeat": "the repeat(n, layer, ...) statement, with TF-Slim's inner scope names",
    "stack": "the stack(layer, [...]) statement, with TF-Slim's inner scope names",
}

#: tf_slim's functions that .slim deliberately does not provide, and why.
LEFT_OUT = {
    "GDN": "the Keras-v1 layer class behind gdn; .slim calls functions, and gdn covers it",
    "RevBlock": "the class behind rev_block",
    "bucketize": "integer bucketing of input values (a Bucketize op): preprocessing, not a "
                 "layer",
    "dense_to_sparse": "returns a SparseTensor (its indices are known only at run time); .slim "
                       "has no sparse type and no slim net uses it",
    "elu": "tf_slim.layers.elu is fully_connected(activation_fn=tf.nn.elu), not the "
           "activation; .slim's elu is tf.nn.elu: write fully_connected(n, activation_fn=elu)",
    "relu": "tf_slim.layers.relu is fully_connected(activation_fn=tf.nn.relu), not the "
            "activation; .slim's relu is tf.nn.relu: write fully_connected(n)",
    "relu6": "tf_slim.layers.relu6 is fully_connected(activation_fn=tf.nn.relu6), not the "
             "activation; .slim's relu6 is tf.nn.relu6: write fully_connected(n, "
             "activation_fn=relu6)",
    "legacy_fully_connected": "the legacy API (variables weights/bias, not biases), broken on "
                              "TF 2.21 for rank > 2 inputs; fully_connected replaces it",
    "legacy_linear": "partial of legacy_fully_connected; write fully_connected(n, "
                     "activation_fn=none) (or linear)",
    "legacy_relu": "partial of legacy_fully_connected; write fully_connected(n)",
    "poincare_normalize": "a hyperbolic-embedding helper, not a network layer (and not in "
                          "tf_slim.layers.layers.__all__)",
    "recompute_grad": "a decorator that recomputes a Python function's activations in the "
                      "backward pass: it changes no shape or variable, and .slim has no "
                      "function values to decorate",
    "rev_block": "a reversible residual block over Python functions f and g (a training-memory "
                 "technique); .slim has no function arguments",
}

#: Public callables of those modules that are no layer: initializers, regularizers, summaries,
#: training utilities and arg_scope machinery (.slim writes initializers and regularizers as
#: values, arg_scope as a statement).
NOT_LAYERS = {
    "add_arg_scope": "arg_scope machinery (.slim's arg_scope statement knows every layer)",
    "adaptive_clipping_fn": "training: gradient clipping",
    "optimize_loss": "training: an optimizer loop",
    "apply_regularization": "training: sums regularization losses (generated models have "
                            "regularization_losses())",
    "l1_regularizer": "a regularizer: write l1(scale)",
    "l2_regularizer": "a regularizer: write l2(scale)",
    "l1_l2_regularizer": "a regularizer: write l1_l2(scale_l1, scale_l2)",
    "sum_regularizer": "a combination of regularizers (l1_l2 is the one .slim writes)",
    "variance_scaling_initializer": "an initializer: write variance_scaling(factor, mode, "
                                    "uniform)",
    "xavier_initializer": "an initializer: write xavier (or glorot)",
    "xavier_initializer_conv2d": "an initializer (an alias of xavier_initializer): write xavier",
    "summarize_activation": "a summary (TensorBoard), not a layer",
    "summarize_activations": "a summary (TensorBoard), not a layer",
    "summarize_biases": "a summary (TensorBoard), not a layer",
    "summarize_collection": "a summary (TensorBoard), not a layer",
    "summarize_tensor": "a summary (TensorBoard), not a layer",
    "summarize_tensors": "a summary (TensorBoard), not a layer",
    "summarize_variables": "a summary (TensorBoard), not a layer",
    "summarize_weights": "a summary (TensorBoard), not a layer",
}

#: tf_slim's variable functions (tf_slim.ops.variables, top-level in tf_slim) beside
#: model_variable, which .slim supports.
VARIABLES_LEFT_OUT = {
    "variable": "model_variable without the MODEL_VARIABLES collection; model_variable covers "
                "the use (collections do not exist in generated TF2 code)",
    "local_variable": "non-trainable bookkeeping (metrics); raises AttributeError on TF 2.21",
    "global_variable": "non-trainable bookkeeping; raises AttributeError on TF 2.21",
}

#: Arguments of TF-Slim's layer functions that no .slim layer takes, and why.
OMITTED_ARGUMENTS = {
    "scope": "written `as NAME` after the call (gdn's and spatial_softmax's `name` too)",
    "reuse": "variables are never shared: a second layer with the same scope is an error, as "
             "TF-Slim's \"Variable ... already exists\"",
    "variables_collections": "graph collections do not exist in the generated TF2 code",
}

"""Networks written with tf_slim that ``tf_slim.nets`` does not ship: TF-Slim's LeNet."""

from __future__ import annotations

from typing import Any


def lenet(images: Any, tf: Any, slim: Any, num_classes: int = 10, is_training: bool = False,
          dropout_keep_prob: float = 0.5) -> tuple[Any, dict[str, Any]]:
    """TF-Slim's LeNet (tensorflow/models research/slim/nets/lenet.py), layer for layer."""
    end_points = {}
    with tf.compat.v1.variable_scope("LeNet", "LeNet", [images]):
        net = end_points["conv1"] = slim.conv2d(images, 32, [5, 5], scope="conv1")
        net = end_points["pool1"] = slim.max_pool2d(net, [2, 2], 2, scope="pool1")
        net = end_points["conv2"] = slim.conv2d(net, 64, [5, 5], scope="conv2")
        net = end_points["pool2"] = slim.max_pool2d(net, [2, 2], 2, scope="pool2")
        net = slim.flatten(net)
        end_points["Flatten"] = net
        net = end_points["fc3"] = slim.fully_connected(net, 1024, scope="fc3")
        net = end_points["dropout3"] = slim.dropout(
            net, dropout_keep_prob, is_training=is_training, scope="dropout3")
        logits = end_points["Logits"] = slim.fully_connected(
            net, num_classes, activation_fn=None, scope="fc4")
    end_points["Predictions"] = slim.softmax(logits, scope="Predictions")
    return logits, end_points


def lenet_arg_scope(tf: Any, slim: Any, weight_decay: float = 0.0) -> Any:
    """The arg_scope LeNet is built under (lenet.py's ``lenet_arg_scope``)."""
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1),
                        activation_fn=tf.nn.relu) as sc:
        return sc

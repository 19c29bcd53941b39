"""Exporting models for deployment: SavedModel, TFLite and ONNX, and the inference rewrites.

- :mod:`.request`: what is asked for, checked without TensorFlow (formats and their optional
  packages, ``--input`` shapes, ``--outputs`` names);
- :mod:`.build`: :class:`~.build.ExportModel`, the generated model built for export, its
  weights and its serving function (with variables, frozen, or optimized);
- :mod:`.rewrite`: frozen constants and batch norm folded into the preceding layer;
- :mod:`.formats`: the converters (``tf.saved_model``, the TFLite converter, tf2onnx);
- :mod:`.runtimes`: running an export in its runtime (also for the tests and benchmarks);
- :mod:`.output`: atomic files and directories;
- :mod:`.pipeline`: :func:`~.pipeline.export`, convert, verify, write.

Only :mod:`.request` may be imported without TensorFlow; the others receive ``tf`` from the
caller or import it (and tf2onnx, onnxruntime) when they run.
"""

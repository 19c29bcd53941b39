"""Training and evaluation of generated models (``slimc train``, ``slimc eval``, ``slimc data``).

- :mod:`.data`: TF-Slim's dataset format and the tf.data pipeline; :mod:`.preprocessing`:
  TF-Slim's preprocessing choices by name; :mod:`.digits`: a small real data set;
- :mod:`.optimizers`: optimizers, learning-rate schedules, moving averages (TF1 names);
- :mod:`.step`: one training step under any tf.distribute strategy;
- :mod:`.distribute`: strategies and devices; :mod:`.checkpoints`: name-based checkpoints,
  written so that none is ever torn; :mod:`.files`: atomic file writes;
- :mod:`.trainer`: the resumable training loop; :mod:`.evaluator`: evaluation;
  :mod:`.progress`: the progress display.

Nothing here imports TensorFlow at import time: the functions take the ``tf`` module.
"""

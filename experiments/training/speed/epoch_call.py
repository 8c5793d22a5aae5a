"""A whole epoch per compiled call: Keras's `steps_per_execution`, on TensorFlow.

With `steps_per_execution=1`, Keras's `fit` returns to Python after every batch: it fetches
the next batch as an optional, rebuilds its structure, looks the training function up by its
inputs' specs and calls it, and the training ops wait for that. With every batch of an epoch
in one call (a `tf.while_loop` over the batches, which Keras builds), that is paid once per
epoch. Measured on this project's 2-core machine (a bird_plane pack of 7, per-thread CPU over
10 s of training): the main thread at 15% of a core and the training thread at 66% with one
batch per call, 6% and 81% with a whole epoch per call, and 15-24% less time per epoch (three
runs of each). Each batch's step is the same graph either way, so the numbers are too:
records equal bit for bit (tests/test_training_speedups.py).

Only the per-epoch hooks run between calls, and the suite's callback (`EpochRecorder`) has
only those. On JAX, Keras's own default is kept.
"""

import math

import keras


def steps_per_execution(train_examples, batch_size):
    """The batches of one epoch on TensorFlow (at least 1); 1 on other backends."""
    if keras.backend.backend() != "tensorflow":
        return 1
    return max(1, math.ceil(train_examples / batch_size))

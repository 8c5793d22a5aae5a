"""The Keras callback that writes each epoch of a pack into its runs' records."""

import keras


class EpochRecorder(keras.callbacks.Callback):
    """After every epoch: note diverged branches, record the epoch, stop when none is left.

    Checked once per epoch: the epoch's mean loss is finite unless one of its batches'
    was not, and no per-batch hook means no per-batch synchronisation with Python.
    """

    def __init__(self, pack):
        super().__init__()
        self.pack = pack
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        if self.pack.end_epoch(epoch + 1, logs or {}):
            self.model.stop_training = True

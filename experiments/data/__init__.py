"""Data sources: the iris table shipped with the package, CIFAR-10 archives, mosaics."""

import functools
import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Train and test arrays of one task, with where they came from.

    Images stay uint8 here; the model's input pipeline scales them by 1/255.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    # (scale, shift) when the training targets were scaled (`conditions.target_scale`): a prediction p of the
    # scaled target means p * scale + shift in the targets' own units, in which y_test stays.
    target_transform: tuple | None = None

    @functools.cached_property
    def _digest(self):
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype}{array.shape}".encode())
            digest.update(array.tobytes())
        return digest.hexdigest()[:16]

    def fingerprint(self):
        """A short SHA-256 over the arrays: identical data gives an identical fingerprint."""
        return self._digest

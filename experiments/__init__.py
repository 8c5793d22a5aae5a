"""The post's models, their data, the pairings, and the sweep, report and figure tools."""

import os

# TensorFlow's oneDNN kernels (convolution, pooling, matmul) train the post's small CNNs
# about twice as fast on an x86 CPU, but TensorFlow turns them on by default only on CPUs
# with AVX-512 VNNI or newer. This must be set before TensorFlow is imported, which every
# training path of the suite does after importing this package. TF_ENABLE_ONEDNN_OPTS=0
# in the environment keeps them off; each record says which was used (environment.onednn).
# The setting as found, before the suite's default: `bench` runs the plain loop under it.
ONEDNN_SETTING_FOUND = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

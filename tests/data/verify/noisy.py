"""Writes to stdout and stderr at every level (Python objects and raw file descriptors), and
prints in a tf.function: none of it may reach tflint's own output."""

import os
import sys

import tensorflow as tf

print("NOISY: print at import")
sys.stderr.write("NOISY: stderr at import\n")
os.write(1, b"NOISY: fd 1 at import\n")
os.write(2, b"NOISY: fd 2 at import\n")


@tf.function
def shout(x):
    print("NOISY: print while tracing")  # expect: TF101
    os.write(1, b"NOISY: fd 1 while tracing\n")
    return x + 1.0


if __name__ == "__main__":
    shout(tf.constant([1.0, 2.0]))

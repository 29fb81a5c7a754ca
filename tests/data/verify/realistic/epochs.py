"""Training helpers called from elsewhere in a project: nothing in this file calls them, so the
verifier has no example call to copy."""

import tensorflow as tf


@tf.function
def scaled_update(weights, epoch):
    return weights * (1.0 - 0.01 * epoch)


def run_epochs(weights, epochs):
    for epoch in range(epochs):
        weights = scaled_update(weights, epoch)
    return weights


def _average_neighbours(x):
    return (x[1:] + x[:-1]) / 2.0


def smooth(values):
    return tf.function(_average_neighbours)(values)


def smooth_all(batches):
    return [smooth(batch) for batch in batches]

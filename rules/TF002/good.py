# -*- coding: latin-1 -*-
"""TF002 fixed: the coding cookie says how to decode the file: café."""

import tensorflow as tf

GREETING = tf.constant("café")

if __name__ == "__main__":
    print(GREETING)

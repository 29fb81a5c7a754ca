# expect: TF002 -- this file is Latin-1 without a coding cookie: café
import tensorflow as tf

//! The two halves of every operation, as in tf.data: a `DatasetNode` is an immutable
//! description that can be iterated many times; a `DatasetIterator` is one pass over it.

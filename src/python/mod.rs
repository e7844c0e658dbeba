//! The binding layer: the only code that knows about Python.

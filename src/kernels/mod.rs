//! Native element operations: the kernels traced map functions run without Python.

pub mod arithmetic;
pub mod cast;
pub mod graph;
mod scalar;

//! The engine's building blocks: tensors, elements, errors, the dataset and iterator traits.

pub mod args;
pub mod budget;
pub mod bufpool;
pub mod contained;
pub mod dataset;
pub mod dtype;
pub mod error;
pub mod instrumented;
pub mod io_runtime;
pub mod memory;
pub mod pool;
pub mod random;
pub mod serialize;
pub mod state;
pub mod stats;
pub mod storage;
pub mod tensor;

pub use dataset::{save_maybe, take_up_to};
pub use dataset::{
    Batch, Cardinality, Context, DatasetFn, DatasetIterator, DatasetNode, ElementFn,
    PipelineOptions, Position,
};
pub use dtype::{DType, NativeType};
pub use error::{Error, Result};
pub use state::State;
pub use tensor::{Buffer, Element, StringBuf, Tensor};

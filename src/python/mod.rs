//! The binding layer: the only code that knows about Python. It converts values, wraps user
//! functions and maps errors; all pipeline logic stays in the engine.

mod arrow;
mod callbacks;
mod convert;
mod dataset;
mod errors;
mod example;
mod graph;
mod inspect;
mod interpreter;
mod iterator;
mod objects;
mod state;
mod string_batch;
mod tfrecord;
mod threads;

use pyo3::prelude::*;

/// How much memory to fault in at import for the first pipeline: `FERROFLOW_PREFAULT_MB`
/// (MiB; 0 turns it off), 64 MiB by default: a TFRecord parse pipeline's first pass
/// faulted in about 45 MiB (11,000 pages), and a 32 MiB reserve removed a fifth of those
/// faults where 64 MiB removed nine tenths.
fn prefault_bytes() -> usize {
    const DEFAULT_MIB: usize = 64;
    std::env::var("FERROFLOW_PREFAULT_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_MIB)
        .saturating_mul(1 << 20)
}

#[pymodule]
fn _lib(m: &Bound<'_, PyModule>) -> PyResult<()> {
    crate::allocator::tune();
    crate::allocator::prefault(prefault_bytes());
    crate::engine::io_runtime::set_thread_hooks(threads::python_thread_hooks());
    m.add_class::<dataset::NativeDataset>()?;
    m.add_class::<iterator::NativeIterator>()?;
    m.add_class::<tfrecord::NativeTfRecordWriter>()?;
    m.add_class::<graph::NativeGraph>()?;
    m.add_class::<graph::NativeSourceGraph>()?;
    m.add_class::<arrow::NativeColumnarSource>()?;
    m.add_class::<arrow::NativeRecordBatch>()?;
    m.add_class::<string_batch::NativeStringBatch>()?;
    m.add_function(wrap_pyfunction!(example::encode_example, m)?)?;
    m.add_function(wrap_pyfunction!(example::decode_example, m)?)?;
    m.add_function(wrap_pyfunction!(example::encode_sequence_example, m)?)?;
    m.add_function(wrap_pyfunction!(example::decode_sequence_example, m)?)?;
    m.add_function(wrap_pyfunction!(example::parse_example, m)?)?;
    m.add_function(wrap_pyfunction!(example::parse_sequence, m)?)?;
    m.add_function(wrap_pyfunction!(graph::graph_op_names, m)?)?;
    m.add_function(wrap_pyfunction!(convert::use_tensor_type, m)?)?;
    m.add_function(wrap_pyfunction!(string_batch::use_string_tensor_type, m)?)?;
    m.add_function(wrap_pyfunction!(interpreter::shut_down, m)?)?;
    m.add_class::<objects::NativeObjectReader>()?;
    m.add_class::<objects::NativeObjectWriter>()?;
    m.add_function(wrap_pyfunction!(objects::list_objects, m)?)?;
    m.add_function(wrap_pyfunction!(objects::list_object_level, m)?)?;
    m.add_function(wrap_pyfunction!(objects::stat_object, m)?)?;
    m.add_function(wrap_pyfunction!(objects::delete_object, m)?)?;
    m.add_function(wrap_pyfunction!(objects::delete_objects, m)?)?;
    m.add_function(wrap_pyfunction!(objects::copy_object, m)?)?;
    m.add_function(wrap_pyfunction!(objects::set_storage_options, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::inspect_file, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

//! The binding layer: the only code that knows about Python. It converts values, wraps user
//! functions and maps errors; all pipeline logic stays in the engine.

mod callbacks;
mod convert;
mod dataset;
mod errors;
mod iterator;

use pyo3::prelude::*;

#[pymodule]
fn _lib(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<dataset::NativeDataset>()?;
    m.add_class::<iterator::NativeIterator>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

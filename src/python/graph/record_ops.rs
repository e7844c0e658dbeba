//! Traced ops that read records: files, raw bytes, CSV lines and tf.train.Example protos.

use pyo3::prelude::*;

use crate::engine::{DType, Error, Result};
use crate::formats::text_lines::CsvSyntax;
use crate::kernels::csv::CsvFormat;
use crate::kernels::graph::GraphOp;
use crate::python::example::{specs_from_py, SpecTuple};

/// decode_csv's attribute: delimiter, quoting, na_value, select_cols, whether an empty
/// record is one field, whether a file name and line follow the defaults.
type CsvAttr = (Vec<u8>, bool, Vec<u8>, Option<Vec<usize>>, bool, bool);

fn decode_csv(attr: CsvAttr, inputs: usize) -> Result<GraphOp> {
    let (delimiter, quoted, na_value, select_cols, empty_record_is_field, located) = attr;
    let delimiter = CsvSyntax::new(&delimiter, quoted)?.delimiter;
    // The inputs are the records, then the defaults, then (located) file name and line.
    let extra = if located { 3 } else { 1 };
    Ok(GraphOp::DecodeCsv {
        format: CsvFormat {
            delimiter,
            quoted,
            na_value,
            select_cols,
            empty_record_is_field,
        },
        columns: inputs.saturating_sub(extra),
        located,
    })
}

op_family!(|py, inputs, attr, wrong| {
    "read_file" => GraphOp::ReadFile,
    "write_file" => GraphOp::WriteFile,
    "serialize_tensor" => GraphOp::SerializeTensor,
    "parse_tensor" => GraphOp::ParseTensor(DType::from_name(&attr.extract::<String>().map_err(wrong)?)?),
    "decode_raw" => {
        let (dtype, little_endian): (String, bool) = attr.extract().map_err(wrong)?;
        GraphOp::DecodeRaw {
            dtype: DType::from_name(&dtype)?,
            little_endian,
        }
    },
    "decode_csv" => decode_csv(attr.extract().map_err(wrong)?, inputs.len())?,
    "parse_example" => {
        let (specs, batched): (Vec<SpecTuple>, bool) = attr.extract().map_err(wrong)?;
        GraphOp::ParseExample {
            specs: specs_from_py(py, &specs)?,
            batched,
        }
    },
});

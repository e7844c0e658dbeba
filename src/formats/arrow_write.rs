//! Engine tensors as Arrow columns: the first dimension is the rows, further fixed dimensions
//! become (nested) fixed-size lists, strings become binary. Numeric buffers move into Arrow
//! without a copy. Rows whose first dimension varies become a variable-length list column.

use std::sync::Arc;

use arrow_array::types::*;
use arrow_array::{
    ArrayRef, BooleanArray, FixedSizeListArray, GenericBinaryArray, LargeListArray, ListArray,
    OffsetSizeTrait, PrimitiveArray, RecordBatch, RecordBatchOptions, StructArray,
};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{Field, Fields, Schema};

use crate::engine::storage::Storage;
use crate::engine::{Buffer, Element, Error, Result, Tensor};

/// A tensor whose first dimension is the rows, as an Arrow array of those rows.
pub fn tensor_to_array(tensor: Tensor) -> Result<ArrayRef> {
    let (shape, buffer) = tensor.into_parts();
    if shape.is_empty() {
        return Err(Error::invalid(
            "a scalar has no rows; batch the dataset before converting it to Arrow",
        ));
    }
    let mut array = flat_array(buffer)?;
    for &width in shape[1..].iter().rev() {
        let field = Arc::new(Field::new_list_field(array.data_type().clone(), true));
        let width = i32::try_from(width)
            .map_err(|_| Error::invalid(format!("a dimension of {width} is too wide for Arrow")))?;
        array = Arc::new(
            FixedSizeListArray::try_new(field, width, array, None)
                .map_err(|e| Error::Internal(format!("cannot build a fixed-size list: {e}")))?,
        );
    }
    Ok(array)
}

/// Rows of different lengths as one list column: each row's values, flattened in order.
pub fn rows_to_list_array(rows: &[Tensor]) -> Result<ArrayRef> {
    let lengths = rows.iter().map(|r| r.rows()).collect::<Result<Vec<_>>>()?;
    let values = match rows {
        [] => return Err(Error::invalid("no rows to convert")),
        _ => Tensor::concat_rows(rows)?,
    };
    let values = tensor_to_array(values)?;
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    let fail =
        |e: arrow_schema::ArrowError| Error::Internal(format!("cannot build a list column: {e}"));
    let array: ArrayRef = if i32::try_from(values.len()).is_ok() {
        let offsets = OffsetBuffer::<i32>::from_lengths(lengths);
        Arc::new(ListArray::try_new(field, offsets, values, None).map_err(fail)?)
    } else {
        let offsets = OffsetBuffer::<i64>::from_lengths(lengths);
        Arc::new(LargeListArray::try_new(field, offsets, values, None).map_err(fail)?)
    };
    Ok(array)
}

/// A batched element (every component's first dimension is the rows) as a record batch with
/// columns at `paths`.
pub fn batch_to_record_batch(element: Element, paths: &[Vec<String>]) -> Result<RecordBatch> {
    let rows = match element.first() {
        Some(t) => t.rows().map_err(|_| {
            Error::invalid("a scalar has no rows; batch the dataset before converting it to Arrow")
        })?,
        None => 0,
    };
    let columns = element
        .into_iter()
        .map(tensor_to_array)
        .collect::<Result<Vec<_>>>()?;
    record_batch(paths, columns, rows)
}

/// Rows (elements) as one record batch; a component with `variable` set becomes a list
/// column, the others stack.
pub fn rows_to_record_batch(
    rows: &[Element],
    paths: &[Vec<String>],
    variable: &[bool],
) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(paths.len());
    for (c, &varies) in variable.iter().enumerate() {
        let column = rows
            .iter()
            .map(|r| {
                r.get(c)
                    .cloned()
                    .ok_or_else(|| Error::invalid("rows of different structure"))
            })
            .collect::<Result<Vec<Tensor>>>()?;
        columns.push(if varies {
            rows_to_list_array(&column)?
        } else {
            tensor_to_array(Tensor::stack(&column)?)?
        });
    }
    record_batch(paths, columns, rows.len())
}

fn flat_array(buffer: Buffer) -> Result<ArrayRef> {
    fn primitive<T: ArrowPrimitiveType>(values: Storage<T::Native>) -> ArrayRef {
        let len = values.len();
        let values = ScalarBuffer::new(values.into_arrow(), 0, len);
        Arc::new(PrimitiveArray::<T>::new(values, None))
    }
    Ok(match buffer {
        Buffer::Bool(v) => Arc::new(BooleanArray::from(v.into_vec())),
        Buffer::Int8(v) => primitive::<Int8Type>(v),
        Buffer::Int16(v) => primitive::<Int16Type>(v),
        Buffer::Int32(v) => primitive::<Int32Type>(v),
        Buffer::Int64(v) => primitive::<Int64Type>(v),
        Buffer::UInt8(v) => primitive::<UInt8Type>(v),
        Buffer::UInt16(v) => primitive::<UInt16Type>(v),
        Buffer::UInt32(v) => primitive::<UInt32Type>(v),
        Buffer::UInt64(v) => primitive::<UInt64Type>(v),
        Buffer::Float16(v) => primitive::<Float16Type>(v),
        Buffer::Float32(v) => primitive::<Float32Type>(v),
        Buffer::Float64(v) => primitive::<Float64Type>(v),
        Buffer::String(s) => {
            let (offsets, values) = s.into_parts();
            match i32::try_from(values.len()) {
                Ok(_) => binary::<i32>(offsets, values),
                Err(_) => binary::<i64>(offsets, values),
            }
        }
    })
}

/// Strings as a binary column with offsets of type `O` (which must reach `values.len()`).
fn binary<O: OffsetSizeTrait>(offsets: Vec<usize>, values: Vec<u8>) -> ArrayRef {
    let offsets: Vec<O> = offsets
        .into_iter()
        .map(|o| O::from_usize(o).expect("offsets fit: checked against the values' length"))
        .collect();
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    let values = arrow_buffer::Buffer::from_vec(values);
    Arc::new(GenericBinaryArray::<O>::new(offsets, values, None))
}

/// Columns named by paths (a struct field for every path longer than one name) as a record
/// batch of `rows` rows. Struct fields keep the order their first leaf comes in.
pub fn record_batch(
    paths: &[Vec<String>],
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch> {
    let (fields, arrays) = group(paths, columns, 0)?;
    let schema = Arc::new(Schema::new(fields));
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema, arrays, &options)
        .map_err(|e| Error::invalid(format!("the columns do not form a table: {e}")))
}

fn group(
    paths: &[Vec<String>],
    columns: Vec<ArrayRef>,
    depth: usize,
) -> Result<(Fields, Vec<ArrayRef>)> {
    let mut names: Vec<&String> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let name = path.get(depth).ok_or_else(|| {
            Error::invalid(format!("column path {path:?} names a struct and a leaf"))
        })?;
        match names.iter().position(|n| *n == name) {
            Some(k) => members[k].push(i),
            None => {
                names.push(name);
                members.push(vec![i]);
            }
        }
    }
    let mut slots: Vec<Option<ArrayRef>> = columns.into_iter().map(Some).collect();
    let mut fields = Vec::with_capacity(names.len());
    let mut arrays = Vec::with_capacity(names.len());
    for (name, idx) in names.into_iter().zip(members) {
        let leaf = idx.len() == 1 && paths[idx[0]].len() == depth + 1;
        let array = if leaf {
            slots[idx[0]].take().expect("each column is used once")
        } else {
            let sub_paths: Vec<Vec<String>> = idx.iter().map(|&i| paths[i].clone()).collect();
            let sub_columns = idx
                .iter()
                .map(|&i| slots[i].take().expect("each column is used once"))
                .collect();
            let (sub_fields, sub_arrays) = group(&sub_paths, sub_columns, depth + 1)?;
            Arc::new(
                StructArray::try_new(sub_fields, sub_arrays, None)
                    .map_err(|e| Error::invalid(format!("struct '{name}': {e}")))?,
            )
        };
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    Ok((Fields::from(fields), arrays))
}

//! Arrow columns as engine tensors. A schema is described as a list of leaf columns (struct
//! fields are followed down to their leaves, so a struct becomes a nested dict on the Python
//! side); rows `start..end` of a leaf convert to one tensor whose first dimension is the rows.
//! Fixed-size lists become fixed dimensions; variable lists keep their length per row (a batch
//! of them needs equal lengths, as `Dataset.batch` does; `padded_batch` pads them).

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Schema};

use crate::engine::storage::Storage;
use crate::engine::{Buffer, DType, Error, Result, StringBuf, Tensor};

/// One leaf column: where it is, and what a row of it looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafSpec {
    /// Field names from the top-level column down to the leaf.
    pub path: Vec<String>,
    /// The path joined by dots: what errors and `null_values` keys name.
    name: String,
    pub dtype: DType,
    /// The shape of one row's value; `None` is a variable list's length.
    pub shape: Vec<Option<usize>>,
}

impl LeafSpec {
    /// The dotted name errors use and `null_values` keys name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Every leaf of `schema`, in schema order.
pub fn describe(schema: &Schema) -> Result<Vec<LeafSpec>> {
    let mut leaves = Vec::new();
    for field in schema.fields() {
        collect_leaves(field, &mut Vec::new(), &mut leaves)?;
    }
    Ok(leaves)
}

fn collect_leaves(field: &Field, path: &mut Vec<String>, out: &mut Vec<LeafSpec>) -> Result<()> {
    path.push(field.name().clone());
    if let DataType::Struct(children) = field.data_type() {
        for child in children {
            collect_leaves(child, path, out)?;
        }
    } else {
        let name = path.join(".");
        let (dtype, shape) = leaf_type(field.data_type(), &name)?;
        out.push(LeafSpec {
            path: path.clone(),
            name,
            dtype,
            shape,
        });
    }
    path.pop();
    Ok(())
}

/// The engine dtype of a column type and the shape of one row of it.
fn leaf_type(data_type: &DataType, column: &str) -> Result<(DType, Vec<Option<usize>>)> {
    let dtype = match data_type {
        DataType::Boolean => DType::Bool,
        DataType::Int8 => DType::Int8,
        DataType::Int16 => DType::Int16,
        DataType::Int32 => DType::Int32,
        DataType::Int64 => DType::Int64,
        DataType::UInt8 => DType::UInt8,
        DataType::UInt16 => DType::UInt16,
        DataType::UInt32 => DType::UInt32,
        DataType::UInt64 => DType::UInt64,
        DataType::Float16 => DType::Float16,
        DataType::Float32 => DType::Float32,
        DataType::Float64 => DType::Float64,
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => DType::String,
        DataType::Dictionary(_, values) => return leaf_type(values, column),
        DataType::FixedSizeList(child, n) => {
            let (dtype, mut shape) = nested_leaf_type(child, column)?;
            shape.insert(0, Some(*n as usize));
            return Ok((dtype, shape));
        }
        DataType::List(child) | DataType::LargeList(child) => {
            let (dtype, mut shape) = nested_leaf_type(child, column)?;
            if shape.contains(&None) {
                return Err(Error::Unimplemented(format!(
                    "column '{column}': lists of variable-length lists are not supported"
                )));
            }
            shape.insert(0, None);
            return Ok((dtype, shape));
        }
        other => {
            return Err(Error::Unimplemented(format!(
                "column '{column}' has Arrow type {other}, which has no tensor equivalent"
            )))
        }
    };
    Ok((dtype, Vec::new()))
}

fn nested_leaf_type(child: &Field, column: &str) -> Result<(DType, Vec<Option<usize>>)> {
    if matches!(child.data_type(), DataType::Struct(_)) {
        return Err(Error::Unimplemented(format!(
            "column '{column}': lists of structs are not supported"
        )));
    }
    leaf_type(child.data_type(), column)
}

/// The leaf arrays of a record batch, in the order of `leaves`. A null struct row makes its
/// leaves null too.
pub fn leaf_arrays(batch: &RecordBatch, leaves: &[LeafSpec]) -> Result<Vec<ArrayRef>> {
    leaves
        .iter()
        .map(|leaf| {
            let missing = || Error::InvalidArgument(format!("no column '{}'", leaf.name()));
            let mut array = batch
                .column_by_name(&leaf.path[0])
                .ok_or_else(missing)?
                .clone();
            for name in &leaf.path[1..] {
                let parent: &StructArray = array.as_struct_opt().ok_or_else(missing)?;
                let child = parent.column_by_name(name).ok_or_else(missing)?;
                array = with_parent_nulls(child, parent.nulls())?;
            }
            Ok(array)
        })
        .collect()
}

fn with_parent_nulls(child: &ArrayRef, parent: Option<&NullBuffer>) -> Result<ArrayRef> {
    if parent.is_none() {
        return Ok(child.clone());
    }
    let nulls = NullBuffer::union(parent, child.nulls());
    let data = child
        .to_data()
        .into_builder()
        .nulls(nulls)
        .build()
        .map_err(|e| Error::Internal(format!("cannot combine struct nulls: {e}")))?;
    Ok(arrow_array::make_array(data))
}

/// What a conversion needs to fill or report a null.
pub struct NullPolicy<'a> {
    /// Fill values by dotted column name, each a scalar of the column's dtype.
    pub fills: &'a HashMap<String, Tensor>,
    /// Says where row `i` of the array being converted is, for errors.
    pub locate: &'a dyn Fn(usize) -> String,
}

/// Rows `start..end` of a leaf array as one tensor of shape `[end - start, ...]`. With
/// `share`, numeric values stay in the array's buffers where they are aligned; only arrays
/// nobody else can see (freshly decoded ones) may be shared, since the tensor's owner may
/// write to them.
pub fn rows_to_tensor(
    array: &ArrayRef,
    leaf: &LeafSpec,
    (start, end): (usize, usize),
    nulls: &NullPolicy<'_>,
    share: bool,
) -> Result<Tensor> {
    converter(leaf, start, nulls, share).convert(&array.slice(start, end - start))
}

fn converter<'a>(
    leaf: &'a LeafSpec,
    start: usize,
    nulls: &'a NullPolicy<'a>,
    share: bool,
) -> Converter<'a> {
    Converter {
        column: leaf.name(),
        share,
        fill: nulls.fills.get(leaf.name()),
        locate: Box::new(move |i| (nulls.locate)(start + i)),
    }
}

/// Rows `start..end` of a variable-list leaf as ragged rows: the values of those rows,
/// concatenated, and `end - start + 1` row splits starting at 0. A null row is empty when the
/// column has a fill value. `share` as for `rows_to_tensor`.
pub fn rows_to_ragged(
    array: &ArrayRef,
    leaf: &LeafSpec,
    (start, end): (usize, usize),
    nulls: &NullPolicy<'_>,
    share: bool,
) -> Result<(Tensor, Vec<i64>)> {
    let sliced = array.slice(start, end - start);
    let converter = converter(leaf, start, nulls, share);
    match sliced.data_type() {
        DataType::List(_) => converter.ragged(sliced.as_list::<i32>()),
        DataType::LargeList(_) => converter.ragged(sliced.as_list::<i64>()),
        _ => Err(Error::invalid(format!(
            "column '{}' is not a variable-length list",
            leaf.name()
        ))),
    }
}

/// One row of a leaf array as a tensor of the row's own shape.
pub fn row_to_tensor(
    array: &ArrayRef,
    leaf: &LeafSpec,
    row: usize,
    nulls: &NullPolicy<'_>,
) -> Result<Tensor> {
    let rows = converter(leaf, row, nulls, false).convert(&array.slice(row, 1))?;
    rows.with_shape(rows.shape()[1..].to_vec())
}

struct Converter<'a> {
    column: &'a str,
    /// Whether numeric values may stay in the Arrow buffers (batches) or are copied (rows,
    /// which would otherwise each keep a whole decoded column alive).
    share: bool,
    fill: Option<&'a Tensor>,
    locate: Box<dyn Fn(usize) -> String + 'a>,
}

impl Converter<'_> {
    /// The whole of `array` as a tensor whose first dimension is its length.
    fn convert(&self, array: &ArrayRef) -> Result<Tensor> {
        let rows = array.len();
        let (shape, values) = match array.data_type() {
            DataType::FixedSizeList(_, n) => {
                let list = array.as_fixed_size_list();
                let child = self.convert(list.values())?;
                let mut shape = vec![rows, *n as usize];
                shape.extend_from_slice(&child.shape()[1..]);
                (shape, child.into_parts().1)
            }
            DataType::List(_) => return self.variable_list(array.as_list::<i32>()),
            DataType::LargeList(_) => return self.variable_list(array.as_list::<i64>()),
            DataType::Dictionary(_, _) => return self.dictionary(array),
            _ => (vec![rows], flat_buffer(array, self.column, self.share)?),
        };
        let values = self.fill_nulls(array.logical_nulls().as_ref(), values, rows)?;
        Tensor::new(shape, values)
    }

    /// Replaces the values of null rows by the column's fill value, or fails naming the row.
    fn fill_nulls(
        &self,
        nulls: Option<&NullBuffer>,
        values: Buffer,
        rows: usize,
    ) -> Result<Buffer> {
        let Some(nulls) = nulls.filter(|n| n.null_count() > 0) else {
            return Ok(values);
        };
        let fill = self.fill_value(nulls)?;
        let width = values.len().checked_div(rows).unwrap_or(0);
        let mut filled = Buffer::with_capacity(values.dtype(), values.len());
        for row in 0..rows {
            if nulls.is_valid(row) {
                filled.extend_from_range(&values, row * width, (row + 1) * width)?;
            } else {
                filled.extend_repeated(fill.buffer(), 0, width)?;
            }
        }
        Ok(filled)
    }

    fn fill_value(&self, nulls: &NullBuffer) -> Result<&Tensor> {
        self.fill.ok_or_else(|| {
            let row = (0..nulls.len()).find(|&i| nulls.is_null(i)).unwrap_or(0);
            Error::InvalidArgument(format!(
                "column '{}' is null at {}; name a fill value for it in `null_values`",
                self.column,
                (self.locate)(row)
            ))
        })
    }

    /// A variable-length list column: rows of equal length stack into one dimension; a null
    /// row is an empty list when the column has a fill value.
    fn variable_list<O: arrow_array::OffsetSizeTrait>(
        &self,
        list: &arrow_array::GenericListArray<O>,
    ) -> Result<Tensor> {
        let (values, splits) = self.ragged(list)?;
        let length_of = |i: usize| (splits[i + 1] - splits[i]) as usize;
        let rows = list.len();
        let length = if rows == 0 { 0 } else { length_of(0) };
        if let Some(other) = (1..rows).find(|&i| length_of(i) != length) {
            return Err(Error::InvalidArgument(format!(
                "cannot batch column '{}': its lists have different lengths ({} at {}, {} at {}); \
                 use padded_batch to pad them",
                self.column,
                length,
                (self.locate)(0),
                length_of(other),
                (self.locate)(other)
            )));
        }
        let mut shape = vec![rows, length];
        shape.extend_from_slice(&values.shape()[1..]);
        values.with_shape(shape)
    }

    /// A list column as ragged rows: the rows' values, concatenated, and row splits.
    fn ragged<O: arrow_array::OffsetSizeTrait>(
        &self,
        list: &arrow_array::GenericListArray<O>,
    ) -> Result<(Tensor, Vec<i64>)> {
        let nulls = list.logical_nulls().filter(|n| n.null_count() > 0);
        if let Some(n) = &nulls {
            self.fill_value(n)?;
        }
        let offsets = list.value_offsets();
        let (first, last) = (offsets[0].as_usize(), offsets[list.len()].as_usize());
        let values = list.values();
        let mut splits = Vec::with_capacity(list.len() + 1);
        splits.push(0i64);
        let Some(nulls) = nulls else {
            splits.extend(offsets[1..].iter().map(|o| (o.as_usize() - first) as i64));
            return Ok((self.convert(&values.slice(first, last - first))?, splits));
        };
        let mut parts = Vec::new();
        let mut total = 0;
        for i in 0..list.len() {
            if nulls.is_valid(i) {
                let (a, b) = (offsets[i].as_usize(), offsets[i + 1].as_usize());
                parts.push(self.convert(&values.slice(a, b - a))?);
                total += b - a;
            }
            splits.push(total as i64);
        }
        let values = match parts.len() {
            0 => self.convert(&values.slice(first, 0))?,
            _ => Tensor::concat_rows(&parts)?,
        };
        Ok((values, splits))
    }

    /// A dictionary column, decoded: each row takes its value from the dictionary (only the
    /// values its rows use are converted); a null key is a null row.
    fn dictionary(&self, array: &ArrayRef) -> Result<Tensor> {
        let dict = array.as_any_dictionary();
        let decoded = arrow_select::take::take(dict.values(), dict.keys(), None)
            .map_err(|e| Error::invalid(format!("column '{}': {e}", self.column)))?;
        self.convert(&decoded)
    }
}

/// The values of a flat (non-list) array, nulls included as whatever the array holds there.
/// With `share`, numeric values stay in the array's buffer where it is aligned (no copy).
fn flat_buffer(array: &ArrayRef, column: &str, share: bool) -> Result<Buffer> {
    macro_rules! primitive {
        ($t:ty) => {{
            let values = array.as_primitive::<$t>().values();
            let shared = share
                .then(|| {
                    Storage::<<$t as ArrowPrimitiveType>::Native>::from_arrow(
                        values.inner().clone(),
                        values.len(),
                    )
                })
                .flatten();
            match shared {
                Some(storage) => Buffer::from(storage),
                None => Buffer::from(values.to_vec()),
            }
        }};
    }
    Ok(match array.data_type() {
        DataType::Boolean => Buffer::from(array.as_boolean().values().iter().collect::<Vec<_>>()),
        DataType::Int8 => primitive!(Int8Type),
        DataType::Int16 => primitive!(Int16Type),
        DataType::Int32 => primitive!(Int32Type),
        DataType::Int64 => primitive!(Int64Type),
        DataType::UInt8 => primitive!(UInt8Type),
        DataType::UInt16 => primitive!(UInt16Type),
        DataType::UInt32 => primitive!(UInt32Type),
        DataType::UInt64 => primitive!(UInt64Type),
        DataType::Float16 => primitive!(Float16Type),
        DataType::Float32 => primitive!(Float32Type),
        DataType::Float64 => primitive!(Float64Type),
        DataType::Utf8 => byte_array(array.as_string::<i32>()),
        DataType::LargeUtf8 => byte_array(array.as_string::<i64>()),
        DataType::Utf8View => strings(array.as_string_view().iter(), array),
        DataType::Binary => byte_array(array.as_binary::<i32>()),
        DataType::LargeBinary => byte_array(array.as_binary::<i64>()),
        DataType::BinaryView => strings(array.as_binary_view().iter(), array),
        DataType::FixedSizeBinary(_) => strings(array.as_fixed_size_binary().iter(), array),
        other => {
            return Err(Error::Unimplemented(format!(
                "column '{column}' has Arrow type {other}, which has no tensor equivalent"
            )))
        }
    })
}

/// An offsets-and-values array, copied in one piece (null entries keep whatever bytes the
/// array has for them; the caller fills or refuses nulls).
fn byte_array<T: arrow_array::types::ByteArrayType>(
    array: &arrow_array::GenericByteArray<T>,
) -> Buffer {
    let offsets = array
        .value_offsets()
        .iter()
        .map(|o| arrow_buffer::ArrowNativeType::as_usize(*o));
    Buffer::String(StringBuf::from_offsets(offsets, array.value_data()))
}

fn strings<'a, B: AsRef<[u8]> + ?Sized + 'a>(
    items: impl Iterator<Item = Option<&'a B>> + Clone,
    array: &ArrayRef,
) -> Buffer {
    let bytes = items
        .clone()
        .map(|i| i.map_or(0, |b| b.as_ref().len()))
        .sum();
    let mut buf = StringBuf::with_capacity(array.len(), bytes);
    for item in items {
        buf.push(item.map_or(&[][..], |b| b.as_ref()));
    }
    Buffer::String(buf)
}

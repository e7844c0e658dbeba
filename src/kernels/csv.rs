//! `tf.io.decode_csv`: each string one CSV record, split into fields and parsed into one
//! tensor per column, with TensorFlow's DecodeCSV quoting rules and messages.

use std::borrow::Cow;

use super::number_text::FromText;
use crate::engine::{Buffer, DType, Error, Result, StringBuf, Tensor};

/// How records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFormat {
    pub delimiter: u8,
    /// Fields may be quoted with `"` (a quote inside written `""`).
    pub quoted: bool,
    /// A field of exactly this text counts as missing, like an empty one.
    pub na_value: Vec<u8>,
    /// The only columns to parse, strictly increasing; None parses every column.
    pub select_cols: Option<Vec<usize>>,
    /// An empty record is one empty field (CsvDataset's reading), not none (decode_csv's).
    pub empty_record_is_field: bool,
}

/// One output column as it fills.
enum Column {
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Strings(StringBuf),
}

/// Where a field is: for messages.
#[derive(Clone, Copy)]
struct FieldAt {
    field: usize,
    /// None when records are parsed one at a time (CsvDataset), where an index would
    /// always be 0; TensorFlow then says "in record" alone.
    record: Option<usize>,
}

impl FieldAt {
    fn record(&self) -> String {
        self.record
            .map_or_else(|| "record".into(), |r| format!("record {r}"))
    }
}

impl Column {
    fn new(dtype: DType, records: usize) -> Result<Column> {
        Ok(match dtype {
            DType::Float32 => Column::Float32(Vec::with_capacity(records)),
            DType::Float64 => Column::Float64(Vec::with_capacity(records)),
            DType::Int32 => Column::Int32(Vec::with_capacity(records)),
            DType::Int64 => Column::Int64(Vec::with_capacity(records)),
            DType::String => Column::Strings(StringBuf::with_capacity(records, 0)),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "decode_csv: record_defaults must be float32, float64, int32, int64 or \
                     string, not {other}"
                )))
            }
        })
    }

    /// Appends the value of `field` (None when missing), or the column's default.
    fn push(&mut self, field: Option<&[u8]>, default: &Tensor, at: FieldAt) -> Result<()> {
        match self {
            Column::Float32(v) => push_number(v, field, default, at, "float"),
            Column::Float64(v) => push_number(v, field, default, at, "double"),
            Column::Int32(v) => push_number(v, field, default, at, "int32"),
            Column::Int64(v) => push_number(v, field, default, at, "int64"),
            Column::Strings(s) => {
                match field {
                    Some(text) => s.push(text),
                    None => s.push(
                        required(default, at)?
                            .as_strings()
                            .expect("a string")
                            .get(0),
                    ),
                }
                Ok(())
            }
        }
    }

    fn into_buffer(self) -> Buffer {
        match self {
            Column::Float32(v) => v.into(),
            Column::Float64(v) => v.into(),
            Column::Int32(v) => v.into(),
            Column::Int64(v) => v.into(),
            Column::Strings(s) => s.into(),
        }
    }
}

/// The default of a column whose field is missing, or the error that it is required.
fn required(default: &Tensor, at: FieldAt) -> Result<&Tensor> {
    if default.num_elements() == 1 {
        return Ok(default);
    }
    Err(Error::InvalidArgument(format!(
        "Field {} is required but missing in {}!",
        at.field,
        at.record()
    )))
}

fn push_number<T: FromText>(
    values: &mut Vec<T>,
    field: Option<&[u8]>,
    default: &Tensor,
    at: FieldAt,
    type_name: &str,
) -> Result<()> {
    let value = match field {
        None => required(default, at)?
            .as_slice::<T>()
            .expect("the column's dtype")[0],
        Some(text) => T::from_text(text).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "Field {} in {} is not a valid {type_name}: {}",
                at.field,
                at.record(),
                String::from_utf8_lossy(text)
            ))
        })?,
    };
    values.push(value);
    Ok(())
}

/// Parses every record of `records` (strings of any shape) into one tensor per entry of
/// `defaults`, each of `records`' shape and its default's dtype. A default of no values
/// makes its column required.
pub fn decode_csv(
    records: &Tensor,
    defaults: &[&Tensor],
    format: &CsvFormat,
) -> Result<Vec<Tensor>> {
    let lines = records.as_strings().ok_or_else(|| {
        Error::InvalidArgument(format!("decode_csv takes strings, got {}", records.dtype()))
    })?;
    if let Some(cols) = &format.select_cols {
        if cols.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "decode_csv: select_cols is not strictly increasing",
            ));
        }
        if cols.len() != defaults.len() {
            return Err(Error::invalid(
                "decode_csv: select_cols and record_defaults differ in length",
            ));
        }
    }
    let mut columns = Vec::with_capacity(defaults.len());
    for (field, default) in defaults.iter().enumerate() {
        if default.num_elements() > 1 {
            return Err(Error::InvalidArgument(format!(
                "There should only be 1 default per field but field {field} has {}",
                default.num_elements()
            )));
        }
        columns.push(Column::new(default.dtype(), lines.len())?);
    }
    let mut fields = Vec::with_capacity(defaults.len());
    for (record, line) in lines.iter().enumerate() {
        fields.clear();
        let whole = FieldAt {
            field: 0,
            record: (!format.empty_record_is_field).then_some(record),
        };
        split_record(line, format, &mut fields)
            .map_err(|message| Error::InvalidArgument(format!("{message} ({})", whole.record())))?;
        if fields.len() != defaults.len() {
            return Err(Error::InvalidArgument(format!(
                "Expect {} fields but have {} in {}",
                defaults.len(),
                fields.len(),
                whole.record()
            )));
        }
        for (field, ((column, default), text)) in
            columns.iter_mut().zip(defaults).zip(&fields).enumerate()
        {
            let missing = text.is_empty() || **text == *format.na_value;
            let at = FieldAt { field, ..whole };
            column.push((!missing).then_some(&**text), default, at)?;
        }
    }
    columns
        .into_iter()
        .map(|c| Tensor::new(records.shape().to_vec(), c.into_buffer()))
        .collect()
}

/// Splits one record into the fields `format` selects, as TensorFlow's DecodeCSV does
/// (a line break at the start of a field is skipped; a trailing delimiter ends with an empty
/// field). Quoted fields without doubled quotes borrow from `line`.
fn split_record<'a>(
    line: &'a [u8],
    format: &CsvFormat,
    fields: &mut Vec<Cow<'a, [u8]>>,
) -> std::result::Result<(), &'static str> {
    let delimiter = format.delimiter;
    let selected = |parsed: usize, taken: usize| match &format.select_cols {
        None => true,
        Some(cols) => cols.get(taken) == Some(&parsed),
    };
    if line.is_empty() && format.empty_record_is_field {
        if selected(0, 0) {
            fields.push(Cow::Borrowed(line));
        }
        return Ok(());
    }
    let (mut i, mut parsed) = (0usize, 0usize);
    while i < line.len() {
        if matches!(line[i], b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let include = selected(parsed, fields.len());
        if format.quoted && line[i] == b'"' {
            let (field, next) = quoted_field(line, i + 1, delimiter)?;
            if include {
                fields.push(field);
            }
            i = next;
        } else {
            let start = i;
            while i < line.len() && line[i] != delimiter {
                if (format.quoted && line[i] == b'"') || matches!(line[i], b'\n' | b'\r') {
                    return Err("Unquoted fields cannot have quotes/CRLFs inside");
                }
                i += 1;
            }
            if include {
                fields.push(Cow::Borrowed(&line[start..i]));
            }
            i += 1;
        }
        parsed += 1;
        if include {
            if let Some(cols) = &format.select_cols {
                if fields.len() == cols.len() {
                    return Ok(());
                }
            }
        }
    }
    if line.last() == Some(&delimiter) && selected(parsed, fields.len()) {
        fields.push(Cow::Borrowed(&[]));
    }
    Ok(())
}

/// The quoted field whose text starts at `start` (after its opening quote), and where the
/// next field starts.
fn quoted_field(
    line: &[u8],
    start: usize,
    delimiter: u8,
) -> std::result::Result<(Cow<'_, [u8]>, usize), &'static str> {
    let mut i = start;
    let mut unescaped: Option<Vec<u8>> = None;
    while i + 1 < line.len() && !(line[i] == b'"' && line[i + 1] == delimiter) {
        if line[i] != b'"' {
            if let Some(text) = &mut unescaped {
                text.push(line[i]);
            }
            i += 1;
        } else if line[i + 1] == b'"' {
            unescaped
                .get_or_insert_with(|| line[start..i].to_vec())
                .push(b'"');
            i += 2;
        } else {
            return Err("Quote inside a string has to be escaped by another quote");
        }
    }
    let closed =
        i < line.len() && line[i] == b'"' && (i + 1 == line.len() || line[i + 1] == delimiter);
    if !closed {
        return Err("Quoted field has to end with quote followed by delim or end");
    }
    let field = match unescaped {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(&line[start..i]),
    };
    Ok((field, i + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format() -> CsvFormat {
        CsvFormat {
            delimiter: b',',
            quoted: true,
            na_value: Vec::new(),
            select_cols: None,
            empty_record_is_field: false,
        }
    }

    fn split(line: &str, format: &CsvFormat) -> std::result::Result<Vec<String>, &'static str> {
        let mut fields = Vec::new();
        split_record(line.as_bytes(), format, &mut fields)?;
        Ok(fields
            .iter()
            .map(|f| String::from_utf8(f.to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn splits_fields_as_tensorflow_does() {
        let f = format();
        assert_eq!(split("1,2,,", &f).unwrap(), ["1", "2", "", ""]);
        assert_eq!(
            split(r#"1,"a,""b""",3"#, &f).unwrap(),
            ["1", r#"a,"b""#, "3"]
        );
        assert_eq!(split(r#""",x"#, &f).unwrap(), ["", "x"]);
        assert_eq!(split("\n", &f).unwrap(), Vec::<String>::new());
        assert_eq!(split("1,\n2", &f).unwrap(), ["1", "2"]);
        assert!(split(r#"a"b"#, &f).unwrap_err().starts_with("Unquoted"));
        assert!(split("1\r", &f).unwrap_err().starts_with("Unquoted"));
        assert!(split(r#""a"b,1"#, &f)
            .unwrap_err()
            .starts_with("Quote inside"));
        assert!(split(r#""ab,3"#, &f)
            .unwrap_err()
            .starts_with("Quoted field"));
        assert!(split(r#"""""#, &f).unwrap_err().starts_with("Quoted field"));
        let plain = CsvFormat {
            quoted: false,
            ..format()
        };
        assert_eq!(split(r#"1,"a""b""#, &plain).unwrap(), ["1", r#""a""b""#]);
        let some = CsvFormat {
            select_cols: Some(vec![1, 3]),
            ..format()
        };
        assert_eq!(split("a,b,c,d,e", &some).unwrap(), ["b", "d"]);
        assert_eq!(split("a,b,c,", &some).unwrap(), ["b", ""]);
        assert_eq!(split("a,b", &some).unwrap(), ["b"]);
        let record = CsvFormat {
            empty_record_is_field: true,
            ..format()
        };
        assert_eq!(split("", &record).unwrap(), [""]);
        assert_eq!(split("", &f).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn parses_columns_with_defaults() {
        let records =
            Tensor::new(vec![2], StringBuf::from_items(["1.5,2,abc,3", "2,,x,NA"])).unwrap();
        let defaults = [
            Tensor::from_vec(vec![1], vec![0f32]).unwrap(),
            Tensor::from_vec(vec![1], vec![7i32]).unwrap(),
            Tensor::new(vec![0], StringBuf::new()).unwrap(),
            Tensor::from_vec(vec![1], vec![-1f64]).unwrap(),
        ];
        let refs: Vec<&Tensor> = defaults.iter().collect();
        let f = CsvFormat {
            na_value: b"NA".to_vec(),
            ..format()
        };
        let out = decode_csv(&records, &refs, &f).unwrap();
        assert_eq!(out[0].as_slice::<f32>().unwrap(), [1.5, 2.0]);
        assert_eq!(out[1].as_slice::<i32>().unwrap(), [2, 7]);
        let strings: Vec<&[u8]> = out[2].as_strings().unwrap().iter().collect();
        assert_eq!(strings, [&b"abc"[..], b"x"]);
        assert_eq!(out[3].as_slice::<f64>().unwrap(), [3.0, -1.0]);

        let missing = Tensor::new(vec![1], StringBuf::from_items(["1,,,2"])).unwrap();
        let err = decode_csv(&missing, &refs, &f).unwrap_err().to_string();
        assert!(
            err.contains("Field 2 is required but missing in record 0!"),
            "{err}"
        );
        let bad = Tensor::new(vec![1], StringBuf::from_items(["1,x,a,2"])).unwrap();
        let err = decode_csv(&bad, &refs, &f).unwrap_err().to_string();
        assert!(
            err.contains("Field 1 in record 0 is not a valid int32: x"),
            "{err}"
        );
        let short = Tensor::new(vec![1], StringBuf::from_items(["1,2"])).unwrap();
        let err = decode_csv(&short, &refs, &f).unwrap_err().to_string();
        assert!(
            err.contains("Expect 4 fields but have 2 in record 0"),
            "{err}"
        );
    }
}

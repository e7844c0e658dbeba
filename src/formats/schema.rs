//! What the columnar file readers share: choosing the top-level columns to read, and
//! checking that every file of a dataset has the same ones.

use std::path::Path;
use std::sync::Arc;

use arrow_schema::{Schema, SchemaRef};

use crate::engine::{Error, Result};

/// The indices of `columns` among `schema`'s top-level fields, in the order asked.
pub(crate) fn project(
    schema: &Schema,
    columns: Option<&[String]>,
    file: &Path,
) -> Result<Vec<usize>> {
    match columns {
        None => Ok((0..schema.fields().len()).collect()),
        Some(names) => names
            .iter()
            .map(|name| {
                schema.index_of(name).map_err(|_| {
                    let names: Vec<&str> =
                        schema.fields().iter().map(|f| f.name().as_str()).collect();
                    Error::invalid(format!(
                        "{}: no column '{name}' (it has {})",
                        file.display(),
                        names.join(", ")
                    ))
                })
            })
            .collect(),
    }
}

/// Checks that a file's projected schema is the first file's.
pub(crate) fn same_schema(first: &Schema, other: &Schema, file: &Path) -> Result<()> {
    let types = |s: &Schema| {
        s.fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect::<Vec<_>>()
    };
    if types(first) != types(other) {
        let described = |s: &Schema| s.fields().iter().map(|f| f.to_string()).collect::<Vec<_>>();
        return Err(Error::invalid(format!(
            "{}: columns {:?} differ from the first ones, {:?}",
            file.display(),
            described(other),
            described(first)
        )));
    }
    Ok(())
}

/// The projected schema of a dataset's files: the first file's, which every other must match.
#[derive(Default)]
pub(crate) struct CommonSchema(Option<SchemaRef>);

impl CommonSchema {
    /// The top-level columns of `file` to read (those named, or all), after checking that
    /// they are the other files'.
    pub(crate) fn add(
        &mut self,
        full: &Schema,
        columns: Option<&[String]>,
        file: &Path,
    ) -> Result<Vec<usize>> {
        let roots = project(full, columns, file)?;
        let projected = Arc::new(
            full.project(&roots)
                .map_err(|e| Error::Internal(e.to_string()))?,
        );
        match &self.0 {
            None => self.0 = Some(projected),
            Some(first) => same_schema(first, &projected, file)?,
        }
        Ok(roots)
    }

    /// The common schema; fails if no file was added.
    pub(crate) fn finish(self, kind: &str) -> Result<SchemaRef> {
        self.0
            .ok_or_else(|| Error::invalid(format!("no {kind} files were given")))
    }
}

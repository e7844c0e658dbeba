//! `Dataset.group_by_window` and the grouping behind `bucket_by_sequence_length`: each
//! element joins the group of its key; a group that reaches its window size becomes one
//! output element, and at the end of the input the groups left become one each, in
//! ascending key order, as tf.data's GroupByWindow flushes them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::engine::{
    Batch, Cardinality, Context, DType, DatasetIterator, DatasetNode, Element, ElementFn, Error,
    Result, Tensor,
};

/// How elements are grouped and what a group becomes.
pub trait Grouping: Send + Sync + 'static {
    fn key(&self, element: &Element) -> Result<i64>;
    fn window_size(&self, key: i64) -> Result<usize>;
    /// The output element of a full group, or of one left at the end.
    fn emit(&self, key: i64, group: &[Element]) -> Result<Element>;
    /// Whether groups left partial at the end are dropped instead.
    fn drop_partial(&self) -> bool {
        false
    }
}

/// The scalar integer `func` gives `element`; `what` names the function in messages.
pub(crate) fn int_scalar(func: &dyn ElementFn, element: Element, what: &str) -> Result<i64> {
    let out = func.call(element)?;
    let bad = || Error::InvalidArgument(format!("{what} must return one scalar integer"));
    match out.as_slice() {
        [t] if t.rank() == 0 && t.dtype().is_integer() => {
            let wide = crate::kernels::cast::cast(t, DType::Int64)?;
            Ok(wide.as_slice::<i64>().ok_or_else(bad)?[0])
        }
        _ => Err(bad()),
    }
}

pub struct GroupNode<G> {
    input: Arc<dyn DatasetNode>,
    grouping: Arc<G>,
}

impl<G: Grouping> GroupNode<G> {
    pub fn new(input: Arc<dyn DatasetNode>, grouping: G) -> Self {
        GroupNode {
            input,
            grouping: Arc::new(grouping),
        }
    }
}

impl<G: Grouping> DatasetNode for GroupNode<G> {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(GroupIterator {
            input: Some(ctx.open(&self.input)?),
            grouping: self.grouping.clone(),
            groups: BTreeMap::new(),
            sizes: HashMap::new(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

struct GroupIterator<G> {
    /// None once the input has ended.
    input: Option<Box<dyn DatasetIterator>>,
    grouping: Arc<G>,
    groups: BTreeMap<i64, Vec<Element>>,
    /// Each key's window size, asked once.
    sizes: HashMap<i64, usize>,
}

impl<G: Grouping> DatasetIterator for GroupIterator<G> {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while let Some(input) = self.input.as_mut() {
            let Some(element) = input.next(ctx)? else {
                self.input = None;
                break;
            };
            let key = self.grouping.key(&element)?;
            let size = match self.sizes.get(&key) {
                Some(&size) => size,
                None => {
                    let size = self.grouping.window_size(key)?;
                    self.sizes.insert(key, size);
                    size
                }
            };
            let group = self.groups.entry(key).or_default();
            group.push(element);
            if group.len() >= size {
                let full = self.groups.remove(&key).unwrap_or_default();
                return self.grouping.emit(key, &full).map(Some);
            }
        }
        while let Some((key, rest)) = self.groups.pop_first() {
            if !self.grouping.drop_partial() {
                return self.grouping.emit(key, &rest).map(Some);
            }
        }
        Ok(None)
    }
}

/// Where a group's window size comes from.
pub enum WindowSize {
    Fixed(usize),
    /// A function of the key (a scalar int64).
    OfKey(Arc<dyn ElementFn>),
}

/// `group_by_window`'s grouping: a key function, and each group emitted as its key followed
/// by its components stacked (the Python layer hands them to the reduce function as a
/// window of datasets).
pub struct KeyedWindows {
    key_fn: Arc<dyn ElementFn>,
    size: WindowSize,
}

impl KeyedWindows {
    pub fn new(key_fn: Arc<dyn ElementFn>, size: WindowSize) -> Self {
        KeyedWindows { key_fn, size }
    }
}

impl Grouping for KeyedWindows {
    fn key(&self, element: &Element) -> Result<i64> {
        int_scalar(&*self.key_fn, element.clone(), "key_func")
    }

    fn window_size(&self, key: i64) -> Result<usize> {
        let size = match &self.size {
            WindowSize::Fixed(size) => return Ok(*size),
            WindowSize::OfKey(func) => {
                int_scalar(&**func, vec![Tensor::scalar(key)], "window_size_func")?
            }
        };
        usize::try_from(size)
            .ok()
            .filter(|&s| s > 0)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "window_size_func gave {size} for key {key}; window sizes must be positive"
                ))
            })
    }

    fn emit(&self, key: i64, group: &[Element]) -> Result<Element> {
        let mut out = vec![Tensor::scalar(key)];
        out.extend(Batch::stack(group)?.tensors);
        Ok(out)
    }
}

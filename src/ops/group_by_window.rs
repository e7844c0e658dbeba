//! `Dataset.group_by_window` and the grouping behind `bucket_by_sequence_length`: each
//! element joins the group of its key; a group that reaches its window size becomes one
//! output element, and at the end of the input the groups left become one each, in
//! ascending key order, as tf.data's GroupByWindow flushes them. A saved pass names the
//! input indexes each group holds, re-read on restore (see `trail`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::trail::{refill, Trail};
use crate::engine::{
    save_maybe, Batch, Cardinality, Context, DType, DatasetIterator, DatasetNode, Element,
    ElementFn, Error, Result, State, Tensor,
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
            trail: Trail::new(),
        }))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Group", 5)?;
        let pulled = fields.count(0)?;
        let mut keys = Vec::new();
        let mut indexes = Vec::new();
        for group in fields.list(1)? {
            let State::List(pair) = group else {
                return Err(fields.malformed("holds a group that is not [key, indexes]"));
            };
            let [State::Int(key), State::List(held)] = &pair[..] else {
                return Err(fields.malformed("holds a group that is not [key, indexes]"));
            };
            for index in held.iter() {
                match index {
                    State::Int(i) if (*i as u64) < pulled && *i >= 0 => {
                        keys.push(*key);
                        indexes.push(*i as u64);
                    }
                    _ => return Err(fields.malformed("holds an index it never pulled")),
                }
            }
        }
        let oldest = indexes.iter().min().copied();
        let mark = Trail::saved_mark(&fields, 2, oldest)?;
        let mut groups: BTreeMap<i64, Group> = BTreeMap::new();
        if let Some((at, state)) = &mark {
            let elements = refill(ctx, &self.input, (*at, state), &indexes)?;
            for ((key, index), element) in keys.into_iter().zip(indexes).zip(elements) {
                let group = groups.entry(key).or_default();
                group.elements.push(element?);
                group.indexes.push(index);
            }
        }
        Ok(Box::new(GroupIterator {
            input: ctx.restore_maybe(&self.input, fields.maybe(4)?, replay)?,
            grouping: self.grouping.clone(),
            groups,
            sizes: HashMap::new(),
            trail: Trail::restored(pulled, mark),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

/// The elements one key holds, and their input indexes.
#[derive(Default)]
struct Group {
    elements: Vec<Element>,
    indexes: Vec<u64>,
}

struct GroupIterator<G> {
    /// None once the input has ended.
    input: Option<Box<dyn DatasetIterator>>,
    grouping: Arc<G>,
    groups: BTreeMap<i64, Group>,
    /// Each key's window size, asked once.
    sizes: HashMap<i64, usize>,
    trail: Trail,
}

impl<G> GroupIterator<G> {
    /// The input index of the oldest element held, or of the next one when none is.
    fn oldest(&self) -> u64 {
        self.groups
            .values()
            .filter_map(|g| g.indexes.first().copied())
            .min()
            .unwrap_or(self.trail.pulled())
    }
}

impl<G: Grouping> DatasetIterator for GroupIterator<G> {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while let Some(input) = self.input.as_mut() {
            self.trail.before_pull(&**input);
            let Some(element) = input.next(ctx)? else {
                self.input = None;
                break;
            };
            let index = self.trail.pulled();
            self.trail.count_pull();
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
            group.elements.push(element);
            group.indexes.push(index);
            if group.elements.len() >= size {
                let full = self.groups.remove(&key).unwrap_or_default();
                self.trail.prune(self.oldest());
                return self.grouping.emit(key, &full.elements).map(Some);
            }
        }
        while let Some((key, rest)) = self.groups.pop_first() {
            self.trail.prune(self.oldest());
            if !self.grouping.drop_partial() {
                return self.grouping.emit(key, &rest.elements).map(Some);
            }
        }
        Ok(None)
    }

    fn save(&self) -> Result<State> {
        let groups = self
            .groups
            .iter()
            .map(|(key, group)| {
                let held = group.indexes.iter().map(|&i| State::count(i)).collect();
                State::list(vec![State::int(*key), State::list(held)])
            })
            .collect();
        let [mark_at, mark] = self.trail.save(self.oldest(), !self.groups.is_empty())?;
        Ok(State::op(
            "Group",
            vec![
                State::count(self.trail.pulled()),
                State::list(groups),
                mark_at,
                mark,
                save_maybe(&self.input)?,
            ],
        ))
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

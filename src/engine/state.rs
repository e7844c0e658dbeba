//! An iterator's saved position: integers, names and lists, small and cheap to copy (lists
//! are shared, so a stage that keeps the state of each element it buffers copies pointers,
//! not trees). Every operation saves `[name, fields..., inputs...]`; restoring checks the
//! name and the shape of the fields, so a state of another pipeline, or one damaged, is an
//! `InvalidArgument` naming where it went wrong rather than a wrong position.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use base64::Engine;

use super::error::{Error, Result};
use super::serialize::{write_element, ElementReader};
use super::tensor::Element;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Int(i64),
    Text(Arc<str>),
    /// An operation's name as saved (no allocation); read back as `Text`.
    Name(&'static str),
    List(Arc<[State]>),
}

impl State {
    /// `[name, fields...]`, the state of one operation, in one allocation: iterators save
    /// it for every element some stages buffer.
    pub fn op(name: &'static str, fields: Vec<State>) -> State {
        let all: Arc<[State]> = std::iter::once(State::Name(name)).chain(fields).collect();
        State::List(all)
    }

    /// The text of a `Text` or `Name`.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            State::Text(t) => Some(t),
            State::Name(n) => Some(n),
            _ => None,
        }
    }

    /// Whether this is the state of operation `name`.
    pub fn is_op(&self, name: &str) -> bool {
        matches!(self, State::List(items) if items.first().and_then(State::as_text) == Some(name))
    }

    pub fn int(v: i64) -> State {
        State::Int(v)
    }

    /// A u64 (a seed, a random stream's position) kept bit for bit in an i64.
    pub fn bits(v: u64) -> State {
        State::Int(v as i64)
    }

    pub fn count(v: u64) -> State {
        State::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }

    pub fn flag(v: bool) -> State {
        State::Int(v as i64)
    }

    pub fn list(items: Vec<State>) -> State {
        State::List(items.into())
    }

    /// Bytes an operation must keep (a key it has seen), as base64 text.
    pub fn bytes(v: &[u8]) -> State {
        State::Text(BASE64.encode(v).into())
    }

    /// Values an operation carries from element to element (a scan's state): small tensors,
    /// serialized as a cache file holds them.
    pub fn element(element: &Element) -> State {
        let mut out = Vec::new();
        write_element(&mut out, element).expect("writing to memory");
        State::bytes(&out)
    }

    /// An optional state: an empty list for none, a one-item list for some.
    pub fn maybe(value: Option<State>) -> State {
        State::List(value.into_iter().collect::<Vec<_>>().into())
    }

    /// The fields of an operation's state saved by `State::op(name, ...)`, checked to be
    /// `count` of them.
    pub fn fields(&self, name: &str, count: usize) -> Result<Fields<'_>> {
        let items = match self {
            State::List(items) => items,
            _ => return Err(malformed(name, "is not a list")),
        };
        match items.first().and_then(State::as_text) {
            Some(found) if found == name => {}
            Some(found) => {
                return Err(Error::InvalidArgument(format!(
                    "the state does not fit this dataset: it holds a {found} where the \
                     dataset has a {name}"
                )))
            }
            None => return Err(malformed(name, "has no operation name")),
        }
        if items.len() != count + 1 {
            return Err(malformed(
                name,
                &format!("has {} fields, not {count}", items.len() - 1),
            ));
        }
        Ok(Fields {
            name: name.to_string(),
            items: &items[1..],
        })
    }
}

/// The fields of one operation's state, read with the operation's name in every error.
pub struct Fields<'a> {
    name: String,
    items: &'a [State],
}

impl<'a> Fields<'a> {
    pub fn state(&self, i: usize) -> &'a State {
        &self.items[i]
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        match &self.items[i] {
            State::Int(v) => Ok(*v),
            _ => Err(malformed(
                &self.name,
                &format!("field {i} is not an integer"),
            )),
        }
    }

    pub fn count(&self, i: usize) -> Result<u64> {
        u64::try_from(self.int(i)?)
            .map_err(|_| malformed(&self.name, &format!("field {i} is negative")))
    }

    pub fn bits(&self, i: usize) -> Result<u64> {
        Ok(self.int(i)? as u64)
    }

    pub fn flag(&self, i: usize) -> Result<bool> {
        match self.int(i)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed(&self.name, &format!("field {i} is not 0 or 1"))),
        }
    }

    pub fn list(&self, i: usize) -> Result<&'a [State]> {
        match &self.items[i] {
            State::List(v) => Ok(v),
            _ => Err(malformed(&self.name, &format!("field {i} is not a list"))),
        }
    }

    /// A field saved by `State::bytes`.
    pub fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        bytes_of(&self.items[i])
            .ok_or_else(|| malformed(&self.name, &format!("field {i} is not base64 text")))
    }

    /// A list field of items saved by `State::bytes`.
    pub fn bytes_list(&self, i: usize) -> Result<Vec<Vec<u8>>> {
        self.list(i)?
            .iter()
            .map(|item| {
                bytes_of(item).ok_or_else(|| {
                    malformed(
                        &self.name,
                        &format!("field {i} holds an item not base64 text"),
                    )
                })
            })
            .collect()
    }

    /// A field saved by `State::element`.
    pub fn element(&self, i: usize) -> Result<Element> {
        let bytes = self.bytes(i)?;
        let what = format!("field {i} of the {} state", self.name);
        let mut reader = ElementReader::new(&bytes[..], bytes.len() as u64, what);
        let element = reader
            .read_element()
            .map_err(|e| malformed(&self.name, &format!("field {i} is no element: {e}")))?;
        if reader.remaining() != 0 {
            return Err(malformed(
                &self.name,
                &format!("field {i} holds more than an element"),
            ));
        }
        Ok(element)
    }

    /// A field saved by `State::maybe`.
    pub fn maybe(&self, i: usize) -> Result<Option<&'a State>> {
        match self.list(i)? {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(malformed(
                &self.name,
                &format!("field {i} holds more than one state"),
            )),
        }
    }

    /// A field listing states saved by `State::maybe`, one per input.
    pub fn maybes(&self, i: usize) -> Result<Vec<Option<&'a State>>> {
        self.list(i)?
            .iter()
            .map(|item| match item {
                State::List(v) if v.len() <= 1 => Ok(v.first()),
                _ => Err(malformed(
                    &self.name,
                    &format!("field {i} holds an item that is not an optional state"),
                )),
            })
            .collect()
    }

    /// Fails naming this operation.
    pub fn malformed(&self, what: &str) -> Error {
        malformed(&self.name, what)
    }
}

fn bytes_of(state: &State) -> Option<Vec<u8>> {
    BASE64.decode(state.as_text()?).ok()
}

fn malformed(name: &str, what: &str) -> Error {
    Error::InvalidArgument(format!("malformed iterator state: the {name} state {what}"))
}

/// What `save` answers for an operation whose position cannot be saved yet.
pub fn not_saveable(name: &str) -> Error {
    Error::Unimplemented(format!(
        "the iterator's state cannot be saved: {name} does not support checkpointing"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_check_name_and_count() {
        let s = State::op("Range", vec![State::int(3), State::bits(u64::MAX)]);
        let f = s.fields("Range", 2).unwrap();
        assert_eq!(f.int(0).unwrap(), 3);
        assert_eq!(f.bits(1).unwrap(), u64::MAX);
        assert!(f.count(1).is_err());
        let other = s.fields("Shuffle", 2).err().unwrap().to_string();
        assert!(
            other.contains("holds a Range where the dataset has a Shuffle"),
            "{other}"
        );
        assert!(s.fields("Range", 3).is_err());
        assert!(State::int(1).fields("Range", 0).is_err());
    }

    #[test]
    fn copies_share_lists() {
        let s = State::list(vec![State::int(1); 1000]);
        let copy = s.clone();
        match (&s, &copy) {
            (State::List(a), State::List(b)) => assert!(Arc::ptr_eq(a, b)),
            _ => unreachable!(),
        }
    }
}

//! The values of a numeric tensor: a vector the tensor owns, or a range of an Arrow buffer (a
//! column a columnar source decoded) taken over without a copy. Either reads as a slice; a
//! write first makes the values an owned vector.

use std::fmt;
use std::marker::PhantomData;
use std::mem::size_of;
use std::ops::Deref;

use arrow_buffer::ArrowNativeType;

pub struct Storage<T> {
    repr: Repr<T>,
}

enum Repr<T> {
    Owned(Vec<T>),
    /// `len` values at the start of `buffer`, which is aligned for `T`.
    Arrow {
        buffer: arrow_buffer::Buffer,
        len: usize,
        _values: PhantomData<T>,
    },
}

impl<T: ArrowNativeType> Storage<T> {
    /// The first `len` values of `buffer`, shared; `None` if the buffer is too short or not
    /// aligned for `T` (the caller then copies).
    pub fn from_arrow(buffer: arrow_buffer::Buffer, len: usize) -> Option<Self> {
        let aligned = (buffer.as_ptr() as usize) % std::mem::align_of::<T>() == 0;
        if !aligned || buffer.len() < len * size_of::<T>() {
            return None;
        }
        Some(Storage {
            repr: Repr::Arrow {
                buffer,
                len,
                _values: PhantomData,
            },
        })
    }
}

impl<T: ArrowNativeType> Storage<T> {
    /// The values as an Arrow buffer, without a copy either way.
    pub fn into_arrow(self) -> arrow_buffer::Buffer {
        match self.repr {
            Repr::Owned(v) => arrow_buffer::Buffer::from_vec(v),
            Repr::Arrow { buffer, len, .. } => buffer.slice_with_length(0, len * size_of::<T>()),
        }
    }
}

impl<T: Copy> Storage<T> {
    /// The values as an owned vector to change (an Arrow range is copied first).
    pub fn make_vec(&mut self) -> &mut Vec<T> {
        if let Repr::Arrow { .. } = self.repr {
            self.repr = Repr::Owned(self.to_vec());
        }
        match &mut self.repr {
            Repr::Owned(v) => v,
            Repr::Arrow { .. } => unreachable!("made owned above"),
        }
    }

    /// The values as an owned vector (a copy only for an Arrow range).
    pub fn into_vec(self) -> Vec<T> {
        match self.repr {
            Repr::Owned(v) => v,
            Repr::Arrow { .. } => self.to_vec(),
        }
    }

    /// The Arrow buffer the values are a range of, if they are.
    pub fn arrow(&self) -> Option<&arrow_buffer::Buffer> {
        match &self.repr {
            Repr::Arrow { buffer, .. } => Some(buffer),
            Repr::Owned(_) => None,
        }
    }
}

impl<T> Deref for Storage<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.repr {
            Repr::Owned(v) => v,
            // SAFETY: `from_arrow` checked that the buffer holds `len` values of `T` at an
            // address aligned for `T`, and it is only made for plain numeric types, for
            // which every bit pattern is a value.
            Repr::Arrow { buffer, len, .. } => unsafe {
                std::slice::from_raw_parts(buffer.as_ptr().cast::<T>(), *len)
            },
        }
    }
}

impl<T> From<Vec<T>> for Storage<T> {
    fn from(v: Vec<T>) -> Self {
        Storage {
            repr: Repr::Owned(v),
        }
    }
}

/// A clone owns its values: a tensor handed to Python without a copy must be the only one
/// that can see them.
impl<T: Copy> Clone for Storage<T> {
    fn clone(&self) -> Self {
        Storage::from(self.to_vec())
    }
}

impl<T: PartialEq> PartialEq for Storage<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: fmt::Debug> fmt::Debug for Storage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T> Default for Storage<T> {
    fn default() -> Self {
        Storage::from(Vec::new())
    }
}

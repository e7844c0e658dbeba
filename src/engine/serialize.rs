//! A compact binary encoding of elements, used by `cache(filename)`. Every length is checked
//! against the bytes that remain before anything is allocated, so a damaged file is an error,
//! never a crash or a huge allocation.

use std::io::{self, Read, Write};

use half::f16;

use super::dtype::DType;
use super::error::{Error, Result};
use super::tensor::{Buffer, Element, StringBuf, Tensor};

fn dtype_code(d: DType) -> u8 {
    DType::ALL
        .iter()
        .position(|&x| x == d)
        .expect("every dtype is listed") as u8
}

/// Writes one element.
pub fn write_element(out: &mut impl Write, element: &Element) -> io::Result<()> {
    out.write_all(&(element.len() as u32).to_le_bytes())?;
    for t in element {
        out.write_all(&[dtype_code(t.dtype()), t.rank() as u8])?;
        for &d in t.shape() {
            out.write_all(&(d as u64).to_le_bytes())?;
        }
        write_buffer(out, t.buffer())?;
    }
    Ok(())
}

fn write_buffer(out: &mut impl Write, buffer: &Buffer) -> io::Result<()> {
    macro_rules! le {
        ($v:expr) => {{
            let mut bytes = Vec::with_capacity(std::mem::size_of_val(&**$v));
            for x in $v.iter() {
                bytes.extend_from_slice(&x.to_le_bytes());
            }
            out.write_all(&bytes)
        }};
    }
    match buffer {
        Buffer::Bool(v) => out.write_all(&v.iter().map(|&b| b as u8).collect::<Vec<_>>()),
        Buffer::Int8(v) => le!(v),
        Buffer::Int16(v) => le!(v),
        Buffer::Int32(v) => le!(v),
        Buffer::Int64(v) => le!(v),
        Buffer::UInt8(v) => out.write_all(&v[..]),
        Buffer::UInt16(v) => le!(v),
        Buffer::UInt32(v) => le!(v),
        Buffer::UInt64(v) => le!(v),
        Buffer::Float16(v) => le!(v),
        Buffer::Float32(v) => le!(v),
        Buffer::Float64(v) => le!(v),
        Buffer::String(s) => {
            out.write_all(&(s.values().len() as u64).to_le_bytes())?;
            for item in s.iter() {
                out.write_all(&(item.len() as u64).to_le_bytes())?;
            }
            out.write_all(s.values())
        }
    }
}

/// Reads elements back, tracking the byte offset for error messages.
pub struct ElementReader<R> {
    inner: R,
    offset: u64,
    remaining: u64,
    name: String,
}

impl<R: Read> ElementReader<R> {
    /// `len` is the number of bytes the source holds from here on.
    pub fn new(inner: R, len: u64, name: impl Into<String>) -> Self {
        ElementReader {
            inner,
            offset: 0,
            remaining: len,
            name: name.into(),
        }
    }

    fn corrupt(&self, what: &str) -> Error {
        Error::DataLoss(format!(
            "{}: corrupt cache data at byte {}: {what}",
            self.name, self.offset
        ))
    }

    fn bytes(&mut self, n: u64) -> Result<Vec<u8>> {
        if n > self.remaining {
            return Err(self.corrupt(&format!("needs {n} bytes, only {} remain", self.remaining)));
        }
        let mut buf = vec![0u8; n as usize];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| Error::io(&self.name, e))?;
        self.offset += n;
        self.remaining -= n;
        Ok(buf)
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Reads an exact tag (a file header, say).
    pub fn expect(&mut self, tag: &[u8]) -> Result<()> {
        if self.bytes(tag.len() as u64)? != tag {
            return Err(self.corrupt("bad header"));
        }
        Ok(())
    }

    pub fn read_u64(&mut self) -> Result<u64> {
        self.u64()
    }

    pub fn read_element(&mut self) -> Result<Element> {
        let width = u32::from_le_bytes(self.bytes(4)?.try_into().expect("4 bytes"));
        (0..width).map(|_| self.read_tensor()).collect()
    }

    fn read_tensor(&mut self) -> Result<Tensor> {
        let head = self.bytes(2)?;
        let dtype = *DType::ALL
            .get(head[0] as usize)
            .ok_or_else(|| self.corrupt("bad dtype"))?;
        let shape = (0..head[1])
            .map(|_| self.u64().map(|d| d as usize))
            .collect::<Result<Vec<_>>>()?;
        let count = shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
        let count = count.ok_or_else(|| self.corrupt("shape overflows"))?;
        let buffer = match dtype.item_size() {
            Some(size) => {
                let total = count
                    .checked_mul(size as u64)
                    .ok_or_else(|| self.corrupt("size overflows"))?;
                decode_numeric(dtype, &self.bytes(total)?)
            }
            None => self.read_strings(count)?,
        };
        Tensor::new(shape, buffer).map_err(|_| self.corrupt("shape and data disagree"))
    }

    fn read_strings(&mut self, count: u64) -> Result<Buffer> {
        let total = self.u64()?;
        if count.saturating_mul(8).saturating_add(total) > self.remaining {
            return Err(self.corrupt("string data longer than the file"));
        }
        let lengths = (0..count).map(|_| self.u64()).collect::<Result<Vec<_>>>()?;
        // Summed without wrapping: lengths that overflow are damage, not a match.
        let sum = lengths
            .iter()
            .try_fold(0u64, |acc, &len| acc.checked_add(len));
        if sum != Some(total) {
            return Err(self.corrupt("string lengths disagree with their total"));
        }
        let values = self.bytes(total)?;
        let mut s = StringBuf::with_capacity(count as usize, total as usize);
        let mut at = 0usize;
        for len in lengths {
            s.push(&values[at..at + len as usize]);
            at += len as usize;
        }
        Ok(Buffer::String(s))
    }
}

fn decode_numeric(dtype: DType, bytes: &[u8]) -> Buffer {
    macro_rules! le {
        ($t:ty) => {
            bytes
                .chunks_exact(std::mem::size_of::<$t>())
                .map(|c| <$t>::from_le_bytes(c.try_into().expect("exact chunk")))
                .collect::<Vec<$t>>()
                .into()
        };
    }
    match dtype {
        DType::Bool => bytes.iter().map(|&b| b != 0).collect::<Vec<_>>().into(),
        DType::Int8 => le!(i8),
        DType::Int16 => le!(i16),
        DType::Int32 => le!(i32),
        DType::Int64 => le!(i64),
        DType::UInt8 => bytes.to_vec().into(),
        DType::UInt16 => le!(u16),
        DType::UInt32 => le!(u32),
        DType::UInt64 => le!(u64),
        DType::Float16 => le!(f16),
        DType::Float32 => le!(f32),
        DType::Float64 => le!(f64),
        DType::String => unreachable!("strings have no item size"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_round_trip() {
        let element = vec![
            Tensor::from_vec(vec![2, 2], vec![1.5f32, -2.0, 3.0, 4.25]).unwrap(),
            Tensor::new(vec![3], StringBuf::from_items([&b"a"[..], b"", b"xyz"])).unwrap(),
            Tensor::scalar(true),
            Tensor::scalar(f16::from_f32(0.5)),
        ];
        let mut bytes = Vec::new();
        write_element(&mut bytes, &element).unwrap();
        let mut r = ElementReader::new(&bytes[..], bytes.len() as u64, "mem");
        assert_eq!(r.read_element().unwrap(), element);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn truncated_data_is_data_loss() {
        let element = vec![Tensor::from_vec(vec![4], vec![1i64, 2, 3, 4]).unwrap()];
        let mut bytes = Vec::new();
        write_element(&mut bytes, &element).unwrap();
        let cut = &bytes[..bytes.len() - 3];
        let mut r = ElementReader::new(cut, cut.len() as u64, "mem");
        assert!(matches!(r.read_element(), Err(Error::DataLoss(_))));
    }
}

//! Protocol-buffer wire-format primitives. Reading never trusts a length before comparing it
//! with the bytes that remain, and reports malformed input as `InvalidArgument`, never a panic.

use crate::engine::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    EndGroup,
    Fixed32,
}

impl WireType {
    fn bits(self) -> u64 {
        match self {
            WireType::Varint => 0,
            WireType::Fixed64 => 1,
            WireType::Len => 2,
            WireType::StartGroup => 3,
            WireType::EndGroup => 4,
            WireType::Fixed32 => 5,
        }
    }
}

/// A cursor over one serialized message.
#[derive(Debug, Clone)]
pub struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        WireReader { buf, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn varint(&mut self) -> Result<u64> {
        // Most varints in practice are one byte (tags, short lengths, small ints).
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(b as u64);
            }
        }
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(malformed("truncated varint", start));
            };
            self.pos += 1;
            value |= ((b & 0x7f) as u64) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(malformed("varint longer than 10 bytes", start))
    }

    /// The next field number and wire type.
    pub fn tag(&mut self) -> Result<(u32, WireType)> {
        let at = self.pos;
        let tag = self.varint()?;
        let field = tag >> 3;
        if field == 0 || field > u32::MAX as u64 >> 3 {
            return Err(malformed("invalid field number", at));
        }
        let wire = match tag & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            _ => return Err(malformed("invalid wire type", at)),
        };
        Ok((field as u32, wire))
    }

    /// A length-delimited payload, borrowed from the input.
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let at = self.pos;
        let len = self.varint()?;
        let left = self.buf.len() - self.pos;
        if len > left as u64 {
            return Err(malformed(
                &format!("length {len} past the end ({left} bytes left)"),
                at,
            ));
        }
        let out = &self.buf[self.pos..self.pos + len as usize];
        self.pos += len as usize;
        Ok(out)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N]> {
        match self.buf.get(self.pos..self.pos + N) {
            Some(b) => {
                self.pos += N;
                Ok(b.try_into().unwrap())
            }
            None => Err(malformed("truncated fixed-width value", self.pos)),
        }
    }

    pub fn fixed32(&mut self) -> Result<u32> {
        self.fixed::<4>().map(u32::from_le_bytes)
    }

    pub fn fixed64(&mut self) -> Result<u64> {
        self.fixed::<8>().map(u64::from_le_bytes)
    }

    /// Skips the value of a field this decoder does not know, groups included.
    pub fn skip(&mut self, field: u32, wire: WireType) -> Result<()> {
        match wire {
            WireType::Varint => self.varint().map(drop),
            WireType::Fixed64 => self.fixed64().map(drop),
            WireType::Len => self.bytes().map(drop),
            WireType::Fixed32 => self.fixed32().map(drop),
            WireType::StartGroup => self.skip_group(field),
            WireType::EndGroup => Err(malformed("unexpected end-group tag", self.pos)),
        }
    }

    fn skip_group(&mut self, field: u32) -> Result<()> {
        // Iterative so that deeply nested groups cannot overflow the stack.
        let mut open = vec![field];
        while let Some(&innermost) = open.last() {
            if self.is_empty() {
                return Err(malformed("unterminated group", self.pos));
            }
            let at = self.pos;
            match self.tag()? {
                (f, WireType::EndGroup) if f == innermost => {
                    open.pop();
                }
                (_, WireType::EndGroup) => return Err(malformed("mismatched end-group tag", at)),
                (f, WireType::StartGroup) => open.push(f),
                (f, w) => self.skip(f, w)?,
            }
        }
        Ok(())
    }
}

fn malformed(what: &str, at: usize) -> Error {
    Error::InvalidArgument(format!("malformed protobuf: {what} at byte {at}"))
}

/// The error for a known field sent with a wire type its declaration does not allow.
pub fn wrong_wire_type(message: &str, field: u32, wire: WireType, at: usize) -> Error {
    Error::InvalidArgument(format!(
        "malformed protobuf: field {field} of {message} has wire type {wire:?} at byte {at}"
    ))
}

pub fn varint_len(v: u64) -> usize {
    // One byte per started group of 7 bits, at least one.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn put_tag(out: &mut Vec<u8>, field: u32, wire: WireType) {
    put_varint(out, ((field as u64) << 3) | wire.bits());
}

/// Writes the tag and length of a length-delimited field; its `len` payload bytes follow.
pub fn put_len_prefix(out: &mut Vec<u8>, field: u32, len: usize) {
    put_tag(out, field, WireType::Len);
    put_varint(out, len as u64);
}

/// Bytes a length-delimited field with a `len`-byte payload takes, tag included.
pub fn len_field_size(field: u32, len: usize) -> usize {
    varint_len((field as u64) << 3) + varint_len(len as u64) + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            u32::MAX as u64,
            (-1i64) as u64,
            u64::MAX / 3,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            let mut r = WireReader::new(&out);
            assert_eq!(r.varint().unwrap(), v);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(WireReader::new(&[0x80, 0x80]).varint().is_err());
        assert!(WireReader::new(&[0xff; 11]).varint().is_err());
        // Length 5 with 2 bytes left; length 2^63 must not be trusted either.
        assert!(WireReader::new(&[5, 1, 2]).bytes().is_err());
        let huge = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        assert!(WireReader::new(&huge).bytes().is_err());
        assert!(WireReader::new(&[0x00]).tag().is_err(), "field 0");
        assert!(WireReader::new(&[0x0f]).tag().is_err(), "wire type 7");
        assert!(WireReader::new(&[1, 2, 3]).fixed32().is_err());
    }

    #[test]
    fn groups_are_skipped() {
        // field 2 start-group { field 1 varint 5, field 3 group {} } end-group 2, then field 4.
        let bytes = [0x13, 0x08, 0x05, 0x1b, 0x1c, 0x14, 0x20, 0x01];
        let mut r = WireReader::new(&bytes);
        let (f, w) = r.tag().unwrap();
        r.skip(f, w).unwrap();
        assert_eq!(r.tag().unwrap(), (4, WireType::Varint));
        assert!(WireReader::new(&[0x13, 0x08, 0x05])
            .skip(2, WireType::StartGroup)
            .is_err());
        let mut r = WireReader::new(&[0x13, 0x1c]);
        let (f, w) = r.tag().unwrap();
        assert!(r.skip(f, w).is_err(), "mismatched end group");
    }
}

//! TFRecord files: each record is framed as
//! `u64 length (LE) | u32 masked crc32c(length) | data | u32 masked crc32c(data)`,
//! optionally inside one gzip or zlib stream.

mod reader;
mod writer;

pub use reader::TfRecordReader;
pub use writer::TfRecordWriter;

/// Bytes before a record's data: the length and its checksum.
const HEADER_LEN: u64 = 12;
/// Bytes after a record's data: its checksum.
const FOOTER_LEN: u64 = 4;

/// TensorFlow masks stored CRCs because a CRC of data that itself contains CRCs is weak.
pub(crate) fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

#[cfg(test)]
mod tests;

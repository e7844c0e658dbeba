//! The cache file reader on arbitrary bytes: a cache file is replayed only when its header,
//! every element's checksum and its end marker hold; anything else is an error, never a
//! panic or an allocation sized by a length field.
//!
//! The input is written as a cache file and replayed through `CacheNode`; seeds in
//! fuzz/seeds/cache_reader are files the engine wrote, so mutations reach past the header.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use ferroflow::engine::{Context, DType, DatasetNode};
use ferroflow::ops::cache::CacheNode;
use ferroflow::ops::range::RangeNode;
use libfuzzer_sys::fuzz_target;

/// One scratch prefix per fuzzing process: the cache file is `{prefix}.ffcache`.
fn scratch_prefix() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("ferroflow-fuzz-{}", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let prefix = scratch_prefix();
    std::fs::write(format!("{}.ffcache", prefix.display()), data).expect("writing the cache");
    // Never read: the file exists, so the node replays it instead of its input.
    let input = Arc::new(RangeNode::new(0, 1, 1, DType::Int64).expect("a range"));
    let node = CacheNode::new(input, &prefix.display().to_string(), "");
    let ctx = Arc::new(Context::default());
    let Ok(mut it) = node.make_iterator(&ctx) else {
        return;
    };
    while let Ok(Some(_)) = it.next(&ctx) {}
});

//! Saved states of the operations that hold elements across calls (windows, groups, a
//! cache, a scan's state, the elements `unique` has seen) and of the random and replayed
//! sources: each restored in a new pass goes on exactly as the interrupted one would have.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::bucket_by_length::Buckets;
use super::cache::CacheNode;
use super::checkpoint_tests::{cut_at, range, resumed, round_trips, times, Node, StringsNode};
use super::directed_interleave::DirectedInterleaveNode;
use super::file_records::{record_file_fn, FileOptions};
use super::flat_map::FlatMapNode;
use super::generator::{ElementSource, ElementStream, GeneratorNode};
use super::group_by_window::{GroupNode, KeyedWindows, WindowSize};
use super::map::MapNode;
use super::padded_batch::{PaddedBatchNode, Padding};
use super::random_source::{Draw, RandomSourceNode, WeightedChoiceNode};
use super::repeat::RepeatNode;
use super::scan::ScanNode;
use super::shuffle::ShuffleNode;
use super::take::TakeNode;
use super::unique::UniqueNode;
use super::window::{WindowNode, WindowShape};
use crate::engine::{Context, Element, ElementFn, Error, Result, Tensor};
use crate::formats::compression::Compression;
use crate::formats::fixed_length::FixedLayout;
use crate::formats::text_lines::CsvSyntax;

fn int_fn(f: impl Fn(i64) -> i64 + Send + Sync + 'static) -> Arc<dyn ElementFn> {
    Arc::new(move |e: Element| -> Result<Element> {
        Ok(vec![Tensor::scalar(f(e[0].as_slice::<i64>().unwrap()[0]))])
    })
}

#[test]
fn random_sources_and_choices() {
    round_trips(|| {
        let random: Node = Arc::new(RandomSourceNode::new(Draw::Int64, Some(4), true));
        Arc::new(RepeatNode::new(Arc::new(TakeNode::new(random, 5)), 3))
    });
    round_trips(|| {
        let weights = Tensor::new(vec![3], vec![1.0f64, 2.0, 3.0]).unwrap();
        let weights: Node = Arc::new(super::from_tensors::FromTensorsNode::new(vec![weights]));
        let choices: Node = Arc::new(WeightedChoiceNode::new(
            Arc::new(RepeatNode::new(weights, 12)),
            Some(9),
            false,
        ));
        Arc::new(
            DirectedInterleaveNode::new(choices, vec![range(4), range(5), range(6)], false)
                .unwrap(),
        )
    });
    // choose_from_datasets, an input running out and being passed over.
    round_trips(|| {
        let selector: Node = Arc::new(MapNode::new(range(14), int_fn(|v| v % 2)));
        Arc::new(DirectedInterleaveNode::new(selector, vec![range(3), range(20)], false).unwrap())
    });
}

#[test]
fn fixed_length_records_plain_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let layout = FixedLayout::new(3, 2, 1).unwrap();
    for compression in [Compression::None, Compression::Gzip] {
        let paths: Vec<String> = (0..2)
            .map(|i| {
                let path = dir.path().join(format!("f{i}-{}.bin", compression.name()));
                let mut body = b"HH".to_vec();
                for r in 0..(3 + i) {
                    body.extend([b'a' + r as u8, b'0' + i as u8, b'z']);
                }
                body.push(b'F');
                std::fs::write(&path, encoded(compression, &body)).unwrap();
                path.display().to_string()
            })
            .collect();
        let names = StringsNode::of(&paths);
        let options = FileOptions {
            compression,
            fixed: Some(layout),
            ..FileOptions::default()
        };
        round_trips(|| {
            Arc::new(FlatMapNode::new(
                names.clone(),
                record_file_fn("fixed_length", options).unwrap(),
            ))
        });
    }
}

fn encoded(compression: Compression, body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    match compression {
        Compression::None => body.to_vec(),
        _ => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(body).unwrap();
            gz.finish().unwrap()
        }
    }
}

#[test]
fn padded_batches() {
    round_trips(|| {
        // Rows of length v % 4, padded to the longest of each batch.
        let rows: Node = Arc::new(MapNode::new(
            range(17),
            Arc::new(|e: Element| -> Result<Element> {
                let v = e[0].as_slice::<i64>().unwrap()[0];
                let n = (v % 4) as usize;
                Ok(vec![Tensor::new(vec![n], vec![v; n]).unwrap()])
            }),
        ));
        let padding = Padding::new(vec![None], vec![Tensor::scalar(-1i64)]).unwrap();
        Arc::new(PaddedBatchNode::new(rows, 3, padding, false).unwrap())
    });
}

#[test]
fn text_lines_and_csv_records() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [Compression::None, Compression::Gzip] {
        let paths: Vec<String> = (0..2)
            .map(|i| {
                let path = dir.path().join(format!("t{i}-{}.csv", compression.name()));
                let body: String = (0..5 + i)
                    .map(|r| format!("{r},\"quoted\nline {i}\"\r\n"))
                    .collect();
                std::fs::write(&path, encoded(compression, body.as_bytes())).unwrap();
                path.display().to_string()
            })
            .collect();
        let names = StringsNode::of(&paths);
        for format in ["text_line", "csv_record"] {
            let options = FileOptions {
                compression,
                csv: CsvSyntax::new(b",", true).unwrap(),
                ..FileOptions::default()
            };
            round_trips(|| {
                Arc::new(FlatMapNode::new(
                    names.clone(),
                    record_file_fn(format, options).unwrap(),
                ))
            });
        }
    }
}

/// A generator of `0..n`, counting how often it was called.
struct Counting {
    n: i64,
    opened: Arc<AtomicUsize>,
}

struct CountingStream {
    next: i64,
    n: i64,
}

impl ElementSource for Counting {
    fn open(&self) -> Result<Box<dyn ElementStream>> {
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(Box::new(CountingStream { next: 0, n: self.n }))
    }
}

impl ElementStream for CountingStream {
    fn next(&mut self) -> Result<Option<Element>> {
        if self.next == self.n {
            return Ok(None);
        }
        self.next += 1;
        Ok(Some(vec![Tensor::scalar(self.next - 1)]))
    }
}

#[test]
fn a_generator_is_replayed_to_its_place() {
    let opened = Arc::new(AtomicUsize::new(0));
    let make = |n: i64| -> Node {
        let source = Arc::new(Counting {
            n,
            opened: opened.clone(),
        });
        Arc::new(RepeatNode::new(Arc::new(GeneratorNode::new(source)), 2))
    };
    round_trips(|| make(6));
    // A generator that yields fewer elements than the state passed is refused.
    let (state, _) = cut_at(&make(6), 5);
    let ctx = Arc::new(Context::default());
    let mut it = ctx.restore(&make(3), &state, false).unwrap();
    let err = it.next(&ctx).err().unwrap().to_string();
    assert!(
        err.contains("gave 3 elements where the saved state is after 5"),
        "{err}"
    );
}

#[test]
fn scan_and_unique_keep_what_they_carry() {
    round_trips(|| {
        let sum = Arc::new(|e: Element| -> Result<Element> {
            let (total, v) = (
                e[0].as_slice::<i64>().unwrap()[0],
                e[1].as_slice::<i64>().unwrap()[0],
            );
            Ok(vec![
                Tensor::scalar(total + v),
                Tensor::scalar(total * 10 + v),
            ])
        });
        Arc::new(ScanNode::new(range(9), sum, vec![Tensor::scalar(100i64)]))
    });
    round_trips(|| {
        let repeating: Node = Arc::new(MapNode::new(range(30), int_fn(|v| (v * 7) % 11)));
        Arc::new(UniqueNode::new(repeating))
    });
}

#[test]
fn windows_of_every_shape() {
    for (size, shift, stride, drop) in [
        (3, 3, 1, false),
        (4, 1, 2, true),
        (2, 5, 1, false),
        (5, 2, 3, false),
    ] {
        round_trips(|| {
            let mapped: Node = Arc::new(MapNode::new(range(23), times(2)));
            Arc::new(WindowNode::new(
                mapped,
                WindowShape::new(size, shift, stride, drop).unwrap(),
            ))
        });
    }
    // Past several kept input states.
    round_trips(|| {
        Arc::new(WindowNode::new(
            range(300),
            WindowShape::new(70, 40, 1, false).unwrap(),
        ))
    });
}

#[test]
fn groups_and_buckets() {
    round_trips(|| {
        let keyed = KeyedWindows::new(int_fn(|v| v % 3), WindowSize::Fixed(4));
        Arc::new(GroupNode::new(range(31), keyed))
    });
    // A rare key holds its element while many kept input states go by.
    round_trips(|| {
        let sizes = int_fn(|key| if key == 0 { 3 } else { 5 });
        let keyed = KeyedWindows::new(int_fn(|v| (v % 97 == 0) as i64), WindowSize::OfKey(sizes));
        Arc::new(GroupNode::new(range(250), keyed))
    });
    round_trips(|| {
        let lengths = int_fn(|v| v % 10);
        let buckets = Buckets::new(lengths, vec![3, 7], vec![2, 3, 4], None, false, false).unwrap();
        let shuffled: Node = Arc::new(ShuffleNode::new(range(40), 5, Some(3), true).unwrap());
        Arc::new(GroupNode::new(shuffled, buckets))
    });
}

/// `cache` over a shuffle that reshuffles: every epoch after the first replays the first's
/// order, so a restored pass must fill its cache from the first pass's state.
fn cached_epochs(filename: &str) -> Node {
    let shuffled: Node = Arc::new(ShuffleNode::new(range(9), 4, Some(7), true).unwrap());
    let cached: Node = Arc::new(CacheNode::new(shuffled, filename, "cache of a test"));
    Arc::new(RepeatNode::new(cached, 3))
}

#[test]
fn a_memory_cache_is_filled_again_from_its_first_pass() {
    // Each `make()` is a new dataset, as in a new process: its cache starts empty.
    round_trips(|| cached_epochs(""));
}

#[test]
fn a_file_cache_is_read_from_its_place_or_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("c").display().to_string();
    let file = dir.path().join("c.ffcache");
    let (_, whole) = cut_at(&cached_epochs(&name), 0);
    for cut in 0..=whole.len() {
        for file_kept in [true, false] {
            let _ = std::fs::remove_file(&file);
            let (state, rest) = cut_at(&cached_epochs(&name), cut);
            if !file_kept {
                std::fs::remove_file(&file).unwrap();
            }
            assert_eq!(
                resumed(&cached_epochs(&name), &state),
                rest,
                "cut after {cut}, file kept: {file_kept}"
            );
        }
    }
}

#[test]
fn a_window_state_of_another_input_is_refused() {
    let window = || -> Node {
        Arc::new(WindowNode::new(
            range(10),
            WindowShape::new(4, 1, 1, false).unwrap(),
        ))
    };
    let (state, _) = cut_at(&window(), 2);
    let ctx = Arc::new(Context::default());
    let shorter: Node = Arc::new(WindowNode::new(
        range(3),
        WindowShape::new(4, 1, 1, false).unwrap(),
    ));
    let err = ctx.restore(&shorter, &state, false).err().unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

//! Each operation's saved state, restored in a new pass (as in another process), goes on
//! with exactly the elements the interrupted pass would have given, at every cut point.

use std::sync::Arc;

use super::batch::BatchNode;
use super::concatenate::ConcatenateNode;
use super::file_records::{record_file_fn, FileOptions};
use super::filter::FilterNode;
use super::flat_map::FlatMapNode;
use super::from_tensor_slices::FromTensorSlicesNode;
use super::from_tensors::FromTensorsNode;
use super::ignore_errors::IgnoreErrorsNode;
use super::interleave::InterleaveNode;
use super::map::MapNode;
use super::parallel_map::ParallelMapNode;
use super::prefetch::PrefetchNode;
use super::range::RangeNode;
use super::repeat::RepeatNode;
use super::shard::ShardNode;
use super::shuffle::ShuffleNode;
use super::skip::SkipNode;
use super::take::TakeNode;
use super::take_while::TakeWhileNode;
use super::unbatch::UnbatchNode;
use super::zip::ZipNode;
use crate::engine::{Context, DType, DatasetNode, Element, Error, Result, State, Tensor};
use crate::formats::compression::Compression;
use crate::formats::tfrecord::TfRecordWriter;

pub(super) type Node = Arc<dyn DatasetNode>;

/// An element's integers, and one number per string drawn from its bytes.
pub(super) fn values(element: &Element) -> Vec<i64> {
    let of_bytes = |b: &[u8]| {
        b.iter().fold(b.len() as i64, |h, &x| {
            h.wrapping_mul(31).wrapping_add(x as i64)
        })
    };
    element
        .iter()
        .flat_map(|t| match t.as_slice::<i64>() {
            Some(v) => v.to_vec(),
            None => t
                .as_strings()
                .map(|s| (0..s.len()).map(|i| of_bytes(s.get(i))).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Every element of a pass, cut after `cut`: the state then, and what followed.
pub(super) fn cut_at(node: &Node, cut: usize) -> (State, Vec<Vec<i64>>) {
    let ctx = Arc::new(Context::default());
    let mut it = ctx.open(node).unwrap();
    for _ in 0..cut {
        it.next(&ctx).unwrap().expect("an element before the cut");
    }
    let state = it.save().unwrap();
    let mut rest = Vec::new();
    while let Some(e) = it.next(&ctx).unwrap() {
        rest.push(values(&e));
    }
    ctx.cancel();
    (state, rest)
}

pub(super) fn resumed(node: &Node, state: &State) -> Vec<Vec<i64>> {
    let ctx = Arc::new(Context::default());
    let mut it = ctx.restore(node, state, false).unwrap();
    let mut rest = Vec::new();
    while let Some(e) = it.next(&ctx).unwrap() {
        rest.push(values(&e));
    }
    ctx.cancel();
    rest
}

/// Cuts a pass of `make()` at every point, restores each state into a new `make()` and
/// compares.
pub(super) fn round_trips(make: impl Fn() -> Node) {
    let ctx = Arc::new(Context::default());
    let mut it = ctx.open(&make()).unwrap();
    let mut total = 0;
    while it.next(&ctx).unwrap().is_some() {
        total += 1;
    }
    ctx.cancel();
    for cut in 0..=total {
        let (state, rest) = cut_at(&make(), cut);
        assert_eq!(resumed(&make(), &state), rest, "cut after {cut} of {total}");
    }
}

pub(super) fn range(n: i64) -> Node {
    Arc::new(RangeNode::new(0, n, 1, DType::Int64).unwrap())
}

pub(super) fn times(k: i64) -> Arc<dyn crate::engine::ElementFn> {
    Arc::new(move |e: Element| -> Result<Element> {
        let v = e[0].as_slice::<i64>().unwrap()[0];
        Ok(vec![Tensor::scalar(v * k)])
    })
}

#[test]
fn sources() {
    round_trips(|| range(7));
    round_trips(|| {
        let column = Tensor::new(vec![5], vec![1i64, 2, 3, 4, 5]).unwrap();
        Arc::new(FromTensorSlicesNode::new(vec![column]).unwrap())
    });
    round_trips(|| Arc::new(FromTensorsNode::new(vec![Tensor::scalar(9i64)])));
}

#[test]
fn element_wise() {
    round_trips(|| Arc::new(MapNode::new(range(9), times(3))));
    round_trips(|| {
        Arc::new(FilterNode::new(
            range(12),
            Arc::new(|e: Element| -> Result<Element> {
                let v = e[0].as_slice::<i64>().unwrap()[0];
                Ok(vec![Tensor::scalar(v % 3 != 0)])
            }),
        ))
    });
    round_trips(|| Arc::new(ParallelMapNode::new(range(30), times(2), 4, Some(true)).unwrap()));
}

#[test]
fn counting() {
    round_trips(|| Arc::new(TakeNode::new(range(10), 6)));
    round_trips(|| Arc::new(SkipNode::new(range(10), 4)));
    round_trips(|| Arc::new(RepeatNode::new(range(4), 3)));
    round_trips(|| Arc::new(BatchNode::new(range(11), 3, false).unwrap()));
    round_trips(|| Arc::new(BatchNode::new(range(11), 3, true).unwrap()));
    round_trips(|| {
        Arc::new(
            BatchNode::new(range(20), 3, false)
                .unwrap()
                .parallel(2, Some(true))
                .unwrap(),
        )
    });
    round_trips(|| Arc::new(PrefetchNode::new(range(15), 3).unwrap()));
    round_trips(|| {
        let batched: Node = Arc::new(BatchNode::new(range(14), 4, false).unwrap());
        Arc::new(UnbatchNode::new(batched))
    });
}

#[test]
fn combining() {
    round_trips(|| Arc::new(ZipNode::new(vec![range(5), range(7)])));
    round_trips(|| Arc::new(ConcatenateNode::new(range(4), range(3))));
    round_trips(|| {
        Arc::new(TakeWhileNode::new(
            range(10),
            Arc::new(|e: Element| -> Result<Element> {
                Ok(vec![Tensor::scalar(e[0].as_slice::<i64>().unwrap()[0] < 6)])
            }),
        ))
    });
    round_trips(|| Arc::new(ShardNode::new(range(17), 3, 1).unwrap()));
    round_trips(|| Arc::new(IgnoreErrorsNode::new(range(6), false)));
}

#[test]
fn shuffles_reshuffled_each_epoch() {
    let shuffled = || -> Node {
        let mapped: Node = Arc::new(ParallelMapNode::new(range(25), times(1), 3, None).unwrap());
        let shuffled: Node = Arc::new(ShuffleNode::new(mapped, 6, Some(11), true).unwrap());
        Arc::new(RepeatNode::new(shuffled, 3))
    };
    round_trips(shuffled);
    // Long enough that the buffer is re-read from input states kept after the first.
    round_trips(|| {
        let mapped: Node = Arc::new(MapNode::new(range(300), times(5)));
        Arc::new(ShuffleNode::new(mapped, 20, Some(2), false).unwrap())
    });
}

#[test]
fn a_shuffle_state_does_not_grow_with_its_buffer() {
    fn leaves(state: &State) -> usize {
        match state {
            State::List(items) => items.iter().map(leaves).sum(),
            _ => 1,
        }
    }
    for buffer in [10, 1000, 100_000] {
        let node: Node = Arc::new(ShuffleNode::new(range(200_000), buffer, Some(1), true).unwrap());
        let (state, _) = cut_at(&node, 5000);
        assert!(leaves(&state) < 20, "{buffer}: {state:?}");
    }
}

fn write_records(path: &std::path::Path, compression: Compression, n: usize) {
    let mut w = TfRecordWriter::create(path, compression).unwrap();
    for i in 0..n {
        w.write_record(&vec![b'x'; i + 1]).unwrap();
    }
    w.close().unwrap();
}

#[test]
fn files_of_records_plain_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [Compression::None, Compression::Gzip] {
        let paths: Vec<String> = (0..3)
            .map(|i| {
                let path = dir
                    .path()
                    .join(format!("f{i}-{}.tfrecord", compression.name()));
                write_records(&path, compression, 4 + i);
                path.display().to_string()
            })
            .collect();
        let names = StringsNode::of(&paths);
        let options = FileOptions {
            compression,
            ..FileOptions::default()
        };
        round_trips(|| {
            Arc::new(FlatMapNode::new(
                names.clone(),
                record_file_fn("tfrecord", options).unwrap(),
            ))
        });
    }
}

#[test]
fn interleaved_files_in_turn_and_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (0..5)
        .map(|i| {
            let path = dir.path().join(format!("f{i}.tfrecord"));
            write_records(&path, Compression::None, 3 + 2 * i);
            path.display().to_string()
        })
        .collect();
    let names = StringsNode::of(&paths);
    let read = || record_file_fn("tfrecord", FileOptions::default()).unwrap();
    round_trips(|| Arc::new(InterleaveNode::new(names.clone(), read(), 2, 2).unwrap()));
    round_trips(|| {
        Arc::new(
            InterleaveNode::new(names.clone(), read(), 3, 1)
                .unwrap()
                .parallel(2),
        )
    });
    // Under a shuffle, whose buffer is refilled by replaying the interleave inline.
    round_trips(|| {
        let interleaved: Node = Arc::new(
            InterleaveNode::new(names.clone(), read(), 3, 1)
                .unwrap()
                .parallel(2),
        );
        Arc::new(ShuffleNode::new(interleaved, 7, Some(5), true).unwrap())
    });
}

#[test]
fn a_state_of_another_pipeline_is_refused() {
    let (state, _) = cut_at(&range(5), 2);
    let ctx = Arc::new(Context::default());
    let other: Node = Arc::new(MapNode::new(range(5), times(2)));
    let err = ctx.restore(&other, &state, false).err().unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert!(
        err.to_string()
            .contains("holds a Range where the dataset has a Map"),
        "{err}"
    );
    let err = ctx.restore(&range(4), &state, false).err().unwrap();
    assert!(
        err.to_string().contains("which this range never is"),
        "{err}"
    );
}

/// A dataset of file names.
pub(super) struct StringsNode;

impl StringsNode {
    pub(super) fn of(names: &[String]) -> Node {
        let mut buf = crate::engine::StringBuf::with_capacity(names.len(), 0);
        for n in names {
            buf.push(n.as_bytes());
        }
        let column = Tensor::new(vec![names.len()], buf).unwrap();
        Arc::new(FromTensorSlicesNode::new(vec![column]).unwrap())
    }
}

//! Dataset functions (of `flat_map` and `interleave`) that run without Python: a traced graph
//! computes, from the input element, the tensors a source dataset is built from.

use std::sync::Arc;

use super::from_tensor_slices::FromTensorSlicesNode;
use super::from_tensors::FromTensorsNode;
use crate::engine::{DatasetFn, DatasetNode, Element, ElementFn, Result};

/// `Dataset.from_tensors(element)`.
pub struct TensorsFn;

impl DatasetFn for TensorsFn {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        Ok(Arc::new(FromTensorsNode::new(input)))
    }
}

/// `Dataset.from_tensor_slices(element)`.
pub struct TensorSlicesFn;

impl DatasetFn for TensorSlicesFn {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        Ok(Arc::new(FromTensorSlicesNode::new(input)?))
    }
}

/// Computes the source's tensors with `graph`, then builds the source with `source`.
pub struct GraphSourceFn {
    graph: Arc<dyn ElementFn>,
    source: Arc<dyn DatasetFn>,
}

impl GraphSourceFn {
    pub fn new(graph: Arc<dyn ElementFn>, source: Arc<dyn DatasetFn>) -> Self {
        GraphSourceFn { graph, source }
    }
}

impl DatasetFn for GraphSourceFn {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        self.source.call(self.graph.call(input)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Context, Tensor};

    #[test]
    fn a_graph_feeds_the_source_it_builds() {
        let double = |e: Element| -> Result<Element> {
            let v: Vec<i64> = e[0]
                .as_slice::<i64>()
                .unwrap()
                .iter()
                .map(|x| x * 2)
                .collect();
            Ok(vec![Tensor::from_vec(vec![v.len()], v)?])
        };
        let f = GraphSourceFn::new(Arc::new(double), Arc::new(TensorSlicesFn));
        let node = f
            .call(vec![Tensor::from_vec(vec![3], vec![1i64, 2, 3]).unwrap()])
            .unwrap();
        let ctx = Arc::new(Context::default());
        let mut it = node.make_iterator(&ctx).unwrap();
        let rows: Vec<i64> = std::iter::from_fn(|| it.next(&ctx).unwrap())
            .map(|e| e[0].as_slice::<i64>().unwrap()[0])
            .collect();
        assert_eq!(rows, vec![2, 4, 6]);
        assert!(TensorSlicesFn.call(vec![Tensor::scalar(1i64)]).is_err());
    }
}

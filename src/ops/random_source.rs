//! `Dataset.random` and the selector of `sample_from_datasets`: an endless dataset of random
//! int64 scalars, uniform over all values or drawn from categorical weights, fixed or one
//! weight vector per element of a weights dataset.

use std::sync::Arc;

use crate::engine::random::{RandomStream, SeedGenerator};
use crate::engine::state::Fields;
use crate::engine::{
    Cardinality, Context, DType, DatasetIterator, DatasetNode, Element, Error, Result, State,
    Tensor,
};

/// What each element draws.
pub enum Draw {
    /// Any int64.
    Int64,
    /// An index `i` with probability `weights[i] / sum(weights)`; holds the running sums.
    Categorical(Vec<f64>),
}

impl Draw {
    /// Categorical draws with these weights: finite, non-negative, not all zero.
    pub fn categorical(weights: &[f64]) -> Result<Draw> {
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::InvalidArgument(format!(
                "weights must be finite and non-negative, got {weights:?}"
            )));
        }
        let sums: Vec<f64> = weights
            .iter()
            .scan(0.0, |total, w| {
                *total += w;
                Some(*total)
            })
            .collect();
        if sums.last().is_none_or(|&total| total <= 0.0) {
            return Err(Error::invalid("weights must not all be zero"));
        }
        Ok(Draw::Categorical(sums))
    }

    fn draw(&self, rng: &mut RandomStream) -> i64 {
        match self {
            Draw::Int64 => rng.next_u64() as i64,
            Draw::Categorical(sums) => {
                let point = rng.unit_f64() * sums[sums.len() - 1];
                // The first index whose running sum passes the point; a zero weight's sum
                // equals its predecessor's, so it is never chosen.
                sums.partition_point(|&s| s <= point).min(sums.len() - 1) as i64
            }
        }
    }
}

pub struct RandomSourceNode {
    draw: Arc<Draw>,
    seeds: SeedGenerator,
}

impl RandomSourceNode {
    /// `seed` None picks one for this dataset; `rerandomize` draws anew each pass.
    pub fn new(draw: Draw, seed: Option<u64>, rerandomize: bool) -> Self {
        RandomSourceNode {
            draw: Arc::new(draw),
            seeds: SeedGenerator::new(seed, rerandomize),
        }
    }
}

impl DatasetNode for RandomSourceNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(RandomSourceIterator {
            draw: self.draw.clone(),
            rng: Drawn::new(&self.seeds, ctx.probing()),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Infinite
    }

    fn restore(
        &self,
        _ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Random", 3)?;
        Ok(Box::new(RandomSourceIterator {
            draw: self.draw.clone(),
            rng: Drawn::restore(&self.seeds, &fields)?,
        }))
    }
}

/// A pass's random stream with the iteration it belongs to: what its saved state holds
/// (seed, iteration, draws) as the first three fields.
struct Drawn {
    rng: RandomStream,
    /// The dataset's seed, which the stream's is mixed from.
    seed: u64,
    iteration: u64,
}

impl Drawn {
    fn new(seeds: &SeedGenerator, probing: bool) -> Self {
        let (iteration, rng) = seeds.next_iteration(probing);
        Drawn {
            rng,
            seed: seeds.seed(),
            iteration,
        }
    }

    fn restore(seeds: &SeedGenerator, fields: &Fields<'_>) -> Result<Self> {
        let (seed, iteration, draws) = (fields.bits(0)?, fields.count(1)?, fields.count(2)?);
        let rng = seeds
            .restore(seed, iteration, draws)
            .map_err(Error::InvalidArgument)?;
        Ok(Drawn {
            rng,
            seed,
            iteration,
        })
    }

    fn fields(&self) -> [State; 3] {
        let (_, draws) = self.rng.position();
        [
            State::bits(self.seed),
            State::count(self.iteration),
            State::count(draws),
        ]
    }
}

/// `sample_from_datasets` with weights that change: for each element of a dataset of
/// weight vectors, an index drawn with those weights.
pub struct WeightedChoiceNode {
    weights: Arc<dyn DatasetNode>,
    seeds: SeedGenerator,
}

impl WeightedChoiceNode {
    pub fn new(weights: Arc<dyn DatasetNode>, seed: Option<u64>, rerandomize: bool) -> Self {
        WeightedChoiceNode {
            weights,
            seeds: SeedGenerator::new(seed, rerandomize),
        }
    }
}

impl DatasetNode for WeightedChoiceNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(WeightedChoiceIterator {
            weights: ctx.open(&self.weights)?,
            rng: Drawn::new(&self.seeds, ctx.probing()),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        self.weights.cardinality()
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("WeightedChoice", 4)?;
        Ok(Box::new(WeightedChoiceIterator {
            rng: Drawn::restore(&self.seeds, &fields)?,
            weights: ctx.restore(&self.weights, fields.state(3), replay)?,
        }))
    }
}

struct WeightedChoiceIterator {
    weights: Box<dyn DatasetIterator>,
    rng: Drawn,
}

impl DatasetIterator for WeightedChoiceIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(element) = self.weights.next(ctx)? else {
            return Ok(None);
        };
        let weights = match element.as_slice() {
            [t] if t.rank() == 1 && t.dtype().is_floating() => {
                crate::kernels::cast::cast(t, DType::Float64)?
            }
            _ => {
                return Err(Error::invalid(
                    "a weights dataset must yield vectors of floats, one weight per dataset",
                ))
            }
        };
        let draw = Draw::categorical(weights.as_slice::<f64>().expect("float64"))?;
        Ok(Some(vec![Tensor::scalar(draw.draw(&mut self.rng.rng))]))
    }

    fn save(&self) -> Result<State> {
        let mut fields = self.rng.fields().to_vec();
        fields.push(self.weights.save()?);
        Ok(State::op("WeightedChoice", fields))
    }
}

struct RandomSourceIterator {
    draw: Arc<Draw>,
    rng: Drawn,
}

impl DatasetIterator for RandomSourceIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        Ok(Some(vec![Tensor::scalar(
            self.draw.draw(&mut self.rng.rng),
        )]))
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("Random", self.rng.fields().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categorical_draws_follow_the_weights() {
        let draw = Draw::categorical(&[1.0, 0.0, 3.0]).unwrap();
        let mut rng = RandomStream::new(3);
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[draw.draw(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = counts[2] as f64 / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{counts:?}");
        assert!(Draw::categorical(&[0.0, 0.0]).is_err());
        assert!(Draw::categorical(&[1.0, -1.0]).is_err());
        assert!(Draw::categorical(&[f64::NAN]).is_err());
    }
}

"""``ferroflow.distribute``: ``InputContext``, what ``tf.distribute`` hands an input
function so each input pipeline can shard its data."""

from __future__ import annotations


class InputContext:
    """Which of ``num_input_pipelines`` pipelines this is (``input_pipeline_id``) and how
    many replicas train in step (``tf.distribute.InputContext``)."""

    def __init__(
        self,
        num_input_pipelines: int = 1,
        input_pipeline_id: int = 0,
        num_replicas_in_sync: int = 1,
    ) -> None:
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size: int) -> int:
        """``global_batch_size`` split evenly across the replicas; ``ValueError`` when it
        does not divide."""
        if global_batch_size % self.num_replicas_in_sync:
            raise ValueError(
                f"The `global_batch_size` {global_batch_size} is not divisible by "
                f"`num_replicas_in_sync` {self.num_replicas_in_sync}"
            )
        return global_batch_size // self.num_replicas_in_sync

    def __repr__(self) -> str:
        return (
            f"tf.distribute.InputContext(input pipeline id {self.input_pipeline_id}, "
            f"total: {self.num_input_pipelines})"
        )


__all__ = ["InputContext"]

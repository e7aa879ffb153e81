"""The training strategy that shards the student: FSDP2 through Lightning's ModelParallelStrategy."""

from __future__ import annotations

from datetime import timedelta

from lightning.pytorch.strategies import ModelParallelStrategy
from torch.distributed.constants import default_pg_timeout

from tcod_pl.errors import ConfigError


class FSDP2Strategy(ModelParallelStrategy):
    """FSDP2 (``fully_shard``) for the student and an in-process teacher, decoder layer by layer.

    ``shard_size``: ranks a model is sharded over (default all: plain FSDP); fewer gives hybrid
    sharding, replicated across the ``world / shard_size`` groups (e.g. 8, one node, on a
    multi-node run: the all-gathers stay on the node's fast links). Checkpoints are one file, the
    full state gathered on rank 0 (``save_distributed_checkpoint: true``: a folder of per-rank
    shards, torch.distributed.checkpoint, for students whose optimizer state rank 0 cannot hold).
    Runs on CPU ranks (gloo) too: the modules shard themselves in ``configure_model``.
    """

    def __init__(
        self,
        shard_size: int | None = None,
        save_distributed_checkpoint: bool = False,
        process_group_backend: str | None = None,
        timeout: timedelta | None = default_pg_timeout,
    ) -> None:
        super().__init__(
            save_distributed_checkpoint=save_distributed_checkpoint,
            process_group_backend=process_group_backend,
            timeout=timeout,
        )
        self.shard_size = shard_size

    def setup_environment(self) -> None:
        world = self.num_nodes * self.num_processes
        shard = self.shard_size or world
        if shard < 1 or world % shard:
            raise ConfigError(
                f"trainer.strategy.init_args.shard_size {shard} must divide the {world} ranks "
                "(trainer.num_nodes x trainer.devices); leave it null to shard over all"
            )
        # Lightning's mesh is (data_parallel, tensor_parallel); here its dimensions are
        # (replicate, shard): tcod_pl.models.sharding.fsdp_mesh reads it so.
        self._data_parallel_size, self._tensor_parallel_size = world // shard, shard
        super().setup_environment()

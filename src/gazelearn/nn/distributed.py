"""Data-parallel training helpers: the process group under ``torchrun``, ranks, reductions.

The training loop calls :func:`setup` once; when the environment says ``WORLD_SIZE > 1`` (as
``torchrun`` sets it) a process group is started with ``nccl`` on GPUs and ``gloo`` on CPUs, and
the loop wraps the model in :class:`torch.nn.parallel.DistributedDataParallel`. Outside torchrun
everything here is a cheap no-op, so the same code runs on a laptop and on a cluster.

Examples
--------
>>> info = world()
>>> info.rank, info.world_size, info.is_main
(0, 1, True)
>>> all_reduce_mean(2.5)
2.5
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """Where this process sits: global rank, number of processes, rank and count on this node."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def is_main(self) -> bool:
        """True on the process that writes files (rank 0)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when more than one process trains together."""
        return self.world_size > 1


def world() -> World:
    """The current process's place, from the initialised process group or torchrun's variables."""
    env = os.environ
    local_rank = int(env.get("LOCAL_RANK", 0))
    local_world = int(env.get("LOCAL_WORLD_SIZE", 1))
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), local_rank, local_world)
    return World(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), local_rank, local_world)


def default_backend() -> str:
    """``nccl`` when CUDA is usable, ``gloo`` otherwise (CPU training)."""
    return "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"


def setup(backend: str | None = None) -> World:
    """Start the process group when launched by torchrun with more than one process.

    Safe to call many times; does nothing for a single process.
    """
    info = world()
    if info.world_size > 1 and dist.is_available() and not dist.is_initialized():
        backend = backend or default_backend()
        if backend == "nccl":
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group(backend=backend)
    return world()


def device_for(requested: str = "auto") -> torch.device:
    """The device to train on: ``auto`` picks this process's GPU (by local rank) or the CPU."""
    if requested != "auto":
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda", world().local_rank)
    return torch.device("cpu")


def is_active() -> bool:
    """True inside an initialised process group with more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def barrier() -> None:
    """Wait for all processes (no-op for one process)."""
    if is_active():
        dist.barrier()


def _collective_device() -> torch.device:
    if is_active() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_mean(value: float) -> float:
    """The mean of a number over all processes."""
    if not is_active():
        return float(value)
    tensor = torch.tensor([float(value)], dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor)
    return float(tensor.item()) / dist.get_world_size()


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Element-wise sum of a tensor over all processes (returned on the input's device)."""
    if not is_active():
        return values
    tensor = values.detach().to(_collective_device(), torch.float64).clone()
    dist.all_reduce(tensor)
    return tensor.to(values.device)


def all_gather_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate tensors with different numbers of rows from all processes (rank order)."""
    if not is_active():
        return tensor
    device = _collective_device()
    local = tensor.detach().to(device)
    size = torch.tensor([local.shape[0]], device=device)
    sizes = [torch.zeros_like(size) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, size)
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros((longest, *local.shape[1:]), dtype=local.dtype, device=device)
    padded[: local.shape[0]] = local
    parts = [torch.zeros_like(padded) for _ in sizes]
    dist.all_gather(parts, padded)
    return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes, strict=True)]).to(
        tensor.device)


def broadcast_flag(flag: bool) -> bool:
    """Rank 0's value of a flag on every process (so all stop training together)."""
    if not is_active():
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=_collective_device())
    dist.broadcast(tensor, src=0)
    return bool(tensor.item() > 0.5)


def cleanup() -> None:
    """Destroy the process group if one was started."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()

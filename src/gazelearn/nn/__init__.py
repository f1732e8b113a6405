"""Neural-network building blocks: the training loop, callbacks, samplers, architectures, DDP, ONNX.

Everything here works on plain ``torch.nn.Module`` objects; the scikit-learn style estimators
that wrap them live in :mod:`gazelearn.learn`.

Examples
--------
>>> import torch
>>> net = build("mlp", input_shape=(10,), n_outputs=2, hidden=(8,))
>>> history = Trainer(epochs=2, batch_size=8, progress=False).fit(
...     net, torch.nn.CrossEntropyLoss(), (torch.randn(32, 10), torch.randint(0, 2, (32,))))
>>> len(history.epochs)
2
"""

from gazelearn.nn.architectures import ARCHITECTURES, build, register_architecture
from gazelearn.nn.callbacks import (
                                    BestCheckpoint,
                                    Callback,
                                    CSVLogger,
                                    EarlyStopping,
                                    LRSchedule,
                                    ProgressBar,
                                    TrainState,
)
from gazelearn.nn.loop import (
    History,
    Trainer,
    accuracy,
    mean_absolute_error,
    predict,
    torch_threads,
)
from gazelearn.nn.samplers import GroupBatchSampler, PersonBatchSampler, ShardedBatchSampler

__all__ = [
    "ARCHITECTURES",
    "BestCheckpoint",
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "GroupBatchSampler",
    "PersonBatchSampler",
    "History",
    "LRSchedule",
    "ProgressBar",
    "ShardedBatchSampler",
    "TrainState",
    "Trainer",
    "accuracy",
    "build",
    "mean_absolute_error",
    "predict",
    "register_architecture",
    "torch_threads",
]

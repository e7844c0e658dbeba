"""PyTorch Lightning's ``Trainer.fit`` and Hugging Face Accelerate train from a ferroflow
pipeline through ``as_torch()`` and a ``DataLoader``, on CPU: every batch arrives, in order,
and a small regression learns its line."""

import lightning
import numpy as np
import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader

import ferroflow as ff

BATCHES = 8


def _line():
    # y = 3x + 1 on 64 points in [0, 1), in batches of 8.
    return (
        ff.data.Dataset.range(64)
        .map(lambda i: ff.cast(i, ff.float32) / 64.0)
        .map(lambda x: {"x": ff.reshape(x, [1]), "y": ff.reshape(3.0 * x + 1.0, [1])})
        .batch(BATCHES)
    )


class _Regression(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.line = torch.nn.Linear(1, 1)
        self.seen = []
        self.losses = []

    def training_step(self, batch, index):
        self.seen.append(batch["x"].squeeze(1).tolist())
        loss = torch.nn.functional.mse_loss(self.line(batch["x"]), batch["y"])
        self.losses.append(loss.item())
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)


def test_lightning_fits_from_a_dataloader_over_as_torch(tmp_path):
    model = _Regression()
    trainer = lightning.Trainer(
        max_epochs=30,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(model, train_dataloaders=DataLoader(_line().as_torch(), batch_size=None))
    assert trainer.global_step == 30 * BATCHES
    expected = (np.arange(64, dtype=np.float32) / 64).reshape(BATCHES, 8).tolist()
    assert model.seen[:BATCHES] == expected and model.seen[-BATCHES:] == expected
    assert model.losses[-1] < 0.01 < model.losses[0]
    weight, bias = float(model.line.weight), float(model.line.bias)
    assert abs(weight - 3) < 0.3 and abs(bias - 1) < 0.15


def test_accelerate_prepares_a_dataloader_over_as_torch():
    accelerator = Accelerator(cpu=True)
    line = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(line.parameters(), lr=0.5)
    loader = DataLoader(_line().as_torch(), batch_size=None)
    line, optimizer, loader = accelerator.prepare(line, optimizer, loader)
    losses, firsts = [], []
    for _ in range(30):
        for batch in loader:
            firsts.append(float(batch["x"][0, 0]))
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(line(batch["x"]), batch["y"])
            accelerator.backward(loss)
            optimizer.step()
            losses.append(float(loss))
    assert len(losses) == 30 * BATCHES
    assert firsts[:BATCHES] == [8 * b / 64 for b in range(BATCHES)]
    assert losses[-1] < 0.01 < losses[0]

"""Per-step losses and output nonlinearities, one definition for training and traces.

L_t is the loss of step t alone, zero where the loss mask is 0; the loss of a
sequence is L = sum_t L_t. The trainer averages over masked steps so that the
learning rate does not depend on sequence length; traces show the plain sums.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSS_KINDS = ("cross_entropy", "bce", "mse")


def step_losses(logits: torch.Tensor, target: torch.Tensor, loss_mask: torch.Tensor, loss_kind: str) -> torch.Tensor:
    """Per-step losses L_t, masked.

    logits (..., T, O); target (..., T) class indices for cross_entropy, else
    (..., T, O); loss_mask (..., T). Returns (..., T).
    """
    if loss_kind == "cross_entropy":
        flat = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
        losses = flat.reshape(target.shape)  # (..., T)
    elif loss_kind == "bce":
        # summed over outputs: each output is its own yes/no question
        losses = F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype), reduction="none").sum(-1)
    elif loss_kind == "mse":
        losses = (logits - target.to(logits.dtype)).pow(2).mean(-1)
    else:
        raise ValueError(f"unknown loss kind {loss_kind!r}; expected one of {', '.join(LOSS_KINDS)}")
    mask = loss_mask.to(losses.dtype)
    # where() rather than a product, so a non-finite loss on a masked step stays out
    return torch.where(mask > 0, losses * mask, torch.zeros_like(losses))


def output_activation(logits: torch.Tensor, loss_kind: str) -> torch.Tensor:
    """y_t as the task reads it: softmax probabilities, independent sigmoids, or the raw value."""
    if loss_kind == "cross_entropy":
        return torch.softmax(logits, dim=-1)
    if loss_kind == "bce":
        return torch.sigmoid(logits)
    return logits

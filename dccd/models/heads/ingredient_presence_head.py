"""Which ingredients are on the plate: a multi-label head on the pooled image feature.

Written for DCCD (Apache-2.0). DCCD's teacher (Hou et al. 2024) segments far
better when told the ingredients, but a user photographing a plate rarely has
the list. :class:`IngredientPresenceHead` proposes one from the image alone:
the image feature (the neck's output, before any text is added) is pooled
(mean and max over the pixels, concatenated), a small MLP gives one logit per
food class, and ``sigmoid(logit) >= threshold`` proposes the class. It is
trained jointly with the segmentation, with binary cross-entropy against the
classes visible in the crop the network sees (``metainfo['crop_ingredients']``
from ``ExtractIngredients(after_crop=True, key='crop_ingredients')``), not the
full-image list, which is recorded before cropping.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn

from ...utils import InputError

__all__ = ['IngredientPresenceHead']


@MODELS.register_module()
class IngredientPresenceHead(BaseModule):
    """Multi-label ingredient presence from the pooled image feature.

    Args:
        in_channels (int): channels C of the image feature.
        num_classes (int): classes, background included (its logit exists
            but is never trained nor proposed).
        hidden_channels (int): width of the MLP's hidden layer.
        background_index (int, optional): the background id; None if every
            class is a food. Default: 0.
        loss_weight (float): weight of the BCE loss. Default: 1.0.
        target_key (str): the metainfo key of the crop's class ids.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, in_channels: int, num_classes: int, hidden_channels: int = 256,
                 background_index: Optional[int] = 0, loss_weight: float = 1.0,
                 target_key: str = 'crop_ingredients',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.background_index = background_index
        self.loss_weight = loss_weight
        self.target_key = target_key
        self.mlp = nn.Sequential(nn.Linear(2 * in_channels, hidden_channels), nn.ReLU(),
                                 nn.Linear(hidden_channels, num_classes))

    def forward(self, feature: Tensor) -> Tensor:
        """(N, C, H, W) image feature -> (N, num_classes) presence logits."""
        pooled = torch.cat([feature.mean(dim=(2, 3)), feature.amax(dim=(2, 3))], dim=1)
        return self.mlp(pooled)

    def targets(self, batch_img_metas: Sequence[dict], device=None) -> Tensor:
        """(N, num_classes) multi-hot of each sample's ``target_key`` ids."""
        if not all(self.target_key in meta for meta in batch_img_metas):
            raise InputError(
                f"the presence head trains on metainfo['{self.target_key}']: add "
                "ExtractIngredients(num_classes, after_crop=True, key="
                f"'{self.target_key}') after the crop in the train pipeline")
        target = torch.zeros(len(batch_img_metas), self.num_classes, device=device)
        for row, meta in enumerate(batch_img_metas):
            ids = [int(i) for i in meta[self.target_key]]
            if ids:
                target[row, ids] = 1.0
        return target

    def loss(self, feature: Tensor, batch_img_metas: Sequence[dict]) -> dict:
        """``loss_presence``: mean BCE over the food classes and the batch."""
        logits = self(feature)
        target = self.targets(batch_img_metas, logits.device)
        foods = self.food_classes(logits.device)
        bce = F.binary_cross_entropy_with_logits(logits[:, foods], target[:, foods])
        return dict(loss_presence=self.loss_weight * bce)

    def food_classes(self, device=None) -> Tensor:
        """Indices of the classes that can be ingredients (all but background)."""
        keep = torch.ones(self.num_classes, dtype=torch.bool, device=device)
        if self.background_index is not None:
            keep[self.background_index] = False
        return keep.nonzero()[:, 0]

    def propose(self, feature: Tensor, threshold: float) -> tuple:
        """Proposed lists and scores for a batch.

        Returns:
            tuple: per image the sorted class ids with ``sigmoid >= threshold``
            (background never), and a dict ``{class id: probability}`` of
            every food class.
        """
        probs = torch.sigmoid(self(feature)).float().cpu()
        foods = self.food_classes().tolist()
        ids: List[List[int]] = []
        scores: List[dict] = []
        for row in probs:
            ids.append([c for c in foods if row[c] >= threshold])
            scores.append({c: round(float(row[c]), 4) for c in foods})
        return ids, scores

"""Extract the CLIP text tower from an open_clip checkpoint for DCCD.

    python tools/model_converters/clip_text_tower.py SRC DST [--model ViT-L-14]
        [--quick-gelu | --no-quick-gelu]

SRC is a local open_clip checkpoint (a full ``CLIP`` or a ``CustomTextCLIP``
state dict, bare or wrapped as ``{'state_dict': ...}``; .pth/.bin/.safetensors
or OpenAI's TorchScript file) or an open_clip pretrained tag such as 'openai'
(downloaded by open_clip; needs internet). DST receives only the text tower,
``{'meta': {...}, 'state_dict': {...}}``, in the key layout
``CLIPIngredientEncoder`` loads (``model.text_encoder.pretrained=DST``); it is
written atomically, so a failure leaves no partial file. ``meta.quick_gelu``
records the activation the weights need (from the tag, the model config or
``--quick-gelu``; None if unknown) and the encoder refuses a mismatch.

Hou et al. 2024, "Ingredient-guided multimodal self-distillation for food
image segmentation" uses the frozen CLIP ViT-L/14 text encoder (open_clip,
MIT). DCCD code, Apache-2.0.
"""
import argparse
from typing import Optional

import torch

import dccd  # noqa: F401  (applies dccd.compat)
from dccd.models.text_encoders.clip_text_encoder import (build_text_tower,
                                                         read_text_tower_weights,
                                                         resolve_quick_gelu,
                                                         text_tower_config)
from dccd.utils import ArgumentParser, exit_on_input_error
from dccd.utils.atomic_io import save_torch_atomic

FORMAT = 'dccd-clip-text-tower'


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Write the text tower of an open_clip checkpoint to a small file')
    parser.add_argument('src', help="open_clip checkpoint file or pretrained tag ('openai')")
    parser.add_argument('dst', help='output file (.pth)')
    parser.add_argument('--model', default='ViT-L-14', help='open_clip model name')
    parser.add_argument(
        '--quick-gelu', action=argparse.BooleanOptionalAction, default=None,
        help='record that the weights need QuickGELU (default: from the tag or '
        'the model config; unknown for a plain file)')
    return parser.parse_args(argv)


def reference_tower(model: str) -> torch.nn.Module:
    """The model's text tower on the meta device: keys and shapes, no memory."""
    text_cfg, embed_dim, _ = text_tower_config(model)
    with torch.device('meta'):
        return build_text_tower(embed_dim, text_cfg, quick_gelu=False)


def recorded_quick_gelu(args: argparse.Namespace, path: str,
                        src_meta: dict) -> Optional[bool]:
    """The activation the weights need, or None when nothing tells."""
    if args.quick_gelu is not None:
        return args.quick_gelu
    _, _, model_cfg = text_tower_config(args.model)
    if path != args.src:  # SRC was a tag: its pretrained config knows
        return resolve_quick_gelu(args.model, args.src, model_cfg)
    if isinstance(src_meta.get('quick_gelu'), bool):  # an already converted file
        return src_meta['quick_gelu']
    return True if model_cfg.get('quick_gelu') else None


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    state_dict, src_meta, path = read_text_tower_weights(
        args.src, args.model, reference_tower(args.model))
    # own storage per tensor, so no slice of a larger checkpoint is saved
    state_dict = {k: v.detach().clone() for k, v in state_dict.items()}
    meta = dict(format=FORMAT, model=args.model, source=args.src,
                quick_gelu=recorded_quick_gelu(args, path, src_meta))
    save_torch_atomic(dict(meta=meta, state_dict=state_dict), args.dst)
    params = sum(v.numel() for v in state_dict.values())
    print(f'wrote {len(state_dict)} tensors ({params:,} parameters) of the '
          f'{args.model} text tower to {args.dst} (quick_gelu={meta["quick_gelu"]})')


if __name__ == '__main__':
    main()

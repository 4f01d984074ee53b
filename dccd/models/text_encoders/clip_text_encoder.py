"""A frozen, cached CLIP text tower that turns ingredient lists into vectors.

DCCD's text path (Hou et al. 2024, "Ingredient-guided multimodal
self-distillation for food image segmentation"): the ingredient names of an
image become one prompt ("a photo of wine, pork, potato, green beans"), which
the frozen CLIP ViT-L/14 text encoder maps to one vector per image.

Origin: the tower, its weights and its tokenizer are open_clip's
(mlfoundations/open_clip, MIT licence); only the text tower is built, with the
builder open_clip's own ``CLIP`` uses, so the vision tower is never
instantiated. The role matches mmsegmentation's ``CLIPTextEncoder``
(``mmseg/models/text_encoder/clip_text_encoder.py``, Apache-2.0). DCCD code,
Apache-2.0.

Weights (``pretrained``) are loaded by :meth:`CLIPIngredientEncoder.init_weights`
(the mmengine convention: the runner calls it once when training starts),
through :mod:`dccd.utils.weights`. A frozen tower with ``pretrained`` weights
is left out of the state dict, hence of every checkpoint (ViT-L/14's tower is
123.65 M parameters, 472 MiB of fp32): a tool that tests or runs the teacher
from such a checkpoint reads it from ``pretrained`` again
(:meth:`CLIPIngredientEncoder.load_pretrained`). A random tower (the toy and
FoodSeg103-mini configs: ``pretrained=None``) is saved, since no file holds
it. The module-level helpers are shared with
``tools/model_converters/clip_text_tower.py``.
"""
import contextlib
import dataclasses
from typing import Dict, List, Optional, Tuple

import open_clip
import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from open_clip.model import _build_text_tower
from torch import Tensor, nn

from ...utils.errors import InputError
from ...utils.weights import (check_weights, fetch_open_clip_weights, locate_weights,
                              read_weights)

__all__ = [
    'CLIPIngredientEncoder', 'text_tower_config', 'resolve_quick_gelu',
    'build_text_tower', 'read_text_tower_weights'
]

CONVERTER = 'tools/model_converters/clip_text_tower.py'
WHAT = 'CLIP text weights'
# open_clip's CustomTextCLIP keeps the text tower under this prefix
_CUSTOM_TEXT_PREFIX = 'text.'


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------
def text_tower_config(model_name: str,
                      text_cfg: Optional[dict] = None,
                      embed_dim: Optional[int] = None) -> Tuple[dict, int, dict]:
    """open_clip's config of ``model_name`` with ``text_cfg`` overrides merged in.

    Args:
        model_name: an open_clip model name ('ViT-L-14') or 'local-dir:DIR'.
        text_cfg: keys of open_clip's ``CLIPTextCfg`` that replace the model's.
        embed_dim: output size of the text projection; None keeps the model's.

    Returns:
        (merged text_cfg, embed_dim, the model's full open_clip config)
    """
    model_cfg = open_clip.get_model_config(model_name)
    if model_cfg is None:
        raise InputError(f"unknown open_clip model '{model_name}' for the CLIP text "
                         'encoder (see open_clip.list_models())')
    known = {field.name for field in dataclasses.fields(open_clip.CLIPTextCfg)}
    unknown = sorted(set(text_cfg or {}) - known)
    if unknown:
        raise InputError(f'CLIP text encoder text_cfg: unknown key(s) {unknown}; '
                         'valid keys are the fields of open_clip.CLIPTextCfg')
    merged = {**model_cfg['text_cfg'], **(text_cfg or {})}
    merged.setdefault('context_length', open_clip.CLIPTextCfg.context_length)
    return merged, int(embed_dim or model_cfg['embed_dim']), model_cfg


def resolve_quick_gelu(model_name: str, pretrained: Optional[str],
                       model_cfg: dict, quick_gelu: Optional[bool] = None) -> bool:
    """QuickGELU or GELU: explicit value, else the pretrained tag's, else the model's.

    OpenAI's weights were trained with QuickGELU
    (``get_pretrained_cfg('ViT-L-14', 'openai')['quick_gelu']`` is True); a
    local weights file says nothing, so set ``quick_gelu`` explicitly for it.
    """
    if quick_gelu is not None:
        return bool(quick_gelu)
    if pretrained and _is_tag(pretrained):
        tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
        if 'quick_gelu' in tag_cfg:
            return bool(tag_cfg['quick_gelu'])
    return bool(model_cfg.get('quick_gelu', False))


def build_text_tower(embed_dim: int, text_cfg: dict, quick_gelu: bool) -> nn.Module:
    """open_clip's text tower alone (a ``TextTransformer``), randomly initialised.

    ``open_clip.create_model`` always builds the 300M-parameter vision tower
    too, so the tower is built with the function open_clip's ``CLIP`` and
    ``CustomTextCLIP`` call for their own text tower: identical modules, key
    names and initialisation, without re-implementing the transformer.
    """
    return _build_text_tower(embed_dim, text_cfg, quick_gelu=quick_gelu)


# --------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------
def _is_tag(pretrained: str) -> bool:
    try:
        return locate_weights(pretrained, WHAT) is None
    except InputError:  # a missing file: not a tag
        return False


def _offline_hint(model_name: str, tag: str) -> str:
    tag_cfg = open_clip.get_pretrained_cfg(model_name, tag) or {}
    settings = 'model.text_encoder.pretrained=text_tower.pth'
    if tag_cfg.get('quick_gelu', False):
        settings += ' model.text_encoder.quick_gelu=True'
    return (f'run `python {CONVERTER} {tag} text_tower.pth --model {model_name}` '
            'on a machine with internet (or on a downloaded open_clip checkpoint) '
            f'and set {settings}')


def resolve_weights_file(pretrained: str, model_name: str) -> str:
    """The local file for ``pretrained``: an existing file, or a downloaded tag."""
    path = locate_weights(pretrained, WHAT)
    if path is None:
        path = fetch_open_clip_weights(model_name, pretrained,
                                       _offline_hint(model_name, pretrained))
    return path


def _select_tower_keys(state_dict: Dict[str, Tensor],
                       names: List[str]) -> Dict[str, Tensor]:
    """The entries of a CLIP / CustomTextCLIP / text-only state dict that belong
    to a text tower whose top-level children and parameters are ``names``."""
    at_root = any(k.split('.', 1)[0] in names for k in state_dict)
    prefix = '' if at_root else _CUSTOM_TEXT_PREFIX
    return {k[len(prefix):]: v for k, v in state_dict.items()
            if k.startswith(prefix) and k[len(prefix):].split('.', 1)[0] in names}


def read_text_tower_weights(pretrained: str, model_name: str,
                            reference: nn.Module) -> Tuple[Dict[str, Tensor], dict, str]:
    """Read the text-tower weights of ``pretrained`` in ``reference``'s layout.

    Accepts a text-only file from the converter, a full open_clip ``CLIP``
    checkpoint (its ``visual.*``, ``logit_scale`` are dropped), a
    ``CustomTextCLIP`` one (keys under ``text.``), each bare or wrapped as
    ``{'state_dict': ...}``; or an open_clip pretrained tag, downloaded.

    Args:
        pretrained: a file path or a pretrained tag.
        model_name: the open_clip model name (for tags and messages).
        reference: a text tower (may live on the meta device) giving the
            expected keys and shapes.

    Returns:
        (state dict, the file's meta dict or {}, the file path)
    """
    path = resolve_weights_file(pretrained, model_name)
    state_dict, meta = read_weights(path, WHAT)
    ref = reference.state_dict()
    names = sorted({k.split('.', 1)[0] for k in ref})
    found = _select_tower_keys(state_dict, names)
    check_weights(found, ref, path, f'a CLIP text tower of {model_name}')
    return found, meta, path


# --------------------------------------------------------------------------
# the module
# --------------------------------------------------------------------------
def _forgive_left_out_tower(encoder: 'CLIPIngredientEncoder', incompatible_keys) -> None:
    """A load-state-dict post hook: the tower's keys are not missing from a
    state dict that leaves them out by design (``tower_in_state_dict``)."""
    if encoder.tower_in_state_dict:
        return
    tower = encoder._load_prefix + 'tower.'
    incompatible_keys.missing_keys[:] = [
        key for key in incompatible_keys.missing_keys if not key.startswith(tower)]


@MODELS.register_module()
class CLIPIngredientEncoder(BaseModule):
    """Ingredient lists -> one CLIP text embedding per image.

    Each image's ingredient names (in the caller's order, by class id) are
    joined into ``template.format(separator.join(names))``; an image without
    ingredients gets ``template.format(empty_ingredients)`` ("a photo of
    food"). The feature is what open_clip's ``encode_text`` returns: the
    end-of-text token after ``ln_final``, projected, NOT normalised.

    Weights: ``pretrained=None`` keeps open_clip's random initialisation (toy
    and tests); such a tower is saved in the state dict. Otherwise the weights
    are loaded by :meth:`init_weights`, not by the constructor: mmengine's
    runner calls it once at the start of training. A frozen tower with
    ``pretrained`` set is left out of the state dict (:attr:`tower_in_state_dict`;
    its keys are not reported missing when a state dict without them is
    loaded), so a checkpoint does not carry a copy of the file: testing the
    teacher reads ``pretrained`` again (:meth:`load_pretrained`). Call
    ``init_weights()`` yourself to use a freshly built encoder with its
    pretrained weights.

    Frozen (default): the tower has no trainable parameter, stays in eval mode
    under ``train()``, runs without autograd, and (``cache=True``) each
    prompt's embedding is computed once and kept in float32 on the tower's
    device (a plain dict, not in the state dict; one entry per distinct
    ingredient list), so a cached call copies nothing between host and
    device. The cache is cleared by ``init_weights`` and ``load_state_dict``.

    Args:
        model_name (str): open_clip model whose text tower is built
            ('ViT-L-14', or 'local-dir:DIR' holding an open_clip_config.json).
        pretrained (str, optional): weights file (text-only from
            ``tools/model_converters/clip_text_tower.py``, a full open_clip
            CLIP or CustomTextCLIP checkpoint, .pth/.bin/.safetensors) or an
            open_clip pretrained tag ('openai', downloaded; needs internet).
        quick_gelu (bool, optional): QuickGELU activations (OpenAI weights need
            them). None: the tag's setting when ``pretrained`` is a tag, else
            the model config's, else False.
        text_cfg (dict, optional): overrides of the model's text config, e.g.
            ``dict(width=64, heads=2, layers=2, context_length=32)``.
        embed_dim (int, optional): output size; None keeps the model's.
        frozen (bool): freeze the tower (default). The paper does not say
            whether CLIP is fine-tuned; a frozen tower keeps its embeddings
            cacheable and out of the optimiser.
        template (str): prompt template with one ``{}``.
        separator (str): joins the ingredient names.
        empty_ingredients (str): fills the template for an empty list.
        cache (bool): cache embeddings per prompt (only when frozen).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 model_name: str = 'ViT-L-14',
                 pretrained: Optional[str] = None,
                 quick_gelu: Optional[bool] = None,
                 text_cfg: Optional[dict] = None,
                 embed_dim: Optional[int] = None,
                 frozen: bool = True,
                 template: str = 'a photo of {}',
                 separator: str = ', ',
                 empty_ingredients: str = 'food',
                 cache: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pretrained is not None and not isinstance(pretrained, str):
            raise InputError('CLIP text encoder: pretrained must be a file path or '
                             f'an open_clip tag, got {pretrained!r}')
        if template.count('{}') != 1:
            raise InputError("CLIP text encoder: template must contain one '{}', "
                             f'got {template!r}')
        tower_cfg, embed_dim, model_cfg = text_tower_config(model_name, text_cfg, embed_dim)
        self.model_name = model_name
        self.pretrained = pretrained
        self.quick_gelu = resolve_quick_gelu(model_name, pretrained, model_cfg, quick_gelu)
        self.context_length = int(tower_cfg['context_length'])
        self.template, self.separator = template, separator
        self.empty_ingredients = empty_ingredients
        self.frozen = frozen
        self.use_cache = bool(cache and frozen)
        self._output_dim = embed_dim
        self._cache: Dict[str, Tensor] = {}
        self.tower = build_text_tower(embed_dim, tower_cfg, self.quick_gelu)
        self.tokenizer = open_clip.get_tokenizer(
            model_name, context_length=self.context_length)
        if frozen:
            self.tower.lock()  # open_clip's lock_text_tower: requires_grad off
            self.tower.eval()
        self._load_prefix = ''
        self.register_load_state_dict_post_hook(_forgive_left_out_tower)

    @property
    def output_dim(self) -> int:
        """Size D of one embedding (768 for ViT-L-14)."""
        return self._output_dim

    # ---- prompts --------------------------------------------------------
    def build_prompt(self, names: List[str]) -> str:
        """``['wine', 'pork']`` -> 'a photo of wine, pork'; ``[]`` -> 'a photo of food'."""
        if isinstance(names, str):
            raise TypeError(f'expected a list of ingredient names, got the string {names!r}')
        return self.template.format(self.separator.join(names) if names
                                    else self.empty_ingredients)

    # ---- encoding -------------------------------------------------------
    def forward(self, ingredients: List[List[str]]) -> Tensor:
        """One embedding per image.

        Args:
            ingredients: B lists of ingredient names.

        Returns:
            Tensor: (B, D) on the tower's device and dtype.
        """
        return self.encode_prompts([self.build_prompt(names) for names in ingredients])

    def encode_prompts(self, prompts: List[str]) -> Tensor:
        """Embed B prompt strings: (B, D) on the tower's device and dtype."""
        if not self.use_cache:
            return self._encode(prompts)
        missing = [p for p in dict.fromkeys(prompts) if p not in self._cache]
        if missing:
            for prompt, feature in zip(missing, self._encode(missing)):
                self._cache[prompt] = feature.detach().float()
        ref = self._reference_param()
        if not prompts:
            return ref.new_zeros((0, self.output_dim))
        stacked = torch.stack([self._cached(p, ref.device) for p in prompts])
        return stacked.to(dtype=ref.dtype)

    def _cached(self, prompt: str, device: torch.device) -> Tensor:
        """A cached embedding on ``device`` (moved there once, if the model
        moved since it was computed)."""
        feature = self._cache[prompt]
        if feature.device != device:
            feature = self._cache[prompt] = feature.to(device)
        return feature

    def _encode(self, prompts: List[str]) -> Tensor:
        """Run the tower on B prompts: (B, D)."""
        ref = self._reference_param()
        if not prompts:
            return ref.new_zeros((0, self.output_dim))
        tokens = self.tokenizer(prompts).to(ref.device)  # (B, context_length)
        grad = torch.no_grad() if self.frozen else contextlib.nullcontext()
        with grad:
            return self.tower(tokens)

    def _reference_param(self) -> Tensor:
        return next(self.tower.parameters())

    # ---- state ----------------------------------------------------------
    def train(self, mode: bool = True) -> 'CLIPIngredientEncoder':
        """Switch train/eval mode; a frozen tower always stays in eval mode."""
        super().train(mode)
        if self.frozen:
            self.tower.eval()
        return self

    def check_pretrained(self) -> None:
        """InputError now when ``pretrained`` names a file that does not
        exist (before training starts; testing loads a checkpoint instead)."""
        if self.pretrained is not None:
            locate_weights(self.pretrained, WHAT)

    @property
    def tower_in_state_dict(self) -> bool:
        """Whether the tower's weights are in the state dict: not for a frozen
        tower with ``pretrained`` weights (that file holds them)."""
        return not (self.frozen and self.pretrained is not None)

    def state_dict(self, *args, destination=None, prefix='', keep_vars=False):
        """``nn.Module.state_dict``, without the tower's entries unless
        :attr:`tower_in_state_dict`."""
        state = super().state_dict(*args, destination=destination, prefix=prefix,
                                   keep_vars=keep_vars)
        if not self.tower_in_state_dict:
            for key in [k for k in state if k.startswith(prefix + 'tower.')]:
                del state[key]
        return state

    def init_weights(self) -> None:
        """Apply ``init_cfg`` and load ``pretrained`` (once), then clear the cache."""
        first_time = not self.is_init
        super().init_weights()
        if first_time and self.pretrained is not None:
            self.load_pretrained()
        self._cache.clear()

    def load_pretrained(self) -> None:
        """Load the tower from ``pretrained`` (InputError, one line, when it
        cannot be read or fetched) and clear the cache."""
        state_dict, meta, path = read_text_tower_weights(
            self.pretrained, self.model_name, self.tower)
        self._check_meta(meta, path)
        self.tower.load_state_dict(state_dict)  # keys and shapes checked
        self._cache.clear()
        print_log(f'loaded CLIP text weights of {self.model_name} from {path}',
                  logger='current')

    def _check_meta(self, meta: dict, path: str) -> None:
        """Refuse a converted file whose recorded activation differs from ours."""
        recorded = meta.get('quick_gelu')
        if isinstance(recorded, bool) and recorded != self.quick_gelu:
            raise InputError(
                f'{path} holds weights trained with quick_gelu={recorded} but the '
                f'CLIP text encoder is built with quick_gelu={self.quick_gelu}; set '
                f'model.text_encoder.quick_gelu={recorded}')

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # any (partial) load may change the tower's weights: drop the cache
        self._cache.clear()
        self._load_prefix = prefix  # for _forgive_left_out_tower
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f'model_name={self.model_name!r}, pretrained={self.pretrained!r}, '
                f'quick_gelu={self.quick_gelu}, frozen={self.frozen}, '
                f'cache={self.use_cache}, template={self.template!r}')

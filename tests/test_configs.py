"""Every config in configs/ builds, and each ablation changes only its switch.

Paper-size models are too slow to build for every config on CPU, so the
build test swaps in small parts with the same interfaces (a stub backbone with
ConvNeXt-L's channels, a 1-layer text tower with CLIP's 768-d output, one
decoder layer); one test builds the real ConvNeXt-L DCCD model once and
checks its parameter counts.
"""
import copy
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmseg.registry import MODELS

from conftest import REPO
from dccd.utils import drop_pretrained

CONFIG_DIR = osp.join(REPO, 'configs')
PAPER_CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))
TOY_CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, 'toy', '*.py')))
MINI_CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, 'foodseg103-mini', '*.py')))


@MODELS.register_module()
class StubConvNeXtL(nn.Module):
    """Test stand-in for ConvNeXt-L: a strided conv per stage, same channels."""

    def __init__(self, channels=(192, 384, 768, 1536), **kwargs):
        super().__init__()
        self.stages = nn.ModuleList()
        in_ch = 3
        for i, ch in enumerate(channels):
            self.stages.append(nn.Conv2d(in_ch, ch, 4 if i == 0 else 2, 4 if i == 0 else 2))
            in_ch = ch

    def forward(self, x):
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)


def shrink(model_cfg):
    """Small parts with the same interfaces, random init, no downloads."""
    cfg = copy.deepcopy(model_cfg)
    drop_pretrained(cfg)
    if cfg.backbone.type == 'TimmConvNeXt' and cfg.backbone.arch == 'convnext_large':
        cfg.backbone = dict(type='StubConvNeXtL')
    cfg.decode_head.num_layers = 1
    if cfg.get('text_encoder'):
        cfg.text_encoder.text_cfg = dict(width=32, heads=2, layers=1, context_length=32)
    for head in ('decode_head', 'auxiliary_head'):  # SyncBN needs a process group
        if cfg.get(head) is not None:
            cfg[head].norm_cfg = dict(type='BN', requires_grad=True)
    return cfg


def _flatten(node, prefix=''):
    if isinstance(node, dict):
        items = {}
        for key, value in node.items():
            items.update(_flatten(value, f'{prefix}{key}.'))
        return items
    if isinstance(node, (list, tuple)) and node and isinstance(node[0], dict):
        items = {}
        for i, value in enumerate(node):
            items.update(_flatten(value, f'{prefix}{i}.'))
        return items
    return {prefix[:-1]: node}


def settings_diff(cfg: Config, base: Config) -> set:
    """Top-level settings other than ``model`` that differ between two loaded configs."""
    return {k for k in cfg.keys() if k != 'model' and cfg[k] != base.get(k)}


def model_diff(child: str, parent: str) -> set:
    a = _flatten(Config.fromfile(osp.join(CONFIG_DIR, child)).model.to_dict())
    b = _flatten(Config.fromfile(osp.join(CONFIG_DIR, parent)).model.to_dict())
    return {k for k in a.keys() | b.keys() if a.get(k, '<absent>') != b.get(k, '<absent>')}


def test_every_paper_row_has_a_config():
    names = {osp.basename(p)[:-3] for p in PAPER_CONFIGS}
    for dataset in ('foodseg103', 'uecfoodpix'):
        for variant in ('ddp', 'ddp-nofpn', 'ddp-nofpn_clip', 'ddp-nofpn_cbam',
                        'ddp-nofpn_clip-concat', 'dcc', 'dccd'):
            assert f'{dataset}_{variant}' in names
    assert {osp.basename(p) for p in TOY_CONFIGS} == {'toy_ddp.py', 'toy_dcc.py', 'toy_dccd.py',
                                                      'toy_dccd_presence.py'}


@pytest.mark.parametrize('dataset', ['foodseg103', 'uecfoodpix'])
def test_ablations_change_only_their_switch(dataset):
    def diff(child, parent):
        return model_diff(f'{dataset}_{child}.py', f'{dataset}_{parent}.py')

    nofpn = diff('ddp-nofpn', 'ddp')
    assert nofpn and all(k.startswith('neck.') for k in nofpn)
    clip = diff('ddp-nofpn_clip', 'ddp-nofpn')
    assert clip and all(k.startswith(('text_encoder.', 'text_fusion.')) for k in clip)
    assert diff('ddp-nofpn_cbam', 'ddp-nofpn') == {
        'neck.1.type', 'neck.1.in_channels', 'neck.1.reduction', 'neck.1.spatial_kernel'}
    assert diff('ddp-nofpn_clip-concat', 'ddp-nofpn_clip') == {'text_fusion.mode'}
    assert diff('dcc', 'ddp-nofpn_clip') == diff('ddp-nofpn_cbam', 'ddp-nofpn')
    assert diff('dccd', 'dcc') == {'distill_loss.type', 'distill_loss.temperature',
                                   'distill_loss.loss_weight'}
    # everything outside the model (data, schedule, runtime) is shared
    base = Config.fromfile(osp.join(CONFIG_DIR, f'{dataset}_ddp.py'))
    for variant in ('ddp-nofpn', 'ddp-nofpn_clip', 'dcc', 'dccd'):
        cfg = Config.fromfile(osp.join(CONFIG_DIR, f'{dataset}_{variant}.py'))
        assert set(cfg.keys()) == set(base.keys())
        for key in cfg.keys():
            if key != 'model':
                assert cfg[key] == base[key], (variant, key)


def test_toy_configs_differ_only_in_the_text_branch():
    assert all(k.startswith(('text_encoder.', 'text_fusion.'))
               for k in model_diff('toy/toy_dcc.py', 'toy/toy_ddp.py'))
    assert model_diff('toy/toy_dccd.py', 'toy/toy_dcc.py') == {
        'distill_loss.type', 'distill_loss.temperature', 'distill_loss.loss_weight'}


@pytest.mark.parametrize('child, parent', [
    ('toy/toy_dccd_presence.py', 'toy/toy_dccd.py'),
    ('foodseg103-mini/dccd-presence_efficientnet-lite0_foodseg103-mini.py',
     'foodseg103-mini/dccd_efficientnet-lite0_foodseg103-mini.py')])
def test_presence_configs_add_only_the_head_and_its_targets(child, parent):
    assert model_diff(child, parent) == {
        'presence_head.type', 'presence_head.in_channels', 'presence_head.num_classes',
        'presence_head.hidden_channels', 'presence_head.loss_weight'}
    train = Config.fromfile(osp.join(CONFIG_DIR, child)).train_dataloader.dataset.pipeline
    before = Config.fromfile(osp.join(CONFIG_DIR, parent)).train_dataloader.dataset.pipeline
    # the crop's classes are extracted right before packing: after every crop/flip
    assert train[:-2] + train[-1:] == before
    assert train[-2] == dict(type='ExtractIngredients', num_classes=before[2]['num_classes'],
                             after_crop=True, key='crop_ingredients')


@pytest.mark.parametrize('variant, changed, schedule', [
    ('kl0.25', {'distill_loss.loss_weight'}, ''), ('kl2', {'distill_loss.loss_weight'}, ''),
    ('t2', {'distill_loss.temperature'}, ''), ('nodetach', {'distill_loss.detach_teacher'}, ''),
    ('warmuphalf', set(), ''),
    ('nodetach', {'distill_loss.detach_teacher'}, '-lr1e-3-lean-ema'),
    ('warmuphalf', set(), '-lr1e-3-lean-ema'),
    ('nodetach', {'distill_loss.detach_teacher'}, '-lr1e-3-lean-ema-scale0.5-2'),
    ('warmuphalf', set(), '-lr1e-3-lean-ema-scale0.5-2')])
def test_mini_distillation_ablations_state_one_setting(variant, changed, schedule):
    parent = f'foodseg103-mini/dccd{schedule}_efficientnet-lite0_foodseg103-mini.py'
    child = f'foodseg103-mini/dccd-{variant}{schedule}_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == changed
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == (
        {'custom_hooks'} if variant == 'warmuphalf' else set())
    if variant == 'warmuphalf':
        assert cfg.custom_hooks == base.custom_hooks + [
            dict(type='DistillWarmupHook', warmup_iters=base.train_cfg.max_iters // 2)]


def _batch(num_classes, size=64):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    inputs, samples = [], []
    for i in range(2):
        inputs.append(torch.randint(0, 256, (3, size, size), dtype=torch.uint8))
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, size // 2:] = i + 1
        sample = SegDataSample(gt_sem_seg=PixelData(data=mask))
        sample.set_metainfo(dict(img_path=f'{i}.jpg', ori_shape=(size, size),
                                 img_shape=(size, size), pad_shape=(size, size),
                                 ingredients=[i + 1], crop_ingredients=[i + 1]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('path', PAPER_CONFIGS + TOY_CONFIGS + MINI_CONFIGS,
                         ids=lambda p: osp.relpath(p, CONFIG_DIR))
def test_config_builds_model_and_pipelines(path):
    cfg = Config.fromfile(path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        Compose(cfg[loader].dataset.pipeline)
    Compose(cfg.tta_pipeline)  # tools/test.py --tta works with every config
    model_cfg = shrink(cfg.model)
    model_cfg.data_preprocessor.size = (64, 64)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    num_classes = model.decode_head.num_classes
    model.train()
    losses = model(**model.data_preprocessor(_batch(num_classes), True), mode='loss')
    assert all(torch.isfinite(v).all() for v in losses.values())
    expected = {'ddp': {'loss_ce_student'}, 'dcc': {'loss_ce_teacher'},
                'dccd': {'loss_ce_teacher', 'loss_ce_student', 'loss_kl'}}[model.kind]
    if model.presence_head is not None:
        expected = expected | {'loss_presence'}
    if isinstance(cfg.model.decode_head.loss_decode, list):  # the Lovasz lead adds its loss
        expected = expected | {k.replace('_ce_', '_lovasz_') for k in expected if '_ce_' in k}
    assert {k for k in losses if 'loss' in k and not k.startswith('aux')} == expected
    # DDP's auxiliary head in every row but the cheaper-step leads
    assert ('aux.loss_ce' in losses) == (cfg.model.auxiliary_head is not None)
    assert (cfg.model.auxiliary_head is None) == ('-lean' in path)


def test_foodseg103_pipelines_on_a_real_sample(foodseg_sample):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'foodseg103_dccd.py'))
    name = sorted(glob.glob(osp.join(foodseg_sample, 'images', '*.jpg')))[0]
    stem = osp.splitext(osp.basename(name))[0]
    info = dict(img_path=name, seg_map_path=osp.join(foodseg_sample, 'masks', stem + '.png'),
                reduce_zero_label=False, seg_fields=[])
    mask = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    expected = sorted(int(i) for i in np.unique(mask) if i not in (0, 255))
    for loader in ('train_dataloader', 'test_dataloader'):
        out = Compose(cfg[loader].dataset.pipeline)(copy.deepcopy(info))
        assert out['data_samples'].metainfo['ingredients'] == expected
    np.random.seed(0)  # RandomResize / RandomCrop draw from numpy
    train_out = Compose(cfg.train_dataloader.dataset.pipeline)(copy.deepcopy(info))
    height, width = train_out['inputs'].shape[1:]
    assert height <= 512 and width <= 1024  # cropped (padded later, in the model)
    assert train_out['data_samples'].gt_sem_seg.data.shape[1:] == (height, width)


def test_mini_tta_views_are_the_trained_sizes_and_their_mirrors(foodseg_sample):
    """`tools/test.py --tta` on a mini config: short sides 160-256 (training
    sees 160-240), not FoodSeg103's 0.5-1.75x of the original photo."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'foodseg103-mini',
                                   'ddp-lr1e-3_efficientnet-lite0_foodseg103-mini.py'))
    name = sorted(glob.glob(osp.join(foodseg_sample, 'images', '*.jpg')))[0]
    stem = osp.splitext(osp.basename(name))[0]
    info = dict(img_path=name, seg_map_path=osp.join(foodseg_sample, 'masks', stem + '.png'),
                reduce_zero_label=False, seg_fields=[])
    out = Compose(cfg.tta_pipeline)(info)
    views = [(min(x.shape[1:]), s.metainfo['flip']) for x, s in
             zip(out['inputs'], out['data_samples'])]
    assert sorted(views) == [(side, flip) for side in (160, 192, 224, 256)
                             for flip in (False, True)]
    height, width = cv2.imread(name).shape[:2]
    assert all(s.gt_sem_seg.data.shape[1:] == (height, width) for s in out['data_samples'])


def test_full_convnext_l_dccd_parameter_counts():
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'foodseg103_dccd.py'))
    drop_pretrained(cfg.model)
    model = MODELS.build(cfg.model)
    counts = model.parameter_counts()
    print({k: f'{v / 1e6:.2f}M' for k, v in counts.items()})
    assert counts['backbone'] == pytest.approx(196.2e6, rel=0.01)
    assert counts['text_encoder'] == pytest.approx(123.65e6, rel=0.01)
    assert all(not p.requires_grad for p in model.text_encoder.parameters())
    assert counts['text_fusion'] == 768 * 256 + 256
    assert 5e6 < counts['decode_head'] < 15e6
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == sum(counts.values()) - counts['text_encoder']


def assert_poly_decay_ends_with_training(cfg, tmp_dir: str) -> None:
    """The learning rate decays to 0 at the config's last iteration: the
    PolyLR has no ``end``, and mmengine's runner, building the schedulers
    for training, ends it at the train loop's max_iters."""
    warmup, poly = cfg.param_scheduler
    assert poly['type'] == 'PolyLR' and 'end' not in poly and poly['begin'] == warmup['end']
    runner = Runner(model=_Scalar(), work_dir=tmp_dir, train_cfg=cfg.train_cfg,
                    train_dataloader=torch.utils.data.DataLoader(list(range(4))),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=1.0)),
                    param_scheduler=cfg.param_scheduler, default_scope='mmseg')
    runner.train_loop  # noqa: B018 (builds the loop, as Runner.train does first)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    schedulers = runner.build_param_scheduler(runner.param_schedulers)
    assert [s.end for s in schedulers] == [warmup['end'], cfg.train_cfg.max_iters]


class _Scalar(BaseModel):
    """The smallest model a Runner trains."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return dict(loss=self.weight.sum())


@pytest.mark.parametrize('config', ['foodseg103_dccd.py', 'toy/toy_dccd.py',
                                    'foodseg103-mini/dccd_efficientnet-lite0_foodseg103-mini.py'])
def test_the_learning_rate_decays_to_0_at_the_last_iteration_of_any_length(config, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config))
    assert_poly_decay_ends_with_training(cfg, str(tmp_path))
    cfg.train_cfg.max_iters = 40000  # --cfg-options train_cfg.max_iters=40000 alone
    assert_poly_decay_ends_with_training(cfg, str(tmp_path))


def test_mini_schedule_lead_states_its_frozen_stem_and_iterations(tmp_path):
    parent = 'foodseg103-mini/ddp_efficientnet-lite0_foodseg103-mini.py'
    child = 'foodseg103-mini/ddp-frozenstem-3k_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == {'backbone.frozen_modules'}
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'train_cfg'}
    assert cfg.train_cfg.max_iters == 3000 and base.train_cfg.max_iters == 2000
    assert_poly_decay_ends_with_training(cfg, str(tmp_path))


@pytest.mark.parametrize('parent', ['dccd-lr1e-3', 'ddp-lr1e-3-lean-ema',
                                    'ddp-lr1e-3-lean-ema-scale0.5-2'])
def test_mini_iterations_leads_state_only_their_iterations(parent, tmp_path):
    parent, child = (f'foodseg103-mini/{name}_efficientnet-lite0_foodseg103-mini.py'
                     for name in (parent, f'{parent}-2.5k'))
    assert model_diff(child, parent) == set()
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'train_cfg'}
    assert cfg.train_cfg.max_iters == 2500
    assert_poly_decay_ends_with_training(cfg, str(tmp_path))
    assert cfg.optim_wrapper.optimizer.lr == 1e-3


@pytest.mark.parametrize('parent,child,lr_mult', [
    ('ddp', 'ddp-bblr0.5', 0.5), ('ddp-lr1e-3', 'ddp-lr1e-3-bblr0.4', 0.4)])
def test_mini_backbone_lr_leads_state_only_their_lr_mult(parent, child, lr_mult):
    parent = f'foodseg103-mini/{parent}_efficientnet-lite0_foodseg103-mini.py'
    child = f'foodseg103-mini/{child}_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == set()
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'optim_wrapper'}
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys == {'backbone': dict(lr_mult=lr_mult)}
    assert base.optim_wrapper.paramwise_cfg.custom_keys == {'backbone': dict(lr_mult=0.1)}
    assert cfg.optim_wrapper.optimizer == base.optim_wrapper.optimizer


def test_mini_full_resolution_loss_lead_states_only_its_loss_size():
    parent = 'foodseg103-mini/ddp-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
    child = 'foodseg103-mini/ddp-lr1e-3-fullres_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == {'decode_head.loss_at_feature_size'}
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == set()
    assert base.model.decode_head.loss_at_feature_size is True
    assert cfg.model.decode_head.loss_at_feature_size is False
    assert cfg.model.train_cfg.aux_loss_at_feature_size is True


@pytest.mark.parametrize('model', ['ddp', 'dccd', 'ddp-random', 'dcc', 'dccd-nodetach',
                                   'dccd-warmuphalf'])
def test_mini_lr_lead_states_only_its_learning_rate(model):
    parent = f'foodseg103-mini/{model}_efficientnet-lite0_foodseg103-mini.py'
    child = f'foodseg103-mini/{model}-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == set()
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'optim_wrapper'}
    assert cfg.optim_wrapper.optimizer.lr == 1e-3 and base.optim_wrapper.optimizer.lr == 4e-3
    assert {k: v for k, v in cfg.optim_wrapper.optimizer.items() if k != 'lr'} == {
        k: v for k, v in base.optim_wrapper.optimizer.items() if k != 'lr'}
    assert cfg.optim_wrapper.paramwise_cfg == base.optim_wrapper.paramwise_cfg


@pytest.mark.parametrize('parent,child', [('ddp-lr1e-3', 'ddp-lr1e-3-ema'),
                                          ('ddp-lr1e-3-lean', 'ddp-lr1e-3-lean-ema'),
                                          ('dccd-lr1e-3-lean', 'dccd-lr1e-3-lean-ema')])
def test_mini_ema_leads_add_only_the_weight_average(parent, child):
    parent, child = (f'foodseg103-mini/{name}_efficientnet-lite0_foodseg103-mini.py'
                     for name in (parent, child))
    assert model_diff(child, parent) == set()
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'custom_hooks'}
    assert cfg.custom_hooks == base.custom_hooks + [
        dict(type='EMAHook', momentum=0.002, priority=49)]


@pytest.mark.parametrize('model, schedule, parent_schedule, model_keys, settings', [
    ('dcc', '-lr1e-3-lean-ema', '-lr1e-3', {'backbone.frozen_modules'}, {'custom_hooks'}),
    ('dcc', '-lr1e-3-lean-ema-scale0.5-2', '-lr1e-3-lean-ema', set(),
     {'train_pipeline', 'train_dataloader'}),
    ('dccd', '-lr1e-3-lean-ema-scale0.5-2', '-lr1e-3-lean-ema', set(),
     {'train_pipeline', 'train_dataloader'}),
    ('dccd', '-lr2e-3-lean-ema-scale0.5-2-2.75k', '-lr1e-3-lean-ema-scale0.5-2', set(),
     {'optim_wrapper', 'train_cfg'})])
def test_mini_text_models_on_a_ddp_schedule_make_ddps_changes(
        model, schedule, parent_schedule, model_keys, settings):
    def changes(child, parent):
        child, parent = (f'foodseg103-mini/{name}_efficientnet-lite0_foodseg103-mini.py'
                         for name in (child, parent))
        cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
        model = _flatten(cfg.model.to_dict())
        return ({k: model.get(k, '<absent>') for k in model_diff(child, parent)},
                {k: cfg[k] for k in settings_diff(cfg, base)})

    text_model, text_settings = changes(model + schedule, model + parent_schedule)
    ddp_model, ddp_settings = changes('ddp' + schedule, 'ddp' + parent_schedule)
    assert text_model == ddp_model and set(text_model) >= model_keys
    assert text_settings == ddp_settings and set(text_settings) == settings


@pytest.mark.parametrize('schedule', ['-lr1e-3-lean-ema', '-lr1e-3-lean-ema-scale0.5-2'])
def test_mini_random_init_controls_drop_weights_and_freezing(schedule):
    parent = f'foodseg103-mini/ddp{schedule}_efficientnet-lite0_foodseg103-mini.py'
    child = f'foodseg103-mini/ddp-random{schedule}_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == {'backbone.init_cfg', 'backbone.init_cfg.type',
                                         'backbone.init_cfg.checkpoint',
                                         'backbone.frozen_modules'}
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert cfg.model.backbone.init_cfg is None and cfg.model.backbone.frozen_modules == []
    assert cfg.model.auxiliary_head is None and settings_diff(cfg, base) == set()


def test_mini_learning_rate_lead_on_scale_jitter_states_only_its_rate_and_iterations(tmp_path):
    names = ['ddp-lr1e-3-lean-ema-scale0.5-2', 'ddp-lr2e-3-lean-ema-scale0.5-2',
             'ddp-lr2e-3-lean-ema-scale0.5-2-2.75k']
    paths = [f'foodseg103-mini/{name}_efficientnet-lite0_foodseg103-mini.py' for name in names]
    base, lr2, lr2_long = (Config.fromfile(osp.join(CONFIG_DIR, p)) for p in paths)
    assert model_diff(paths[1], paths[0]) == set() and model_diff(paths[2], paths[1]) == set()
    assert settings_diff(lr2, base) == {'optim_wrapper'}
    assert lr2.optim_wrapper.optimizer == dict(base.optim_wrapper.optimizer, lr=2e-3)
    assert lr2.optim_wrapper.paramwise_cfg == base.optim_wrapper.paramwise_cfg
    assert settings_diff(lr2_long, lr2) == {'train_cfg'}
    assert (lr2.train_cfg.max_iters, lr2_long.train_cfg.max_iters) == (2000, 2750)
    assert_poly_decay_ends_with_training(lr2_long, str(tmp_path))


def test_mini_width_lead_widens_only_the_feature_and_decoder():
    parent = 'foodseg103-mini/ddp-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
    child = parent.replace('-scale0.5-2_', '-scale0.5-2-c128_')
    assert model_diff(child, parent) == {'neck.0.out_channels', 'neck.1.in_channels',
                                         'decode_head.in_channels', 'decode_head.channels'}
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'channels'}
    assert [n['type'] for n in cfg.model.neck] == [n['type'] for n in base.model.neck]
    assert cfg.model.neck[0].out_channels == cfg.model.neck[1].in_channels == 128
    assert cfg.model.decode_head.channels == 128 and base.model.decode_head.channels == 96


def test_mini_lovasz_lead_adds_only_the_lovasz_loss_to_the_decoder():
    parent = ('foodseg103-mini/ddp-lr1e-3-lean-ema-scale0.5-2-2.5k'
              '_efficientnet-lite0_foodseg103-mini.py')
    child = parent.replace('-2.5k_', '-2.5k-lovasz_')
    assert {k.split('.')[1] for k in model_diff(child, parent)} == {'loss_decode'}
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == set()
    ce, lovasz = cfg.model.decode_head.loss_decode
    assert ce == base.model.decode_head.loss_decode
    assert (lovasz.type, lovasz.classes, lovasz.per_image, lovasz.loss_weight) == (
        'LovaszLoss', 'present', False, 1.0)
    head = MODELS.build(cfg.model.decode_head)
    assert [m.loss_name for m in head.loss_decode] == ['loss_ce', 'loss_lovasz']


def test_mini_scale_jitter_lead_changes_only_the_train_resize():
    parent = 'foodseg103-mini/ddp-lr1e-3-lean-ema_efficientnet-lite0_foodseg103-mini.py'
    child = 'foodseg103-mini/ddp-lr1e-3-lean-ema-scale0.5-2_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == set()
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == {'train_pipeline', 'train_dataloader'}
    new, old = cfg.train_dataloader.dataset.pipeline, base.train_dataloader.dataset.pipeline
    assert [(a, b) for a, b in zip(new, old) if a != b] == [
        (dict(type='RandomResize', scale=(1024, 200), ratio_range=(0.5, 2.0), keep_ratio=True),
         dict(type='RandomResize', scale=(1024, 200), ratio_range=(0.8, 1.2), keep_ratio=True))]
    assert len(new) == len(old)
    assert cfg.test_dataloader == base.test_dataloader and cfg.val_dataloader == base.val_dataloader


def test_mini_resolution_lead_states_its_crops_test_size_and_iterations(tmp_path):
    parent = 'foodseg103-mini/ddp-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
    child = 'foodseg103-mini/ddp-lr1e-3-192px_efficientnet-lite0_foodseg103-mini.py'
    assert model_diff(child, parent) == {'data_preprocessor.size'}
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert cfg.model.data_preprocessor.size == cfg.crop_size == (192, 192)
    assert cfg.train_cfg.max_iters == 1500
    assert_poly_decay_ends_with_training(cfg, str(tmp_path))
    assert cfg.optim_wrapper == base.optim_wrapper
    for loader in ('train_dataloader', 'test_dataloader', 'heldout_dataloader',
                   'val_dataloader'):
        new, old = cfg[loader].dataset, base[loader].dataset
        assert {k: v for k, v in new.items() if k != 'pipeline'} == {
            k: v for k, v in old.items() if k != 'pipeline'}
        changed = [(a, b) for a, b in zip(new.pipeline, old.pipeline) if a != b]
        assert len(new.pipeline) == len(old.pipeline)
        if loader == 'train_dataloader':
            assert changed == [
                (dict(type='RandomResize', scale=(1024, 240), ratio_range=(0.8, 1.2),
                      keep_ratio=True),
                 dict(type='RandomResize', scale=(1024, 200), ratio_range=(0.8, 1.2),
                      keep_ratio=True)),
                (dict(type='RandomCrop', crop_size=(192, 192), cat_max_ratio=0.75),
                 dict(type='RandomCrop', crop_size=(160, 160), cat_max_ratio=0.75))]
        else:
            assert changed == [(dict(type='Resize', scale=(1024, 272), keep_ratio=True),
                                dict(type='Resize', scale=(1024, 224), keep_ratio=True))]


@pytest.mark.parametrize('model', ['ddp', 'dccd'])
def test_mini_lean_lead_states_only_the_frozen_stem_and_no_auxiliary_head(model):
    parent = f'foodseg103-mini/{model}-lr1e-3_efficientnet-lite0_foodseg103-mini.py'
    child = f'foodseg103-mini/{model}-lr1e-3-lean_efficientnet-lite0_foodseg103-mini.py'
    cfg, base = (Config.fromfile(osp.join(CONFIG_DIR, c)) for c in (child, parent))
    assert settings_diff(cfg, base) == set()
    diff = {'auxiliary_head' if k.startswith('auxiliary_head') else k
            for k in model_diff(child, parent)}
    assert diff == {'backbone.frozen_modules', 'auxiliary_head'}
    assert base.model.backbone.frozen_modules == () and base.model.auxiliary_head.num_convs == 1
    assert cfg.model.backbone.frozen_modules == ['conv_stem', 'bn1', 'blocks.0', 'blocks.1']
    assert cfg.model.auxiliary_head is None

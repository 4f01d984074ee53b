"""Shared fixtures: generated data, the real FoodSeg103 sample, tool runners."""
import importlib.util
import io
import os
import os.path as osp
import re
import runpy
import struct
import subprocess
import sys
import zlib
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import dccd  # noqa: F401  (registers DCCD modules)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.normpath(osp.join(REPO, '..', 'shared', 'data'))

init_default_scope('mmseg')
torch.set_num_threads(1)  # see run_tool


def tool_env(**extra) -> dict:
    """Environment for a tool subprocess: fixed hash seed, one torch thread
    (the tools' micro models gain nothing from more, and on a small shared
    CPU extra threads make them many times slower and change float sums)."""
    return {**os.environ, 'PYTHONHASHSEED': '0', 'OMP_NUM_THREADS': '1', **extra}


def run_tool(script: str, *args, cwd=None, timeout=600, env=None):
    """Run ``tools/<script>`` in a fresh interpreter; return CompletedProcess."""
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', script), *map(str, args)],
        cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout,
        env=tool_env(**(env or {})))


def _manager_classes() -> list:
    """mmengine's named-instance classes (loggers, message hub, visualizers of
    every subclass, scope): each keeps its own ``_instance_dict``."""
    from mmengine.utils import ManagerMixin
    found, stack = [], [ManagerMixin]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if '_instance_dict' in vars(cls):
            found.append(cls)
    return found


def run_tool_here(script: str, *args, env=None):
    """Run ``tools/<script>`` in this process, as ``run_tool`` runs it in a new
    one, without the ~10 s interpreter and import start-up of a small CPU.

    Returns:
        SimpleNamespace: ``returncode`` (the SystemExit code, 0 without one),
        ``stdout`` and ``stderr`` as the tool printed them (the run's mmengine
        logger writes to the captured stdout). mmengine's named instances the
        run created (loggers, message hub, visualizer, scope) are dropped
        afterwards, so runs in one process stay independent.
    """
    from mmengine.logging import MMLogger
    managers = _manager_classes()
    before = {cls: set(cls._instance_dict) for cls in managers}
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_env = sys.argv, dict(os.environ)
    path = osp.join(REPO, 'tools', script)
    sys.argv = [path, *map(str, args)]
    os.environ.update(env or {})
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            # the "current" logger until the tool makes its own: writes to `out`
            MMLogger.get_instance(f'run_tool_here_{len(before[MMLogger])}_{script}')
            runpy.run_path(path, run_name='__main__')
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        for cls in _manager_classes():
            for name in set(cls._instance_dict) - before.get(cls, set()):
                instance = cls._instance_dict.pop(name)
                for handler in getattr(instance, 'handlers', [])[:]:
                    handler.close()
                    instance.removeHandler(handler)
        init_default_scope('mmseg')
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


TEST_METRICS = re.compile(r'aAcc: ([\d.]+)\s+mIoU: ([\d.]+)\s+mAcc: ([\d.]+)')


def metrics_of(result) -> dict:
    """aAcc / mIoU / mAcc as a tools/test.py run printed them (it must have
    exited 0)."""
    assert result.returncode == 0, result.stderr[-3000:]
    match = TEST_METRICS.search(result.stdout + result.stderr)
    assert match, (result.stdout + result.stderr)[-2000:]
    return dict(zip(('aAcc', 'mIoU', 'mAcc'), map(float, match.groups())))


def load_tool(path: str):
    """Import ``tools/<path>`` (a script, not a package) to call it in-process."""
    name = 'dccd_tool_' + osp.splitext(path)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_tiny_seg_dataset(root: str, seed: int = 0) -> str:
    """Write a 3-class 32x32 dataset (6 train / 3 test) under ``root``."""
    rng = np.random.default_rng(seed)
    colours = {0: (40, 40, 40), 1: (90, 160, 200), 2: (40, 20, 160)}
    for split, count in (('train', 6), ('test', 3)):
        os.makedirs(osp.join(root, 'img', split), exist_ok=True)
        os.makedirs(osp.join(root, 'ann', split), exist_ok=True)
        for i in range(count):
            mask = np.zeros((32, 32), np.uint8)
            x0, y0 = rng.integers(2, 12, size=2)
            mask[:, x0:x0 + 10] = 1
            mask[y0:y0 + 10, 20:] = 2
            img = np.zeros((32, 32, 3), np.float64)
            for label, colour in colours.items():
                img[mask == label] = colour
            img = np.clip(img + rng.normal(0, 10, img.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(osp.join(root, 'img', split, f'{i}.png'), img)
            cv2.imwrite(osp.join(root, 'ann', split, f'{i}.png'), mask)
    return root


@pytest.fixture(scope='session')
def tiny_seg_root(tmp_path_factory):
    return write_tiny_seg_dataset(str(tmp_path_factory.mktemp('tiny_seg')))


def skip_or_fail(missing: str) -> None:
    """A test's prerequisite is ``missing`` (a sentence): skip it, except
    under CI (CI=true), where CI must have installed it: fail."""
    if os.environ.get('CI') == 'true':
        pytest.fail(f'CI=true but {missing}')
    pytest.skip(missing)


def png_claiming(width: int, height: int) -> bytes:
    """A whole, tiny PNG whose header claims ``width`` x ``height`` grey pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data)))
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header)
            + chunk(b'IDAT', zlib.compress(b'\0' * (width + 1))) + chunk(b'IEND', b''))


def without_text_path(checkpoint: str, folder: str) -> str:
    """A copy of ``checkpoint`` without the text path (``text_encoder.*``,
    ``text_fusion.*``): what a DDP run saves. Returns its path in ``folder``."""
    ckpt = torch.load(checkpoint, weights_only=True)
    state = {k: v for k, v in ckpt['state_dict'].items()
             if not k.startswith(('text_encoder.', 'text_fusion.'))}
    path = osp.join(folder, 'ddp.pth')
    torch.save(dict(meta=ckpt['meta'], state_dict=state), path)
    return path


def require_shared(name: str) -> str:
    """``../shared/data/<name>``: skipped when absent, except under CI
    (CI=true), where its absence is a failure."""
    path = osp.join(SHARED_DATA, name)
    if not osp.exists(path):
        skip_or_fail(f'the shared test data is missing: {path}')
    return path


@pytest.fixture(scope='session')
def foodseg_sample():
    """The 65 real FoodSeg103 test images and masks in ../shared."""
    return require_shared('foodseg103_sample')


MICRO_TOY_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_dccd.py')


TOY_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'heldout_dataloader')


def toy_data_options(root: str) -> list:
    """--cfg-options that point every dataloader of a toy config at ``root``."""
    return ['--cfg-options'] + [f'{loader}.dataset.data_root={root}' for loader in TOY_LOADERS]


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A small toy-food dataset: 64x64, 16 train (2 held out) / 8 test images."""
    from dccd.datasets import generate_toy_food
    root = str(tmp_path_factory.mktemp('toy_food') / 'toy_food')
    generate_toy_food(root, seed=0, num_train=16, num_test=8, size=64, val_fraction=0.1)
    return root


@pytest.fixture(scope='session')
def toy_checkpoint(toy_root, tmp_path_factory):
    """Train tests/configs/micro_toy_dccd.py for 6 iterations (shared by all
    tests that need a trained DCCD checkpoint), with ``--vis tensorboard``
    (its event files are tested too). Returns (config, checkpoint,
    work_dir)."""
    work_dir = str(tmp_path_factory.mktemp('toy_train'))
    result = run_tool_here('train.py', MICRO_TOY_CONFIG, '--work-dir', work_dir,
                           '--vis', 'tensorboard', *toy_data_options(toy_root))
    assert result.returncode == 0, result.stderr[-3000:]
    ckpt = osp.join(work_dir, 'iter_6.pth')
    assert osp.isfile(ckpt)
    return MICRO_TOY_CONFIG, ckpt, work_dir


@pytest.fixture(scope='session')
def no_background_checkpoint(toy_checkpoint, tmp_path_factory):
    """(config, checkpoint) of the micro toy model that cannot say background:
    the 6-iteration checkpoint predicts background everywhere, whatever its
    inputs; with its background row zeroed (bias -10) the argmax runs over the
    food classes, so the output depends on the decoder's input (the text)."""
    config, ckpt, _ = toy_checkpoint
    checkpoint = torch.load(ckpt, weights_only=True)
    state = checkpoint['state_dict']
    weight = state['decode_head.conv_seg.weight'].clone()
    bias = state['decode_head.conv_seg.bias'].clone()
    weight[0], bias[0] = 0.0, -10.0
    state['decode_head.conv_seg.weight'], state['decode_head.conv_seg.bias'] = weight, bias
    path = str(tmp_path_factory.mktemp('text_ckpt') / 'no_background.pth')
    torch.save(dict(meta=checkpoint['meta'], state_dict=state), path)
    return config, path

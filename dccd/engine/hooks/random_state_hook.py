"""Put the random number generators back where they were when training resumes.

Written for DCCD (Apache-2.0) on mmengine's ``Hook`` (Apache-2.0). mmengine
saves no random state in a checkpoint: a resumed run re-seeds from the config
and then draws different diffusion noise, time steps, dropout masks and flips
than the run it continues. :class:`RandomStateHook` stores the states of
torch (CPU and every CUDA device), numpy and Python's ``random`` in each
checkpoint (``checkpoint['rng_state']``) and restores each at the moment the
uninterrupted run would have had it, so that a run killed and resumed logs,
on CPU, exactly the losses of the run that never stopped.

When each generator is restored, and why that is exact
(``IterBasedTrainLoop``, mmengine 0.10)::

    uninterrupted:  ... step k-1 | save ckpt k | [val] | fetch batch k | step k
    resumed:        seed | build | load ckpt k | replay fetches 0..k-1
                    | fetch batch k | step k

- **torch / CUDA**: the model's randomness (diffusion noise and time steps,
  dropout). The state at the save is restored at the first
  ``before_train_iter`` after resuming: that is after batch k is fetched and
  before step k, and the data pipeline draws nothing from torch.
- **numpy / random**: the data pipeline's randomness (flips, crops, colour
  jitter). With ``num_workers=0`` it runs in this process, and on resuming
  mmengine replays (fetches and drops) the k batches already trained on. So
  the hook keeps the numpy / random states of the *start of the data stream*
  (``before_train_epoch`` of iteration 0) in every checkpoint and restores
  them just before that replay: the replay then draws exactly what the first
  run drew, and batch k comes out identical. With ``num_workers > 0`` the
  workers are re-seeded by mmengine's ``worker_init_fn`` and replay the same
  way, and the main process draws nothing (the restore is harmless).
- **validation** draws from torch (the DataLoader's base seed) between two
  training steps, and a resumed run does not repeat it: the hook saves every
  state before a validation and restores it after, so validating (or not,
  or at another interval) never changes the training randomness.

Exactness assumes what holds for DCCD and mmsegmentation models: the model
draws only from torch, the data pipeline only from numpy / random. The hook
warns once if a training step draws from numpy or ``random``. Other loops
(``EpochBasedTrainLoop``, which does not replay) get every state back at
``before_train_epoch``. The states are stored as tensors and Python numbers,
which torch's safe loading (``weights_only=True``) reads without extending
its allow-list.

**Per-rank noise.** With ``randomness=dict(seed=0)`` (mmengine's default
``diff_rank_seed=False``) every process starts from the same global state,
so on 8 GPUs all ranks would draw the same diffusion time t and noise: a
global batch of 16 would see 2 noise levels per step. So in multi-process
training the hook gives every rank its own generator for t and noise (the
head's ``noise_generator``), seeded before each step from (seed, rank,
iteration): its state is a function of the iteration, so ``--resume`` needs
nothing saved to draw exactly what the uninterrupted run drew, and no rank
draws t or noise from the global generator. Dropout and drop-path masks, which
do draw from torch's global generators, are made per rank the same way: for
the step, the global CPU generator (and the current CUDA device's) is seeded
from (seed, rank, iteration) and its shared state put back afterwards, so the
global states stay equal on all ranks (the rank-0 state in the checkpoint is
every rank's). A 1-process run keeps drawing from the global generators: it
draws exactly what it drew before. (mmengine saves checkpoints on rank 0 only, so the states
of other ranks could not be gathered at a save.) With
``randomness.diff_rank_seed=True`` the global states differ per rank and only
rank 0's are in the checkpoint: nothing is restored then (with a warning);
per-rank noise does not need it.
"""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from torch import nn

from mmseg.registry import HOOKS

__all__ = ['RandomStateHook', 'get_rng_states', 'set_rng_states', 'step_seed']

DATA_KEYS = ('numpy', 'python')


def _numpy_state() -> dict:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return dict(bit_generator=name, keys=torch.from_numpy(keys.astype(np.int64)),
                pos=int(pos), has_gauss=int(has_gauss), cached_gaussian=float(cached))


def _set_numpy_state(state: dict) -> None:
    np.random.set_state((state['bit_generator'], state['keys'].numpy().astype(np.uint32),
                         state['pos'], state['has_gauss'], state['cached_gaussian']))


def _python_state() -> dict:
    version, internal, gauss_next = random.getstate()
    return dict(version=version, state=torch.tensor(internal, dtype=torch.int64),
                gauss_next=gauss_next)


def _set_python_state(state: dict) -> None:
    random.setstate((state['version'], tuple(state['state'].tolist()),
                     state['gauss_next']))


def get_rng_states(which=('torch', 'cuda', 'numpy', 'python')) -> dict:
    """The current states of the global generators, safe-loadable.

    Args:
        which: any of 'torch', 'cuda' (every device; skipped when CUDA is not
            initialised), 'numpy', 'python'.

    Returns:
        dict: name -> state (tensors, Python numbers and strings only).
    """
    states = {}
    if 'torch' in which:
        states['torch'] = torch.get_rng_state()
    if 'cuda' in which and torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    if 'numpy' in which:
        states['numpy'] = _numpy_state()
    if 'python' in which:
        states['python'] = _python_state()
    return states


def set_rng_states(states: dict) -> None:
    """Restore the generators present in ``states`` (see :func:`get_rng_states`).

    CUDA states are restored only when the number of devices is the same.
    """
    if 'torch' in states:
        torch.set_rng_state(states['torch'])
    cuda = states.get('cuda')
    if cuda is not None and torch.cuda.is_available():
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        else:
            print_log(f'RandomStateHook: the checkpoint has the CUDA random states of '
                      f'{len(cuda)} device(s), this machine {torch.cuda.device_count()}: '
                      'CUDA states not restored', logger='current', level=30)
    if 'numpy' in states:
        _set_numpy_state(states['numpy'])
    if 'python' in states:
        _set_python_state(states['python'])


def step_seed(seed: int, rank: int, iteration: int, stream: int = 0) -> int:
    """The seed of ``rank`` at training ``iteration`` (``stream`` 0: the
    diffusion noise; 1, 2: torch's global CPU and CUDA generators): numpy's
    ``SeedSequence`` mixes them (the global numpy state is untouched)."""
    entropy = [int(seed) % 2**63, int(rank), int(iteration)] + ([int(stream)] if stream else [])
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0])


def _step_generators() -> List[torch.Generator]:
    """The global torch generators a training step draws from in this process:
    the CPU one and, where CUDA is initialised, the current device's."""
    generators = [torch.default_generator]
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        generators.append(torch.cuda.default_generators[torch.cuda.current_device()])
    return generators


def _noise_modules(model: nn.Module) -> list:
    """The modules that draw training noise from a ``noise_generator``."""
    model = model.module if is_model_wrapper(model) else model
    return [m for m in model.modules() if hasattr(m, 'noise_generator')]


def _same(a: dict, b: dict) -> bool:
    return (torch.equal(a['numpy']['keys'], b['numpy']['keys'])
            and a['numpy']['pos'] == b['numpy']['pos']
            and torch.equal(a['python']['state'], b['python']['state']))


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random states in checkpoints and restore them on resume.

    Added to every DCCD config by ``configs/_base_/default_runtime.py``
    (``custom_hooks``). See the module docstring for what is restored when.
    Priority ``HIGHEST``: the data-stream state is taken (or restored) before
    any other ``before_train_epoch`` hook, the torch state is restored before
    any other ``before_train_iter`` hook, and a validation's states are saved
    before any other ``before_val`` hook.

    Args:
        check_data_only (bool): Warn once if a training step draws from numpy
            or ``random`` (which the resume would not reproduce). Default True.
    """

    priority = 'HIGHEST'

    def __init__(self, check_data_only: bool = True) -> None:
        self.check_data_only = check_data_only
        self._data_start: Optional[dict] = None   # numpy / random at iteration 0
        self._loaded: Optional[dict] = None       # rng_state of a loaded checkpoint
        self._loaded_iter: Optional[int] = None
        self._pending_torch: Optional[dict] = None
        self._val_states: Optional[dict] = None
        self._before_step: Optional[dict] = None
        self._noise: Optional[torch.Generator] = None  # this rank's (several processes)
        self._shared: Optional[list] = None  # global torch states, equal on all ranks
        self._warned = False

    # ------------------------------------------------------------ checkpoint
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add ``checkpoint['rng_state']``: torch / CUDA now, numpy / random at
        the start of the data stream (now, if training has not started)."""
        states = get_rng_states(('torch', 'cuda'))
        data = self._data_start or get_rng_states(DATA_KEYS)
        states.update(data_stream=data, saved=get_rng_states(DATA_KEYS))
        checkpoint['rng_state'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the loaded states; they are used only if training resumes."""
        self._loaded = checkpoint.get('rng_state')
        self._loaded_iter = checkpoint.get('meta', {}).get('iter')

    def _resumed_states(self, runner) -> Optional[dict]:
        if self._loaded is None or runner.iter == 0 or self._loaded_iter != runner.iter:
            return None
        diff_rank_seed = (runner.cfg.get('randomness') or {}).get('diff_rank_seed', False)
        if get_world_size() > 1 and diff_rank_seed:
            print_log('RandomStateHook: randomness.diff_rank_seed=True gives every '
                      "process its own random state and the checkpoint holds rank 0's "
                      'only: random states not restored, the resumed run is not an '
                      'exact continuation (per-rank diffusion noise is on without it)',
                      logger='current', level=30)
            return None
        return self._loaded

    # ------------------------------------------------------------ training
    def before_train(self, runner) -> None:
        """Multi-process training: a noise generator of this rank for the
        modules that draw training noise (see the module docstring)."""
        self._shared = [] if get_world_size() > 1 else None
        modules = _noise_modules(runner.model)
        if get_world_size() == 1 or not modules:
            return
        device = next(runner.model.parameters()).device
        self._noise = torch.Generator(device=device)
        for module in modules:
            module.noise_generator = self._noise

    def before_train_epoch(self, runner) -> None:
        """Note (fresh run) or restore (resumed run) the data-stream state."""
        loaded = self._resumed_states(runner)
        self._loaded = None
        if loaded is None:
            if self._data_start is None:
                self._data_start = get_rng_states(DATA_KEYS)
            return
        torch_states = {k: loaded[k] for k in ('torch', 'cuda') if k in loaded}
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            # replayed by the loop's advance over the trained batches
            set_rng_states(loaded['data_stream'])
            self._pending_torch = torch_states
            what = ('numpy / random of the data stream (replayed with the '
                    'trained batches), torch at the next step')
        else:
            set_rng_states(dict(torch_states, **loaded['saved']))
            what = 'torch, numpy and random'
        self._data_start = loaded['data_stream']
        print_log(f'RandomStateHook: restored the random state of iteration '
                  f'{runner.iter}: {what}', logger='current')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Restore torch / CUDA after resuming: right before the first step;
        seed this rank's noise generator for the step."""
        if self._pending_torch is not None:
            set_rng_states(self._pending_torch)
            self._pending_torch = None
        if self._noise is not None:
            self._noise.manual_seed(step_seed(runner.seed, get_rank(), runner.iter))
        if self._shared is not None:  # dropout / drop-path masks of this rank
            generators = _step_generators()
            self._shared = [g.get_state() for g in generators]
            for stream, generator in enumerate(generators, 1):
                generator.manual_seed(step_seed(runner.seed, get_rank(), runner.iter, stream))
        if self.check_data_only and not self._warned:
            self._before_step = get_rng_states(DATA_KEYS)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Give back the ranks' shared torch states; warn once if the step
        drew from numpy or ``random``."""
        if self._shared:
            for generator, state in zip(_step_generators(), self._shared):
                generator.set_state(state)
        if self._before_step is None:
            return
        if not _same(self._before_step, get_rng_states(DATA_KEYS)):
            self._warned = True
            print_log('RandomStateHook: a training step drew from numpy or Python '
                      "'random'; a resumed run will not repeat those draws exactly "
                      '(draw from torch in the model)', logger='current', level=30)
        self._before_step = None

    # ------------------------------------------------------------ validation
    def before_val(self, runner) -> None:
        """Save every state: validation must not change training's randomness."""
        self._val_states = get_rng_states()

    def after_val(self, runner) -> None:
        """Restore the states saved by :meth:`before_val`."""
        if self._val_states is not None:
            set_rng_states(self._val_states)
            self._val_states = None

# Runtime shared by every DCCD config (mmsegmentation 1.x conventions).
default_scope = 'mmseg'
custom_imports = dict(imports=['dccd'], allow_failed_imports=False)
# cudnn_benchmark: for training (CudaBackendHook turns it off while
# validating and testing: test images come in many shapes); tf32: TF32
# matmuls and convolutions on CUDA (False: strict fp32); neither changes
# anything on a CPU.
env_cfg = dict(
    cudnn_benchmark=True,
    tf32=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
tta_model = dict(type='SegTTAModel')
# Reliability (dccd/engine/hooks): exact resume (random states in every
# checkpoint), stop at the first NaN/inf loss, and in multi-process runs
# validate with rank 0's BN statistics (those the checkpoint holds); CUDA
# settings (TF32, cuDNN autotuning for training only). Leaf
# configs set default_hooks.checkpoint to AtomicCheckpointHook (complete
# files only, last_checkpoint always names one).
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='BroadcastBuffersHook'),
    dict(type='CudaBackendHook'),
]

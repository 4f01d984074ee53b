from .multi_stage_merging import MultiStageMerging

__all__ = ['MultiStageMerging']

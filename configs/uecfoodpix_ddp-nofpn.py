# "DDP-FPN" on UEC-FoodPIX: DDP with its FPN removed; the four ConvNeXt-L stages
# (192/384/768/1536) are resized to 1/4, concatenated and merged by one 1x1
# conv (+GN) to 256. Paper ablation (Table 3), first row.
_base_ = './uecfoodpix_ddp.py'
model = dict(neck=[_base_.stage_merging_neck])

from . import (backbones, decode_heads, layers, losses, necks,  # noqa: F401
               segmentors, text_encoders)

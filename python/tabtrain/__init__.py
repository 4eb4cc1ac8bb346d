"""tabtrain in PyTorch: read and write .ckpt files, rebuild the model families, and continue a
run with the same math and data order as the TypeScript engine (docs/model-math.md)."""

from .ckpt import CkptError, read_ckpt, write_ckpt, decode_ckpt, encode_ckpt

__all__ = ["CkptError", "read_ckpt", "write_ckpt", "decode_ckpt", "encode_ckpt"]
__version__ = "0.1.0"

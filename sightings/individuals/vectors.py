"""Embeddings as the database stores them: little-endian float32 bytes."""

import numpy as np

FLOAT32 = np.dtype("<f4")


def embedding_bytes(vector) -> bytes:
    return np.asarray(vector, dtype=FLOAT32).tobytes()


def embedding_from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=FLOAT32)

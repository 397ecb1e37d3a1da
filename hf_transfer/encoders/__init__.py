"""Text encoders shared by every model family: BCNN (the reference text CNN) and any transformer
backbone, both returning word-level features, a mask and a sentence vector."""

from .backbone import BackboneEncoder
from .bcnn import BCNN, BCNNTower
from .outputs import EncoderOutput
from .pooling import pool_sentence, pool_words
from .word_vectors import EmbeddingCoverage, init_embeddings_from_vectors, load_word_vectors

__all__ = [
    "BCNN",
    "BCNNTower",
    "BackboneEncoder",
    "EmbeddingCoverage",
    "EncoderOutput",
    "init_embeddings_from_vectors",
    "load_word_vectors",
    "pool_sentence",
    "pool_words",
]

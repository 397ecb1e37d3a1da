"""Text encoders shared by every model family: BCNN (the reference text CNN) and any transformer
backbone, both returning word-level features, a mask and a sentence vector, and the private
encoder block of the shared-private families."""

from .backbone import BackboneEncoder
from .bcnn import BCNN, BCNNTower
from .outputs import EncoderOutput
from .pooling import pool_sentence, pool_words
from .private import PRIVATE_ENCODER_TYPES, PrivateEncoder
from .word_vectors import EmbeddingCoverage, init_embeddings_from_vectors, load_word_vectors


__all__ = [
    "BCNN",
    "BCNNTower",
    "BackboneEncoder",
    "EmbeddingCoverage",
    "EncoderOutput",
    "PRIVATE_ENCODER_TYPES",
    "PrivateEncoder",
    "init_embeddings_from_vectors",
    "load_word_vectors",
    "pool_sentence",
    "pool_words",
]

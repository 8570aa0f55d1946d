#!/usr/bin/env python3
"""Floating-point operations of one training epoch of the tagger, counted from
its shapes (model-spec sections 2-4, the defaults: word 64, characters 100,
both BiLSTMs 100 per direction, coupled LSTM cells with 3 gate blocks and full
peephole matrices Wci, Wco, heads with a 20-unit hidden layer) over a
training file, with the savings the engine makes exactly:

- the character BiLSTM runs once per distinct spelling of a sentence, and its
  input side (projection, dWx, dX) once per distinct character of the sentence;
- the recurrent products skip step 0, whose previous h and c are zero (Wco
  reads the new cell, so it runs at every step).

Only GEMM/GEMV work is counted (2 flops per multiply-add): not the gate
non-linearities, the noise, the SGD update or the loss. Compare the total
with an epoch's `train_seconds` and the FMA peak of
`cargo bench -p qmtl-benches --bench kernels -- peak`.

usage: benches/flops.py TRAIN.conllu [HEADS]   (HEADS: 10; 1 for STL)
"""
import sys

H, GATES, CHAR, WORD, MLP = 100, 3, 100, 64, 20
G = GATES * H


def sentences(path):
    """Tokens (FORM) and UPOS tags of each sentence; words only (no ranges
    or empty nodes)."""
    sent = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if sent:
                yield sent
            sent = []
        elif not line.startswith("#"):
            f = line.split("\t")
            if "-" not in f[0] and "." not in f[0]:
                sent.append((f[1], f[3]))
    if sent:
        yield sent


def count(path, heads):
    parts = dict.fromkeys(
        ["char recurrent", "char input", "word input", "word recurrent", "heads"], 0
    )
    sents = list(sentences(path))
    tags = len({t for s in sents for _, t in s})
    tokens = 0
    for s in sents:
        words = [w for w, _ in s]
        n = len(words)
        tokens += n
        spellings = set(words)
        chars = {c for w in spellings for c in w} | {"<w>", "</w>"}
        positions = sum(len(w) + 2 for w in spellings)  # <w> c1 .. cn </w>
        later = positions - len(spellings)  # positions after step 0
        # One direction, forward and backward (3 products each): Wh and Wci
        # after step 0, Wco at every step; doubled for the two directions.
        rec = 3 * (later * (G * H + H * H) + positions * H * H)
        parts["char recurrent"] += 2 * rec
        parts["char input"] += 2 * 3 * len(chars) * G * CHAR
        parts["word input"] += 2 * 3 * n * G * (WORD + 2 * H)
        parts["word recurrent"] += 2 * 3 * ((n - 1) * (G * H + H * H) + n * H * H)
        parts["heads"] += 3 * heads * n * (MLP * 2 * H + tags * MLP)
    return len(sents), tokens, tags, {k: 2 * v for k, v in parts.items()}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("usage: ")[1])
    heads = int(sys.argv[2]) if len(sys.argv) == 3 else 10
    n, tokens, tags, parts = count(sys.argv[1], heads)
    total = sum(parts.values())
    print(f"{n} sentences, {tokens} tokens, {tags} tags, {heads} head(s)")
    for k, v in parts.items():
        print(f"  {k:<15} {v / 1e9:7.1f} GFLOP  {v / total:6.1%}")
    print(f"  {'total':<15} {total / 1e9:7.1f} GFLOP per epoch")


if __name__ == "__main__":
    main()

//! One full training step (forward, backward, clipped SGD update) of the
//! paper's tagger shape on a 20-token sentence of 6-letter words: 64-d words,
//! character BiLSTM 100, word BiLSTM 100, MLP heads of 20, 17 tags, for
//! k = 1, 10 and 30 heads (k = 10 is the yardstick; the others show
//! the cost of adding heads). Throughput is in tokens per second.
//!
//! The `heads` group isolates what each head adds: the fused heads loss
//! (noise, MLP, softmax, NLL, all gradients) and its backward pass on fixed
//! 20×200 shared states, for k = 1, 10 and 30; per-head cost = time / k.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use models::config::Sizes;
use models::seed::{self, Stream};
use models::{Encoded, Tagger, TaggerConfig, TrainStep};
use std::hint::black_box;

const TOKENS: usize = 20;
const WORD_LEN: usize = 6;

/// Word i is id 1 + i, spelled with characters 3 + (i·7 + j) mod 40.
fn sentence() -> Encoded {
    let mut x = Encoded::default();
    for i in 0..TOKENS {
        x.words.push(1 + i);
        x.chars.push(1);
        x.chars.extend((0..WORD_LEN).map(|j| 3 + (i * 7 + j) % 40));
        x.chars.push(2);
        x.char_lens.push(WORD_LEN + 2);
        x.tags.push(Some(i % 17));
    }
    x
}

fn train_step(c: &mut Criterion) {
    let sizes = Sizes {
        words: 5000,
        chars: 60,
        tags: 17,
    };
    let x = sentence();
    let mut group = c.benchmark_group("train_step");
    group.throughput(Throughput::Elements(TOKENS as u64));
    group.sample_size(30);
    for k in [1, 10, 30] {
        let cfg = TaggerConfig {
            heads: k,
            ..TaggerConfig::default()
        };
        let mut tagger = Tagger::new(&cfg, sizes, 1);
        let mut step = TrainStep::new(&tagger, Default::default());
        let mut rng = seed::rng(1, Stream::Noise(0));
        group.bench_function(format!("k{k}_20tok"), |b| {
            b.iter(|| {
                black_box(
                    step.step(&mut tagger, &x, &mut rng)
                        .expect("finite gradient"),
                )
            })
        });
    }
    group.finish();
}

fn heads(c: &mut Criterion) {
    use autograd::{Grads, Graph, Head, Init, ParamStore, Tape};
    use rand::{Rng, SeedableRng};
    let (d, m, tags) = (200, 20, 17);
    let mut group = c.benchmark_group("heads");
    group.sample_size(30);
    for k in [1, 10, 30] {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut s = ParamStore::<f32>::new();
        let h = s.dense("h", TOKENS, d, Init::Glorot, &mut rng);
        let ids: Vec<_> = (0..k)
            .map(|j| {
                (
                    s.dense(&format!("V{j}"), m, d, Init::Glorot, &mut rng),
                    s.dense(&format!("bV{j}"), 1, m, Init::Glorot, &mut rng),
                    s.dense(&format!("W{j}"), tags, m, Init::Glorot, &mut rng),
                    s.dense(&format!("bW{j}"), 1, tags, Init::Glorot, &mut rng),
                )
            })
            .collect();
        let gold: Vec<usize> = (0..TOKENS).map(|i| i % tags).collect();
        let (mut tape, mut grads) = (Tape::new(), Grads::new(&s));
        group.throughput(Throughput::Elements(k as u64));
        group.bench_function(format!("k{k}_20tok"), |b| {
            b.iter(|| {
                let mut g = Graph::new(&mut tape, &s);
                let hv = g.param(h);
                let heads: Vec<Head> = ids
                    .iter()
                    .map(|&(v, bv, w, bw)| Head {
                        hidden: Some((g.param(v), g.param(bv))),
                        w: g.param(w),
                        bw: g.param(bw),
                    })
                    .collect();
                let seeds: Vec<u64> = (0..k).map(|_| rng.random()).collect();
                let l = g.heads_nll(hv, &heads, 0.2, &seeds, &gold);
                black_box(g.backward(l, &mut grads));
                grads.zero();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, train_step, heads);
criterion_main!(benches);

//! One full training step (forward, backward, clipped SGD update) of the
//! paper's tagger shape on a 20-token sentence of 6-letter words: 64-d words,
//! character BiLSTM 100, word BiLSTM 100, MLP heads of 20, 17 tags, for
//! k = 1, 2, 5, 10, 20 and 30 heads (k = 10 is the yardstick; the
//! curve is the cost of heads). Throughput is in tokens per second.
//!
//! The `heads` group isolates what each head adds: the fused heads loss
//! (noise, MLP, softmax, NLL, all gradients) and its backward pass on fixed
//! 20×200 shared states, for the same k; per-head cost = time / k.
//!
//! Time is the thread's CPU time (`qmtl_benches::on_cpu`). After the groups,
//! a table gives per k the time of a step, its ratio to k = 1 (STL), and the
//! cost of each head beyond the first, `(t_k − t_1) / (k − 1)`, beside the
//! fused heads op's time per head. Run with
//! `cargo bench -p qmtl-benches --bench train_step`.

use criterion::{criterion_group, Criterion, Throughput};
use models::config::Sizes;
use models::seed::{self, Stream};
use models::{Encoded, Tagger, TaggerConfig, TrainStep};
use qmtl_benches::{noted, on_cpu_noted};

const KS: [usize; 6] = [1, 2, 5, 10, 20, 30];

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
    for k in KS {
        let cfg = TaggerConfig {
            heads: k,
            ..TaggerConfig::default()
        };
        let mut tagger = Tagger::new(&cfg, sizes, 1);
        let mut step = TrainStep::new(&tagger, Default::default());
        let mut rng = seed::rng(1, Stream::Noise(0));
        let name = format!("train_step/k{k}");
        group.bench_function(format!("k{k}_20tok"), |b| {
            b.iter_custom(|iters| {
                on_cpu_noted(&name, iters, || {
                    step.step(&mut tagger, &x, &[], &mut rng)
                        .expect("finite gradient")
                })
            })
        });
    }
    group.finish();
}

fn heads(c: &mut Criterion) {
    use autograd::{Grads, Graph, HeadVars, Init, ParamStore, Tape};
    use rand::{Rng, SeedableRng};
    let (d, m, tags) = (200, 20, 17);
    let mut group = c.benchmark_group("heads");
    group.sample_size(30);
    for k in KS {
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
        let name = format!("heads/k{k}");
        group.bench_function(format!("k{k}_20tok"), |b| {
            b.iter_custom(|iters| {
                on_cpu_noted(&name, iters, || {
                    let mut g = Graph::new(&mut tape, &s);
                    let hv = g.param(h);
                    let heads: Vec<HeadVars> = ids
                        .iter()
                        .map(|&(v, bv, w, bw)| HeadVars {
                            hidden: Some((g.param(v), g.param(bv))),
                            w: g.param(w),
                            bw: g.param(bw),
                        })
                        .collect();
                    let seeds: Vec<u64> = (0..k).map(|_| rng.random()).collect();
                    let l = g.heads_nll(hv, &heads, 0.2, &seeds, &gold);
                    let loss = g.backward(l, &mut grads);
                    grads.zero();
                    loss
                })
            })
        });
    }
    group.finish();
}

/// The cost-of-heads curve from the times noted above.
fn curve() {
    let step = |k: usize| noted(&format!("train_step/k{k}"));
    let Some(stl) = step(1) else {
        return;
    };
    println!("\nCost of heads: one training step of 20 tokens (thread CPU time)");
    println!(
        "{:>3} {:>11} {:>8} {:>17} {:>10} {:>17}",
        "k", "µs/step", "× k=1", "µs per extra head", "% of STL", "heads op µs/head"
    );
    for k in KS {
        let Some(t) = step(k) else { continue };
        let extra = (k > 1).then(|| (t - stl) / (k - 1) as f64);
        let op = noted(&format!("heads/k{k}")).map(|h| h / k as f64);
        let show =
            |v: Option<f64>, scale: f64| v.map_or("-".to_string(), |v| format!("{:.1}", v * scale));
        println!(
            "{k:>3} {:>11.1} {:>8.3} {:>17} {:>10} {:>17}",
            t * 1e6,
            t / stl,
            show(extra, 1e6),
            show(extra.map(|e| e / stl), 100.0),
            show(op, 1e6),
        );
    }
}

criterion_group!(benches, train_step, heads);

fn main() {
    benches();
    curve();
    Criterion::default().configure_from_args().final_summary();
}

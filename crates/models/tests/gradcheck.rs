//! The whole tagger loss (character and word BiLSTMs, two MLP heads, noise)
//! against central differences, in f64, for both LSTM cells and for linear heads.

use autograd::{convert, gradcheck_with, GradCheckConfig, LstmKind, ParamStore};
use models::config::Sizes;
use models::seed::{self, Stream};
use models::{Encoded, Tagger, TaggerConfig};

fn tiny(lstm: LstmKind, mlp: usize) -> TaggerConfig {
    TaggerConfig {
        heads: 2,
        word_dim: 3,
        char_dim: 2,
        char_hidden: 2,
        word_hidden: 3,
        mlp,
        noise_sigma: 0.2,
        lstm,
        word_dropout: 0.25,
        embedding_init: 0.01,
    }
}

/// Four tokens of 1, 3, 2 and 1 characters, with word 0 (UNK) among them and
/// the first spelling repeated (the character BiLSTM runs once for both).
fn sentence() -> Encoded {
    Encoded {
        words: vec![2, 0, 3, 2],
        chars: vec![1, 4, 2, 1, 3, 5, 3, 2, 1, 4, 6, 2, 1, 4, 2],
        char_lens: vec![3, 5, 4, 3],
        tags: vec![Some(1), Some(0), Some(2), Some(1)],
    }
}

#[test]
fn tagger_loss_gradcheck() {
    for (lstm, mlp) in [
        (LstmKind::Coupled, 2),
        (LstmKind::Standard, 2),
        (LstmKind::Coupled, 0),
    ] {
        let tagger = Tagger::new(
            &tiny(lstm, mlp),
            Sizes {
                words: 5,
                chars: 7,
                tags: 3,
            },
            9,
        );
        // PTA's weight dropout on head 0's W (inverted; the mask is fixed by the seed).
        let head_dropout = [0.3, 0.0];
        let mut params: ParamStore<f64> = convert(&tagger.params);
        // Spread the embeddings away from the constant 0.01 so every path matters.
        for id in [tagger.word_emb, tagger.char_emb] {
            for (i, v) in params.get_mut(id).value.iter_mut().enumerate() {
                *v = (i as f64 * 0.61).sin() * 0.5;
            }
        }
        let x = sentence();
        let cfg = GradCheckConfig {
            max_per_param: 24,
            ..GradCheckConfig::default()
        };
        let report = gradcheck_with(cfg, &params, |g| {
            let mut rng = seed::rng(1, Stream::Noise(0));
            tagger.loss(g, &x, &head_dropout, &mut rng)
        });
        assert!(report.passed(), "{lstm:?} mlp {mlp}: {report}");
        assert!(report.checked > 200, "{report}");
    }
}

#[test]
fn stl_member_starts_like_its_qmtl_head() {
    let cfg = TaggerConfig {
        heads: 4,
        ..tiny(LstmKind::Coupled, 2)
    };
    let sizes = Sizes {
        words: 5,
        chars: 7,
        tags: 3,
    };
    let q = Tagger::new(&cfg, sizes, 42);
    for j in 0..4 {
        let stl = Tagger::with_heads(&cfg, sizes, 42, &[j]);
        // Shared parameters: identical names and values.
        for (_, p) in stl
            .params
            .iter()
            .filter(|(_, p)| !p.name.starts_with("head"))
        {
            let qp = q.params.get(q.params.find(&p.name).unwrap());
            assert_eq!(p.value, qp.value, "{} differs", p.name);
        }
        // Head j of Q-MTL = the only head of STL_j.
        let (sh, qh) = (stl.heads[0], q.heads[j]);
        for (a, b) in [
            (sh.hidden.unwrap().0, qh.hidden.unwrap().0),
            (sh.hidden.unwrap().1, qh.hidden.unwrap().1),
            (sh.w, qh.w),
            (sh.bw, qh.bw),
        ] {
            assert_eq!(stl.params.get(a).value, q.params.get(b).value, "head {j}");
        }
    }
    // And different heads do start differently.
    assert_ne!(
        q.params.get(q.heads[0].w).value,
        q.params.get(q.heads[1].w).value
    );
}

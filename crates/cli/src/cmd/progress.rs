//! Progress bars for long work (indicatif): one over epochs, one over the
//! sentences of the current epoch. Hidden when stderr is not a terminal or with
//! `--quiet`, so logs and pipes stay clean.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use models::train::{EpochReport, Progress};
use std::io::IsTerminal;

pub struct Bars {
    epochs: ProgressBar,
    sentences: ProgressBar,
}

impl Bars {
    pub fn new(epochs: usize, quiet: bool) -> Self {
        let multi = MultiProgress::new();
        if quiet || !std::io::stderr().is_terminal() {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = |t: &str| ProgressStyle::with_template(t).expect("valid template");
        let epochs = multi.add(ProgressBar::new(epochs as u64));
        epochs.set_style(style(
            "epoch {pos}/{len} [{elapsed_precise}] {bar:30} eta {eta}  {msg}",
        ));
        let sentences = multi.add(ProgressBar::new(0));
        sentences.set_style(style("  sentences {pos}/{len} {bar:30} {per_sec}"));
        Bars { epochs, sentences }
    }

    pub fn finish(&self) {
        self.sentences.finish_and_clear();
        self.epochs.finish();
    }
}

impl Progress for Bars {
    fn epoch_start(&self, _epoch: usize, sentences: usize) {
        self.sentences.set_length(sentences as u64);
        self.sentences.set_position(0);
    }
    fn sentences_done(&self, n: usize) {
        self.sentences.inc(n as u64);
    }
    fn epoch_end(&self, r: &EpochReport) {
        self.epochs.inc(1);
        self.epochs.set_message(format!(
            "dev {:.2}  {:.0} tok/s",
            100.0 * r.dev.avg,
            r.tokens_per_second
        ));
    }
}

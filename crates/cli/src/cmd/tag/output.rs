//! Where `qmtl tag` writes: standard output, or `--output FILE` through a temporary
//! file created (exclusively, with an unpredictable name) in the same folder and renamed
//! over FILE only when everything was written, so FILE is either the old one or the
//! complete new one (`corpus::whole_file::Destination`: a link is followed, a
//! device or pipe is written in place). Progress with tokens per second goes to
//! stderr on a terminal.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use corpus::whole_file::Destination;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub enum Sink {
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    File {
        w: BufWriter<Destination>,
        path: PathBuf,
    },
}

impl Sink {
    pub fn open(path: Option<&Path>) -> Result<Sink> {
        let Some(path) = path else {
            return Ok(Sink::Stdout(BufWriter::new(std::io::stdout().lock())));
        };
        let d = Destination::open(path).with_context(|| format!("writing {}", path.display()))?;
        Ok(Sink::File {
            w: BufWriter::with_capacity(1 << 16, d),
            path: path.to_path_buf(),
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout(w) => w.write_all(bytes).context("writing to stdout"),
            Sink::File { w, path } => w
                .write_all(bytes)
                .with_context(|| format!("writing {}", path.display())),
        }
    }

    /// Hands what was written so far to standard output (or to the temporary file),
    /// so a reader of a pipe sees every batch as soon as it is tagged, not when the
    /// buffer fills.
    pub fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(w) => w.flush().context("writing to stdout"),
            Sink::File { w, path } => w
                .flush()
                .with_context(|| format!("writing {}", path.display())),
        }
    }

    /// Flushes; renames the temporary file over `--output`. Dropping a Sink without
    /// finishing it deletes the temporary file.
    pub fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush().context("writing to stdout"),
            Sink::File { w, path } => {
                let context = || format!("writing {}", path.display());
                let d = w
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(context)?;
                d.commit().with_context(context)
            }
        }
    }

    /// Whether the tagged text goes to a terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Sink::Stdout(_)) && std::io::stdout().is_terminal()
    }
}

/// Tokens tagged and tokens per second, on stderr when it is a terminal (and the
/// tagged text does not go to the same screen); nothing otherwise.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    input_size: Option<u64>,
}

impl Progress {
    pub fn new(show: bool, input_size: Option<u64>) -> Self {
        let bar = if show && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bar,
            start: Instant::now(),
            input_size: input_size.filter(|&s| s > 0),
        }
    }

    pub fn update(&self, sentences: usize, tokens: usize, bytes_read: u64) {
        if self.bar.is_hidden() {
            return;
        }
        let rate = tokens as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        let read = match self.input_size {
            Some(size) => format!(
                ", {:.0}% of the input",
                100.0 * bytes_read as f64 / size as f64
            ),
            None => String::new(),
        };
        self.bar.set_message(format!(
            "{sentences} sentences, {tokens} tokens, {rate:.0} tokens/s{read}"
        ));
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}

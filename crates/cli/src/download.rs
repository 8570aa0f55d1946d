//! The only network code of the project: an HTTP(S) GET of one file to disk.
//!
//! The body goes to a temporary file beside `DEST` (`corpus::whole_file`: created
//! exclusively, with an unpredictable name, so a planted link is never followed) and
//! is renamed to `DEST` only when complete, so a failed or interrupted download
//! never looks like an archive. Connecting times out
//! after 30 s (a machine without network fails fast with the reason); the transfer
//! itself has no overall limit, since the UD archive is several hundred MB.
//! Setting `QMTL_OFFLINE` to anything non-empty forbids downloads (the tests set it).

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

/// Downloads `url` to `dest`, saying so on `say` and showing progress on
/// stderr.
pub fn download(url: &str, dest: &Path, say: &mut impl std::io::Write) -> anyhow::Result<()> {
    if std::env::var_os("QMTL_OFFLINE").is_some_and(|v| !v.is_empty()) {
        anyhow::bail!("not downloading {url}: QMTL_OFFLINE is set");
    }
    writeln!(say, "downloading {url}")?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .user_agent(concat!("qmtl/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let response = agent
        .get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let total = response.body().content_length();
    let mut body = response.into_body().into_reader();

    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut out = corpus::whole_file::temp_beside(dest)
        .with_context(|| format!("writing {}", dest.display()))?;
    let part = out.path().to_path_buf();
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {bytes}/{total_bytes} {bar:30} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(
        dest.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let mut buf = vec![0u8; 1 << 16];
    let copied = (|| -> anyhow::Result<()> {
        loop {
            let n = body
                .read(&mut buf)
                .with_context(|| format!("reading {url}"))?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(&buf[..n])
                .with_context(|| format!("writing {}", part.display()))?;
            bar.inc(n as u64);
        }
    })();
    bar.finish_and_clear();
    // On an error `out` is dropped, which removes the temporary file.
    copied?;
    out.as_file()
        .sync_all()
        .with_context(|| format!("writing {}", part.display()))?;
    out.persist(dest)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming {} to {}", part.display(), dest.display()))?;
    Ok(())
}

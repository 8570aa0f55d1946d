//! The one error type of the data layer.
//!
//! Every failure a user can cause — a missing or malformed file, an unknown dataset
//! name, a checksum that does not match, two files that do not line up — is a
//! variant here that names the file, the line (1-based, where there is one) and what
//! is wrong, so the binary can print it as one line. Programming errors (a tag id
//! out of range, say) panic instead, with the sizes in the message.

use std::path::PathBuf;

/// Errors of the `corpus` crate. `Display` gives a complete one-line message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file does not exist.
    #[error("{}: file not found", .path.display())]
    NotFound { path: PathBuf },

    /// Any other I/O failure while reading or writing `path`.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The bytes of line `line` are not valid UTF-8.
    #[error("{}:{line}: invalid UTF-8", .path.display())]
    InvalidUtf8 { path: PathBuf, line: usize },

    /// A token line has the wrong number of columns.
    #[error("{}:{line}: wrong number of columns: expected {expected}, found {found}", .path.display())]
    Columns {
        path: PathBuf,
        line: usize,
        expected: String,
        found: usize,
    },

    /// A word or tag field is empty.
    #[error("{}:{line}: empty {field}", .path.display())]
    EmptyField {
        path: PathBuf,
        line: usize,
        field: &'static str,
    },

    /// The file parsed but holds no sentence at all.
    #[error("{}: no sentences", .path.display())]
    NoSentences { path: PathBuf },

    /// A line that breaks the rules of its format in some other way.
    #[error("{}:{line}: {message}", .path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },

    /// A dataset name the registry does not know.
    #[error("unknown dataset `{name}`; known names: {known}")]
    UnknownDataset { name: String, known: String },

    /// A dataset's files are not in any data root.
    #[error("dataset `{name}` not found (looked for {file} in: {looked_in}); {hint}")]
    DatasetMissing {
        name: String,
        file: String,
        looked_in: String,
        hint: String,
    },

    /// A file's SHA-256 differs from the registry's.
    #[error("{}: SHA-256 mismatch: expected {expected}, got {actual}", .path.display())]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    /// An archive that cannot be read or lacks a member it should have.
    #[error("{}: {message}", .path.display())]
    Archive { path: PathBuf, message: String },

    /// The gold and predicted files of a scoring run do not hold the same tokens.
    #[error("{message}")]
    Mismatch { message: String },

    /// A parameter out of its range (a noise rate of 1.5, a fraction of 0).
    #[error("{0}")]
    InvalidArgument(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error, turning "not found" into [`Error::NotFound`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound { path }
        } else {
            Error::Io { path, source }
        }
    }

    /// The same error with its line number moved `by` lines down: for a
    /// block of a file parsed on its own, whose lines count from its start.
    /// Every variant is listed, so a new one with a line cannot be missed.
    pub fn lines_down(mut self, by: usize) -> Self {
        match &mut self {
            Error::InvalidUtf8 { line, .. }
            | Error::Columns { line, .. }
            | Error::EmptyField { line, .. }
            | Error::Malformed { line, .. } => *line += by,
            Error::NotFound { .. }
            | Error::Io { .. }
            | Error::NoSentences { .. }
            | Error::UnknownDataset { .. }
            | Error::DatasetMissing { .. }
            | Error::Checksum { .. }
            | Error::Archive { .. }
            | Error::Mismatch { .. }
            | Error::InvalidArgument(_) => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn lines_down_moves_only_lines() {
        let e = Error::EmptyField {
            path: "a.conllu".into(),
            line: 3,
            field: "word",
        };
        assert_eq!(e.lines_down(10).to_string(), "a.conllu:13: empty word");
        let e = Error::NoSentences {
            path: "a.conllu".into(),
        };
        assert_eq!(e.lines_down(10).to_string(), "a.conllu: no sentences");
    }
}

//! Writing results atomically, and reading them back.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::model::{RunResults, SCHEMA_NAME, SCHEMA_VERSION};

/// A results file (or a file written beside it) that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("failed to write {}", path.display())]
pub struct WriteError {
    /// The file or directory.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

/// A results file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("failed to read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a loadspec results document.
    #[error("{} is not a loadspec results file: {reason}", path.display())]
    NotResults {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file comes from a newer or unknown schema version.
    #[error(
        "{} has results schema version {found}; this loadspec reads version {SCHEMA_VERSION} (upgrade loadspec to read it)",
        path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u64,
    },
}

/// Writes `results` as pretty JSON to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over the target, so a crash leaves either the old
/// file or the new one, never half of one.
pub fn write_json(path: &Path, results: &RunResults) -> Result<(), WriteError> {
    let bytes = serde_json::to_vec_pretty(results).map_err(|e| WriteError {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    })?;
    write_atomically(path, &bytes)
}

/// Writes `bytes` to `path` the same atomic way as [`write_json`].
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_owned(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(err)
}

/// Reads a results file, checking its schema name and version first.
pub fn load(path: &Path) -> Result<RunResults, LoadError> {
    let text = fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    let not_results = |reason: String| LoadError::NotResults {
        path: path.to_owned(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_results(format!("invalid JSON: {e}")))?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA_NAME) {
        return Err(not_results(format!(
            "its `schema` field is not {SCHEMA_NAME:?}"
        )));
    }
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(found) => {
            return Err(LoadError::Version {
                path: path.to_owned(),
                found,
            });
        }
        None => return Err(not_results("its `schema_version` is missing".into())),
    }
    serde_json::from_value(value).map_err(|e| not_results(e.to_string()))
}

/// Creates a fresh run directory `<base>/<name>/<timestamp>[-N]/` and returns it.
pub fn create_run_dir(base: &Path, name: &str, timestamp: &str) -> Result<PathBuf, WriteError> {
    let parent = base.join(sanitize(name));
    fs::create_dir_all(&parent).map_err(|source| WriteError {
        path: parent.clone(),
        source,
    })?;
    for n in 0..1000 {
        let dir = if n == 0 {
            parent.join(timestamp)
        } else {
            parent.join(format!("{timestamp}-{n}"))
        };
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(WriteError { path: dir, source }),
        }
    }
    Err(WriteError {
        path: parent,
        source: std::io::Error::other("too many runs in the same second"),
    })
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dirs_never_collide() {
        let base = std::env::temp_dir().join(format!("loadspec-write-test-{}", std::process::id()));
        let a = create_run_dir(&base, "a/b", "20261127T000000Z").unwrap();
        let b = create_run_dir(&base, "a/b", "20261127T000000Z").unwrap();
        assert_ne!(a, b);
        assert!(a.ends_with("a_b/20261127T000000Z"));
        let file = a.join("x.json");
        write_atomically(&file, b"{}").unwrap();
        write_atomically(&file, b"{\"v\":2}").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "{\"v\":2}");
        assert_eq!(
            fs::read_dir(&a).unwrap().count(),
            1,
            "no temporary file left behind"
        );
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn load_refuses_other_files_and_versions() {
        let dir = std::env::temp_dir().join(format!("loadspec-load-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.json");
        fs::write(
            &path,
            "{\"schema\":\"loadspec.results\",\"schema_version\":99}",
        )
        .unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("version 99"));
        fs::write(&path, "{\"hello\":1}").unwrap();
        assert!(
            load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a loadspec results file")
        );
        fs::write(&path, "not json").unwrap();
        assert!(
            load(&path)
                .unwrap_err()
                .to_string()
                .contains("invalid JSON")
        );
        assert!(
            load(&dir.join("missing.json"))
                .unwrap_err()
                .to_string()
                .contains("failed to read")
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! The optional per-sample log in JMeter's CSV JTL format, so JMeter's dashboard generator,
//! Taurus and other JTL readers take loadspec runs unchanged.
//!
//! Workers buffer rows in memory between ticks; the coordinator hands each tick's rows to a
//! writer thread that formats and appends them, so the hot path only pushes a small struct.
//! Every batch is flushed: after a crash the file's earlier lines are valid and at most its
//! last line is cut.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use loadspec_results::ErrorKind;

/// JMeter's default CSV header (JMeter 5.x/6.x `jmeter.save.saveservice.*` defaults).
pub const JTL_HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect";

/// One request or transaction, as the JTL log records it.
#[derive(Debug, Clone)]
pub(crate) struct SampleRow {
    pub(crate) started: Instant,
    pub(crate) elapsed_micros: u64,
    /// Time to the response headers (requests).
    pub(crate) latency_micros: u64,
    pub(crate) label: Arc<str>,
    pub(crate) status: Option<u16>,
    pub(crate) error: Option<(ErrorKind, Box<str>)>,
    pub(crate) scenario: Arc<str>,
    pub(crate) step: u32,
    pub(crate) user: u64,
    pub(crate) bytes: u64,
    pub(crate) sent_bytes: u64,
    pub(crate) group_threads: u32,
    pub(crate) all_threads: u32,
    /// `Some` for requests, `None` for transactions.
    pub(crate) url: Option<Box<str>>,
    /// For transactions: (requests, failed requests), as JMeter's Transaction Controller writes.
    pub(crate) children: Option<(u32, u32)>,
}

/// The writer thread of a JTL file.
pub(crate) struct JtlWriter {
    rows: Option<mpsc::Sender<Vec<SampleRow>>>,
    thread: Option<JoinHandle<Result<u64, String>>>,
    path: PathBuf,
}

impl JtlWriter {
    /// Creates the file, writes the header and starts the writer thread. `epoch` pins
    /// `Instant`s to wall-clock time.
    pub(crate) fn start(path: &Path, epoch: (Instant, SystemTime)) -> std::io::Result<Self> {
        let mut file = BufWriter::with_capacity(256 * 1024, File::create(path)?);
        writeln!(file, "{JTL_HEADER}")?;
        file.flush()?;
        let (sender, receiver) = mpsc::channel::<Vec<SampleRow>>();
        let thread = std::thread::Builder::new()
            .name("loadspec-jtl".into())
            .spawn(move || {
                let mut out = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(file);
                let mut written = 0u64;
                for batch in receiver {
                    for row in &batch {
                        write_row(&mut out, row, epoch).map_err(|e| e.to_string())?;
                        written += 1;
                    }
                    out.flush().map_err(|e| e.to_string())?;
                }
                out.flush().map_err(|e| e.to_string())?;
                Ok(written)
            })?;
        Ok(Self {
            rows: Some(sender),
            thread: Some(thread),
            path: path.to_owned(),
        })
    }

    /// Queues rows for writing; a writer that failed drops them (its error is reported at
    /// [`finish`](Self::finish)).
    pub(crate) fn send(&self, rows: Vec<SampleRow>) {
        if rows.is_empty() {
            return;
        }
        if let Some(sender) = &self.rows {
            let _ = sender.send(rows);
        }
    }

    /// Waits for every row to be written; returns the row count or why writing stopped.
    pub(crate) fn finish(mut self) -> Result<u64, String> {
        self.rows.take();
        let thread = self
            .thread
            .take()
            .ok_or("the writer was already finished")?;
        thread
            .join()
            .map_err(|_| "the writer thread panicked".to_owned())?
            .map_err(|e| format!("failed to write {}: {e}", self.path.display()))
    }
}

fn write_row<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    row: &SampleRow,
    (epoch_instant, epoch_wall): (Instant, SystemTime),
) -> csv::Result<()> {
    let started = match row.started.checked_duration_since(epoch_instant) {
        Some(after) => epoch_wall + after,
        None => epoch_wall - epoch_instant.duration_since(row.started),
    };
    let timestamp = started
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let ms = |micros: u64| (micros / 1000).to_string();
    let success = row.error.is_none();
    let (code, message) = match (&row.children, row.status, &row.error) {
        (Some((total, failing)), _, _) => {
            let code = if success {
                "200".to_owned()
            } else {
                row.status
                    .map_or_else(|| non_http(row.error.as_ref()), |s| s.to_string())
            };
            (
                code,
                format!(
                    "Number of samples in transaction : {total}, number of failing samples : {failing}"
                ),
            )
        }
        (None, Some(status), _) => (status.to_string(), reason(status).to_owned()),
        (None, None, error) => (non_http(error.as_ref()), String::new()),
    };
    let thread = format!("{} {}-{}", row.scenario, row.step + 1, row.user + 1);
    out.write_record([
        timestamp.to_string().as_str(),
        &ms(row.elapsed_micros),
        &row.label,
        &code,
        &message,
        &thread,
        if row.children.is_some() { "" } else { "text" },
        if success { "true" } else { "false" },
        row.error.as_ref().map_or("", |(_, m)| m),
        &row.bytes.to_string(),
        &row.sent_bytes.to_string(),
        &row.group_threads.to_string(),
        &row.all_threads.to_string(),
        row.url.as_deref().unwrap_or(""),
        &ms(row.latency_micros),
        "0",
        "0",
    ])
}

/// JMeter's response code for a sample without an HTTP response.
fn non_http(error: Option<&(ErrorKind, Box<str>)>) -> String {
    match error {
        Some((kind, _)) => format!("Non HTTP response code: {kind}"),
        None => "Non HTTP response code".to_owned(),
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        label: &str,
        status: Option<u16>,
        error: Option<(ErrorKind, &str)>,
        children: Option<(u32, u32)>,
    ) -> SampleRow {
        SampleRow {
            started: Instant::now(),
            elapsed_micros: 12_345,
            latency_micros: 10_100,
            label: Arc::from(label),
            status,
            error: error.map(|(k, m)| (k, Box::from(m))),
            scenario: Arc::from("insuree_flow"),
            step: 1,
            user: 4,
            bytes: 321,
            sent_bytes: 0,
            group_threads: 5,
            all_threads: 5,
            url: children
                .is_none()
                .then(|| Box::from("http://127.0.0.1:1/api/insurees?q=a,b")),
            children,
        }
    }

    #[test]
    fn rows_follow_jmeter_conventions() {
        let epoch = (Instant::now(), SystemTime::now());
        let mut out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        write_row(
            &mut out,
            &row("GET /api/insurees", Some(200), None, None),
            epoch,
        )
        .unwrap();
        let failure = Some((
            ErrorKind::Http5xx,
            "unexpected status 503: {\"error\":\"database is locked\"}",
        ));
        write_row(
            &mut out,
            &row("GET /api/insurees", Some(503), failure, None),
            epoch,
        )
        .unwrap();
        write_row(
            &mut out,
            &row("GET /x", None, Some((ErrorKind::Connect, "refused")), None),
            epoch,
        )
        .unwrap();
        write_row(
            &mut out,
            &row("search", Some(503), failure, Some((3, 1))),
            epoch,
        )
        .unwrap();
        write_row(&mut out, &row("login", None, None, Some((2, 0))), epoch).unwrap();
        let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(
            rows.iter()
                .all(|r| r.len() == JTL_HEADER.split(',').count())
        );
        let ok = &rows[0];
        assert_eq!(
            (&ok[1], &ok[2], &ok[3], &ok[4]),
            ("12", "GET /api/insurees", "200", "OK")
        );
        assert_eq!(
            (&ok[5], &ok[6], &ok[7], &ok[9]),
            ("insuree_flow 2-5", "text", "true", "321")
        );
        assert_eq!(
            (&ok[13], &ok[14]),
            ("http://127.0.0.1:1/api/insurees?q=a,b", "10")
        );
        let epoch_ms: u128 = ok[0].parse().unwrap();
        assert!(epoch_ms > 1_700_000_000_000);
        assert_eq!((&rows[1][3], &rows[1][7]), ("503", "false"));
        assert!(rows[1][8].contains("database is locked"));
        assert_eq!(&rows[2][3], "Non HTTP response code: connect");
        assert_eq!(
            &rows[3][4],
            "Number of samples in transaction : 3, number of failing samples : 1"
        );
        assert_eq!((&rows[3][3], &rows[3][6], &rows[3][13]), ("503", "", ""));
        assert_eq!((&rows[4][3], &rows[4][7]), ("200", "true"));
    }

    #[test]
    fn the_writer_appends_batches_and_reports_the_count() {
        let dir = std::env::temp_dir().join(format!("loadspec-jtl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("samples.jtl");
        let writer = JtlWriter::start(&path, (Instant::now(), SystemTime::now())).unwrap();
        writer.send(vec![row("a", Some(200), None, None); 3]);
        writer.send(vec![row("b", Some(200), None, None)]);
        assert_eq!(writer.finish(), Ok(4));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().next(), Some(JTL_HEADER));
        assert_eq!(text.lines().count(), 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

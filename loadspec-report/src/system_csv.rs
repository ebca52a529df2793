//! dstat-like CSV files of this machine's usage, one per step, named as the case study's
//! script named them: `system_stats_<scenario>_<threads>u.csv`.

use loadspec_results::model::RunResults;

/// (file name, CSV text) for every step with system samples.
pub fn system_csvs(results: &RunResults) -> Result<Vec<(String, String)>, csv::Error> {
    let mut files = Vec::new();
    for step in results.steps.iter().filter(|s| !s.system.is_empty()) {
        let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
        let name = format!("system_stats_{}_{users}u.csv", sanitize(&results.run.name));
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record([
            "time_s",
            "usr",
            "sys",
            "wai",
            "idl",
            "mem_used",
            "mem_avail",
            "swap_used",
            "disk_read_bps",
            "disk_writ_bps",
            "net_recv_bps",
            "net_send_bps",
            "load_1m",
            "load_5m",
            "load_15m",
            "loadspec_cpu",
            "loadspec_workers_cpu",
            "loadspec_rss",
        ])?;
        for s in &step.system {
            let (recv, send) = s
                .net
                .iter()
                .fold((0.0, 0.0), |(r, t), n| (r + n.rx_bps, t + n.tx_bps));
            let f = |v: f64| format!("{v:.1}");
            out.write_record([
                format!("{:.3}", s.t_s),
                f(s.cpu_user),
                f(s.cpu_system),
                f(s.cpu_iowait),
                f(s.cpu_idle),
                s.mem_used.to_string(),
                s.mem_available.to_string(),
                s.swap_used.to_string(),
                f(s.disk_read_bps),
                f(s.disk_write_bps),
                f(recv),
                f(send),
                format!("{:.2}", s.load[0]),
                format!("{:.2}", s.load[1]),
                format!("{:.2}", s.load[2]),
                f(s.process_cpu),
                f(s.generator_cpu),
                s.process_rss.to_string(),
            ])?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        files.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok(files)
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

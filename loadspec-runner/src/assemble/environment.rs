//! The load generator's machine, as recorded in every results document.

use sysinfo::System;

use loadspec_results::model::Environment;

/// Describes this machine; `workers` is the number of worker threads of the run.
pub(crate) fn environment(workers: usize) -> Environment {
    let mut system = System::new();
    system.refresh_memory();
    system.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
    let cpu_model = system
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_owned())
        .unwrap_or_default();
    Environment {
        hostname: System::host_name().unwrap_or_default(),
        os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_owned()),
        kernel: System::kernel_version().unwrap_or_default(),
        cpu_model,
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        memory_bytes: system.total_memory(),
        loadspec_version: env!("CARGO_PKG_VERSION").to_owned(),
        workers,
    }
}

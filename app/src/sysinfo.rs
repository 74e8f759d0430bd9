//! Figures read from /proc for `GET /api/stats/system` and the process metrics: CPU jiffies,
//! memory, this process's RSS and CPU time, and network bytes of all non-loopback interfaces.

use procfs::{Current, CurrentSI, WithCurrentSystemInfo};

#[derive(Debug, Clone, Default)]
pub struct SystemFigures {
    /// All CPU time since boot, in clock ticks (USER_HZ), summed over every state.
    pub cpu_total_ticks: u64,
    pub cpu_idle_ticks: u64,
    pub mem_total_bytes: u64,
    pub mem_available_bytes: u64,
    pub process_rss_bytes: u64,
    pub net_sent_bytes: u64,
    pub net_recv_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessFigures {
    pub rss_bytes: u64,
    pub cpu_seconds: f64,
    pub threads: i64,
    pub open_fds: u64,
}

pub fn process_figures() -> ProcessFigures {
    let Ok(me) = procfs::process::Process::myself() else {
        return ProcessFigures::default();
    };
    let mut out = ProcessFigures::default();
    if let Ok(stat) = me.stat() {
        out.rss_bytes = stat.rss_bytes().get();
        out.cpu_seconds = (stat.utime + stat.stime) as f64 / procfs::ticks_per_second() as f64;
        out.threads = stat.num_threads;
    }
    out.open_fds = me.fd_count().map(|n| n as u64).unwrap_or(0);
    out
}

/// Bytes this process caused to be written to storage (`write_bytes` of /proc/self/io).
pub fn process_write_bytes() -> u64 {
    procfs::process::Process::myself()
        .and_then(|p| p.io())
        .map(|io| io.write_bytes)
        .unwrap_or(0)
}

pub fn system_figures() -> SystemFigures {
    let mut f = SystemFigures::default();
    if let Ok(ks) = procfs::KernelStats::current() {
        let t = &ks.total;
        f.cpu_idle_ticks = t.idle + t.iowait.unwrap_or(0);
        f.cpu_total_ticks = t.user
            + t.nice
            + t.system
            + t.idle
            + t.iowait.unwrap_or(0)
            + t.irq.unwrap_or(0)
            + t.softirq.unwrap_or(0)
            + t.steal.unwrap_or(0);
    }
    if let Ok(m) = procfs::Meminfo::current() {
        f.mem_total_bytes = m.mem_total;
        f.mem_available_bytes = m.mem_available.unwrap_or(m.mem_free + m.cached);
    }
    f.process_rss_bytes = process_figures().rss_bytes;
    if let Ok(devs) = procfs::net::dev_status() {
        for (name, d) in devs {
            if name != "lo" {
                f.net_recv_bytes += d.recv_bytes;
                f.net_sent_bytes += d.sent_bytes;
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_real_proc() {
        let f = super::system_figures();
        assert!(f.cpu_total_ticks >= f.cpu_idle_ticks && f.cpu_total_ticks > 0);
        assert!(f.mem_total_bytes > f.mem_available_bytes && f.mem_available_bytes > 0);
        assert!(
            f.process_rss_bytes > 1024 * 1024,
            "rss {}",
            f.process_rss_bytes
        );
        let p = super::process_figures();
        assert!(p.threads >= 1 && p.open_fds >= 3);
    }
}

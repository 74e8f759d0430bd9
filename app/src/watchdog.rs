//! The hardware watchdog (`serve --watchdog /dev/watchdog`): a health loop checks every
//! few seconds that the daemon itself makes progress (the database answers, the HTTP API
//! answers a real request on its own socket, the async runtime runs the loop), and a plain
//! thread feeds the device only while the last good check is recent, measured on the
//! monotonic clock (the wall clock steps when NTP sets it). A hung daemon (or a wedged
//! async runtime) stops the feeding and the board resets; a crashed daemon is restarted by
//! init, which reopens the device in time. A camera is never the watchdog's business: a
//! wedged pipeline is restarted on its own (`ingest::manager::watch_wedged`). A clean
//! shutdown disarms the device with the magic close.

use crate::db::Db;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// How often the health loop runs, and how stale its last success may be before feeding stops.
const CHECK_EVERY: Duration = Duration::from_secs(2);
const STALE_AFTER_MS: i64 = 10_000;
/// `_IOWR('W', 6, int)`: set the timeout in seconds.
const WDIOC_SETTIMEOUT: libc::c_ulong = 0xC004_5706;

pub struct Watchdog {
    last_ok_ms: AtomicI64,
    stop: AtomicBool,
}

/// Monotonic milliseconds since the process's time origin.
fn now_ms() -> i64 {
    crate::storage::recorder::mono_ns(Instant::now()) / 1_000_000
}

/// Opens the device, sets its timeout and starts the feeder thread and the health loop.
pub fn start(
    device: &Path,
    timeout_secs: u32,
    db: Arc<Db>,
    api_addr: SocketAddr,
) -> std::io::Result<Arc<Watchdog>> {
    let mut file = std::fs::OpenOptions::new().write(true).open(device)?;
    let mut t = timeout_secs as libc::c_int;
    // SAFETY: WDIOC_SETTIMEOUT reads and writes one int through the pointer we pass.
    let rc = unsafe {
        libc::ioctl(
            std::os::fd::AsRawFd::as_raw_fd(&file),
            WDIOC_SETTIMEOUT as _,
            &mut t,
        )
    };
    if rc != 0 {
        tracing::warn!(error = %std::io::Error::last_os_error(), "watchdog: could not set the timeout; using the device's");
    }
    let wd = Arc::new(Watchdog {
        last_ok_ms: AtomicI64::new(now_ms()),
        stop: AtomicBool::new(false),
    });
    let feeder = wd.clone();
    let path: PathBuf = device.to_path_buf();
    std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let mut starving = false;
            loop {
                if feeder.stop.load(Ordering::SeqCst) {
                    // Magic close: a clean stop must not reset the board.
                    let _ = file.write_all(b"V");
                    tracing::info!("watchdog disarmed");
                    return;
                }
                let fresh = now_ms() - feeder.last_ok_ms.load(Ordering::SeqCst) < STALE_AFTER_MS;
                if fresh {
                    let _ = file.write_all(b"k");
                } else if !starving {
                    tracing::error!(device = %path.display(), "daemon not making progress: no longer feeding the watchdog");
                }
                starving = !fresh;
                std::thread::sleep(Duration::from_secs(1));
            }
        })?;
    tokio::spawn(health_loop(wd.clone(), db, api_addr));
    tracing::info!(device = %device.display(), timeout_secs, "watchdog armed");
    Ok(wd)
}

impl Watchdog {
    /// Disarms the device (clean shutdown).
    pub fn disarm(&self) {
        self.stop.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1100));
    }
}

async fn health_loop(wd: Arc<Watchdog>, db: Arc<Db>, api_addr: SocketAddr) {
    loop {
        match check(&db, api_addr).await {
            Ok(()) => wd.last_ok_ms.store(now_ms(), Ordering::SeqCst),
            Err(why) => tracing::warn!(%why, "health check failed"),
        }
        tokio::time::sleep(CHECK_EVERY).await;
    }
}

/// One health check of the daemon: database and API.
pub async fn check(db: &Arc<Db>, api_addr: SocketAddr) -> Result<(), String> {
    let db = db.clone();
    tokio::time::timeout(
        Duration::from_secs(5),
        tokio::task::spawn_blocking(move || db.ping()),
    )
    .await
    .map_err(|_| "database did not answer in 5 s".to_string())?
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("database: {e}"))?;
    tokio::time::timeout(Duration::from_secs(5), api_answers(api_addr))
        .await
        .map_err(|_| "API did not answer in 5 s".to_string())?
}

/// A real request to our own listener: `GET /api/readyz` must answer 200.
async fn api_answers(addr: SocketAddr) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut target = addr;
    if target.ip().is_unspecified() {
        target.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let mut s = tokio::net::TcpStream::connect(target)
        .await
        .map_err(|e| format!("API connect: {e}"))?;
    s.write_all(b"GET /api/readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| format!("API write: {e}"))?;
    let mut head = [0u8; 16];
    let n = s
        .read(&mut head)
        .await
        .map_err(|e| format!("API read: {e}"))?;
    if head[..n].starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!(
            "API answered {:?}",
            String::from_utf8_lossy(&head[..n])
        ))
    }
}

//! The box's wall clock and whether to trust it (design/time.md, "A box without a clock").
//! A Raspberry Pi has no real-time clock: after a power cut it boots near 1970, or at the
//! time the boot script restored from `<data dir>/clock` (as fake-hwclock does), until NTP
//! answers — or never, on a camera LAN without internet. This module
//! - decides whether the system clock is trusted: not before the floor (the newer of a
//!   release date and the last saved time), and not merely restored, unless the kernel says
//!   NTP synchronised it, the NTP hook's marker exists, or the user set it;
//! - splits this process's life into *epochs*, each a stretch with one offset between the
//!   system and the monotonic clocks (a step of the clock starts a new one);
//! - when an untrusted clock becomes trusted, corrects every untrusted epoch exactly (the
//!   change of offset) through `storage::reanchor`;
//! - saves the clock every `SAVE_EVERY` and at a clean stop, never going backwards.

use crate::storage::recorder::mono_ns;
use crate::sync::LockExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// No clock before this is right: 2026-01-01T00:00:00Z (older than any build of this
/// daemon).
pub const RELEASE_FLOOR_NS: i64 = 1_767_225_600 * 1_000_000_000;
/// No clock is set later than this (2200-01-01T00:00:00Z).
pub const LATEST_NS: i64 = 7_258_118_400 * 1_000_000_000;
/// A change of the wall-minus-monotonic offset beyond this is a step of the clock.
pub const STEP_NS: i64 = crate::media::timebase::CLOCK_STEP_THRESHOLD_NS;
/// How often the last known time is saved (one small file write; fake-hwclock saves hourly).
pub const SAVE_EVERY: Duration = Duration::from_secs(15 * 60);
const TICK: Duration = Duration::from_secs(1);
/// Epochs remembered (steps are rare; the oldest are forgotten, uncorrected).
const MAX_EPOCHS: usize = 64;

/// The file under the data dir holding the last known time (Unix seconds, one line).
pub const SAVED_FILE: &str = "clock";

/// Where the boot script and the NTP hook leave their markers (`MIBEE_RUN_DIR`, default
/// `/run/nvr`): `clock-restored` (the clock was set from the saved file at boot: stale by
/// the time the box was off) and `ntp-synced` (NTP set it).
pub fn run_dir() -> PathBuf {
    std::env::var_os("MIBEE_RUN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nvr"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Epoch {
    id: u64,
    /// Wall minus monotonic, ns.
    offset_ns: i64,
    trusted: bool,
    /// An untrusted epoch whose rows were re-anchored (or that needs none).
    corrected: bool,
}

/// A correction to apply: every row of `epoch` moves by `delta_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction {
    pub epoch: u64,
    pub delta_ns: i64,
}

/// Why the clock is (not) trusted, for health and the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStatus {
    pub trusted: bool,
    /// Set when untrusted.
    pub reason: String,
    /// What made it trusted: `system`, `ntp`, `user`, or `step` (moved past the floor).
    pub source: String,
    pub untrusted_epochs: usize,
}

struct State {
    epochs: Vec<Epoch>,
    floor_ns: i64,
    /// The clock was restored from the saved file at boot (stale until synchronised).
    restored: bool,
    user_set: bool,
    source: &'static str,
}

pub struct Clock {
    state: Mutex<State>,
    saved: PathBuf,
    run_dir: PathBuf,
    /// Ask the kernel whether NTP synchronised the clock (off in unit tests, whose host's
    /// NTP state is not theirs to depend on).
    ask_kernel: bool,
}

/// adjtimex(2): the kernel's NTP state says the clock is synchronised (chrony, ntpd,
/// systemd-timesyncd and busybox ntpd clear STA_UNSYNC once they discipline it).
pub fn kernel_synchronised() -> bool {
    // SAFETY: adjtimex with modes 0 only reads the kernel's state into the struct.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::adjtimex(&mut tx) };
    rc == libc::TIME_OK && tx.status & libc::STA_UNSYNC == 0
}

impl Clock {
    /// Reads the saved time under `data_dir` and judges the clock as it is now.
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self::with_run_dir(data_dir, run_dir())
    }

    pub fn with_run_dir(data_dir: &std::path::Path, run_dir: PathBuf) -> Self {
        Self::build(data_dir, run_dir, true)
    }

    /// Tests: judged by the floor, the markers under `run_dir` and the user only.
    #[cfg(test)]
    pub fn without_kernel(data_dir: &std::path::Path, run_dir: PathBuf) -> Self {
        Self::build(data_dir, run_dir, false)
    }

    fn build(data_dir: &std::path::Path, run_dir: PathBuf, ask_kernel: bool) -> Self {
        let saved = data_dir.join(SAVED_FILE);
        let saved_ns = std::fs::read_to_string(&saved)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .map(|s| s.saturating_mul(1_000_000_000))
            .unwrap_or(0);
        let floor_ns = RELEASE_FLOOR_NS.max(saved_ns);
        let restored = run_dir.join("clock-restored").exists();
        let clock = Self {
            state: Mutex::new(State {
                epochs: Vec::new(),
                floor_ns,
                restored,
                user_set: false,
                source: "",
            }),
            saved,
            run_dir,
            ask_kernel,
        };
        let (wall, mono) = now();
        let trusted = clock.judge(&mut clock.state.locked(), wall);
        clock.state.locked().epochs.push(Epoch {
            id: rand::random(),
            offset_ns: wall - mono,
            trusted,
            corrected: trusted,
        });
        if !trusted {
            tracing::warn!(reason = %clock.status().reason, "the system clock is not trusted yet: recordings keep their times until it is set");
        }
        clock
    }

    /// Whether the clock at `wall_ns` is trusted now (sets the source when it is).
    fn judge(&self, st: &mut State, wall_ns: i64) -> bool {
        if st.user_set {
            st.source = "user";
            return true;
        }
        if wall_ns < RELEASE_FLOOR_NS {
            return false; // whatever NTP claims: no clock before this release is right
        }
        if self.ntp_synchronised() {
            st.source = "ntp";
            return true;
        }
        if st.restored || wall_ns < st.floor_ns {
            return false;
        }
        st.source = if st.epochs.iter().any(|e| !e.trusted) {
            "step"
        } else {
            "system"
        };
        true
    }

    /// The epoch of a moment (wall and monotonic ns of the same instant) and whether its
    /// clock is trusted. A moment whose offset matches no known epoch is a step: a new
    /// epoch starts (judged afresh).
    pub fn epoch_of(&self, wall_ns: i64, mono_ns: i64) -> (u64, bool) {
        let offset = wall_ns - mono_ns;
        let mut st = self.state.locked();
        if let Some(e) = st
            .epochs
            .iter()
            .rev()
            .find(|e| (e.offset_ns - offset).abs() <= STEP_NS)
        {
            return (e.id, e.trusted);
        }
        let trusted = self.judge(&mut st, wall_ns);
        let e = Epoch {
            id: rand::random(),
            offset_ns: offset,
            trusted,
            corrected: trusted,
        };
        tracing::warn!(
            step_s = (offset - st.epochs.last().map_or(offset, |l| l.offset_ns)) / 1_000_000_000,
            trusted,
            "the system clock stepped"
        );
        st.epochs.push(e);
        if st.epochs.len() > MAX_EPOCHS {
            st.epochs.remove(0);
        }
        (e.id, trusted)
    }

    /// One check: notices a step or a newly trusted clock. Returns the corrections due (each
    /// untrusted epoch of this process, once the clock is trusted).
    pub fn tick(&self) -> Vec<Correction> {
        let (wall, mono) = now();
        self.epoch_of(wall, mono);
        let mut st = self.state.locked();
        let offset = wall - mono;
        let trusted = self.judge(&mut st, wall);
        let Some(current) = st.epochs.last().copied() else {
            return Vec::new();
        };
        if !trusted {
            return Vec::new();
        }
        let mut out = Vec::new();
        for e in st.epochs.iter_mut() {
            if e.id == current.id {
                e.trusted = true;
            }
            if !e.corrected {
                out.push(Correction {
                    epoch: e.id,
                    delta_ns: offset - e.offset_ns,
                });
            }
        }
        out
    }

    /// The rows of `epoch` were re-anchored.
    pub fn corrected(&self, epoch: u64) {
        let mut st = self.state.locked();
        for e in st.epochs.iter_mut().filter(|e| e.id == epoch) {
            e.trusted = true;
            e.corrected = true;
        }
    }

    /// The user set the time (`PUT /api/system/time`): trusted from now on, and the step
    /// is observed at once (health reads trusted in the answer's wake, not a tick later).
    pub fn set_by_user(&self) {
        self.state.locked().user_set = true;
        let (wall, mono) = now();
        let (epoch, _) = self.epoch_of(wall, mono);
        let mut st = self.state.locked();
        st.source = "user";
        for e in st.epochs.iter_mut().filter(|e| e.id == epoch) {
            e.trusted = true;
        }
    }

    /// NTP (the kernel or the hook's marker) vouches for the clock: the user may not set it.
    pub fn ntp_synchronised(&self) -> bool {
        (self.ask_kernel && kernel_synchronised()) || self.run_dir.join("ntp-synced").exists()
    }

    pub fn is_trusted(&self) -> bool {
        self.state.locked().epochs.last().is_some_and(|e| e.trusted)
    }

    pub fn status(&self) -> ClockStatus {
        let st = self.state.locked();
        let trusted = st.epochs.last().is_some_and(|e| e.trusted);
        let reason = if trusted {
            String::new()
        } else if st.restored {
            "clock not synchronised: restored from the last saved time at boot; waiting for NTP or the time to be set".into()
        } else {
            format!(
                "clock not synchronised: it reads before {}; waiting for NTP or the time to be set",
                crate::media::compact_stamp(st.floor_ns)
            )
        };
        ClockStatus {
            trusted,
            reason,
            source: if trusted {
                st.source.into()
            } else {
                String::new()
            },
            untrusted_epochs: st.epochs.iter().filter(|e| !e.corrected).count(),
        }
    }

    /// The last known time, for the next boot: a trusted clock as it is (NTP or the user may
    /// have set it back from a wrong saved time), an untrusted one never earlier than what is
    /// saved.
    pub fn save(&self) -> std::io::Result<()> {
        let (wall, _) = now();
        let floor = self.state.locked().floor_ns;
        let secs = if self.is_trusted() {
            wall
        } else {
            wall.max(floor)
        } / 1_000_000_000;
        crate::fsutil::write_atomic(&self.saved, format!("{secs}\n").as_bytes(), 0o644)?;
        self.state.locked().floor_ns = secs * 1_000_000_000;
        Ok(())
    }
}

/// Sets the system clock (clock_settime(CLOCK_REALTIME); needs CAP_SYS_TIME).
pub fn set_system_time(wall_ns: i64) -> std::io::Result<()> {
    let ts = libc::timespec {
        tv_sec: (wall_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (wall_ns % 1_000_000_000) as _,
    };
    // SAFETY: clock_settime reads the timespec we pass.
    let rc = unsafe { libc::clock_settime(libc::CLOCK_REALTIME, &ts) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn now() -> (i64, i64) {
    let mono = mono_ns(Instant::now());
    (crate::media::now_wall_ns(), mono)
}

/// The clock's task: checks every second, re-anchors what untrusted epochs recorded once
/// the clock is trusted (`reanchor`), saves the time every `SAVE_EVERY`.
pub async fn run(clock: std::sync::Arc<Clock>, reanchor: impl AsyncFn(Correction) -> bool) {
    let mut last_save = Instant::now();
    if let Err(e) = clock.save() {
        tracing::warn!(error = %e, "could not save the clock");
    }
    loop {
        tokio::time::sleep(TICK).await;
        let fixes = clock.tick();
        let trusted_now = !fixes.is_empty();
        for c in fixes {
            if reanchor(c).await {
                clock.corrected(c.epoch);
            }
        }
        // The clock just became trusted: what is saved for the next boot follows at once.
        if trusted_now || last_save.elapsed() >= SAVE_EVERY {
            last_save = Instant::now();
            if let Err(e) = clock.save() {
                tracing::warn!(error = %e, "could not save the clock");
            }
        }
    }
}

/// The appliance's script that restarts ntpd with the servers the settings name.
const NTP_SERVERS_SCRIPT: &str = "/usr/sbin/nvr-ntp-servers";

/// Applies `time.ntp_servers` on the appliance (at start and on every change); a machine
/// without the script (development, CI) keeps its own time service.
pub async fn apply_ntp_servers(config: std::sync::Arc<crate::config::ConfigStore>) {
    let mut changes = config.subscribe();
    let mut applied: Option<Vec<String>> = None;
    loop {
        let servers = config.get().time.ntp_servers.clone();
        if applied.as_ref() != Some(&servers) && std::path::Path::new(NTP_SERVERS_SCRIPT).exists() {
            match tokio::process::Command::new(NTP_SERVERS_SCRIPT)
                .args(&servers)
                .status()
                .await
            {
                Ok(s) if s.success() => tracing::info!(?servers, "NTP servers applied"),
                Ok(s) => tracing::warn!(?servers, status = %s, "applying the NTP servers failed"),
                Err(e) => tracing::warn!(error = %e, "applying the NTP servers failed"),
            }
        }
        applied = Some(servers);
        if changes.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved_secs(dir: &std::path::Path) -> i64 {
        std::fs::read_to_string(dir.join(SAVED_FILE))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    fn clock_at(floor_saved_s: Option<i64>, restored: bool) -> (tempfile::TempDir, Clock) {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        if restored {
            std::fs::write(run.join("clock-restored"), "").unwrap();
        }
        if let Some(s) = floor_saved_s {
            std::fs::write(dir.path().join(SAVED_FILE), format!("{s}\n")).unwrap();
        }
        let c = Clock::without_kernel(dir.path(), run);
        (dir, c)
    }

    #[test]
    fn a_clock_before_the_floor_is_untrusted_until_it_steps_past_it() {
        // The saved time is in the future of the real clock: the clock reads "before" it.
        let future = crate::media::now_wall_ns() / 1_000_000_000 + 86_400;
        let (_d, c) = clock_at(Some(future), false);
        assert!(!c.is_trusted());
        assert!(c.status().reason.contains("not synchronised"));
        let (wall, mono) = now();
        let (e0, t0) = c.epoch_of(wall, mono);
        assert!(!t0);
        // The same offset (a second later) is the same epoch.
        assert_eq!(c.epoch_of(wall + 1_000_000_000, mono + 1_000_000_000).0, e0);
        // A step forward to two days later: past the floor, a new trusted epoch.
        let later = wall + 2 * 86_400 * 1_000_000_000;
        let (e1, t1) = c.epoch_of(later, mono + 5);
        assert_ne!(e1, e0);
        assert!(t1);
        // A frame from before the step still maps to the old epoch.
        assert_eq!(c.epoch_of(wall + 2, mono + 2).0, e0);
    }

    #[test]
    fn an_untrusted_clock_never_saves_earlier_than_what_is_saved() {
        let future = crate::media::now_wall_ns() / 1_000_000_000 + 3600;
        let (dir, c) = clock_at(Some(future), false);
        assert!(!c.is_trusted());
        c.save().unwrap();
        assert_eq!(saved_secs(dir.path()), future);
    }

    #[test]
    fn a_restored_clock_waits_for_ntp_or_the_user() {
        let (dir, c) = clock_at(None, true);
        assert!(!c.is_trusted());
        assert!(c.tick().is_empty(), "nothing to correct while untrusted");
        // The NTP hook's marker appears: trusted, and the untrusted epoch is corrected by
        // the change of offset (none here: the clock did not step).
        std::fs::write(dir.path().join("run/ntp-synced"), "").unwrap();
        let fixes = c.tick();
        assert_eq!(fixes.len(), 1);
        assert!(fixes[0].delta_ns.abs() < STEP_NS, "{fixes:?}");
        c.corrected(fixes[0].epoch);
        assert!(c.is_trusted());
        assert_eq!(c.status().source, "ntp");
        assert!(c.tick().is_empty());
    }

    #[test]
    fn the_user_setting_the_time_trusts_it_and_saving_follows_the_trusted_clock() {
        let future = crate::media::now_wall_ns() / 1_000_000_000 + 3600;
        let (dir, c) = clock_at(Some(future), false);
        assert!(!c.is_trusted());
        c.set_by_user();
        assert!(c.is_trusted(), "trusted as soon as the user sets it");
        assert_eq!(c.status().source, "user");
        assert!(
            !c.tick().is_empty(),
            "the untrusted epoch is still to correct"
        );
        c.save().unwrap();
        let saved = saved_secs(dir.path());
        let now_s = crate::media::now_wall_ns() / 1_000_000_000;
        assert!(
            (saved - now_s).abs() <= 1,
            "a trusted clock is saved as it is, back from a wrong saved time: {saved} vs {now_s}"
        );
    }
}

//! Per-address failure counting for Basic auth: after `max_failures` failures inside
//! `window`, the address gets 429 with Retry-After until the window has passed. Password
//! checks of one address take turns (`turn`), so guesses sent in parallel are counted as
//! they would be one by one: N parallel wrong passwords verify at most `max_failures`.

use crate::sync::LockExt;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bound on tracked addresses, so a flood of spoofed sources cannot exhaust memory.
const MAX_TRACKED: usize = 4096;

#[derive(Default)]
pub struct FailureLimiter {
    entries: Mutex<HashMap<IpAddr, Entry>>,
    /// One password check at a time per address (idle entries are dropped as others come).
    turns: Mutex<HashMap<IpAddr, Arc<tokio::sync::Mutex<()>>>>,
}

struct Entry {
    window_start: Instant,
    failures: u32,
}

impl FailureLimiter {
    /// `Some(retry_after)` when `ip` is currently locked out.
    pub fn locked(
        &self,
        ip: IpAddr,
        max_failures: u32,
        window: Duration,
        now: Instant,
    ) -> Option<Duration> {
        let map = self.entries.locked();
        let e = map.get(&ip)?;
        let elapsed = now.saturating_duration_since(e.window_start);
        if e.failures >= max_failures && elapsed < window {
            Some(window - elapsed)
        } else {
            None
        }
    }

    pub fn record_failure(&self, ip: IpAddr, window: Duration, now: Instant) {
        let mut map = self.entries.locked();
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            map.retain(|_, e| now.saturating_duration_since(e.window_start) < window);
            if map.len() >= MAX_TRACKED {
                // Still full: forget the oldest window to make room.
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, e)| e.window_start)
                    .map(|(k, _)| *k)
                {
                    map.remove(&oldest);
                }
            }
        }
        let e = map.entry(ip).or_insert(Entry {
            window_start: now,
            failures: 0,
        });
        if now.saturating_duration_since(e.window_start) >= window {
            *e = Entry {
                window_start: now,
                failures: 0,
            };
        }
        e.failures = e.failures.saturating_add(1);
    }

    pub fn record_success(&self, ip: IpAddr) {
        self.entries.locked().remove(&ip);
    }

    /// Waits for this address's turn to check a password; the lockout and the verification
    /// cache are to be looked at again once it comes.
    pub async fn turn(&self, ip: IpAddr) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            let mut turns = self.turns.locked();
            if turns.len() >= MAX_TRACKED {
                turns.retain(|_, m| Arc::strong_count(m) > 1);
            }
            turns.entry(ip).or_default().clone()
        };
        m.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_and_unlocks_after_window() {
        let l = FailureLimiter::default();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let w = Duration::from_secs(60);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.locked(ip, 3, w, t0).is_none());
            l.record_failure(ip, w, t0);
        }
        let retry = l.locked(ip, 3, w, t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(retry, Duration::from_secs(50));
        assert!(l.locked(ip, 3, w, t0 + w).is_none());
        let other: IpAddr = "127.0.0.8".parse().unwrap();
        assert!(l.locked(other, 3, w, t0).is_none());
    }

    #[tokio::test]
    async fn checks_of_one_address_take_turns_and_others_do_not_wait() {
        let l = Arc::new(FailureLimiter::default());
        let a: IpAddr = "127.0.0.9".parse().unwrap();
        let b: IpAddr = "127.0.0.8".parse().unwrap();
        let first = l.turn(a).await;
        let l2 = l.clone();
        let waiting = tokio::spawn(async move { l2.turn(a).await });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "the second check of a waits for the first"
        );
        drop(l.turn(b).await); // another address does not wait
        drop(first);
        drop(waiting.await.unwrap());
    }
}

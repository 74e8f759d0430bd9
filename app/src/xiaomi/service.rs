//! The daemon's Xiaomi state: the signed-in session (read from the encrypted store on first
//! use), sign-ins waiting for a captcha or a verification code (ten minutes, eight at most),
//! and the device list, which renews an expired service token once with the passToken.

use super::account::{self, Pending};
use super::devices::{self, CloudDevice};
use super::http::{CloudError, CloudResult, Http};
use super::store::{SessionStore, XiaomiSession};
use crate::config::XiaomiConfig;
use crate::sync::LockExt;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a sign-in waits for its captcha or code.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
const MAX_PENDING: usize = 8;

#[derive(Default)]
pub struct XiaomiState {
    /// `None`: not read from the store yet.
    session: tokio::sync::Mutex<Option<Option<XiaomiSession>>>,
    pending: std::sync::Mutex<HashMap<String, (Instant, Pending)>>,
}

impl XiaomiState {
    /// The signed-in session, if any. A store that cannot be read counts as signed out
    /// (logged once, without the tokens).
    pub async fn session(&self, data_dir: &Path) -> Option<XiaomiSession> {
        let mut guard = self.session.lock().await;
        if guard.is_none() {
            let loaded = SessionStore::new(data_dir).load().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "xiaomi session not loaded");
                None
            });
            *guard = Some(loaded);
        }
        guard.clone().flatten()
    }

    /// Keeps (or, with `None`, forgets) the session, in memory and in the store.
    pub async fn set_session(
        &self,
        data_dir: &Path,
        s: Option<XiaomiSession>,
    ) -> std::io::Result<()> {
        let store = SessionStore::new(data_dir);
        let mut guard = self.session.lock().await;
        match &s {
            Some(s) => store.save(s),
            None => store.clear(),
        }
        .map_err(std::io::Error::other)?;
        *guard = Some(s);
        Ok(())
    }

    /// Parks a sign-in; answers the id the user's next call names.
    pub fn park(&self, p: Pending) -> String {
        let id = hex::encode(rand::random::<[u8; 12]>());
        let now = Instant::now();
        let mut map = self.pending.locked();
        map.retain(|_, (t, _)| now.duration_since(*t) < PENDING_TTL);
        if map.len() >= MAX_PENDING
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (t, _))| *t)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), (now, p));
        id
    }

    /// Takes a parked sign-in out (it goes back with `put_back` if the user may retry).
    pub fn take(&self, id: &str) -> Option<Pending> {
        let mut map = self.pending.locked();
        let (t, p) = map.remove(id)?;
        (t.elapsed() < PENDING_TTL).then_some(p)
    }

    pub fn put_back(&self, id: &str, p: Pending) {
        self.pending
            .locked()
            .insert(id.to_string(), (Instant::now(), p));
    }

    /// The newest sign-in of `username` that waits for a captcha.
    pub fn captcha_of(&self, username: &str) -> Option<(String, Pending)> {
        let map = self.pending.locked();
        map.iter()
            .filter(|(_, (t, p))| {
                t.elapsed() < PENDING_TTL
                    && matches!(p, Pending::Captcha { .. })
                    && p.login().username.eq_ignore_ascii_case(username)
            })
            .max_by_key(|(_, (t, _))| *t)
            .map(|(id, (_, p))| (id.clone(), p.clone()))
    }

    /// The account's devices; an expired service token is renewed once with the passToken.
    pub async fn devices(
        &self,
        data_dir: &Path,
        cfg: &XiaomiConfig,
    ) -> CloudResult<Vec<CloudDevice>> {
        let s = self.session(data_dir).await.ok_or(CloudError::Expired)?;
        let http = Http::new(cfg.timeout.as_duration());
        let base = devices::api_base(&cfg.api_url, &s.region);
        match devices::device_list(&http, &base, &s).await {
            Err(CloudError::Expired) => {
                let renewed = match account::renew(&http, &cfg.account_url, &s).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::info!(error = %e, "xiaomi session could not be renewed");
                        let _ = self.set_session(data_dir, None).await;
                        return Err(CloudError::Expired);
                    }
                };
                self.set_session(data_dir, Some(renewed.clone()))
                    .await
                    .map_err(|e| {
                        CloudError::Malformed(format!("saving the renewed session: {e}"))
                    })?;
                devices::device_list(&http, &base, &renewed).await
            }
            other => other,
        }
    }
}

/// A non-secret handle of a session for API answers: the tokens never leave the NVR.
pub fn session_handle(s: &XiaomiSession) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(format!("{}:{}", s.user_id, s.service_token).as_bytes())[..8])
}

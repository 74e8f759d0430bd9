//! HTTP from cameras: a GET with the camera's credentials (Basic sent first; a Digest
//! challenge answered once), used for MJPEG streams and polled JPEGs, and for `snapshot_url`
//! (with a total timeout, a size cap and a check that the body is a JPEG). Cameras commonly
//! serve HTTPS with self-signed certificates on the LAN, so certificates are not verified
//! (the URL is one the owner configured).

use crate::config::CameraConfig;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use std::sync::OnceLock;
use std::time::Duration;

pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_SNAPSHOT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the camera did not answer within {}s", FETCH_TIMEOUT.as_secs())]
    Timeout,
    #[error("cannot reach the camera: {0}")]
    Connect(String),
    #[error("the camera rejected the credentials (HTTP {0})")]
    Auth(u16),
    #[error("the camera answered HTTP {0}")]
    Status(u16),
    #[error("the snapshot is larger than {} MiB", MAX_SNAPSHOT_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("the camera's answer is not a JPEG image")]
    NotJpeg,
    #[error("{0}")]
    Config(String),
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .danger_accept_invalid_certs(true)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("mibee-nvr/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("snapshot HTTP client")
    })
}

/// The JPEG at the camera's `snapshot_url`.
pub async fn fetch_snapshot(cam: &CameraConfig) -> Result<Bytes, FetchError> {
    match tokio::time::timeout(FETCH_TIMEOUT, fetch_jpeg(cam, &cam.snapshot_url)).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Timeout),
    }
}

/// One JPEG from `url` (no total timeout: callers bound it).
pub async fn fetch_jpeg(cam: &CameraConfig, url: &str) -> Result<Bytes, FetchError> {
    read_jpeg(get(cam, url).await?).await
}

/// A response's body, which must be one JPEG of at most `MAX_SNAPSHOT_BYTES`.
pub async fn read_jpeg(mut resp: reqwest::Response) -> Result<Bytes, FetchError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_SNAPSHOT_BYTES as u64)
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(connect_error)? {
        if body.len() + chunk.len() > MAX_SNAPSHOT_BYTES {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    if !is_jpeg(&body) {
        return Err(FetchError::NotJpeg);
    }
    Ok(body.into())
}

pub fn is_jpeg(data: &[u8]) -> bool {
    data.len() >= 4 && data[..2] == [0xff, 0xd8]
}

/// GET `url` with the camera's credentials; a success status or an error.
pub async fn get(cam: &CameraConfig, url: &str) -> Result<reqwest::Response, FetchError> {
    crate::ingest::check_camera_host(url).map_err(|e| FetchError::Config(e.to_string()))?;
    let url = reqwest::Url::parse(url).map_err(|e| FetchError::Config(format!("bad url: {e}")))?;
    let has_creds = !cam.username.is_empty() || !cam.password.is_empty();
    let mut req = client().get(url.clone());
    if has_creds {
        req = req.basic_auth(&cam.username, Some(&cam.password));
    }
    let mut resp = req.send().await.map_err(connect_error)?;
    if resp.status() == StatusCode::UNAUTHORIZED && has_creds {
        let challenge = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"))
            .map(str::to_string);
        if let Some(challenge) = challenge {
            let mut prompt = digest_auth::parse(&challenge)
                .map_err(|e| FetchError::Config(format!("bad Digest challenge: {e}")))?;
            let uri = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            let ctx = digest_auth::AuthContext::new(&cam.username, &cam.password, &uri);
            let answer = prompt
                .respond(&ctx)
                .map_err(|e| FetchError::Config(format!("Digest: {e}")))?;
            resp = client()
                .get(url)
                .header(AUTHORIZATION, answer.to_header_string())
                .send()
                .await
                .map_err(connect_error)?;
        }
    }
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(FetchError::Auth(status.as_u16()));
    }
    if !status.is_success() {
        return Err(FetchError::Status(status.as_u16()));
    }
    Ok(resp)
}

pub fn connect_error(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        let mut text = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            text = format!("{text}: {s}");
            src = s.source();
        }
        FetchError::Connect(text)
    }
}

//! The one API error type: every failure a handler can report, mapped to the spec's error
//! codes and HTTP statuses (`{"error": "...", "code": "..."}`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Error codes of the spec's table, plus the few this daemon adds (documented in docs/api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    CameraNotFound,
    CameraAlreadyRunning,
    CameraDisabled,
    CameraAlreadyExists,
    RecordingNotFound,
    StorageFull,
    AuthRequired,
    AuthFailed,
    InvalidInput,
    PathTraversal,
    HlsMaxStreams,
    HlsUnsupportedCodec,
    OnvifNotCamera,
    OnvifConnectionFailed,
    OnvifNoProfiles,
    /// Beyond the spec: an unknown route.
    NotFound,
    /// Beyond the spec: the route exists but not with this method.
    MethodNotAllowed,
    /// Beyond the spec: too many failed logins from this address.
    RateLimited,
    /// Beyond the spec: the daemon is starting or stopping.
    Unavailable,
    /// Beyond the spec: an operation this box cannot do (e.g. reboot off the appliance).
    NotImplemented,
    /// Beyond the spec: the camera did not answer (or not usefully) within its timeout.
    CameraUnreachable,
    /// Beyond the spec: the Xiaomi cloud refused the account, password, captcha or code.
    XiaomiAuthFailed,
    /// Beyond the spec: not signed in to Xiaomi, or the session expired for good.
    XiaomiAuthRequired,
    /// Beyond the spec: the Xiaomi cloud was unreachable, too slow, or answered nonsense.
    XiaomiCloudError,
    /// Beyond the spec: NTP keeps the clock; it cannot be set by hand.
    ClockSynchronised,
    /// Beyond the spec: a download's `Range` starts past the end of the recording.
    RangeNotSatisfiable,
    /// Beyond the spec: a state-changing request from another site's page (api/cross_site.rs).
    CrossSiteRequest,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            CameraNotFound | RecordingNotFound | NotFound => StatusCode::NOT_FOUND,
            CameraAlreadyRunning | CameraDisabled | InvalidInput | PathTraversal
            | HlsUnsupportedCodec | OnvifNotCamera | OnvifNoProfiles => StatusCode::BAD_REQUEST,
            CameraAlreadyExists | ClockSynchronised => StatusCode::CONFLICT,
            StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AuthRequired | AuthFailed | XiaomiAuthFailed | XiaomiAuthRequired => {
                StatusCode::UNAUTHORIZED
            }
            HlsMaxStreams | Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            CrossSiteRequest => StatusCode::FORBIDDEN,
            OnvifConnectionFailed | Internal => StatusCode::INTERNAL_SERVER_ERROR,
            NotImplemented => StatusCode::NOT_IMPLEMENTED,
            CameraUnreachable | XiaomiCloudError => StatusCode::BAD_GATEWAY,
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Human-readable message.
    pub error: String,
    /// Machine-readable code from the spec's table.
    pub code: ErrorCode,
}

/// An API error: a code, a message, and optional extra headers (Retry-After, Allow, ...).
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }
    pub fn invalid(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidInput, format!("invalid input: {message}"))
    }
    pub fn camera_not_found(id: &str) -> Self {
        Self::new(ErrorCode::CameraNotFound, format!("camera not found: {id}"))
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, format!("internal error: {message}"))
    }
    pub fn storage_full() -> Self {
        Self::new(
            ErrorCode::StorageFull,
            "storage full: disk space critically low",
        )
    }
    /// A failed disk operation: 507 `STORAGE_FULL` when the disk (or quota) is full.
    pub fn io(what: &str, e: &std::io::Error) -> Self {
        if is_no_space(e) {
            Self::storage_full()
        } else {
            Self::internal(format!("{what}: {e}"))
        }
    }
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code.status().is_server_error() {
            tracing::error!(code = ?self.code, "{}", self.message);
        }
        let body = ErrorBody {
            error: self.message,
            code: self.code,
        };
        let mut resp = (self.code.status(), axum::Json(body)).into_response();
        for (name, value) in self.headers {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

impl From<crate::config::ValidationError> for ApiError {
    fn from(e: crate::config::ValidationError) -> Self {
        if e.traversal {
            ApiError::new(ErrorCode::PathTraversal, format!("path traversal: {e}"))
        } else {
            ApiError::invalid(e)
        }
    }
}

/// ENOSPC or EDQUOT.
pub fn is_no_space(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        match &e {
            crate::db::DbError::Redb(redb::Error::Io(io)) if is_no_space(io) => {
                ApiError::storage_full()
            }
            _ => ApiError::internal(e),
        }
    }
}

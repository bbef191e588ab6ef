//! API errors: every failure is a JSON body `{"error": {"status", "code", "message", "field"?}}`
//! with a 4xx status for what the client sent and a 5xx only for the server's own failures.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::path::PathBuf;
use zoorank_engine::EngineError;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code (`bad_request`, `unknown_target`, ...).
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
    /// The query parameter or body field at fault, when there is one.
    pub field: Option<String>,
}

impl ApiError {
    /// A 400 about `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// An error with a status and code, about no particular field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 422 about `field`: the request is well formed, but names what this zoo cannot
    /// serve (`code` says what).
    pub fn unprocessable(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 500: the server failed (the message says what it was doing).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// 404 for a path the API does not have.
    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route {path} (the API is listed at /openapi.json)"),
        )
    }

    /// The error as its JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut e = serde_json::json!({
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
        });
        if let Some(f) = &self.field {
            e["field"] = f.clone().into();
        }
        serde_json::json!({ "error": e })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// The error chain of `e` joined by `: `, leaving out causes whose text is already said.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    zoorank_core::error_chain(e, None)
}

/// Maps an engine error: what the request named wrongly is a 4xx, the store failing a 5xx.
pub fn from_engine(e: &EngineError) -> ApiError {
    let msg = chain(e);
    match e {
        EngineError::UnknownTarget { .. } => ApiError {
            status: StatusCode::NOT_FOUND,
            code: "unknown_target",
            message: msg,
            field: Some("target".into()),
        },
        EngineError::NoCandidates { .. } => ApiError::unprocessable("no_candidates", "target", msg),
        EngineError::MethodId(_) => ApiError::field("method", msg),
        // The observed runs and the coverage are the request's own fields: naming a model the
        // zoo lacks, or giving an impossible number, is the caller's error.
        EngineError::UnknownObservedModel { .. } => {
            ApiError::unprocessable("unknown_model", "observed", msg)
        }
        EngineError::ObservedAccuracy { .. } => ApiError::field("observed", msg),
        EngineError::Coverage(_) => ApiError::field("coverage", msg),
        EngineError::ModelRatio(_) => ApiError::field("model_ratios", msg),
        // A method that cannot rank this target (e.g. a stored score the zoo lacks on it):
        // the request asked for something this zoo cannot answer.
        EngineError::Rank { .. } => ApiError::unprocessable("cannot_rank", "method", msg),
        EngineError::NothingToEvaluate => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_evaluate", msg)
        }
        EngineError::Eval(_) | EngineError::EvalAtRatio { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "cannot_evaluate", msg)
        }
        _ => ApiError::internal(msg),
    }
}

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Open(zoorank_engine::EngineError),
    /// The store could not be read.
    #[error("reading the zoo store: {0}")]
    Read(String),
    /// The token file is unusable.
    #[error("token file {path}: {message}")]
    Token {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Binding or serving failed.
    #[error("serving on {addr}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

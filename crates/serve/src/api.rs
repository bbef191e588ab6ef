//! The routes and their handlers.
//!
//! Reads are open; writes (`POST /v1/records`, `POST /v1/import/...`) need the bearer token.
//! Every handler checks its query parameters and body itself ([`Params`], typed bodies with
//! unknown fields refused) so that a mistake is answered with a 4xx naming the field.

use crate::error::{chain, ApiError};
use crate::params::{truncate, Params};
use crate::state::{AppState, Snapshot};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use zoorank_core::Modality;
use zoorank_engine::catalog::{contains_text, CatalogFilter};
use zoorank_engine::{EvalRequest, MethodSpec, RecommendRequest};
use zoorank_store::import::{self, ModelsCsvSpec, RecordsCsvSpec};
use zoorank_store::{run_key, Batch, ImportError, ImportOptions, RecordRow, RunIdentity, Store};

type St = State<Arc<AppState>>;

/// Every route: method and path, as the router serves them and `/openapi.json` lists them.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/health"),
    ("GET", "/v1/zoo"),
    ("GET", "/v1/models"),
    ("GET", "/v1/datasets"),
    ("GET", "/v1/recommend"),
    ("POST", "/v1/recommend"),
    ("GET", "/v1/eval"),
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs/{id}"),
    ("POST", "/v1/records"),
    ("POST", "/v1/import/records"),
    ("POST", "/v1/import/models"),
    ("POST", "/v1/import/transfergraph"),
];

/// Longest dataset or model name accepted.
const MAX_NAME: usize = 512;
/// Most records one `POST /v1/records` may carry.
const MAX_RECORDS: usize = 100_000;
/// Most items in a list parameter (methods, targets, model ratios).
const MAX_LIST: usize = 64;

/// Adds the handler of (`method`, `path`) to `mr`.
pub(crate) fn add_route(
    mr: MethodRouter<Arc<AppState>>,
    method: &str,
    path: &str,
) -> MethodRouter<Arc<AppState>> {
    match (method, path) {
        ("GET", "/") => mr.get(page),
        ("GET", "/openapi.json") => mr.get(openapi),
        ("GET", "/v1/health") => mr.get(health),
        ("GET", "/v1/zoo") => mr.get(zoo),
        ("GET", "/v1/models") => mr.get(models),
        ("GET", "/v1/datasets") => mr.get(datasets),
        ("GET", "/v1/recommend") => mr.get(recommend_get),
        ("POST", "/v1/recommend") => mr.post(recommend_post),
        ("GET", "/v1/eval") => mr.get(eval_get),
        ("POST", "/v1/jobs") => mr.post(jobs_post),
        ("GET", "/v1/jobs/{id}") => mr.get(job_get),
        ("POST", "/v1/records") => mr.post(records_post),
        ("POST", "/v1/import/records") => mr.post(import_records),
        ("POST", "/v1/import/models") => mr.post(import_models),
        ("POST", "/v1/import/transfergraph") => mr.post(import_transfergraph),
        _ => unreachable!("ROUTES and add_route disagree on {method} {path}"),
    }
}

/// 404 for paths the API does not have.
pub(crate) async fn fallback(method: Method, uri: Uri) -> ApiError {
    ApiError::no_route(&format!("{method} {}", truncate(uri.path())))
}

/// Whether `method path` is a write (it needs the bearer token).
pub(crate) fn is_write(method: &Method, path: &str) -> bool {
    method == Method::POST && (path == "/v1/records" || path.starts_with("/v1/import/"))
}

/// Checks the bearer token of a write.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "writes_disabled",
            "this server was started without --token-file, so it takes no writes",
        ));
    };
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "writes need the header 'Authorization: Bearer <token>'",
        ));
    };
    let given = value
        .as_bytes()
        .strip_prefix(b"Bearer ")
        .ok_or_else(|| unauthorized("the Authorization header must be 'Bearer <token>'"))?;
    // Compared in constant time, so the answer's timing says nothing of the token's bytes.
    if bool::from(given.ct_eq(token.as_slice())) {
        Ok(())
    } else {
        Err(unauthorized("wrong token"))
    }
}

fn json_bytes(status: StatusCode, bytes: Bytes) -> Response {
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Parses a JSON body into `T`, naming what is wrong and where.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::field("body", "the request needs a JSON body"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::field("body", format!("invalid JSON body: {e}")))
}

fn check_name(field: &str, s: &str) -> Result<(), ApiError> {
    if s.trim().is_empty() {
        return Err(ApiError::field(field, format!("'{field}' is empty")));
    }
    if s.len() > MAX_NAME {
        return Err(ApiError::field(
            field,
            format!("'{field}' is {} bytes long; at most {MAX_NAME}", s.len()),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::field(
            field,
            format!("'{field}' contains control characters"),
        ));
    }
    Ok(())
}

/// Parses a method id; a method reading a stored score the zoo does not have is refused here,
/// naming the field, rather than by the ranking.
fn parse_method(field: &str, s: &str, snap: &Snapshot) -> Result<MethodSpec, ApiError> {
    check_name(field, s)?;
    let m = s
        .parse::<MethodSpec>()
        .map_err(|e| ApiError::field(field, chain(&e)))?;
    let stored = snap.zoo.score_methods();
    if let Some(missing) = m
        .stored_scores()
        .into_iter()
        .find(|x| !stored.iter().any(|s| s == x))
    {
        return Err(ApiError::field(
            field,
            format!(
                "method '{}': the zoo has no stored score '{}' (stored: {}); other methods: popularity, trend, lr, trend+lr, guard+trend+lr, lr+node2vec, ... (see zoorank eval --help)",
                truncate(s),
                truncate(missing),
                if stored.is_empty() { "none".to_string() } else { stored.join(", ") }
            ),
        ));
    }
    Ok(m)
}

/// The `modality` query parameter, if given.
fn modality_param(p: &Params) -> Result<Option<Modality>, ApiError> {
    p.str("modality")
        .map(|m| parse_modality("modality", m))
        .transpose()
}

fn parse_modality(field: &str, s: &str) -> Result<Modality, ApiError> {
    Modality::parse(s).ok_or_else(|| {
        ApiError::field(
            field,
            format!("unknown modality '{}' (image or text)", truncate(s)),
        )
    })
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

async fn health(State(state): St) -> Json<Value> {
    Json(json!({ "status": "ok", "zoo_version": state.snapshot().version }))
}

async fn zoo(State(state): St, RawQuery(q): RawQuery) -> Result<Json<Value>, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let s = state.snapshot();
    Ok(Json(json!({
        "zoo_version": s.version,
        "stats": s.stats,
        "default_method": zoorank_engine::DEFAULT_METHOD,
        "score_methods": s.zoo.score_methods(),
    })))
}

/// `offset` and `limit` of a listing.
fn paging(p: &Params) -> Result<(usize, usize), ApiError> {
    let offset = p.uint("offset", 0, 1 << 40)?.unwrap_or(0) as usize;
    let limit = p.uint("limit", 1, 1000)?.unwrap_or(100) as usize;
    Ok((offset, limit))
}

fn page_of<T: serde::Serialize>(items: Vec<T>, offset: usize, limit: usize) -> Json<Value> {
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    Json(json!({ "total": total, "offset": offset, "limit": limit, "items": items }))
}

/// The query parameters of a `/models` or `/datasets` query: the catalog filter's, the
/// listing's own filters `more`, and the paging.
fn catalog_params(q: Option<&str>, more: &[&str]) -> Result<Params, ApiError> {
    let known: Vec<&str> = ["name", "modality", "with_records"]
        .into_iter()
        .chain(more.iter().copied())
        .chain(["offset", "limit"])
        .collect();
    Params::parse(q, &known)
}

/// The catalog filter of a `/models` or `/datasets` query.
fn catalog_filter(p: &Params) -> Result<CatalogFilter, ApiError> {
    Ok(CatalogFilter {
        name: p.str("name").map(str::to_string),
        modality: modality_param(p)?,
        with_records: p.bool("with_records")?.unwrap_or(false),
    })
}

/// The page of the catalog `entries` (models or datasets) that `keep(i, entry)` lets
/// through, each as its JSON with `annotate(i, json)` adding its counts.
fn catalog_page<T: serde::Serialize>(
    p: &Params,
    entries: &[T],
    keep: impl Fn(usize, &T) -> bool,
    annotate: impl Fn(usize, &mut Value),
) -> Result<Json<Value>, ApiError> {
    let (offset, limit) = paging(p)?;
    let items: Vec<Value> = entries
        .iter()
        .enumerate()
        .filter(|(i, e)| keep(*i, e))
        .map(|(i, e)| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            annotate(i, &mut v);
            v
        })
        .collect();
    Ok(page_of(items, offset, limit))
}

async fn models(State(state): St, RawQuery(q): RawQuery) -> Result<Json<Value>, ApiError> {
    let p = catalog_params(q.as_deref(), &["architecture", "min_params", "max_params"])?;
    let filter = catalog_filter(&p)?;
    let arch = p.str("architecture");
    let (min_p, max_p) = (p.num("min_params")?, p.num("max_params")?);
    let s = state.snapshot();
    let records = &s.counts.per_model;
    catalog_page(
        &p,
        &s.zoo.models,
        |i, m| {
            filter.keeps(&m.name, m.modality, records[i])
                && (contains_text(m.architecture.as_deref(), arch)
                    || contains_text(m.model_type.as_deref(), arch))
                && min_p.is_none_or(|v| m.num_parameters.is_some_and(|n| n >= v))
                && max_p.is_none_or(|v| m.num_parameters.is_some_and(|n| n <= v))
        },
        |i, v| v["records"] = records[i].into(),
    )
}

async fn datasets(State(state): St, RawQuery(q): RawQuery) -> Result<Json<Value>, ApiError> {
    let p = catalog_params(q.as_deref(), &[])?;
    let filter = catalog_filter(&p)?;
    let s = state.snapshot();
    let (records, models) = (&s.counts.per_dataset, &s.counts.models_per_dataset);
    catalog_page(
        &p,
        &s.zoo.datasets,
        |i, d| filter.keeps(&d.name, d.modality, records[i]),
        |i, v| {
            v["records"] = records[i].into();
            v["models"] = models[i].into();
        },
    )
}

/// Checks a recommendation request before it reaches an engine.
fn check_recommend(req: &RecommendRequest) -> Result<(), ApiError> {
    check_name("target", &req.target)?;
    if req.top == Some(0) {
        return Err(ApiError::field("top", "'top' must be at least 1"));
    }
    Ok(())
}

async fn recommend_get(State(state): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(
        q.as_deref(),
        &["target", "method", "top", "seed", "explain"],
    )?;
    let target = p.required("target")?;
    let mut req = RecommendRequest::new(target);
    if let Some(m) = p.str("method") {
        req.method = parse_method("method", m, &state.snapshot())?;
    }
    req.top = p.uint("top", 1, 1_000_000)?.map(|t| t as usize);
    req.seed = p.uint("seed", 0, u64::MAX)?.unwrap_or(0);
    req.explain = p.bool("explain")?.unwrap_or(false);
    check_recommend(&req)?;
    let bytes = state.recommend(req).await?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

/// `POST /v1/recommend`: the body is a [`RecommendRequest`] as JSON where only `target` is
/// required; every other field defaults as in [`RecommendRequest::new`]. Fields the engine's
/// request gains (e.g. observed runs on the target) are accepted as they appear there.
async fn recommend_post(
    State(state): St,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let body: Value = parse_body(&body)?;
    let Value::Object(fields) = body else {
        return Err(ApiError::field("body", "the body must be a JSON object"));
    };
    let target = match fields.get("target") {
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(ApiError::field("target", "'target' must be a string")),
        None => return Err(ApiError::field("target", "'target' is required")),
    };
    check_name("target", &target)?;
    let mut merged = serde_json::to_value(RecommendRequest::new(target))
        .map_err(|e| ApiError::internal(format!("serialising the default request: {e}")))?;
    // The observed runs (each `{model, accuracy, kind}`, kind `finetune` by default or
    // `linear-probe`) are left out of the default's JSON when empty; they are a field all
    // the same.
    if let Some(o) = merged.as_object_mut() {
        o.entry("observed").or_insert(Value::Array(Vec::new()));
    }
    for (k, v) in fields {
        match merged.get_mut(&k) {
            Some(slot) => *slot = v,
            None => {
                let known: Vec<&String> = merged
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                return Err(ApiError::field(
                    truncate(&k),
                    format!(
                        "unknown field '{}' (known: {})",
                        truncate(&k),
                        known
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    if let Some(Value::String(m)) = merged.get("method") {
        // Parsed here first for an error that names the field.
        parse_method("method", m, &state.snapshot())?;
    }
    let req: RecommendRequest = serde_json::from_value(merged)
        .map_err(|e| ApiError::field("body", format!("invalid request: {e}")))?;
    check_recommend(&req)?;
    let bytes = state.recommend(req).await?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

/// Evaluation parameters, as a job body or the query of `GET /v1/eval`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvalBody {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    methods: Option<Vec<String>>,
    #[serde(default)]
    targets: Option<Vec<String>>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    include_peft: Option<bool>,
    #[serde(default)]
    model_ratios: Option<Vec<f64>>,
    #[serde(default)]
    ratio_subsets: Option<u64>,
}

fn eval_request(b: EvalBody, snap: &Snapshot) -> Result<EvalRequest, ApiError> {
    if let Some(k) = &b.kind {
        if k != "eval" {
            return Err(ApiError::field(
                "kind",
                format!("unknown job kind '{}' (the only kind is eval)", truncate(k)),
            ));
        }
    }
    let too_long = |f: &str, n: usize| {
        (n > MAX_LIST)
            .then(|| ApiError::field(f, format!("'{f}' has {n} items; at most {MAX_LIST}")))
    };
    let methods = match b.methods {
        None => None,
        Some(ms) => {
            if let Some(e) = too_long("methods", ms.len()) {
                return Err(e);
            }
            if ms.is_empty() {
                return Err(ApiError::field("methods", "'methods' is empty"));
            }
            Some(
                ms.iter()
                    .enumerate()
                    .map(|(i, m)| parse_method(&format!("methods[{i}]"), m, snap))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
    };
    if let Some(ts) = &b.targets {
        if let Some(e) = too_long("targets", ts.len()) {
            return Err(e);
        }
        if ts.is_empty() {
            return Err(ApiError::field("targets", "'targets' is empty"));
        }
        for (i, t) in ts.iter().enumerate() {
            let field = format!("targets[{i}]");
            check_name(&field, t)?;
            let known = snap
                .zoo
                .dataset_index(t)
                .is_some_and(|d| snap.counts.per_dataset[d] > 0);
            if !known {
                return Err(ApiError {
                    status: StatusCode::NOT_FOUND,
                    code: "unknown_target",
                    message: format!(
                        "no dataset '{}' with fine-tuning records in the zoo (GET /v1/datasets?with_records=true)",
                        truncate(t)
                    ),
                    field: Some(field),
                });
            }
        }
    }
    let ratios = b.model_ratios.unwrap_or_default();
    if let Some(e) = too_long("model_ratios", ratios.len()) {
        return Err(e);
    }
    for (i, &r) in ratios.iter().enumerate() {
        if !(r > 0.0 && r <= 1.0) {
            return Err(ApiError::field(
                format!("model_ratios[{i}]"),
                format!("model ratio {r} must be in (0, 1]"),
            ));
        }
    }
    let subsets = b.ratio_subsets.unwrap_or(3);
    if !(1..=20).contains(&subsets) {
        return Err(ApiError::field(
            "ratio_subsets",
            "'ratio_subsets' must be from 1 to 20",
        ));
    }
    Ok(EvalRequest {
        methods,
        targets: b.targets,
        include_peft: b.include_peft.unwrap_or(false),
        seed: b.seed.unwrap_or(0),
        // One thread: an evaluation must not starve the rankings served meanwhile.
        threads: Some(1),
        model_ratios: ratios,
        ratio_subsets: subsets,
        ..EvalRequest::default()
    })
}

/// Queues the evaluation `body` asks for on the zoo as it is now (or finds the same one,
/// queued or done) and answers with its job.
fn submit_eval(state: &AppState, body: EvalBody) -> Result<Response, ApiError> {
    let snap = state.snapshot();
    let req = eval_request(body, &snap)?;
    let (view, created) = state.jobs.submit(&snap.version, req)?;
    Ok(job_response(view, created))
}

fn job_response(view: crate::jobs::JobView, created: bool) -> Response {
    let status = match view.status {
        crate::jobs::JobStatus::Done | crate::jobs::JobStatus::Failed if !created => StatusCode::OK,
        _ => StatusCode::ACCEPTED,
    };
    let location = format!("/v1/jobs/{}", view.id);
    let mut r = (status, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

async fn eval_get(State(state): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(
        q.as_deref(),
        &[
            "methods",
            "targets",
            "seed",
            "include_peft",
            "model_ratios",
            "ratio_subsets",
        ],
    )?;
    let model_ratios = match p.list("model_ratios") {
        None => None,
        Some(v) => Some(
            v.iter()
                .enumerate()
                .map(|(i, s)| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            ApiError::field(
                                format!("model_ratios[{i}]"),
                                format!("'{}' is not a number", truncate(s)),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let body = EvalBody {
        kind: None,
        methods: p.list("methods"),
        targets: p.list("targets"),
        seed: p.uint("seed", 0, u64::MAX)?,
        include_peft: p.bool("include_peft")?,
        model_ratios,
        ratio_subsets: p.uint("ratio_subsets", 1, 20)?,
    };
    submit_eval(&state, body)
}

async fn jobs_post(
    State(state): St,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let b: EvalBody = if body.is_empty() {
        EvalBody::default()
    } else {
        parse_body(&body)?
    };
    submit_eval(&state, b)
}

async fn job_get(
    State(state): St,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let n: u64 = id.parse().map_err(|_| {
        ApiError::field(
            "id",
            format!("job id '{}' is not a whole number", truncate(&id)),
        )
    })?;
    match state.jobs.get(n) {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError {
            status: StatusCode::NOT_FOUND,
            code: "unknown_job",
            message: format!("no job {n} (finished jobs are kept for a while only)"),
            field: Some("id".into()),
        }),
    }
}

/// One fine-tuning run in `POST /v1/records`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordIn {
    model: String,
    dataset: String,
    accuracy: f64,
    #[serde(default)]
    learning_rate: Option<f64>,
    #[serde(default)]
    epochs: Option<f64>,
    #[serde(default)]
    batch_size: Option<f64>,
    #[serde(default)]
    train_runtime: Option<f64>,
    #[serde(default)]
    peft_method: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    curve: Option<Vec<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsBody {
    records: Vec<RecordIn>,
    #[serde(default)]
    modality: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

fn record_row(i: usize, r: RecordIn, source: &str) -> Result<RecordRow, ApiError> {
    let f = |name: &str| format!("records[{i}].{name}");
    check_name(&f("model"), &r.model)?;
    check_name(&f("dataset"), &r.dataset)?;
    for (name, v) in [
        ("learning_rate", r.learning_rate),
        ("epochs", r.epochs),
        ("batch_size", r.batch_size),
        ("train_runtime", r.train_runtime),
    ] {
        if v.is_some_and(|v| v < 0.0) {
            return Err(ApiError::field(f(name), format!("'{name}' must be ≥ 0")));
        }
    }
    if let Some(p) = &r.peft_method {
        check_name(&f("peft_method"), p)?;
    }
    if r.curve.as_ref().is_some_and(|c| c.len() > 10_000) {
        return Err(ApiError::field(
            f("curve"),
            "a curve has at most 10000 points",
        ));
    }
    let peft = r.peft_method.map(|s| s.to_ascii_lowercase());
    Ok(RecordRow {
        run_key: run_key(&[
            ("lr", r.learning_rate.map(|v| v.to_string())),
            ("epochs", r.epochs.map(|v| v.to_string())),
            ("batch_size", r.batch_size.map(|v| v.to_string())),
            ("seed", r.seed.map(|v| v.to_string())),
            ("peft", peft.clone()),
        ]),
        run: zoorank_core::Record {
            model: r.model,
            dataset: r.dataset,
            accuracy: r.accuracy,
            learning_rate: r.learning_rate,
            epochs: r.epochs,
            batch_size: r.batch_size,
            train_runtime: r.train_runtime,
            peft_method: peft,
            curve: r.curve,
        },
        source: source.to_string(),
    })
}

/// `POST /v1/records`: fine-tuning runs as JSON, written in one transaction. Every distinct
/// run is kept; a run identical to a stored one changes nothing (as `zoorank import records`).
async fn records_post(
    State(state): St,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let b: RecordsBody = parse_body(&body)?;
    if b.records.is_empty() {
        return Err(ApiError::field("records", "'records' is empty"));
    }
    if b.records.len() > MAX_RECORDS {
        return Err(ApiError::field(
            "records",
            format!(
                "{} records; at most {MAX_RECORDS} per request",
                b.records.len()
            ),
        ));
    }
    let modality = b
        .modality
        .as_deref()
        .map(|m| parse_modality("modality", m))
        .transpose()?;
    let source = b.source.unwrap_or_else(|| "api".to_string());
    check_name("source", &source)?;
    let records = b
        .records
        .into_iter()
        .enumerate()
        .map(|(i, r)| record_row(i, r, &source))
        .collect::<Result<Vec<_>, _>>()?;
    let mut batch = Batch {
        records,
        runs: RunIdentity::EveryRun,
        ..Batch::default()
    };
    if modality.is_some() {
        let mut models: Vec<&str> = batch.records.iter().map(|r| r.run.model.as_str()).collect();
        let mut dsets: Vec<&str> = batch
            .records
            .iter()
            .map(|r| r.run.dataset.as_str())
            .collect();
        models.sort_unstable();
        models.dedup();
        dsets.sort_unstable();
        dsets.dedup();
        let models = models
            .into_iter()
            .map(|m| zoorank_store::ModelRow::named(m, modality))
            .collect();
        let dsets = dsets
            .into_iter()
            .map(|d| zoorank_store::DatasetRow::of(d, modality))
            .collect();
        batch.models = models;
        batch.datasets = dsets;
    }
    let counts = state
        .write(move |store| {
            store.apply(&batch).map_err(|e| match e {
                zoorank_store::StoreError::Invalid { .. } => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_records",
                    chain(&e),
                ),
                e => ApiError::internal(format!("writing the records: {}", chain(&e))),
            })
        })
        .await?;
    Ok(Json(json!({
        "counts": counts,
        "zoo_version": state.snapshot().version,
    }))
    .into_response())
}

/// Maps an import failure: the content sent is refused with 422, the store failing is a 500.
fn import_error(e: ImportError, upload: Option<&std::path::Path>) -> ApiError {
    let mut msg = chain(&e);
    if let Some(dir) = upload {
        // Name the upload, not the temporary file it was written to.
        msg = msg.replace(&format!("{}/", dir.display()), "");
    }
    match e {
        ImportError::Store(zoorank_store::StoreError::Invalid { .. }) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "import_refused", msg)
        }
        ImportError::Store(_) => ApiError::internal(format!("{msg} (nothing was written)")),
        _ => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            format!("{msg} (nothing was written)"),
        ),
    }
}

fn import_options(p: &Params) -> Result<ImportOptions, ApiError> {
    Ok(ImportOptions {
        skip_bad_rows: p.bool("skip_bad_rows")?.unwrap_or(false),
        dry_run: p.bool("dry_run")?.unwrap_or(false),
    })
}

fn delimiter(p: &Params) -> Result<Option<u8>, ApiError> {
    match p.str("delimiter") {
        None => Ok(None),
        Some("tab") | Some("\t") => Ok(Some(b'\t')),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(Some(s.as_bytes()[0])),
        Some(s) => Err(ApiError::field(
            "delimiter",
            format!(
                "'delimiter' must be one ASCII character or 'tab', got '{}'",
                truncate(s)
            ),
        )),
    }
}

/// The query parameters every CSV upload takes besides its own `columns`: the file's modality
/// and delimiter, and the import options.
fn upload_params(q: Option<&str>, columns: &[&str]) -> Result<Params, ApiError> {
    let known: Vec<&str> = columns
        .iter()
        .copied()
        .chain(["modality", "delimiter", "skip_bad_rows", "dry_run"])
        .collect();
    Params::parse(q, &known)
}

/// Writes an uploaded CSV body to a temporary directory as `upload.csv`.
fn save_upload(body: &[u8]) -> Result<(tempfile::TempDir, std::path::PathBuf), ApiError> {
    if body.is_empty() {
        return Err(ApiError::field("body", "the request needs a CSV body"));
    }
    let dir = tempfile::tempdir()
        .map_err(|e| ApiError::internal(format!("creating a temporary directory: {e}")))?;
    let path = dir.path().join("upload.csv");
    std::fs::write(&path, body)
        .map_err(|e| ApiError::internal(format!("saving the upload: {e}")))?;
    Ok((dir, path))
}

async fn import_records(
    State(state): St,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = upload_params(
        q.as_deref(),
        &[
            "model_col",
            "dataset_col",
            "accuracy_col",
            "lr_col",
            "epochs_col",
            "batch_size_col",
            "runtime_col",
            "peft_col",
            "seed_col",
            "curve_col",
            "keep_last",
        ],
    )?;
    let col = |n: &str| p.str(n).map(str::to_string);
    let spec = RecordsCsvSpec {
        model_col: p.required("model_col")?.to_string(),
        dataset_col: p.required("dataset_col")?.to_string(),
        accuracy_col: p.required("accuracy_col")?.to_string(),
        lr_col: col("lr_col"),
        epochs_col: col("epochs_col"),
        batch_size_col: col("batch_size_col"),
        runtime_col: col("runtime_col"),
        peft_col: col("peft_col"),
        seed_col: col("seed_col"),
        curve_col: col("curve_col"),
        modality: modality_param(&p)?,
        delimiter: delimiter(&p)?,
        keep_last: p.bool("keep_last")?.unwrap_or(false),
    };
    let opts = import_options(&p)?;
    import_upload(&state, &body, move |store, path| {
        import::import_records(store, path, &spec, opts)
    })
    .await
}

async fn import_models(
    State(state): St,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = upload_params(q.as_deref(), &["id_col"])?;
    let spec = ModelsCsvSpec {
        id_col: p.required("id_col")?.to_string(),
        modality: modality_param(&p)?,
        delimiter: delimiter(&p)?,
    };
    let opts = import_options(&p)?;
    import_upload(&state, &body, move |store, path| {
        import::import_models(store, path, &spec, opts)
    })
    .await
}

/// Saves the CSV upload `body` and runs the import `run` on it with the writer; answers the import's
/// report and the zoo's version after it.
async fn import_upload<R: serde::Serialize + Send + 'static>(
    state: &Arc<AppState>,
    body: &Bytes,
    run: impl FnOnce(&mut Store, &std::path::Path) -> Result<R, ImportError> + Send + 'static,
) -> Result<Response, ApiError> {
    let (dir, path) = save_upload(body)?;
    let report = state
        .write(move |store| run(store, &path).map_err(|e| import_error(e, Some(dir.path()))))
        .await?;
    Ok(imported(state, report))
}

/// The answer to an import: its report and the zoo's version after it.
fn imported(state: &AppState, report: impl serde::Serialize) -> Response {
    Json(json!({ "report": report, "zoo_version": state.snapshot().version })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirImport {
    dir: String,
    #[serde(default)]
    skip_bad_rows: bool,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /v1/import/transfergraph`: imports a TransferGraph directory that is on the
/// server's disk (a zoo is several files; the token holder names where they are).
async fn import_transfergraph(
    State(state): St,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref(), &[])?;
    let b: DirImport = parse_body(&body)?;
    check_name("dir", &b.dir)?;
    let dir = std::path::PathBuf::from(&b.dir);
    if !dir.is_absolute() {
        return Err(ApiError::field(
            "dir",
            "'dir' must be an absolute path on the server",
        ));
    }
    if !dir.is_dir() {
        return Err(ApiError::field(
            "dir",
            format!("{} is not a directory on the server", truncate(&b.dir)),
        ));
    }
    let opts = ImportOptions {
        skip_bad_rows: b.skip_bad_rows,
        dry_run: b.dry_run,
    };
    let report = state
        .write(move |store| {
            import::import_transfergraph(store, &dir, opts).map_err(|e| import_error(e, None))
        })
        .await?;
    Ok(imported(&state, report))
}

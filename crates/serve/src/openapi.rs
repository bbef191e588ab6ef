//! The OpenAPI 3.1 document served at `/openapi.json`, written out by hand from the routes
//! (a test checks that it lists exactly [`crate::ROUTES`], each with its query parameters).

use serde_json::{json, Value};

/// An optional query parameter of type `ty`.
fn opt(name: &str, ty: &str, description: &str) -> Value {
    query_param(name, ty, false, description)
}

/// A required query parameter of type `ty`.
fn req(name: &str, ty: &str, description: &str) -> Value {
    query_param(name, ty, true, description)
}

fn query_param(name: &str, ty: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": required,
        "description": description, "schema": { "type": ty }
    })
}

fn ok(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn errors(codes: &[u16]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|c| {
            (
                c.to_string(),
                json!({ "description": match c {
                    400 => "a query parameter or body field is wrong (`error.field` names it)",
                    401 => "missing or wrong bearer token",
                    403 => "the server takes no writes (started without --token-file)",
                    404 => "no such target, job or route",
                    413 => "the body is larger than the server's limit",
                    422 => "the request is well formed but the zoo cannot answer it (e.g. a method that cannot rank the target, an import refused)",
                    429 => "too many jobs waiting",
                    _ => "error",
                }, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
            )
        })
        .collect()
}

fn op(
    summary: &str,
    params: Vec<Value>,
    body: Option<Value>,
    ok_code: u16,
    ok_desc: &str,
    err: &[u16],
    write: bool,
) -> Value {
    let mut responses = errors(err);
    responses.insert(ok_code.to_string(), ok(ok_desc));
    let mut o = json!({ "summary": summary, "parameters": params, "responses": responses });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    if write {
        o["security"] = json!([{ "bearer": [] }]);
    }
    o
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn csv_body() -> Value {
    json!({ "required": true, "content": { "text/csv": { "schema": { "type": "string" } } } })
}

/// The query parameters every CSV upload takes after its own columns (as the server's
/// `upload_params`).
fn upload_params() -> Vec<Value> {
    vec![
        opt("modality", "string", "image or text"),
        opt(
            "delimiter",
            "string",
            "one ASCII character or 'tab' (default ',')",
        ),
        opt(
            "skip_bad_rows",
            "boolean",
            "import the good rows and list the bad ones instead of refusing the whole import",
        ),
        opt(
            "dry_run",
            "boolean",
            "validate and report only; write nothing",
        ),
    ]
}

/// The query parameters of a catalog listing of `what` (`/v1/models`, `/v1/datasets`): the
/// filters every catalog takes, its own filters `more`, and the paging.
fn catalog_params(what: &str, more: Vec<Value>) -> Vec<Value> {
    let mut params = vec![
        opt("name", "string", "name contains (case-insensitive)"),
        opt("modality", "string", "image or text"),
        opt(
            "with_records",
            "boolean",
            &format!("only {what} with fine-tuning records"),
        ),
    ];
    params.extend(more);
    params.extend([
        opt("offset", "integer", "items to skip (default 0)"),
        opt("limit", "integer", "items to return, 1..1000 (default 100)"),
    ]);
    params
}

/// The document.
pub fn document() -> Value {
    let models_params = catalog_params(
        "models",
        vec![
            opt(
                "architecture",
                "string",
                "architecture class or model type contains (case-insensitive)",
            ),
            opt("min_params", "number", "at least this many parameters"),
            opt("max_params", "number", "at most this many parameters"),
        ],
    );
    let datasets_params = catalog_params("datasets", vec![]);
    let recommend_params = vec![
        req("target", "string", "the target dataset's name (GET /v1/datasets)"),
        opt("method", "string", "ranking method id (default trend+lr; e.g. popularity, lr, guard+trend+lr+node2vec, logme)"),
        opt("top", "integer", "return the best K models (default: all)"),
        opt("seed", "integer", "seed for the learner (default 0)"),
        opt("explain", "boolean", "add each returned model's explanation"),
    ];
    let eval_params = vec![
        opt(
            "methods",
            "string",
            "comma-separated method ids (default: zoorank eval's set)",
        ),
        opt(
            "targets",
            "string",
            "comma-separated target datasets (default: every dataset with records of two models)",
        ),
        opt("seed", "integer", "seed (default 0)"),
        opt("include_peft", "boolean", "count parameter-efficient runs"),
        opt(
            "model_ratios",
            "string",
            "comma-separated fractions in (0, 1] of the models to also evaluate on",
        ),
        opt(
            "ratio_subsets",
            "integer",
            "random subsets per model ratio, 1..20 (default 3)",
        ),
    ];
    let mut records_csv = vec![
        req("model_col", "string", "column with the model id"),
        req("dataset_col", "string", "column with the dataset name"),
        req("accuracy_col", "string", "column with the accuracy"),
        opt("lr_col", "string", "learning-rate column"),
        opt("epochs_col", "string", "epochs column"),
        opt("batch_size_col", "string", "batch-size column"),
        opt("runtime_col", "string", "training-seconds column"),
        opt("peft_col", "string", "PEFT-method column"),
        opt("seed_col", "string", "seed column"),
        opt("curve_col", "string", "per-epoch validation curve column"),
        opt(
            "keep_last",
            "boolean",
            "keep only the last row of each (model, dataset, hyper-parameters)",
        ),
    ];
    records_csv.extend(upload_params());
    let mut models_csv = vec![req("id_col", "string", "column with the model id")];
    models_csv.extend(upload_params());
    let eval_body = json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "kind": { "type": "string", "enum": ["eval"] },
            "methods": { "type": "array", "items": { "type": "string" }, "maxItems": 64 },
            "targets": { "type": "array", "items": { "type": "string" }, "maxItems": 64 },
            "seed": { "type": "integer", "minimum": 0 },
            "include_peft": { "type": "boolean" },
            "model_ratios": { "type": "array", "items": { "type": "number", "exclusiveMinimum": 0, "maximum": 1 } },
            "ratio_subsets": { "type": "integer", "minimum": 1, "maximum": 20 }
        }
    });
    let record = json!({
        "type": "object", "additionalProperties": false,
        "required": ["model", "dataset", "accuracy"],
        "properties": {
            "model": { "type": "string" }, "dataset": { "type": "string" },
            "accuracy": { "type": "number" },
            "learning_rate": { "type": "number", "minimum": 0 },
            "epochs": { "type": "number", "minimum": 0 },
            "batch_size": { "type": "number", "minimum": 0 },
            "train_runtime": { "type": "number", "minimum": 0 },
            "peft_method": { "type": "string" },
            "seed": { "type": "integer", "minimum": 0 },
            "curve": { "type": "array", "items": { "type": "number" } }
        }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "zoorank",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Which pre-trained model should I fine-tune on my data, and how well will it do? Reads are open; writes need 'Authorization: Bearer <token>'. Errors are {\"error\": {status, code, message, field?}}."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "required": ["status", "code", "message"], "properties": {
                        "status": { "type": "integer" }, "code": { "type": "string" },
                        "message": { "type": "string" }, "field": { "type": "string" } } } }
                }
            }
        },
        "paths": {
            "/": { "get": {
                "summary": "the web page: pick a target, see the ranked models (?target=NAME preselects one)",
                "parameters": [opt("target", "string", "target to show on load")],
                "responses": { "200": { "description": "HTML", "content": { "text/html": {} } } }
            } },
            "/openapi.json": { "get": op("this document", vec![], None, 200, "OpenAPI 3.1", &[], false) },
            "/v1/health": { "get": op("liveness and the zoo version served", vec![], None, 200, "{status, zoo_version}", &[], false) },
            "/v1/zoo": { "get": op("counts of what the zoo holds, its version, default method and stored score methods", vec![], None, 200, "{zoo_version, stats, default_method, score_methods}", &[400], false) },
            "/v1/models": { "get": op("models with metadata and record counts, filtered and paged", models_params, None, 200, "{total, offset, limit, items}", &[400], false) },
            "/v1/datasets": { "get": op("datasets with record and model counts, filtered and paged", datasets_params, None, 200, "{total, offset, limit, items}", &[400], false) },
            "/v1/recommend": {
                "get": op("every candidate model ranked for the target: predicted accuracy, evidence, explanations (the engine's Recommendation, as `zoorank recommend --json`)", recommend_params, None, 200, "Recommendation", &[400, 404, 422], false),
                "post": op("as GET, with the request as a JSON body (only target required; fields as the engine's RecommendRequest, e.g. observed runs where the engine takes them)", vec![],
                    Some(json_body(json!({ "type": "object", "required": ["target"], "properties": {
                        "target": { "type": "string" }, "method": { "type": "string" },
                        "top": { "type": ["integer", "null"], "minimum": 1 }, "seed": { "type": "integer" },
                        "explain": { "type": "boolean" } } }))),
                    200, "Recommendation", &[400, 404, 413, 422], false)
            },
            "/v1/eval": { "get": op("leave-one-dataset-out evaluation, run as a job: 202 with the job (poll /v1/jobs/{id}); 200 with the result when the same evaluation on the same zoo is done", eval_params, None, 202, "Job", &[400, 404, 429], false) },
            "/v1/jobs": { "post": op("start an evaluation job", vec![], Some(json_body(eval_body)), 202, "Job (Location: /v1/jobs/{id})", &[400, 404, 413, 429], false) },
            "/v1/jobs/{id}": { "get": op("a job: status (queued, running, done, failed), progress, result or error",
                vec![json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } })],
                None, 200, "Job", &[400, 404], false) },
            "/v1/records": { "post": op("add fine-tuning runs (one transaction: all or nothing; identical runs change nothing)", vec![],
                Some(json_body(json!({ "type": "object", "additionalProperties": false, "required": ["records"], "properties": {
                    "records": { "type": "array", "items": record, "maxItems": 100000 },
                    "modality": { "type": "string", "enum": ["image", "text"] },
                    "source": { "type": "string" } } }))),
                200, "{counts, zoo_version}", &[400, 401, 403, 413, 422], true) },
            "/v1/import/records": { "post": op("import a CSV of fine-tuning results (as `zoorank import records`)", records_csv, Some(csv_body()), 200, "{report, zoo_version}", &[400, 401, 403, 413, 422], true) },
            "/v1/import/models": { "post": op("import a CSV of model metadata (as `zoorank import models`)", models_csv, Some(csv_body()), 200, "{report, zoo_version}", &[400, 401, 403, 413, 422], true) },
            "/v1/import/transfergraph": { "post": op("import a TransferGraph directory on the server's disk (as `zoorank import transfergraph`)", vec![],
                Some(json_body(json!({ "type": "object", "additionalProperties": false, "required": ["dir"], "properties": {
                    "dir": { "type": "string", "description": "absolute path on the server" },
                    "skip_bad_rows": { "type": "boolean" }, "dry_run": { "type": "boolean" } } }))),
                200, "{report, zoo_version}", &[400, 401, 403, 413, 422], true) }
        }
    })
}

//! The webhooks REST API on both databases: every operation, validation
//! refusals naming their field, secrets at rest, paging, permissions and tenant isolation.

use axum::{body::Body, http::Request, response::Response};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{body_text, json_ok, Engine, ServerFnBody, TestApp};

on_both_databases!(
    a_webhook_goes_through_every_operation_on_both_paths,
    invalid_webhooks_are_refused_naming_the_field,
    bodies_are_checked_before_anything_is_stored,
    json_patch_is_atomic_and_limited_to_writable_fields,
    secrets_are_stored_encrypted_and_never_returned,
    paging_walks_250_webhooks_both_ways_in_every_sort,
    filters_match_case_insensitively_and_literally,
    permissions_follow_the_role_and_tenants_are_isolated,
    quotas_and_rate_limits_refuse_with_403_and_429,
    tenant_admins_manage_custom_event_types,
    an_unavailable_database_answers_503,
    owner_and_audit_filters_and_level_switches,
    reads_are_limited_and_links_carry_the_filters,
);

pub const ADMIN: &str = "ada@example.com";

/// A signed-in admin's API key with the `webhooks` scope, for the user `owner_id`.
pub async fn key_for(app: &TestApp, admin: &str, owner_id: &str) -> String {
    let created = json_ok(
        app.server_fn(
            "create_api_key",
            Some(admin),
            ServerFnBody::Json(
                json!({"owner_id": owner_id, "name": "tests", "scopes": ["webhooks"]}),
            ),
        )
        .await,
    )
    .await;
    created["key"].as_str().expect("key").to_owned()
}

pub async fn user_id(app: &TestApp, session: &str) -> String {
    let me = json_ok(
        app.server_fn("current_user", Some(session), ServerFnBody::empty())
            .await,
    )
    .await;
    me["id"].as_str().expect("id").to_owned()
}

/// A first admin and their key.
pub async fn admin_key(app: &TestApp) -> (String, String) {
    let session = app.first_admin(ADMIN).await;
    let id = user_id(app, &session).await;
    let key = key_for(app, &session, &id).await;
    (session, key)
}

impl TestApp {
    /// One REST call with a JSON body (when given) and the key.
    pub async fn api(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Response {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {key}"));
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.expect("valid request")).await
    }
}

pub fn webhook(name: &str) -> Value {
    json!({
        "name": name,
        "url": "https://hooks.example.com/in?token=abc",
        "eventTypes": ["com.qlik.v1.app.created"],
    })
}

/// The status and JSON body of a response.
pub async fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = body_text(response).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn pointer_of(body: &Value) -> &str {
    body["errors"][0]["source"]["pointer"]
        .as_str()
        .unwrap_or_default()
}

async fn a_webhook_goes_through_every_operation_on_both_paths(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    for base in ["/api/v1/webhooks", "/api/core/webhooks"] {
        let (status, created) =
            answer(app.api("POST", base, &key, Some(webhook("Reloads"))).await).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["enabled"], true, "POST defaults to enabled");
        assert_eq!(created["level"], "tenant", "a TenantAdmin's default level");
        assert_eq!(created["origin"], "api");
        assert_eq!(created["secretKeyAdded"], false);
        assert_eq!(created["checkCertificateRevocation"], false);
        let id = created["id"].as_str().expect("id").to_owned();
        let path = format!("{base}/{id}");

        let (status, fetched) = answer(app.api("GET", &path, &key, None).await).await;
        assert_eq!(status, 200);
        assert_eq!(fetched, created);

        let (status, replaced) = answer(
            app.api(
                "PUT",
                &path,
                &key,
                Some(json!({
                    "name": "Reloads v2", "url": "https://hooks.example.com/v2",
                    "eventTypes": ["com.qlik.v1.reload.finished"], "secret": "s".repeat(40)
                })),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{replaced}");
        assert_eq!(replaced["enabled"], false, "PUT without enabled disables");
        assert_eq!(replaced["secretKeyAdded"], true);
        assert_eq!(replaced["createdAt"], created["createdAt"]);

        let patch = json!([
            {"op": "replace", "path": "/enabled", "value": true},
            {"op": "add", "path": "/headers/X-Team", "value": "ops"},
            {"op": "replace", "path": "/description", "value": "patched"}
        ]);
        let response = app.api("PATCH", &path, &key, Some(patch)).await;
        assert_eq!(response.status(), 204);
        let (_, patched) = answer(app.api("GET", &path, &key, None).await).await;
        assert_eq!(patched["enabled"], true);
        assert_eq!(patched["headers"], json!({"X-Team": "ops"}));
        assert_eq!(patched["description"], "patched");
        assert_eq!(patched["secretKeyAdded"], true, "a patch keeps the secret");

        let (status, _) = answer(app.api("DELETE", &path, &key, None).await).await;
        assert_eq!(status, 204);
        let (status, missing) = answer(app.api("GET", &path, &key, None).await).await;
        assert_eq!(status, 404);
        assert_eq!(missing["errors"][0]["code"], "not-found");
    }
    let (status, types) = answer(
        app.api("GET", "/api/core/webhooks/event-types", &key, None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(types["data"].as_array().map(Vec::len), Some(9));
}

/// An https URL of exactly `length` characters.
fn long_url(length: usize) -> String {
    let start = "https://hooks.example.com/";
    format!("{start}{}", "p".repeat(length - start.len()))
}

async fn invalid_webhooks_are_refused_naming_the_field(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    let with_all = |fields: &[(&str, Value)]| {
        let mut body = webhook("x");
        for (field, value) in fields {
            body[*field] = value.clone();
        }
        body
    };
    let with = |field: &str, value: Value| with_all(&[(field, value)]);
    let cases = [
        (with("url", json!("https://127.0.0.1/")), "/url"),
        (with("url", json!("https://[::1]/")), "/url"),
        (with("url", json!("https://0x7f000001/")), "/url"),
        (with("url", json!("https://2130706433/")), "/url"),
        (with("url", json!("https://localhost/")), "/url"),
        (with("url", json!("http://example.com/")), "/url"),
        (with("url", json!("https://user:pw@example.com/")), "/url"),
        (
            with("headers", json!({"X-A": "one\r\ntwo"})),
            "/headers/X-A",
        ),
        (
            with("headers", json!({"Transfer-Encoding": "chunked"})),
            "/headers/Transfer-Encoding",
        ),
        (with("secret", json!("short")), "/secret"),
        (with("name", json!("")), "/name"),
        (with("eventTypes", json!([])), "/eventTypes"),
        (
            with("eventTypes", json!(["com.example.unknown"])),
            "/eventTypes/0",
        ),
        (with("filter", json!("id eq")), "/filter"),
        (
            with("checkCertificateRevocation", json!(true)),
            "/checkCertificateRevocation",
        ),
        (with("ownerId", json!("no-such-user")), "/ownerId"),
        (with("level", json!("team")), "/level"),
        (with("colour", json!("red")), "/colour"),
        // Lengths, one past each limit.
        (with("name", json!("n".repeat(513))), "/name"),
        (with("description", json!("d".repeat(1025))), "/description"),
        (with("url", json!(long_url(2049))), "/url"),
        (with("secret", json!("s".repeat(65))), "/secret"),
        (with("secret", json!("s".repeat(31))), "/secret"),
        (
            with("headers", json!({"X-Big": "v".repeat(2044)})),
            "/headers",
        ),
        (
            with("encryptedHeaders", json!({"X-Big": "v".repeat(2044)})),
            "/encryptedHeaders",
        ),
        // Names Herald sets itself, and hop-by-hop ones, in any case.
        (
            with("headers", json!({"host": "a.example.com"})),
            "/headers/host",
        ),
        (
            with("headers", json!({"Webhook-Id": "x"})),
            "/headers/Webhook-Id",
        ),
        (
            with("headers", json!({"Qlik-Signature": "x"})),
            "/headers/Qlik-Signature",
        ),
        (
            with("encryptedHeaders", json!({"Proxy-Authorization": "x"})),
            "/encryptedHeaders/Proxy-Authorization",
        ),
        (with("headers", json!({"X A": "x"})), "/headers/X A"),
        (
            with("headers", json!({"X-Nul": "a\u{0}b"})),
            "/headers/X-Nul",
        ),
        (
            with(
                "eventTypes",
                json!(["com.qlik.v1.app.created", "com.qlik.v1.app.created"]),
            ),
            "/eventTypes/1",
        ),
        // data.status only for exactly the app-reload type.
        (with("filter", json!("data.status eq \"ok\"")), "/filter"),
        // A user-level webhook may not use a tenant-only type.
        (
            with_all(&[
                ("level", json!("user")),
                ("eventTypes", json!(["com.qlik.v1.user.created"])),
            ]),
            "/eventTypes/0",
        ),
    ];
    for (body, pointer) in cases {
        let (status, error) = answer(
            app.api("POST", "/api/v1/webhooks", &key, Some(body.clone()))
                .await,
        )
        .await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(pointer_of(&error), pointer, "{body}: {error}");
    }
    // Exactly at each limit is accepted.
    let at_limits = with_all(&[
        ("name", json!("n".repeat(512))),
        ("description", json!("d".repeat(1024))),
        ("url", json!(long_url(2048))),
        ("secret", json!("s".repeat(64))),
        ("headers", json!({"X-Big": "v".repeat(2043)})),
        ("encryptedHeaders", json!({"X-Key": "v".repeat(2043)})),
    ]);
    let (status, created) = answer(
        app.api("POST", "/api/v1/webhooks", &key, Some(at_limits))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let mut reload_filter = webhook("Reloads that failed");
    reload_filter["eventTypes"] = json!(["com.qlik.v1.app.reload.finished"]);
    reload_filter["filter"] = json!("data.status eq \"failed\"");
    let (status, created_filter) = answer(
        app.api("POST", "/api/v1/webhooks", &key, Some(reload_filter))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created_filter}");
    for id in [&created["id"], &created_filter["id"]] {
        let id = id.as_str().expect("id");
        let response = app
            .api("DELETE", &format!("/api/v1/webhooks/{id}"), &key, None)
            .await;
        assert_eq!(response.status(), 204);
    }

    let mut both = webhook("x");
    both["headers"] = json!({"X-A": "1"});
    both["encryptedHeaders"] = json!({"x-a": "2"});
    let (status, error) = answer(app.api("POST", "/api/v1/webhooks", &key, Some(both)).await).await;
    assert_eq!(status, 400);
    assert_eq!(pointer_of(&error), "/encryptedHeaders/x-a");

    let (status, _) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &key,
            Some(with("createdAt", json!("x"))),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "read-only fields are a conflict");
    let (_, list) = answer(app.api("GET", "/api/v1/webhooks", &key, None).await).await;
    assert_eq!(list["data"], json!([]), "nothing was stored");
}

async fn bodies_are_checked_before_anything_is_stored(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        Request::post("/api/v1/webhooks")
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request")
    };
    let (status, _) = answer(
        app.send(send("text/plain", webhook("x").to_string().into_bytes()))
            .await,
    )
    .await;
    assert_eq!(status, 415);
    let (status, _) = answer(
        app.send(send("application/json", vec![b' '; 300 * 1024]))
            .await,
    )
    .await;
    assert_eq!(status, 413);
    let (status, error) = answer(
        app.send(send("application/json", b"{\"name\":".to_vec()))
            .await,
    )
    .await;
    assert_eq!(status, 400, "{error}");
    // A client that stops sending mid-body: refused as unreadable, not as too large.
    let broken = futures_util::stream::iter([
        Ok(axum::body::Bytes::from_static(b"{\"name\":")),
        Err(std::io::Error::other("the client went away")),
    ]);
    let request = Request::post("/api/v1/webhooks")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from_stream(broken))
        .expect("request");
    let (status, error) = answer(app.send(request).await).await;
    assert_eq!((status, pointer_of(&error)), (400, ""), "{error}");
    // A method a path does not take: 405 in the API's error format, with Allow.
    let response = app
        .api("POST", "/api/v1/webhooks/event-types/x", &key, None)
        .await;
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(allow.contains("DELETE"), "{allow}");
    let (_, error) = answer(response).await;
    assert_eq!(error["errors"][0]["code"], "method-not-allowed", "{error}");
    let (status, _) = answer(
        app.api("GET", "/api/v1/webhooks", "herald_wrong", None)
            .await,
    )
    .await;
    assert_eq!(status, 401);
    let (_, list) = answer(app.api("GET", "/api/v1/webhooks", &key, None).await).await;
    assert_eq!(list["data"], json!([]));
}

async fn json_patch_is_atomic_and_limited_to_writable_fields(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    let mut body = webhook("Patch me");
    body["encryptedHeaders"] = json!({"Authorization": "Bearer endpoint-token"});
    let (_, created) = answer(app.api("POST", "/api/v1/webhooks", &key, Some(body)).await).await;
    let path = format!("/api/v1/webhooks/{}", created["id"].as_str().expect("id"));
    let refusals = [
        (
            json!([{"op": "replace", "path": "/name", "value": "changed"}, {"op": "copy", "from": "/secret", "path": "/name"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/name", "value": "changed"}, {"op": "move", "from": "/url", "path": "/description"}]),
            400,
        ),
        (
            json!([{"op": "test", "path": "/name", "value": "Patch me"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/name", "value": "changed"}, {"op": "replace", "path": "/id", "value": "x"}]),
            409,
        ),
        (
            json!([{"op": "replace", "path": "/name", "value": "changed"}, {"op": "replace", "path": "/url", "value": "http://plain.example.com/"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/url", "value": "https://new.example.com/"}]),
            400,
        ),
        (json!([{"op": "remove", "path": "/headers/X-Missing"}]), 400),
    ];
    for (patch, expected) in refusals {
        let (status, error) =
            answer(app.api("PATCH", &path, &key, Some(patch.clone())).await).await;
        assert_eq!(status, expected, "{patch}: {error}");
        let text = error.to_string();
        assert!(!text.contains("endpoint-token"), "{text}");
    }
    let (_, unchanged) = answer(app.api("GET", &path, &key, None).await).await;
    assert_eq!(unchanged, created, "no refused patch changed anything");

    // A new URL with the encrypted header typed again is accepted, as the patch media type.
    let request = Request::patch(&path)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json-patch+json")
        .body(Body::from(
            json!([
                {"op": "replace", "path": "/url", "value": "https://new.example.com/"},
                {"op": "replace", "path": "/encryptedHeaders/Authorization", "value": "Bearer new"}
            ])
            .to_string(),
        ))
        .expect("request");
    assert_eq!(app.send(request).await.status(), 204);
    let (_, moved) = answer(app.api("GET", &path, &key, None).await).await;
    assert_eq!(moved["url"], "https://new.example.com/");
    assert_eq!(moved["encryptedHeaders"], json!(["Authorization"]));
    // An operation that cannot apply names itself; nothing before it stays applied.
    let (status, error) = answer(
        app.api(
            "PATCH",
            &path,
            &key,
            Some(json!([
                {"op": "replace", "path": "/name", "value": "Half-way"},
                {"op": "remove", "path": "/headers/X-Missing"}
            ])),
        )
        .await,
    )
    .await;
    assert_eq!((status, pointer_of(&error)), (400, "/1/path"), "{error}");
    let (_, unchanged) = answer(app.api("GET", &path, &key, None).await).await;
    assert_eq!(unchanged, moved);
}

async fn secrets_are_stored_encrypted_and_never_returned(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    let secret = "a-signing-secret-that-is-long-enough-1234";
    let header_value = "Bearer super-private-endpoint-token";
    let mut body = webhook("Secret");
    body["secret"] = json!(secret);
    body["encryptedHeaders"] = json!({"Authorization": header_value});
    let response = app.api("POST", "/api/v1/webhooks", &key, Some(body)).await;
    let text = body_text(response).await;
    assert!(text.contains("\"secretKeyAdded\":true"), "{text}");
    let listed = body_text(app.api("GET", "/api/v1/webhooks", &key, None).await).await;
    for shown in [&text, &listed] {
        assert!(
            !shown.contains(secret) && !shown.contains(header_value),
            "{shown}"
        );
    }
    let (stored_secret, stored_headers): (String, String) =
        sqlx::query_as("SELECT secret, encrypted_headers FROM webhooks")
            .fetch_one(app.state.db.pool())
            .await
            .expect("row");
    for stored in [&stored_secret, &stored_headers] {
        assert!(stored.starts_with("v1:"), "{stored}");
        assert!(
            !stored.contains(secret) && !stored.contains("super-private"),
            "{stored}"
        );
    }
}

/// The path and query of an absolute `links` URL.
fn link_path(href: &str) -> String {
    href.strip_prefix(crate::support::PUBLIC_URL)
        .expect("public URL")
        .to_owned()
}

/// The order a sort should give: the field's value (names and URLs compared lower-cased, byte
/// by byte), then the id, both in the sort's direction.
fn sorted_ids(rows: &[Value], sort: &str) -> Vec<Value> {
    let field = sort.trim_start_matches(['+', '-']);
    let mut rows = rows.to_vec();
    rows.sort_by_key(|row| {
        let value = match &row[field] {
            Value::String(text) if field == "name" || field == "url" => text.to_lowercase(),
            Value::String(text) => text.clone(),
            other => panic!("{field}: {other}"),
        };
        (value, row["id"].as_str().expect("id").to_owned())
    });
    if sort.starts_with('-') {
        rows.reverse();
    }
    rows.iter().map(|row| row["id"].clone()).collect()
}

async fn paging_walks_250_webhooks_both_ways_in_every_sort(engine: Engine) {
    let app = TestApp::start_with_services(engine, |settings| {
        settings.webhooks.per_tenant = 300;
        settings.webhooks.per_owner = 300;
        settings.rate_limits.writes_per_minute = 1000;
    })
    .await;
    let (_, key) = admin_key(&app).await;
    let mut ids = Vec::new();
    for n in 0..250 {
        // Every name twice, once capitalised: equal when compared case-insensitively, so the
        // id decides between them; ten URLs, so most URL ties are broken by the id too.
        let prefix = if n % 2 == 0 { "Hook" } else { "hook" };
        let mut body = webhook(&format!("{prefix} {:03}", (n * 7) % 125));
        body["url"] = json!(format!("https://h{}.example.com/", n % 10));
        let (status, created) =
            answer(app.api("POST", "/api/v1/webhooks", &key, Some(body)).await).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
        app.clock.advance(time::Duration::seconds(1));
    }
    // Later edits, newest first for the oldest webhooks: updatedAt orders differently.
    for id in ids.iter().step_by(3).rev() {
        let patch = json!([{"op": "replace", "path": "/description", "value": "edited"}]);
        let response = app
            .api(
                "PATCH",
                &format!("/api/v1/webhooks/{id}"),
                &key,
                Some(patch),
            )
            .await;
        assert_eq!(response.status(), 204);
        app.clock.advance(time::Duration::seconds(1));
    }
    for sort in [
        "name",
        "-name",
        "+url",
        "-url",
        "createdAt",
        "-createdAt",
        "+updatedAt",
        "-updatedAt",
    ] {
        let mut forward: Vec<Value> = Vec::new();
        let mut pages: Vec<Value> = Vec::new();
        let mut path = format!(
            "/api/v1/webhooks?limit=30&sort={}",
            sort.replace('+', "%2B")
        );
        let last_page = loop {
            let (status, page) = answer(app.api("GET", &path, &key, None).await).await;
            assert_eq!(status, 200, "{page}");
            forward.extend(page["data"].as_array().expect("data").iter().cloned());
            pages.push(page["data"].clone());
            match page["links"]["next"]["href"].as_str() {
                Some(href) => path = link_path(href),
                None => break page,
            }
        };
        assert_eq!(forward.len(), 250, "{sort}");
        assert_eq!(pages.len(), 9, "{sort}: 8 pages of 30 and one of 10");
        let forward_ids: Vec<Value> = forward.iter().map(|w| w["id"].clone()).collect();
        assert_eq!(
            forward_ids,
            sorted_ids(&forward, sort),
            "{sort}: the documented order"
        );
        // Back from the last page to the first, through `prev` links.
        let mut backward: Vec<Value> = last_page["data"].as_array().expect("data").clone();
        let mut page = last_page;
        let mut page_number = pages.len() - 1;
        while let Some(href) = page["links"]["prev"]["href"].as_str() {
            let (_, previous) = answer(app.api("GET", &link_path(href), &key, None).await).await;
            page_number -= 1;
            assert_eq!(
                previous["data"], pages[page_number],
                "{sort}: page {page_number} again"
            );
            let mut rows = previous["data"].as_array().expect("data").clone();
            rows.extend(backward);
            backward = rows;
            page = previous;
        }
        assert_eq!(page_number, 0, "{sort}: back to the first page");
        assert!(
            page["links"].get("prev").is_none(),
            "{sort}: nothing before the first page"
        );
        let backward: Vec<Value> = backward.iter().map(|w| w["id"].clone()).collect();
        assert_eq!(backward, forward_ids, "{sort}: the same order both ways");
    }
    let (status, error) = answer(
        app.api("GET", "/api/v1/webhooks?limit=101", &key, None)
            .await,
    )
    .await;
    assert_eq!((status, pointer_of(&error)), (400, "/limit"));
    let (status, error) = answer(
        app.api("GET", "/api/v1/webhooks?colour=red", &key, None)
            .await,
    )
    .await;
    assert_eq!((status, pointer_of(&error)), (400, "/colour"));
}

async fn filters_match_case_insensitively_and_literally(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    for (name, types, enabled) in [
        (
            "Sales 100% done",
            vec!["com.qlik.v1.app.created", "com.qlik.v1.app.deleted"],
            true,
        ),
        ("sales_team", vec!["com.qlik.v1.app.created"], false),
        ("SALESXTEAM", vec!["com.qlik.v1.app.deleted"], true),
    ] {
        let mut body = webhook(name);
        body["eventTypes"] = json!(types);
        body["enabled"] = json!(enabled);
        assert_eq!(
            app.api("POST", "/api/v1/webhooks", &key, Some(body))
                .await
                .status(),
            201
        );
    }
    let names = |page: &Value| -> Vec<String> {
        let mut names: Vec<String> = page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|w| w["name"].as_str().expect("name").to_owned())
            .collect();
        names.sort();
        names
    };
    for (query, expected) in [
        (
            "name=SALES",
            vec!["SALESXTEAM", "Sales 100% done", "sales_team"],
        ),
        ("name=s_t", vec!["sales_team"]),
        ("name=100%25", vec!["Sales 100% done"]),
        ("enabled=false", vec!["sales_team"]),
        (
            "eventTypes=com.qlik.v1.app.created,com.qlik.v1.app.deleted",
            vec!["Sales 100% done"],
        ),
        (
            "eventTypes=com.qlik.v1.app.deleted",
            vec!["SALESXTEAM", "Sales 100% done"],
        ),
        (
            "origins=automations,api&level=tenant",
            vec!["SALESXTEAM", "Sales 100% done", "sales_team"],
        ),
        ("origins=automations", vec![]),
        (
            "url=HOOKS.example",
            vec!["SALESXTEAM", "Sales 100% done", "sales_team"],
        ),
    ] {
        let (status, page) = answer(
            app.api("GET", &format!("/api/v1/webhooks?{query}"), &key, None)
                .await,
        )
        .await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(names(&page), expected, "{query}");
    }
}

async fn permissions_follow_the_role_and_tenants_are_isolated(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, admin_key) = admin_key(&app).await;
    let (manager_session, manager_id) = app
        .add_user(&admin, "manager@example.com", "manage-webhooks")
        .await;
    let (user_session, user_id_) = app
        .add_user(&admin, "user@example.com", "use-webhooks")
        .await;
    let _ = (manager_session, user_session);
    let manager = key_for(&app, &admin, &manager_id).await;
    let user = key_for(&app, &admin, &user_id_).await;

    let (_, tenant_hook) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &admin_key,
            Some(webhook("Tenant")),
        )
        .await,
    )
    .await;
    let tenant_path = format!(
        "/api/v1/webhooks/{}",
        tenant_hook["id"].as_str().expect("id")
    );

    // Manage webhooks: sees and edits the tenant-level webhook, cannot make one.
    let (status, _) = answer(app.api("GET", &tenant_path, &manager, None).await).await;
    assert_eq!(status, 200);
    let mut tenant_level = webhook("Mine");
    tenant_level["level"] = json!("tenant");
    let (status, _) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &manager,
            Some(tenant_level.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    let (status, created) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &manager,
            Some(webhook("Manager's")),
        )
        .await,
    )
    .await;
    assert_eq!((status, created["level"].as_str()), (201, Some("user")));

    // Use webhooks: the tenant-level webhook does not exist for them.
    let (status, _) = answer(app.api("GET", &tenant_path, &user, None).await).await;
    assert_eq!(status, 404);
    let (status, _) = answer(app.api("DELETE", &tenant_path, &user, None).await).await;
    assert_eq!(status, 404);
    let (status, _) = answer(
        app.api("POST", "/api/v1/webhooks", &user, Some(tenant_level))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    let mut for_other = webhook("Other's");
    for_other["ownerId"] = json!(manager_id);
    let (status, _) = answer(
        app.api("POST", "/api/v1/webhooks", &user, Some(for_other))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    let (status, own) = answer(
        app.api("POST", "/api/v1/webhooks", &user, Some(webhook("Own")))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let (_, listed) = answer(app.api("GET", "/api/v1/webhooks", &user, None).await).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    let own_path = format!("/api/v1/webhooks/{}", own["id"].as_str().expect("id"));
    let (status, _) = answer(app.api("GET", &own_path, &admin_key, None).await).await;
    assert_eq!(status, 200, "admins see everyone's webhooks");

    // Another tenant sees none of it and changes nothing.
    let (link_tenant, link) = app
        .state
        .accounts
        .create_tenant("Other")
        .await
        .expect("tenant");
    let _ = link;
    app.state
        .accounts
        .create_admin(
            &link_tenant,
            "eve@example.com",
            "Eve",
            crate::support::PASSWORD,
        )
        .await
        .expect("admin");
    let eve = app
        .sign_in("eve@example.com", crate::support::PASSWORD)
        .await;
    let eve_id = user_id(&app, &eve).await;
    let eve_key = key_for(&app, &eve, &eve_id).await;
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(webhook("Stolen"))),
        (
            "PATCH",
            Some(json!([{"op": "replace", "path": "/name", "value": "Stolen"}])),
        ),
        ("DELETE", None),
    ] {
        let (status, _) = answer(app.api(method, &tenant_path, &eve_key, body).await).await;
        assert_eq!(status, 404, "{method}");
    }
    let (_, eve_list) = answer(app.api("GET", "/api/v1/webhooks", &eve_key, None).await).await;
    assert_eq!(eve_list["data"], json!([]));
    let (_, still) = answer(app.api("GET", &tenant_path, &admin_key, None).await).await;
    assert_eq!(still, tenant_hook, "nothing changed");

    // Deactivating the user disables their user-level webhook, with the reason.
    json_ok(
        app.server_fn(
            "set_user_active",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": user_id_, "active": false})),
        )
        .await,
    )
    .await;
    let (_, disabled) = answer(app.api("GET", &own_path, &admin_key, None).await).await;
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["disabledReasonCode"], "owner-deactivated");
    let (_, tenant_level_still) =
        answer(app.api("GET", &tenant_path, &admin_key, None).await).await;
    assert_eq!(tenant_level_still["enabled"], true);
}

async fn quotas_and_rate_limits_refuse_with_403_and_429(engine: Engine) {
    let app = TestApp::start_with_services(engine, |settings| {
        settings.webhooks.per_tenant = 3;
        settings.webhooks.per_owner = 2;
        settings.rate_limits.writes_per_minute = 6;
    })
    .await;
    let (admin, key) = admin_key(&app).await;
    let (_, other_id) = app
        .add_user(&admin, "other@example.com", "manage-webhooks")
        .await;
    for name in ["one", "two"] {
        assert_eq!(
            app.api("POST", "/api/v1/webhooks", &key, Some(webhook(name)))
                .await
                .status(),
            201
        );
    }
    let (status, error) = answer(
        app.api("POST", "/api/v1/webhooks", &key, Some(webhook("three")))
            .await,
    )
    .await;
    assert_eq!(status, 403, "the owner's quota: {error}");
    let mut for_other = webhook("three");
    for_other["ownerId"] = json!(other_id);
    assert_eq!(
        app.api("POST", "/api/v1/webhooks", &key, Some(for_other))
            .await
            .status(),
        201
    );
    let mut fourth = webhook("four");
    fourth["ownerId"] = json!(other_id);
    let (status, error) = answer(
        app.api("POST", "/api/v1/webhooks", &key, Some(fourth))
            .await,
    )
    .await;
    assert_eq!(status, 403, "the tenant's quota: {error}");
    let (_, list) = answer(app.api("GET", "/api/v1/webhooks", &key, None).await).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(3));

    // Five writes so far; the sixth is the last of this minute's budget.
    assert_eq!(
        app.api("POST", "/api/v1/webhooks", &key, Some(webhook("x")))
            .await
            .status(),
        403
    );
    let response = app
        .api("POST", "/api/v1/webhooks", &key, Some(webhook("x")))
        .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        app.api("GET", "/api/v1/webhooks", &key, None)
            .await
            .status(),
        200,
        "reads have their own budget"
    );
    app.clock.advance(time::Duration::minutes(1));
    assert_eq!(
        app.api("POST", "/api/v1/webhooks", &key, Some(webhook("x")))
            .await
            .status(),
        403,
        "a new minute"
    );
}

async fn tenant_admins_manage_custom_event_types(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, key) = admin_key(&app).await;
    let (_, manager_id) = app
        .add_user(&admin, "manager@example.com", "manage-webhooks")
        .await;
    let manager = key_for(&app, &admin, &manager_id).await;
    let deploy = json!({
        "name": "com.example.deploy.finished", "title": "Deploy finished",
        "levels": ["tenant"], "category": "Deploys", "exampleData": {"status": "ok"}
    });
    let base = "/api/v1/webhooks/event-types";
    let (status, _) = answer(app.api("POST", base, &manager, Some(deploy.clone())).await).await;
    assert_eq!(status, 403, "only TenantAdmins add types");
    let (status, created) = answer(app.api("POST", base, &key, Some(deploy.clone())).await).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["exampleData"], r#"{"status":"ok"}"#);
    let (status, _) = answer(app.api("POST", base, &key, Some(deploy)).await).await;
    assert_eq!(status, 409, "no type twice");
    let (status, error) = answer(
        app.api(
            "POST",
            base,
            &key,
            Some(json!({"name": "deploy", "title": "x", "levels": ["tenant"], "category": "x", "exampleData": 1})),
        )
        .await,
    )
    .await;
    assert_eq!((status, pointer_of(&error)), (400, "/name"));
    // Bodies of the wrong shape name the field at fault.
    let valid = json!({"name": "com.example.other", "title": "Other", "levels": ["tenant"],
        "category": "Other", "exampleData": {}});
    let shaped = |field: &str, value: Option<Value>| {
        let mut body = valid.clone();
        match value {
            Some(value) => body[field] = value,
            None => drop(body.as_object_mut().expect("object").remove(field)),
        }
        body
    };
    for (body, pointer) in [
        (shaped("colour", Some(json!("red"))), "/colour"),
        (shaped("levels", Some(json!("tenant"))), "/levels"),
        (shaped("levels", Some(json!(["team"]))), "/levels"),
        (shaped("title", Some(json!(5))), "/title"),
        (shaped("title", None), "/title"),
        (shaped("exampleData", None), "/exampleData"),
        (json!(["not", "an", "object"]), ""),
    ] {
        let (status, error) = answer(app.api("POST", base, &key, Some(body.clone())).await).await;
        assert_eq!(
            (status, pointer_of(&error)),
            (400, pointer),
            "{body}: {error}"
        );
    }
    let (_, catalogue) = answer(app.api("GET", base, &key, None).await).await;
    assert_eq!(catalogue["data"].as_array().map(Vec::len), Some(10));

    // A webhook may use it (tenant level only, as declared), and then it cannot be deleted.
    let mut body = webhook("Deploys");
    body["eventTypes"] = json!(["com.example.deploy.finished"]);
    let (status, hook) = answer(
        app.api("POST", "/api/v1/webhooks", &key, Some(body.clone()))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    body["level"] = json!("user");
    let (status, error) = answer(app.api("POST", "/api/v1/webhooks", &key, Some(body)).await).await;
    assert_eq!((status, pointer_of(&error)), (400, "/eventTypes/0"));
    let type_path = format!("{base}/com.example.deploy.finished");
    let (status, _) = answer(app.api("DELETE", &type_path, &key, None).await).await;
    assert_eq!(status, 409, "in use");
    let hook_path = format!("/api/v1/webhooks/{}", hook["id"].as_str().expect("id"));
    assert_eq!(
        app.api("DELETE", &hook_path, &key, None).await.status(),
        204
    );
    assert_eq!(
        app.api("DELETE", &type_path, &manager, None).await.status(),
        403
    );
    assert_eq!(
        app.api("DELETE", &type_path, &key, None).await.status(),
        204
    );
    assert_eq!(
        app.api("DELETE", &type_path, &key, None).await.status(),
        404
    );
    let (status, _) = answer(
        app.api(
            "DELETE",
            &format!("{base}/com.qlik.v1.app.created"),
            &key,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "built-in types stay");
}

async fn an_unavailable_database_answers_503(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, key) = admin_key(&app).await;
    app.state.db.close().await;
    for (method, body) in [("GET", None), ("POST", Some(webhook("x")))] {
        let (status, error) = answer(app.api(method, "/api/v1/webhooks", &key, body).await).await;
        assert_eq!(status, 503, "{method}: {error}");
        assert_eq!(error["errors"][0]["code"], "unavailable");
    }
}

async fn owner_and_audit_filters_and_level_switches(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, admin_key) = admin_key(&app).await;
    let admin_id = user_id(&app, &admin).await;
    let (_, manager_id) = app
        .add_user(&admin, "manager@example.com", "manage-webhooks")
        .await;
    let manager = key_for(&app, &admin, &manager_id).await;
    let (_, by_admin) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &admin_key,
            Some(webhook("By admin")),
        )
        .await,
    )
    .await;
    let (_, by_manager) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &manager,
            Some(webhook("By manager")),
        )
        .await,
    )
    .await;
    let manager_path = format!(
        "/api/v1/webhooks/{}",
        by_manager["id"].as_str().expect("id")
    );

    // The manager may not switch their webhook to tenant level; the admin may, and becomes
    // its last editor.
    let to_tenant = json!([{"op": "replace", "path": "/level", "value": "tenant"}]);
    let (status, _) = answer(
        app.api("PATCH", &manager_path, &manager, Some(to_tenant.clone()))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.api("PATCH", &manager_path, &admin_key, Some(to_tenant))
            .await
            .status(),
        204
    );
    // Editing a tenant-level webhook without changing its level is fine for the manager.
    let rename = json!([{"op": "replace", "path": "/name", "value": "Renamed by manager"}]);
    assert_eq!(
        app.api("PATCH", &manager_path, &manager, Some(rename))
            .await
            .status(),
        204
    );

    // A PUT or a patch that leaves out level and owner keeps them (no silent takeover).
    let (_, second) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks",
            &manager,
            Some(webhook("Second")),
        )
        .await,
    )
    .await;
    let second_path = format!("/api/v1/webhooks/{}", second["id"].as_str().expect("id"));
    let (status, replaced) = answer(
        app.api(
            "PUT",
            &second_path,
            &admin_key,
            Some(webhook("Second, replaced")),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["level"], "user");
    assert_eq!(replaced["ownerId"], manager_id.as_str());
    let remove_owner = json!([{"op": "remove", "path": "/ownerId"}]);
    assert_eq!(
        app.api("PATCH", &second_path, &admin_key, Some(remove_owner))
            .await
            .status(),
        204
    );
    let (_, kept) = answer(app.api("GET", &second_path, &admin_key, None).await).await;
    assert_eq!(kept["ownerId"], manager_id.as_str());
    assert_eq!(
        app.api("DELETE", &second_path, &admin_key, None)
            .await
            .status(),
        204
    );

    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|w| w["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let admin_hook = by_admin["id"].as_str().expect("id").to_owned();
    let manager_hook = by_manager["id"].as_str().expect("id").to_owned();
    for (query, expected) in [
        (format!("ownerId={manager_id}"), vec![manager_hook.clone()]),
        (format!("ownerId={admin_id}"), vec![admin_hook.clone()]),
        (
            format!("createdByUserId={manager_id}"),
            vec![manager_hook.clone()],
        ),
        (
            format!("updatedByUserId={manager_id}"),
            vec![manager_hook.clone()],
        ),
        (
            format!("updatedByUserId={admin_id}"),
            vec![admin_hook.clone()],
        ),
        (
            "level=tenant&sort=name".to_owned(),
            vec![admin_hook.clone(), manager_hook.clone()],
        ),
    ] {
        let (status, page) = answer(
            app.api(
                "GET",
                &format!("/api/v1/webhooks?{query}"),
                &admin_key,
                None,
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(ids(&page), expected, "{query}");
    }
}

async fn reads_are_limited_and_links_carry_the_filters(engine: Engine) {
    let app = TestApp::start_with_services(engine, |settings| {
        settings.rate_limits.reads_per_minute = 8;
    })
    .await;
    let (_, key) = admin_key(&app).await;
    for name in [
        "Match 1",
        "Other",
        "match 2",
        "MATCH 3",
        "Other too",
        "Match 4",
        "Match 5",
    ] {
        let response = app
            .api("POST", "/api/v1/webhooks", &key, Some(webhook(name)))
            .await;
        assert_eq!(response.status(), 201);
    }
    // Filtered pages: every link keeps the filter, sort and limit.
    let mut path = "/api/v1/webhooks?name=match&limit=2&sort=name".to_owned();
    let mut names = Vec::new();
    let mut reads = 0;
    loop {
        let (status, page) = answer(app.api("GET", &path, &key, None).await).await;
        reads += 1;
        assert_eq!(status, 200, "{page}");
        let this = page["links"]["self"]["href"].as_str().expect("self");
        assert_eq!(this, format!("{}{path}", crate::support::PUBLIC_URL));
        names.extend(
            page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|webhook| webhook["name"].as_str().expect("name").to_owned()),
        );
        let Some(next) = page["links"]["next"]["href"].as_str() else {
            break;
        };
        assert!(
            next.starts_with(&format!(
                "{}/api/v1/webhooks?name=match&limit=2&sort=name&next=",
                crate::support::PUBLIC_URL
            )),
            "{next}"
        );
        path = link_path(next);
    }
    assert_eq!(
        names,
        ["Match 1", "match 2", "MATCH 3", "Match 4", "Match 5"]
    );
    assert_eq!(reads, 3);

    // The rest of the minute's read budget, then 429 with Retry-After.
    for _ in reads..8 {
        let response = app.api("GET", "/api/v1/webhooks", &key, None).await;
        assert_eq!(response.status(), 200);
    }
    let response = app.api("GET", "/api/v1/webhooks", &key, None).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let (_, error) = answer(response).await;
    assert_eq!(error["errors"][0]["code"], "too-many-requests", "{error}");
    let response = app
        .api("POST", "/api/v1/webhooks", &key, Some(webhook("Write")))
        .await;
    assert_eq!(response.status(), 201, "writes have their own budget");
    app.clock.advance(time::Duration::minutes(1));
    let response = app.api("GET", "/api/v1/webhooks", &key, None).await;
    assert_eq!(response.status(), 200, "a new minute");
}

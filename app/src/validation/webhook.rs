//! Rules for webhooks (SPEC §2): every field a client writes, checked the same way for the REST
//! API, the console's server functions and the console's forms.
//!
//! Rules that need the database (the owner is an active user of the tenant, quotas, who may
//! choose the level) are the webhooks service's; their messages are here too, so that the
//! console shows the same words.

use std::collections::BTreeMap;

use super::{has_control, pointer, Checked};
use crate::{
    error::AppError,
    event_types::{EventType, Level},
    webhooks::{
        filter::{self, Attribute},
        WebhookDraft,
    },
};

pub const NAME_MAX_CHARS: usize = 512;
pub const DESCRIPTION_MAX_CHARS: usize = 1024;
pub const URL_MAX_CHARS: usize = 2048;
pub const SECRET_MIN_CHARS: usize = 32;
pub const SECRET_MAX_CHARS: usize = 64;
/// Each of `headers` and `encryptedHeaders` may hold this many bytes of names and values.
pub const HEADERS_MAX_BYTES: usize = 2048;
/// The one event type whose webhooks may filter on `data.status`.
pub const RELOAD_FINISHED: &str = "com.qlik.v1.app.reload.finished";

/// Headers Herald sets itself, and hop-by-hop headers, which a webhook may not set.
const FORBIDDEN_HEADERS: [&str; 11] = [
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "qlik-signature",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];
const FORBIDDEN_HEADER_PREFIXES: [&str; 2] = ["webhook-", "proxy-"];

/// Checks a whole draft for a webhook of `level`, against the tenant's `catalogue`, and
/// returns it cleaned (trimmed, empty optional text as absent). The first broken rule, in the
/// order of the fields, is the error.
pub fn webhook(
    draft: &WebhookDraft,
    level: Level,
    catalogue: &[EventType],
) -> Checked<WebhookDraft> {
    let event_types = event_types(&draft.event_types, level, catalogue)?;
    let checked = WebhookDraft {
        name: name(&draft.name)?,
        description: description(draft.description.as_deref())?,
        url: url(&draft.url)?,
        filter: filter(draft.filter.as_deref(), &event_types)?,
        event_types,
        headers: draft.headers.clone(),
        encrypted_headers: draft.encrypted_headers.clone(),
        secret: secret(draft.secret.as_deref())?,
        level: Some(level),
        ..draft.clone()
    };
    headers(&checked.headers, &checked.encrypted_headers)?;
    certificate_revocation(checked.check_certificate_revocation)?;
    Ok(checked)
}

pub fn name(value: &str) -> Checked<String> {
    let name = value.trim();
    if name.is_empty() {
        return Err(AppError::invalid("/name", "Give the webhook a name."));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(AppError::invalid(
            "/name",
            format!("Use at most {NAME_MAX_CHARS} characters."),
        ));
    }
    if has_control(name) {
        return Err(AppError::invalid(
            "/name",
            "A name may not hold line breaks or other control characters.",
        ));
    }
    Ok(name.to_owned())
}

/// An optional description; blank means none.
pub fn description(value: Option<&str>) -> Checked<Option<String>> {
    let Some(text) = value.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(AppError::invalid(
            "/description",
            format!("Use at most {DESCRIPTION_MAX_CHARS} characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// The endpoint: `https://`, a fully qualified domain name (never an IP address in any
/// spelling), no user name or password, at most 2048 characters. Kept as written.
pub fn url(value: &str) -> Checked<String> {
    let text = value.trim();
    let invalid = |message: &str| Err(AppError::invalid("/url", message));
    if text.is_empty() {
        return invalid("Enter the URL that receives the events.");
    }
    if text.chars().count() > URL_MAX_CHARS {
        return invalid("Use at most 2048 characters.");
    }
    // The URL parser silently drops tabs and line breaks; refuse them instead.
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return invalid("A URL may not hold spaces or control characters.");
    }
    let Ok(parsed) = url::Url::parse(text) else {
        return invalid("Enter a full URL such as https://hooks.example.com/herald.");
    };
    if parsed.scheme() != "https" {
        return invalid("The URL must start with https://.");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return invalid("The URL may not hold a user name or password: use a header instead.");
    }
    match parsed.host() {
        Some(url::Host::Domain(domain)) if is_fully_qualified(domain) => Ok(text.to_owned()),
        Some(url::Host::Domain(_)) | None => {
            invalid("The host must be a fully qualified domain name such as hooks.example.com.")
        }
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {
            invalid("The host must be a domain name, not an IP address.")
        }
    }
}

/// At least two labels of letters, digits and inner hyphens (IDNs arrive as `xn--` labels),
/// 253 characters at most, and a top-level label that is not all digits.
fn is_fully_qualified(domain: &str) -> bool {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// The signing secret, when one is given: 32 to 64 characters, used exactly as written.
pub fn secret(value: Option<&str>) -> Checked<Option<String>> {
    let Some(secret) = value else {
        return Ok(None);
    };
    let length = secret.chars().count();
    if !(SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&length) {
        return Err(AppError::invalid(
            "/secret",
            format!("A secret has {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters."),
        ));
    }
    if has_control(secret) {
        return Err(AppError::invalid(
            "/secret",
            "A secret may not hold control characters.",
        ));
    }
    Ok(Some(secret.to_owned()))
}

/// `headers` and `encryptedHeaders` together: token names, unique regardless of case across
/// both, none Herald sets itself or hop-by-hop, printable values, 2048 bytes each.
pub fn headers(
    plain: &BTreeMap<String, String>,
    encrypted: &BTreeMap<String, String>,
) -> Checked<()> {
    let mut seen = std::collections::HashSet::new();
    for (field, set) in [("headers", plain), ("encryptedHeaders", encrypted)] {
        let mut bytes = 0;
        for (name, value) in set {
            let at = format!("/{field}/{}", pointer::escape(name));
            header_name(&at, name)?;
            if !seen.insert(name.to_ascii_lowercase()) {
                return Err(AppError::invalid(
                    at,
                    format!(
                        "The header {name} is given twice (names are compared without case, \
                         across headers and encrypted headers)."
                    ),
                ));
            }
            header_value(&at, value)?;
            bytes += name.len() + value.len();
        }
        if bytes > HEADERS_MAX_BYTES {
            return Err(AppError::invalid(
                format!("/{field}"),
                format!(
                    "Header names and values may take {HEADERS_MAX_BYTES} bytes in all; these \
                     take {bytes}."
                ),
            ));
        }
    }
    Ok(())
}

fn header_name(at: &str, name: &str) -> Checked<()> {
    let is_token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return Err(AppError::invalid(
            at,
            "A header name uses only letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons).",
        ));
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str())
        || FORBIDDEN_HEADER_PREFIXES
            .iter()
            .any(|prefix| lower.starts_with(prefix))
    {
        return Err(AppError::invalid(
            at,
            format!(
                "Herald sets {name} itself, or it is a hop-by-hop header: choose another name."
            ),
        ));
    }
    Ok(())
}

fn header_value(at: &str, value: &str) -> Checked<()> {
    if value.is_empty() {
        return Err(AppError::invalid(at, "Give the header a value."));
    }
    if !value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        return Err(AppError::invalid(
            at,
            "A header value holds printable ASCII characters only (no CR, LF or NUL).",
        ));
    }
    Ok(())
}

/// At least one type, each in the tenant's catalogue, none twice, and for a user-level webhook
/// each available at user level.
pub fn event_types(
    values: &[String],
    level: Level,
    catalogue: &[EventType],
) -> Checked<Vec<String>> {
    if values.is_empty() {
        return Err(AppError::invalid(
            "/eventTypes",
            "Choose at least one event type.",
        ));
    }
    for (index, name) in values.iter().enumerate() {
        let at = format!("/eventTypes/{index}");
        let Some(known) = catalogue.iter().find(|known| &known.name == name) else {
            return Err(AppError::invalid(
                at,
                format!("{name} is not an event type of this tenant."),
            ));
        };
        if values[..index].contains(name) {
            return Err(AppError::invalid(at, format!("{name} is listed twice.")));
        }
        // SPEC §2: only a user-level webhook is limited to the types available at user level.
        if level == Level::User && !known.levels.contains(&Level::User) {
            return Err(AppError::invalid(
                at,
                format!("{name} is not available to user-level webhooks."),
            ));
        }
    }
    Ok(values.to_vec())
}

/// The optional SCIM filter; `data.status` only for webhooks of reload-finished events alone.
pub fn filter(value: Option<&str>, event_types: &[String]) -> Checked<Option<String>> {
    let Some(text) = value.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let parsed = filter::parse(text)
        .map_err(|error| AppError::invalid("/filter", format!("Invalid filter: {error}")))?;
    if parsed.uses(Attribute::DataStatus) && event_types != [RELOAD_FINISHED] {
        return Err(AppError::invalid(
            "/filter",
            format!(
                "data.status may be filtered only when {RELOAD_FINISHED} is the only event type."
            ),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Herald does not check certificate revocation, and says so rather than ignore the request.
pub fn certificate_revocation(requested: bool) -> Checked<()> {
    if requested {
        return Err(AppError::invalid(
            "/checkCertificateRevocation",
            "certificate revocation checking is not supported",
        ));
    }
    Ok(())
}

/// The owner must be an active user of the webhook's tenant (checked by the service).
pub fn owner_not_active() -> AppError {
    AppError::invalid(
        "/ownerId",
        "Choose an active user of this tenant as the owner.",
    )
}

/// Changing the URL sends the encrypted headers somewhere new: they must be typed again.
pub fn encrypted_headers_needed(name: &str) -> AppError {
    AppError::invalid(
        format!("/encryptedHeaders/{}", pointer::escape(name)),
        format!("The URL changed: enter the value of the encrypted header {name} again."),
    )
}

/// Editing, Replace was chosen but no new secret given (an empty one would be refused).
pub fn replacement_secret_needed() -> AppError {
    AppError::invalid(
        "/secret",
        "Type or generate the new secret, or keep the current one.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_types::built_in;

    fn field_of<T: std::fmt::Debug>(result: Checked<T>) -> String {
        match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn urls_must_be_https_with_a_domain_name() {
        for good in [
            "https://hooks.example.com/",
            "https://hooks.example.com:8443/in?token=abc",
            "https://xn--bcher-kva.example/",
            "https://b\u{fc}cher.example/path",
            "https://example.com./",
        ] {
            assert!(url(good).is_ok(), "{good}");
        }
        for bad in [
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://0x7f000001/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
            "https://localhost./",
            "http://example.com/",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "https://exa\tmple.com/",
            "https://example.com/a\nb",
            "https://under_score.example.com/",
            "https://-bad.example.com/",
            "example.com",
            "",
        ] {
            assert_eq!(field_of(url(bad)), "/url", "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX_CHARS));
        assert_eq!(field_of(url(&long)), "/url");
    }

    #[test]
    fn secrets_have_32_to_64_characters() {
        assert_eq!(secret(None), Ok(None));
        assert!(secret(Some(&"s".repeat(32))).is_ok());
        assert!(secret(Some(&"s".repeat(64))).is_ok());
        for bad in [
            "s".repeat(31),
            "s".repeat(65),
            format!("{}\n", "s".repeat(40)),
        ] {
            assert_eq!(field_of(secret(Some(&bad))), "/secret");
        }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn header_rules() {
        let none = BTreeMap::new();
        assert!(headers(
            &map(&[("X-Team", "ops"), ("Authorization-Hint", "a b")]),
            &none
        )
        .is_ok());
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Pairs, Pairs, &str); 9] = [
            (&[("X-A", "one\r\ntwo")], &[], "/headers/X-A"),
            (&[("X-A", "nul\0")], &[], "/headers/X-A"),
            (
                &[("Transfer-Encoding", "chunked")],
                &[],
                "/headers/Transfer-Encoding",
            ),
            (&[("webhook-id", "x")], &[], "/headers/webhook-id"),
            (
                &[("Proxy-Authorization", "x")],
                &[],
                "/headers/Proxy-Authorization",
            ),
            (&[("Bad Name", "x")], &[], "/headers/Bad Name"),
            (&[("X-A", "1")], &[("x-a", "2")], "/encryptedHeaders/x-a"),
            (
                &[],
                &[("Qlik-Signature", "x")],
                "/encryptedHeaders/Qlik-Signature",
            ),
            (&[("X-A", "")], &[], "/headers/X-A"),
        ];
        for (plain, encrypted, pointer) in cases {
            assert_eq!(
                field_of(headers(&map(plain), &map(encrypted))),
                pointer,
                "{plain:?} {encrypted:?}"
            );
        }
        let big = "v".repeat(HEADERS_MAX_BYTES);
        assert_eq!(
            field_of(headers(&map(&[("X-Big", &big)]), &none)),
            "/headers"
        );
        assert_eq!(
            field_of(headers(&none, &map(&[("X-Big", &big)]))),
            "/encryptedHeaders"
        );
        // Each map has its own budget.
        let half = "v".repeat(HEADERS_MAX_BYTES - 10);
        assert!(headers(&map(&[("X-One", &half)]), &map(&[("X-Two", &half)])).is_ok());
        assert_eq!(
            field_of(headers(&map(&[("X~/", "v")]), &none)),
            "/headers/X~0~1"
        );
    }

    #[test]
    fn event_types_come_from_the_catalogue_and_fit_the_level() {
        let catalogue = built_in();
        let types = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(event_types(
            &types(&["com.qlik.v1.app.created"]),
            Level::User,
            &catalogue
        )
        .is_ok());
        assert!(event_types(
            &types(&["com.qlik.v1.app.deleted"]),
            Level::Tenant,
            &catalogue
        )
        .is_ok());
        assert_eq!(
            field_of(event_types(&[], Level::Tenant, &catalogue)),
            "/eventTypes"
        );
        assert_eq!(
            field_of(event_types(
                &types(&["com.qlik.v1.app.created", "no.such"]),
                Level::Tenant,
                &catalogue
            )),
            "/eventTypes/1"
        );
        assert_eq!(
            field_of(event_types(
                &types(&["com.qlik.v1.app.created", "com.qlik.v1.app.created"]),
                Level::Tenant,
                &catalogue
            )),
            "/eventTypes/1"
        );
        assert_eq!(
            field_of(event_types(
                &types(&["com.qlik.v1.app.deleted"]),
                Level::User,
                &catalogue
            )),
            "/eventTypes/0"
        );
    }

    #[test]
    fn filters_parse_and_data_status_needs_reload_finished_alone() {
        let reload = vec![RELOAD_FINISHED.to_owned()];
        assert_eq!(filter(Some("  "), &reload), Ok(None));
        assert!(filter(Some(r#"data.status eq "ok""#), &reload).is_ok());
        let other = vec!["com.qlik.v1.app.created".to_owned()];
        assert_eq!(
            field_of(filter(Some(r#"data.status eq "ok""#), &other)),
            "/filter"
        );
        let broken = filter(Some(r#"id eq"#), &other).expect_err("broken");
        assert!(broken.to_string().contains("position 6"), "{broken}");
    }

    #[test]
    fn a_whole_draft_is_cleaned_or_refused_at_its_first_broken_field() {
        let draft = WebhookDraft {
            name: "  Reloads  ".into(),
            description: Some("   ".into()),
            url: "https://hooks.example.com/in".into(),
            event_types: vec![RELOAD_FINISHED.into()],
            ..WebhookDraft::default()
        };
        let checked = webhook(&draft, Level::Tenant, &built_in()).expect("valid");
        assert_eq!(checked.name, "Reloads");
        assert_eq!(checked.description, None);
        assert_eq!(checked.level, Some(Level::Tenant));
        let revocation = WebhookDraft {
            check_certificate_revocation: true,
            ..draft.clone()
        };
        assert_eq!(
            field_of(webhook(&revocation, Level::Tenant, &built_in())),
            "/checkCertificateRevocation"
        );
    }
}

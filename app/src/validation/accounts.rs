//! Rules for accounts: e-mail addresses, names, passwords, external ids, API keys.

use super::{has_control, Checked};
use crate::{accounts::Scope, error::AppError};

/// Shortest password accepted: long enough that throttled guessing is hopeless.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted: bounds the hashing work one request can cause.
pub const PASSWORD_MAX_CHARS: usize = 256;
pub const DISPLAY_NAME_MAX_CHARS: usize = 128;
pub const EXTERNAL_ID_MAX_CHARS: usize = 255;
pub const API_KEY_NAME_MAX_CHARS: usize = 100;
/// RFC 5321 limits.
const EMAIL_MAX_CHARS: usize = 254;
const EMAIL_LOCAL_MAX_CHARS: usize = 64;

/// An e-mail address, trimmed and lower-cased (addresses are unique across the instance
/// regardless of case).
pub fn email(field: &str, value: &str) -> Checked<String> {
    let address = value.trim().to_lowercase();
    let invalid = || AppError::invalid(field, "Enter an e-mail address such as name@example.com.");
    if address.is_empty() {
        return Err(AppError::invalid(field, "Enter an e-mail address."));
    }
    if address.chars().count() > EMAIL_MAX_CHARS
        || has_control(&address)
        || address.contains(char::is_whitespace)
    {
        return Err(invalid());
    }
    let (local, domain) = address.split_once('@').ok_or_else(invalid)?;
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if local.is_empty()
        || local.chars().count() > EMAIL_LOCAL_MAX_CHARS
        || local.contains('@')
        || !domain.contains('.')
        || !labels_ok
    {
        return Err(invalid());
    }
    Ok(address)
}

/// A person's name as the console shows it.
pub fn display_name(field: &str, value: &str) -> Checked<String> {
    let name = value.trim();
    if name.is_empty() {
        return Err(AppError::invalid(field, "Enter a name."));
    }
    if name.chars().count() > DISPLAY_NAME_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {DISPLAY_NAME_MAX_CHARS} characters."),
        ));
    }
    if has_control(name) {
        return Err(AppError::invalid(
            field,
            "Remove line breaks and control characters.",
        ));
    }
    Ok(name.to_owned())
}

/// A new password. Kept exactly as typed: spaces at either end are part of it.
pub fn new_password(field: &str, value: &str) -> Checked<String> {
    let length = value.chars().count();
    if length < PASSWORD_MIN_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at least {PASSWORD_MIN_CHARS} characters."),
        ));
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {PASSWORD_MAX_CHARS} characters."),
        ));
    }
    Ok(value.to_owned())
}

/// The repeated password must equal the first.
pub fn password_confirmation(field: &str, password: &str, confirmation: &str) -> Checked<()> {
    if password == confirmation {
        Ok(())
    } else {
        Err(AppError::invalid(field, "The passwords do not match."))
    }
}

/// The id the publishing system uses for a person; empty means none.
pub fn external_id(field: &str, value: &str) -> Checked<Option<String>> {
    let id = value.trim();
    if id.is_empty() {
        return Ok(None);
    }
    if id.chars().count() > EXTERNAL_ID_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {EXTERNAL_ID_MAX_CHARS} characters."),
        ));
    }
    if has_control(id) {
        return Err(AppError::invalid(
            field,
            "Remove line breaks and control characters.",
        ));
    }
    Ok(Some(id.to_owned()))
}

/// The name an API key is listed under.
pub fn api_key_name(field: &str, value: &str) -> Checked<String> {
    let name = value.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            field,
            "Name the key after what will use it.",
        ));
    }
    if name.chars().count() > API_KEY_NAME_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {API_KEY_NAME_MAX_CHARS} characters."),
        ));
    }
    if has_control(name) {
        return Err(AppError::invalid(
            field,
            "Remove line breaks and control characters.",
        ));
    }
    Ok(name.to_owned())
}

/// An API key's scopes: at least one, each once, in a stable order.
pub fn scopes(field: &str, values: &[Scope]) -> Checked<Vec<Scope>> {
    let scopes: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|scope| values.contains(scope))
        .collect();
    if scopes.is_empty() {
        return Err(AppError::invalid(field, "Choose at least one scope."));
    }
    Ok(scopes)
}

/// Scopes written as text, separated by commas or spaces (the CLI's `--scopes`).
pub fn scopes_text(field: &str, value: &str) -> Checked<Vec<Scope>> {
    let mut parsed = Vec::new();
    for word in value.split([',', ' ']).filter(|word| !word.is_empty()) {
        let scope = Scope::parse(word).ok_or_else(|| {
            AppError::invalid(
                field,
                format!("Unknown scope \"{word}\": use webhooks and/or events:publish."),
            )
        })?;
        parsed.push(scope);
    }
    scopes(field, &parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_lower_cased_and_checked() {
        assert_eq!(
            email("/email", "  Ada@Example.COM ").as_deref(),
            Ok("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "ada@exa mple.com",
            "a@b@example.com",
            "ada@-example.com",
            "ada@example..com",
            "ada\u{0}@example.com",
        ] {
            let error = email("/email", bad).expect_err(bad);
            assert!(
                matches!(error, AppError::Invalid { ref field, .. } if field == "/email"),
                "{bad}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(email("/email", &long_local).is_err());
    }

    #[test]
    fn passwords_need_twelve_to_256_characters_kept_as_typed() {
        assert!(new_password("/password", "short").is_err());
        assert!(new_password("/password", &"x".repeat(11)).is_err());
        assert_eq!(
            new_password("/password", " twelve chars").as_deref(),
            Ok(" twelve chars")
        );
        assert!(new_password("/password", &"x".repeat(257)).is_err());
        // Characters, not bytes: twelve accented letters are enough.
        assert!(new_password("/password", &"é".repeat(12)).is_ok());
        assert!(password_confirmation("/confirmation", "a", "b").is_err());
        assert!(password_confirmation("/confirmation", "a", "a").is_ok());
    }

    #[test]
    fn names_and_external_ids_are_trimmed_and_bounded() {
        assert_eq!(display_name("/name", " Ada ").as_deref(), Ok("Ada"));
        assert!(display_name("/name", "  ").is_err());
        assert!(display_name("/name", "A\u{0}da").is_err());
        assert!(display_name("/name", &"a".repeat(129)).is_err());
        assert_eq!(external_id("/externalId", "  "), Ok(None));
        assert_eq!(external_id("/externalId", " u-1 "), Ok(Some("u-1".into())));
        assert!(external_id("/externalId", &"a".repeat(256)).is_err());
        assert!(api_key_name("/name", "").is_err());
        assert_eq!(api_key_name("/name", " CI ").as_deref(), Ok("CI"));
    }

    #[test]
    fn scopes_need_one_known_scope_and_come_out_in_order() {
        assert_eq!(
            scopes_text("/scopes", "events:publish,webhooks webhooks"),
            Ok(vec![Scope::Webhooks, Scope::EventsPublish])
        );
        assert!(scopes_text("/scopes", "").is_err());
        let error = scopes_text("/scopes", "webhooks,admin").expect_err("unknown scope");
        assert!(error.to_string().contains("\"admin\""), "{error}");
    }
}

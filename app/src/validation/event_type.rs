//! Rules for the custom event types a TenantAdmin adds (SPEC §3).

use super::{has_control, Checked};
use crate::{
    error::AppError,
    event_types::{built_in, EventType, Level},
};

pub const NAME_MAX_CHARS: usize = 255;
pub const TITLE_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 1024;
pub const CATEGORY_MAX_CHARS: usize = 100;
/// The example `data` is sent by test deliveries; it is kept small.
pub const EXAMPLE_MAX_BYTES: usize = 64 * 1024;

/// Checks a new custom type and returns it cleaned, with its example as compact JSON text.
pub fn custom_event_type(
    event_type: &EventType,
    example_data: &str,
) -> Checked<(EventType, String)> {
    let name = name(&event_type.name)?;
    let title = bounded_text("/title", &event_type.title, TITLE_MAX_CHARS, true)?;
    let description = bounded_text(
        "/description",
        &event_type.description,
        DESCRIPTION_MAX_CHARS,
        false,
    )?;
    let category = bounded_text("/category", &event_type.category, CATEGORY_MAX_CHARS, true)?;
    let mut levels = Vec::new();
    for level in [Level::Tenant, Level::User] {
        if event_type.levels.contains(&level) {
            levels.push(level);
        }
    }
    if levels.is_empty() {
        return Err(AppError::invalid(
            "/levels",
            "Choose at least one level: tenant, user or both.",
        ));
    }
    let example = example(example_data)?;
    Ok((
        EventType {
            name,
            title,
            description,
            levels,
            category,
        },
        example,
    ))
}

/// A reverse-DNS name such as `com.example.deploy.finished`: at least three dot-separated
/// labels of lower-case letters, digits and inner hyphens, not a built-in type's name.
pub fn name(value: &str) -> Checked<String> {
    let name = value.trim();
    let labels: Vec<&str> = name.split('.').collect();
    let well_formed = name.len() <= NAME_MAX_CHARS
        && labels.len() >= 3
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !well_formed {
        return Err(AppError::invalid(
            "/name",
            "Name the type in reverse-DNS form, e.g. com.example.deploy.finished (lower-case \
             letters, digits and hyphens).",
        ));
    }
    if built_in().iter().any(|known| known.name == name) {
        return Err(AppError::invalid(
            "/name",
            format!("{name} is a built-in type."),
        ));
    }
    Ok(name.to_owned())
}

fn bounded_text(field: &str, value: &str, max: usize, required: bool) -> Checked<String> {
    let text = value.trim();
    if required && text.is_empty() {
        return Err(AppError::invalid(field, "This field is required."));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    if has_control(text) {
        return Err(AppError::invalid(
            field,
            "Line breaks and other control characters are not allowed here.",
        ));
    }
    Ok(text.to_owned())
}

/// The example `data`: any JSON value, at most 64 KiB, kept compact.
pub fn example(text: &str) -> Checked<String> {
    if text.len() > EXAMPLE_MAX_BYTES {
        return Err(AppError::invalid(
            "/exampleData",
            "The example may take at most 64 KiB.",
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|error| {
        AppError::invalid(
            "/exampleData",
            format!("The example is not valid JSON: {error}"),
        )
    })?;
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str, levels: Vec<Level>) -> EventType {
        EventType {
            name: name.into(),
            title: " Deploy finished ".into(),
            description: String::new(),
            levels,
            category: "Deploys".into(),
        }
    }

    #[test]
    fn custom_types_need_reverse_dns_names_a_level_and_json_examples() {
        let (checked, example) = custom_event_type(
            &draft(
                "com.example.deploy.finished",
                vec![Level::User, Level::Tenant],
            ),
            r#"{ "status": "ok" }"#,
        )
        .expect("valid");
        assert_eq!(checked.title, "Deploy finished");
        assert_eq!(checked.levels, [Level::Tenant, Level::User]);
        assert_eq!(example, r#"{"status":"ok"}"#);
        for bad in [
            "deploy",
            "com.example",
            "Com.Example.Deploy",
            "com..deploy",
            "com.-x.y",
            "com.qlik.v1.app.created",
        ] {
            assert!(name(bad).is_err(), "{bad}");
        }
        assert!(custom_event_type(&draft("com.example.x", vec![]), "{}").is_err());
        assert!(
            custom_event_type(&draft("com.example.x", vec![Level::Tenant]), "{nope")
                .expect_err("bad JSON")
                .message_for("/exampleData")
                .is_some()
        );
    }
}

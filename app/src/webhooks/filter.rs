//! A webhook's `filter`: the subset of SCIM filters (RFC 7644 §3.4.2.2) Herald supports
//! (SPEC §2), parsed into a tree that the delivery engine evaluates against each event.
//!
//! Grammar (keywords and attribute names are case-insensitive, as in SCIM):
//!
//! ```text
//! filter  = or
//! or      = and *( "or" and )
//! and     = primary *( "and" primary )
//! primary = "(" or ")" / attribute ( "eq" / "ne" ) string
//! string  = '"' *( char / '\"' / '\\' ) '"'
//! ```

use std::fmt;

/// The event attributes a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Id,
    SpaceId,
    TopLevelResourceId,
    /// `data.status`: only for webhooks whose only event type is `com.qlik.v1.app.reload.finished`.
    DataStatus,
}

impl Attribute {
    fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "id" => Some(Self::Id),
            "spaceid" => Some(Self::SpaceId),
            "toplevelresourceid" => Some(Self::TopLevelResourceId),
            "data.status" => Some(Self::DataStatus),
            _ => None,
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Equals(Attribute, String),
    NotEquals(Attribute, String),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

impl Filter {
    /// Whether an event whose attributes `value_of` gives matches. An absent attribute equals
    /// nothing, so `ne` matches it (RFC 7644: "not equal" is true when the attribute is absent).
    pub fn matches(&self, value_of: &impl Fn(Attribute) -> Option<String>) -> bool {
        match self {
            Filter::Equals(attribute, value) => value_of(*attribute).as_ref() == Some(value),
            Filter::NotEquals(attribute, value) => value_of(*attribute).as_ref() != Some(value),
            Filter::And(left, right) => left.matches(value_of) && right.matches(value_of),
            Filter::Or(left, right) => left.matches(value_of) || right.matches(value_of),
        }
    }

    /// Whether the filter compares `attribute` anywhere.
    pub fn uses(&self, attribute: Attribute) -> bool {
        match self {
            Filter::Equals(used, _) | Filter::NotEquals(used, _) => *used == attribute,
            Filter::And(left, right) | Filter::Or(left, right) => {
                left.uses(attribute) || right.uses(attribute)
            }
        }
    }
}

/// Why a filter could not be parsed; `position` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub position: usize,
    pub problem: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}.", self.problem, self.position)
    }
}

/// The longest filter accepted: bounds the size of the tree and the depth of its chains.
pub const MAX_CHARS: usize = 2048;
/// The deepest nesting of parentheses accepted: the parser recurses once per level.
pub const MAX_DEPTH: usize = 32;

/// Parses `text` into a [`Filter`].
pub fn parse(text: &str) -> Result<Filter, FilterError> {
    let length = text.chars().count();
    if length > MAX_CHARS {
        return Err(FilterError {
            position: MAX_CHARS + 1,
            problem: format!("A filter may have at most {MAX_CHARS} characters"),
        });
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        end: length + 1,
        depth: 0,
    };
    let filter = parser.or()?;
    match parser.peek() {
        None => Ok(filter),
        Some(token) => Err(token.error("Expected `and`, `or` or the end of the filter")),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    Word(String),
    Text(String),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    position: usize,
}

impl Token {
    fn error(&self, problem: &str) -> FilterError {
        FilterError {
            position: self.position,
            problem: problem.to_owned(),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, Kind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some((index, c)) = chars.next() {
        let position = index + 1;
        let kind = match c {
            c if c.is_whitespace() => continue,
            '(' => Kind::Open,
            ')' => Kind::Close,
            '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                            Some((at, _)) => {
                                return Err(FilterError {
                                    position: at + 1,
                                    problem: "Only \\\" and \\\\ may be escaped in a string".into(),
                                })
                            }
                            None => {
                                return Err(FilterError {
                                    position,
                                    problem: "This string is not closed".into(),
                                })
                            }
                        },
                        Some((at, c)) if c.is_control() => {
                            return Err(FilterError {
                                position: at + 1,
                                problem: "A string may not hold control characters".into(),
                            })
                        }
                        Some((_, c)) => value.push(c),
                        None => {
                            return Err(FilterError {
                                position,
                                problem: "This string is not closed".into(),
                            })
                        }
                    }
                }
                Kind::Text(value)
            }
            c if c.is_ascii_alphanumeric() || c == '.' || c == '_' => {
                let mut word = c.to_string();
                while let Some(&(_, next)) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '.' || next == '_' {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                Kind::Word(word)
            }
            other => {
                return Err(FilterError {
                    position,
                    problem: format!("Unexpected character `{other}`"),
                })
            }
        };
        tokens.push(Token { kind, position });
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    /// The position just after the text, for "ended too early".
    end: usize,
    /// How many parentheses are open.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn take(&mut self, expected: &str) -> Result<Token, FilterError> {
        let token = self.tokens.get(self.next).cloned().ok_or(FilterError {
            position: self.end,
            problem: format!("The filter ends where {expected} was expected"),
        })?;
        self.next += 1;
        Ok(token)
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(|token| token.is_keyword("or")) {
            self.next += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.primary()?;
        while self.peek().is_some_and(|token| token.is_keyword("and")) {
            self.next += 1;
            left = Filter::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Filter, FilterError> {
        let token = self.take("an attribute or `(`")?;
        match &token.kind {
            Kind::Open => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(
                        token.error(&format!("Parentheses may nest at most {MAX_DEPTH} deep"))
                    );
                }
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.take("`)`")?;
                if close.kind != Kind::Close {
                    return Err(close.error("Expected `)`"));
                }
                Ok(inner)
            }
            Kind::Word(name) => {
                let attribute = Attribute::parse(name).ok_or_else(|| {
                    token.error(
                        "Unknown attribute: use id, spaceId, topLevelResourceId or data.status",
                    )
                })?;
                let operator = self.take("`eq` or `ne`")?;
                let equals = if operator.is_keyword("eq") {
                    true
                } else if operator.is_keyword("ne") {
                    false
                } else {
                    return Err(operator.error("Expected `eq` or `ne`"));
                };
                let value = self.take("a quoted string")?;
                let Kind::Text(value) = value.kind else {
                    return Err(value.error("Expected a quoted string"));
                };
                Ok(if equals {
                    Filter::Equals(attribute, value)
                } else {
                    Filter::NotEquals(attribute, value)
                })
            }
            _ => Err(token.error("Expected an attribute or `(`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(attribute: Attribute, value: &str) -> Filter {
        Filter::Equals(attribute, value.to_owned())
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        assert_eq!(
            parse(r#"id eq "a" or spaceId eq "s" and topLevelResourceId ne "t""#),
            Ok(Filter::Or(
                Box::new(eq(Attribute::Id, "a")),
                Box::new(Filter::And(
                    Box::new(eq(Attribute::SpaceId, "s")),
                    Box::new(Filter::NotEquals(Attribute::TopLevelResourceId, "t".into()))
                ))
            ))
        );
        assert_eq!(
            parse(r#"(ID EQ "a" OR spaceid eq "s") AND data.status eq "ok""#),
            Ok(Filter::And(
                Box::new(Filter::Or(
                    Box::new(eq(Attribute::Id, "a")),
                    Box::new(eq(Attribute::SpaceId, "s"))
                )),
                Box::new(eq(Attribute::DataStatus, "ok"))
            ))
        );
    }

    #[test]
    fn strings_keep_escaped_quotes_and_backslashes() {
        assert_eq!(
            parse(r#"id eq "say \"hi\" \\ bye""#),
            Ok(eq(Attribute::Id, r#"say "hi" \ bye"#))
        );
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            (r#"name eq "x""#, 1),
            (r#"id gt "x""#, 4),
            (r#"id eq x"#, 7),
            (r#"id eq "x"#, 7),
            (r#"(id eq "x""#, 11),
            (r#"id eq "x" id eq "y""#, 11),
            (r#"id eq "x" or"#, 13),
            (r#"id eq "x" & id eq "y""#, 11),
            ("", 1),
            (r#"id eq "abc\"#, 7),
        ];
        for (text, position) in cases {
            let error = parse(text).expect_err(text);
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.to_string().contains(&format!("position {position}")));
        }
    }

    #[test]
    fn deep_or_long_filters_are_refused_without_recursing() {
        let deep = format!("{}id eq \"x\"{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse(&deep).expect_err("too long").position, MAX_CHARS + 1);
        let nested = format!("{}id eq \"x\"{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(
            parse(&nested).expect_err("too deep").position,
            MAX_DEPTH + 1
        );
        let fine = format!(
            "{}id eq \"x\"{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(parse(&fine).is_ok());
        let chain = vec![r#"id eq "x""#; 150].join(" or ");
        assert!(chain.len() <= MAX_CHARS);
        assert!(parse(&chain).is_ok());
    }

    #[test]
    fn matching_follows_scim_semantics() {
        let filter =
            parse(r#"spaceId eq "s1" and (id ne "skip" or data.status eq "ok")"#).expect("valid");
        let event = |space: &'static str, id: &'static str, status: Option<&'static str>| {
            move |attribute: Attribute| match attribute {
                Attribute::SpaceId => Some(space.to_owned()),
                Attribute::Id => Some(id.to_owned()),
                Attribute::DataStatus => status.map(str::to_owned),
                Attribute::TopLevelResourceId => None,
            }
        };
        assert!(filter.matches(&event("s1", "e1", None)));
        assert!(!filter.matches(&event("s2", "e1", None)));
        assert!(!filter.matches(&event("s1", "skip", None)));
        assert!(filter.matches(&event("s1", "skip", Some("ok"))));
        let absent = parse(r#"topLevelResourceId ne "r""#).expect("valid");
        assert!(absent.matches(&event("s1", "e1", None)));
        assert!(filter.uses(Attribute::DataStatus));
        assert!(!absent.uses(Attribute::DataStatus));
    }
}

//! Which database Herald uses, parsed from `HERALD_DATABASE_URL` / `--database-url`.

use std::{fmt, path::PathBuf, str::FromStr};

/// Where Herald keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file, created if missing. One Herald process per file.
    Sqlite { path: PathBuf },
    /// A PostgreSQL database; the URL is passed to the driver unchanged.
    Postgres { url: String },
}

/// The SQLite file Herald uses when no database is given, in the data directory.
pub const DEFAULT_SQLITE_FILE: &str = "herald.db";

impl Default for DatabaseUrl {
    /// `sqlite://herald.db`: a file in the working directory.
    fn default() -> Self {
        Self::Sqlite {
            path: PathBuf::from(DEFAULT_SQLITE_FILE),
        }
    }
}

/// Why a database URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    #[error("unsupported database URL (expected sqlite://PATH or postgres://USER@HOST/DATABASE)")]
    UnsupportedScheme,
    #[error("the SQLite URL has no file path (expected sqlite://PATH)")]
    MissingSqlitePath,
    #[error("in-memory SQLite is not supported: Herald must keep its data in a file")]
    InMemorySqlite,
    #[error("query parameters are not supported in an SQLite URL: Herald sets the connection options itself")]
    SqliteQuery,
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        if input.starts_with("postgres://") || input.starts_with("postgresql://") {
            return Ok(Self::Postgres {
                url: input.to_owned(),
            });
        }
        let path = input
            .strip_prefix("sqlite://")
            .or_else(|| input.strip_prefix("sqlite:"))
            .ok_or(DatabaseUrlError::UnsupportedScheme)?;
        if path.contains('?') {
            return Err(DatabaseUrlError::SqliteQuery);
        }
        if path.is_empty() {
            return Err(DatabaseUrlError::MissingSqlitePath);
        }
        if path == ":memory:" || path.starts_with("file::memory:") {
            return Err(DatabaseUrlError::InMemorySqlite);
        }
        Ok(Self::Sqlite {
            path: PathBuf::from(path),
        })
    }
}

impl DatabaseUrl {
    /// The URL handed to sqlx: for SQLite, the file is opened read-write and created if missing
    /// (characters that are special in a URL are escaped so any file name works).
    pub(crate) fn connect_url(&self) -> String {
        match self {
            Self::Sqlite { path } => {
                let escaped = path
                    .to_string_lossy()
                    .replace('%', "%25")
                    .replace('?', "%3F")
                    .replace('#', "%23");
                format!("sqlite://{escaped}?mode=rwc")
            }
            Self::Postgres { url } => url.clone(),
        }
    }
}

/// Shown in logs and errors: a PostgreSQL password is replaced by `***` and the query by `…`.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            Self::Postgres { url } => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `postgres://user:secret@host/db?sslpassword=x` → `postgres://user:***@host/db?…`: the query
/// may hold a password too (`password=`, `sslpassword=`), so it is not shown either.
fn redact_password(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _query)) => format!("{}?…", redact_user_info(base)),
        None => redact_user_info(url),
    }
}

fn redact_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(path: &str) -> DatabaseUrl {
        DatabaseUrl::Sqlite {
            path: PathBuf::from(path),
        }
    }

    #[test]
    fn default_is_a_sqlite_file_in_the_working_directory() {
        assert_eq!(DatabaseUrl::default(), sqlite("herald.db"));
        assert_eq!(DatabaseUrl::default().to_string(), "sqlite://herald.db");
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!("sqlite://herald.db".parse(), Ok(sqlite("herald.db")));
        assert_eq!("sqlite:data/h.db".parse(), Ok(sqlite("data/h.db")));
        assert_eq!(
            "sqlite:///var/lib/herald/herald.db".parse(),
            Ok(sqlite("/var/lib/herald/herald.db"))
        );
    }

    #[test]
    fn postgres_forms() {
        for url in [
            "postgres://u@127.0.0.1:5432/h",
            "postgresql://u:p@db/h?sslmode=require",
        ] {
            assert_eq!(
                url.parse(),
                Ok(DatabaseUrl::Postgres {
                    url: url.to_owned()
                })
            );
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            "mysql://x/y".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::UnsupportedScheme)
        );
        assert_eq!(
            "herald.db".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::UnsupportedScheme)
        );
        assert_eq!(
            "sqlite://".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::MissingSqlitePath)
        );
        assert_eq!(
            "sqlite::memory:".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::InMemorySqlite)
        );
        assert_eq!(
            "sqlite://h.db?mode=ro".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::SqliteQuery)
        );
    }

    #[test]
    fn sqlite_connect_url_creates_the_file_and_escapes_special_characters() {
        assert_eq!(
            sqlite("herald.db").connect_url(),
            "sqlite://herald.db?mode=rwc"
        );
        assert_eq!(
            sqlite("/tmp/a%b?c#d.db").connect_url(),
            "sqlite:///tmp/a%25b%3Fc%23d.db?mode=rwc"
        );
    }

    #[test]
    fn postgres_password_never_shown() {
        let url: DatabaseUrl = "postgres://herald:s3cret@db:5432/herald?sslpassword=k3y"
            .parse()
            .expect("valid URL");
        assert_eq!(url.to_string(), "postgres://herald:***@db:5432/herald?…");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!format!("{url:?}").contains("k3y"));
        let no_password: DatabaseUrl = "postgres://herald@db/herald".parse().expect("valid URL");
        assert_eq!(no_password.to_string(), "postgres://herald@db/herald");
    }
}

//! One Herald per SQLite file.
//!
//! SQLite has no way for two processes to share Herald's work safely (claims, leases and the
//! schedule assume one writer), so the first process takes an exclusive lock on a file beside
//! the database and a second one refuses to start. The operating system releases the lock
//! when the process exits, however it exits, so a crash never leaves a stale lock behind.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io,
    path::{Path, PathBuf},
};

/// Held for as long as this process uses the database.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum InstanceLockError {
    #[error(
        "{database} is already used by another Herald process (it holds {lock}); \
         SQLite allows one Herald per database file: stop the other process, or use \
         PostgreSQL to run several nodes"
    )]
    InUse { database: PathBuf, lock: PathBuf },
    #[error("cannot open the lock file {lock}: {source}")]
    Io { lock: PathBuf, source: io::Error },
}

/// The lock file that guards `database`: the same path with `.lock` appended.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl InstanceLock {
    /// Takes the lock for `database`, or says which process-level conflict stops us.
    pub fn acquire(database: &Path) -> Result<Self, InstanceLockError> {
        let lock = lock_path(database);
        let io_error = |source| InstanceLockError::Io {
            lock: lock.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(InstanceLockError::InUse {
                database: database.to_owned(),
                lock,
            }),
            Err(TryLockError::Error(source)) => Err(io_error(source)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = dir.path().join("herald.db");

        let first = InstanceLock::acquire(&database).expect("first lock");
        let refused = InstanceLock::acquire(&database).expect_err("second lock must be refused");
        assert!(matches!(refused, InstanceLockError::InUse { .. }));
        let message = refused.to_string();
        assert!(
            message.contains("already used by another Herald process"),
            "{message}"
        );
        assert!(message.contains("herald.db.lock"), "{message}");

        drop(first);
        InstanceLock::acquire(&database).expect("lock is free again");
    }

    #[test]
    fn lock_file_sits_beside_the_database() {
        assert_eq!(
            lock_path(Path::new("/data/herald.db")),
            PathBuf::from("/data/herald.db.lock")
        );
    }
}

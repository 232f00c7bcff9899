//! Files the service leaves on disk hold personal data (the SQLite store,
//! the data key, indexes, import spools): folders are made 0700 and files
//! 0600, so no other account on the machine can read them.

use std::path::{Path, PathBuf};

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Create a folder (and its parents) readable by this account only.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Make an existing file readable by this account only (absent: nothing).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    match set_mode(path, 0o600) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Every folder below `dir` (itself included) 0700, every file 0600.
pub fn restrict_tree(dir: &Path) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    set_mode(dir, 0o700)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            restrict_tree(&entry.path())?;
        } else if kind.is_file() {
            make_private(&entry.path())?;
        }
    }
    Ok(())
}

/// A new file only this account can read or write (never an existing one).
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Where uploads are spooled while they are read.
pub fn spool_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tmp")
}

/// Remove spooled uploads left by a process that died mid-import; returns
/// how many were removed.
pub fn sweep_spool(data_dir: &Path) -> std::io::Result<usize> {
    let dir = spool_dir(data_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(0) };
    let mut removed = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "upload") {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn trees_become_private_and_spools_are_swept() {
        let root = std::env::temp_dir().join(format!("jm-files-{}", uuid::Uuid::new_v4().simple()));
        private_dir(&root.join("tmp")).unwrap();
        std::fs::write(root.join("store.db"), "x").unwrap();
        set_mode(&root.join("store.db"), 0o644).unwrap();
        drop(create_private(&root.join("tmp").join("a.upload")).unwrap());
        assert_eq!(mode(&root.join("tmp").join("a.upload")), 0o600);
        restrict_tree(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("store.db")), 0o600);
        assert_eq!(sweep_spool(&root).unwrap(), 1);
        assert!(!root.join("tmp").join("a.upload").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}

//! Names of the temporary files a plugin writes before renaming them into place:
//! `.NAME.ferry-part-UUUUUUUUUUUUUUUUCCCCCCCC`, where `U…` is 16 hex digits unique to the write
//! and `C…` 8 hex digits of a checksum over the final name and `U…`. The host removes a stray
//! temporary file (left by a killed run) only when [`is_temp_name`] proves it is one of these:
//! a user's file that merely looks like one (`.notes.ferry-part-draft`) is data, synced and never
//! deleted.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

const MARKER: &str = ".ferry-part-";

fn check(name: &str, unique: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"ferry temporary file\0");
    hasher.update(name.as_bytes());
    hasher.update([0]);
    hasher.update(unique.as_bytes());
    hasher.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh temporary name for a write of the file called `name` (its last path component).
pub fn temp_name(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // One system call fewer per file: the process id does not change under a running write.
    static PROCESS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(PROCESS.get_or_init(std::process::id).to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let unique: String = hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let check = check(name, &unique);
    format!(".{name}{MARKER}{unique}{check}")
}

/// Is `name` (a last path component) a temporary name that [`temp_name`] made?
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some((final_name, suffix)) = rest.rsplit_once(MARKER) else {
        return false;
    };
    suffix.len() == 24
        && suffix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !final_name.is_empty()
        && check(final_name, &suffix[..16]) == suffix[16..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_ferry_made_are_temporary() {
        let made = temp_name("report.xml");
        assert!(made.starts_with(".report.xml.ferry-part-"), "{made}");
        assert!(is_temp_name(&made));
        assert_ne!(made, temp_name("report.xml"));
        // Look-alikes are user data.
        assert!(!is_temp_name(".notes.ferry-part-draft"));
        assert!(!is_temp_name(".a.ferry-part-12345678"));
        let mut forged = made.clone();
        forged.pop();
        forged.push(if made.ends_with('0') { '1' } else { '0' });
        assert!(!is_temp_name(&forged));
        // Renaming the final part breaks the check too: the name is bound to its file.
        assert!(!is_temp_name(&made.replace("report", "other")));
    }
}

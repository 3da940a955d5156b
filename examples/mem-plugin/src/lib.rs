//! `ferry_backend_mem`: an example ferry backend plugin, built outside ferry's workspace against
//! `ferry-plugin-api` alone. It keeps a directory tree in memory for the life of one ferry
//! process (`mem://anything`), which is enough to sync into, list, and pass the conformance suite.
//! README.md walks through writing it.

use std::{
    collections::BTreeMap,
    io::{Cursor, Read},
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use ferry_plugin_api::{
    author::{BackendImpl, Plugin},
    BackendError, Capabilities, Entry, ErrorKind, HostBox, Listing, OptionKind, OptionSpec, PluginInfo,
};

/// One node of the tree.
enum Node {
    Dir,
    File { bytes: Vec<u8>, mtime_ns: i64 },
}

/// A directory tree in memory. Paths are ferry's: `/`-separated, relative, `""` is the root.
#[derive(Default)]
pub struct MemBackend {
    nodes: Mutex<BTreeMap<String, Node>>,
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

fn entry(path: &str, node: &Node) -> Entry {
    match node {
        Node::Dir => Entry::directory(name_of(path)),
        Node::File { bytes, mtime_ns } => Entry::file(name_of(path), bytes.len() as u64).with_mtime(*mtime_ns, 1),
    }
}

fn invalid(message: String) -> BackendError {
    BackendError::new(ErrorKind::INVALID_INPUT, message)
}

impl MemBackend {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file (and its parent directories), for seeding a tree.
    pub fn insert_file(&self, path: &str, bytes: Vec<u8>, mtime_ns: i64) -> Result<(), BackendError> {
        let mut nodes = self.nodes.lock().unwrap();
        Self::make_dirs(&mut nodes, parent(path))?;
        nodes.insert(path.to_string(), Node::File { bytes, mtime_ns });
        Ok(())
    }

    fn make_dirs(nodes: &mut BTreeMap<String, Node>, path: &str) -> Result<(), BackendError> {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            match nodes.get(&at) {
                Some(Node::Dir) => {}
                Some(Node::File { .. }) => {
                    return Err(BackendError::new(ErrorKind::ALREADY_EXISTS, format!("{at}: is a file")))
                }
                None => {
                    nodes.insert(at.clone(), Node::Dir);
                }
            }
        }
        Ok(())
    }
}

impl BackendImpl for MemBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities::LIST
            | Capabilities::STAT
            | Capabilities::READ
            | Capabilities::READ_OFFSET
            | Capabilities::WRITE
            | Capabilities::ATOMIC_WRITE
            | Capabilities::SET_MTIME
            | Capabilities::DELETE
            | Capabilities::MKDIR
            | Capabilities::RMDIR
            | Capabilities::RENAME
    }

    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        let nodes = self.nodes.lock().unwrap();
        match (dir, nodes.get(dir)) {
            ("", _) | (_, Some(Node::Dir)) => {}
            (_, Some(Node::File { .. })) => return Err(invalid(format!("{dir}: not a directory"))),
            (_, None) => return Err(BackendError::not_found(dir)),
        }
        Ok(Listing::from_entries(
            nodes.iter().filter(|(path, _)| !path.is_empty() && parent(path) == dir).map(|(path, node)| entry(path, node)),
        ))
    }

    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        if path.is_empty() {
            return Ok(Entry::directory(""));
        }
        let nodes = self.nodes.lock().unwrap();
        nodes.get(path).map(|node| entry(path, node)).ok_or_else(|| BackendError::not_found(path))
    }

    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        match self.nodes.lock().unwrap().get(path) {
            Some(Node::File { bytes, .. }) => {
                let start = (offset as usize).min(bytes.len());
                Ok(Box::new(Cursor::new(bytes[start..].to_vec())))
            }
            Some(Node::Dir) => Err(invalid(format!("{path}: is a directory"))),
            None => Err(BackendError::not_found(path)),
        }
    }

    fn write(&self, path: &str, source: &mut dyn Read, size: Option<u64>, mtime_ns: Option<i64>) -> Result<Entry, BackendError> {
        // Read everything first: the tree changes only once the source has ended (atomic write).
        let mut bytes = Vec::new();
        source.read_to_end(&mut bytes).map_err(|e| BackendError::from_io(e, path))?;
        if size.is_some_and(|expected| expected != bytes.len() as u64) {
            return Err(invalid(format!("{path}: the source gave {} bytes, not {}", bytes.len(), size.unwrap_or(0))));
        }
        let mut nodes = self.nodes.lock().unwrap();
        if matches!(nodes.get(path), Some(Node::Dir)) {
            return Err(invalid(format!("{path}: is a directory")));
        }
        Self::make_dirs(&mut nodes, parent(path))?;
        let node = Node::File { bytes, mtime_ns: mtime_ns.unwrap_or_else(now_ns) };
        let result = entry(path, &node);
        nodes.insert(path.to_string(), node);
        Ok(result)
    }

    fn delete(&self, path: &str) -> Result<(), BackendError> {
        let mut nodes = self.nodes.lock().unwrap();
        if matches!(nodes.get(path), Some(Node::Dir)) {
            return Err(invalid(format!("{path}: is a directory; use rmdir")));
        }
        nodes.remove(path);
        Ok(())
    }

    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        Self::make_dirs(&mut self.nodes.lock().unwrap(), path)
    }

    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        let mut nodes = self.nodes.lock().unwrap();
        let below = format!("{path}/");
        if !recursive && nodes.keys().any(|k| k.starts_with(&below)) {
            return Err(invalid(format!("{path}: directory not empty")));
        }
        nodes.retain(|k, _| k != path && !k.starts_with(&below));
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        let mut nodes = self.nodes.lock().unwrap();
        let node = nodes.remove(from).ok_or_else(|| BackendError::not_found(from))?;
        Self::make_dirs(&mut nodes, parent(to))?;
        nodes.insert(to.to_string(), node);
        Ok(())
    }

    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        match self.nodes.lock().unwrap().get_mut(path) {
            Some(Node::File { mtime_ns: mtime, .. }) => {
                *mtime = mtime_ns;
                Ok(())
            }
            _ => Err(BackendError::not_found(path)),
        }
    }
}

/// The plugin: what it is called and how it opens.
pub struct MemPlugin;

impl Plugin for MemPlugin {
    type Backend = MemBackend;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "mem".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "An in-memory tree (example plugin; forgotten when ferry exits)".into(),
            url_schemes: vec!["mem".into()].into(),
            capabilities: MemBackend::new().capabilities(),
            options: vec![OptionSpec::new("location", OptionKind::STRING, "mem://NAME (set by ferry from the target)").required()].into(),
            extra: Default::default(),
        }
    }

    fn open(options_toml: &str, _host: HostBox) -> Result<MemBackend, BackendError> {
        // A real plugin parses its options with serde and deny_unknown_fields; this one only
        // insists that nothing but `location` is given.
        for line in options_toml.lines().filter(|l| !l.trim().is_empty()) {
            let key = line.split('=').next().unwrap_or("").trim();
            if key != "location" {
                return Err(BackendError::new(ErrorKind::INVALID_CONFIG, format!("mem backend: unknown option `{key}`")));
            }
        }
        Ok(MemBackend::new())
    }
}

#[cfg(feature = "export")]
ferry_plugin_api::export_plugin!(MemPlugin);

#[cfg(test)]
mod tests {
    use ferry_plugin_api::{author::backend_box, conformance};

    #[test]
    fn passes_the_conformance_suite() {
        let backend = backend_box(super::MemBackend::new());
        conformance::run(&backend, &conformance::Options::default()).assert_ok();
    }
}

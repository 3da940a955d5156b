//! The eXist REST test server (tests/exist-server) for the suites: started on 127.0.0.1 at a free
//! port with a fresh data directory, `admin`'s password set to [`crate::servers::PASSWORD`], and
//! killed on drop. A minimal HTTP client reads and changes the database behind ferry's back.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
};

use base64::Engine;

use crate::{build_dir, servers::PASSWORD};

/// A running test server.
pub struct ExistServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// With HTTPS: the CA that signed its certificate (its certificate is in the same
    /// directory, `cert.pem`). The raw client ([`ExistServer::request`]) speaks plain HTTP only.
    pub ca_file: Option<std::path::PathBuf>,
    child: Child,
    _data: tempfile::TempDir,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header lines, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl ExistServer {
    /// Starts a server with the default settings.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with extra command-line options (`--reindent-xml`, `--fail-path X`, …).
    pub fn start_with(extra: &[&str]) -> Self {
        Self::launch(extra, false)
    }

    /// Starts a server that speaks HTTPS, with a certificate for 127.0.0.1 from a private CA
    /// ([`ExistServer::ca_file`]).
    pub fn start_https() -> Self {
        Self::launch(&[], true)
    }

    fn launch(extra: &[&str], https: bool) -> Self {
        let data = tempfile::tempdir().unwrap();
        let certificates = https.then(|| {
            let dir = data.path().join("tls");
            std::fs::create_dir(&dir).unwrap();
            crate::servers::make_certificates(&dir)
        });
        let tls_arg = certificates
            .as_ref()
            .map(|(_, cert, key)| format!("{},{}", cert.display(), key.display()));
        let mut extra: Vec<&str> = extra.to_vec();
        if let Some(arg) = &tls_arg {
            extra.extend(["--tls", arg.as_str()]);
        }
        let mut child = Command::new(build_dir().join("ferry-exist-server"))
            .args(["--port", "0", "--admin-password", PASSWORD, "--data"])
            .arg(data.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ferry-exist-server (built by `cargo build --workspace`)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the eXist test server said {line:?}"));
        ExistServer {
            port,
            ca_file: certificates.map(|(ca, _, _)| ca),
            child,
            _data: data,
        }
    }

    /// `exist://admin@127.0.0.1:PORT/db/PATH`, `exist+https://…` with HTTPS (the password comes
    /// from `$FERRY_PASSWORD`).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.ca_file.is_some() {
            "exist+https"
        } else {
            "exist"
        };
        format!(
            "{scheme}://admin@127.0.0.1:{}/db/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// The options table for opening the plugin in-process on `path`.
    pub fn options(&self, path: &str) -> toml::Table {
        let mut options = toml::Table::new();
        options.insert("location".into(), self.url(path).into());
        options.insert("password".into(), PASSWORD.into());
        options
    }

    /// Sends `method` on the REST path `path` (already encoded, e.g. `/db/a%20b.xml`) as admin.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Answer {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"));
        let mut head = format!(
            "{method} /exist/rest{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {credentials}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(content_type) = content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Answer {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    /// GET as admin.
    pub fn get(&self, path: &str) -> Answer {
        self.request("GET", path, None, b"")
    }

    /// PUT as admin (an edit made on the server by someone else).
    pub fn put(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        let answer = self.request("PUT", path, Some(content_type), body);
        assert_eq!(answer.status, 201, "PUT {path}: {answer:?}");
        answer
    }

    /// The decoded-as-listed names of a collection's children (`name/` for collections).
    pub fn names(&self, collection: &str) -> Vec<String> {
        let answer = self.get(collection);
        assert_eq!(answer.status, 200, "GET {collection}");
        let text = answer.text();
        let mut names = Vec::new();
        for element in text.split('<').skip(1) {
            let is_child = element.starts_with("exist:collection name=\"")
                && element.trim_end().ends_with("/>")
                || element.starts_with("exist:resource name=\"");
            if !is_child {
                continue;
            }
            let name = element
                .split('"')
                .nth(1)
                .unwrap_or("")
                .replace("&amp;", "&");
            if name.starts_with('/') {
                continue; // the listed collection itself, when empty
            }
            names.push(if element.starts_with("exist:collection") {
                format!("{name}/")
            } else {
                name
            });
        }
        names.sort();
        names
    }
}

impl Drop for ExistServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

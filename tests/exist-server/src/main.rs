//! An eXist-db REST test server for ferry's tests, written to ../shared/specs/exist-rest.md §15
//! (its README lists what it leaves out). Runs on its own:
//! `cargo run -p ferry-exist-server -- --port 8080 --data /tmp/exist-data`.
//!
//! - [`paths`]: eXist's path normalisation and name encoding;
//! - [`mime`]: its mime table;
//! - [`store`]: collections and resources;
//! - [`times`]: listing and HTTP date formats;
//! - [`xml`]: listing, well-formedness, re-indenting;
//! - [`handlers`]: GET, HEAD, PUT, DELETE, POST;
//! - [`query`]: the few queries it recognises (it runs no XQuery);
//! - [`xinclude`]: XInclude expansion when XML is serialised;
//! - [`tls`]: HTTPS in front of it (`--tls`).

mod handlers;
mod mime;
mod paths;
mod query;
mod store;
mod times;
mod tls;
mod xinclude;
mod xml;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use anyhow::{bail, Context, Result};
use clap::Parser;

/// An eXist-db REST test server (127.0.0.1 only).
#[derive(Debug, Parser)]
struct Args {
    /// TCP port on 127.0.0.1 (0: any free port; the chosen one is printed)
    #[arg(long)]
    port: u16,
    /// Where resource bytes are kept
    #[arg(long)]
    data: PathBuf,
    /// The REST prefix
    #[arg(long, default_value = "/exist/rest")]
    prefix: String,
    /// The password of `admin` (a fresh eXist has none)
    #[arg(long, default_value = "")]
    admin_password: String,
    /// Another user with full rights, as NAME:PASSWORD (repeatable)
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
    /// The offset of the server's clock in listings, e.g. +02:00 (default: Z)
    #[arg(long, default_value = "Z", allow_hyphen_values = true)]
    utc_offset: String,
    /// Test hook: read the offset from FILE at every listing instead (a JVM restarted in
    /// another time zone, as when a container's TZ changes; exist-rest.md §4.1: listings carry
    /// the JVM default time zone's offset), falling back to --utc-offset
    #[arg(long, value_name = "FILE")]
    utc_offset_file: Option<PathBuf>,
    /// Re-serialise XML as eXist's serialiser does, which changes its bytes: re-indented on GET,
    /// compact (no declaration, double quotes) for a query that asks for `indent=no`
    #[arg(long)]
    reindent_xml: bool,
    /// Test hook: GET and PUT of paths containing this text answer 500
    #[arg(long, value_name = "TEXT")]
    fail_path: Option<String>,
    /// Test hook: drop the charset parameter from Content-Type headers, as a reverse proxy in
    /// front of eXist may
    #[arg(long)]
    proxy_strips_charset: bool,
    /// Serve HTTPS with this certificate chain and key (PEM files): `CERT,KEY`
    #[arg(long, value_name = "CERT,KEY")]
    tls: Option<String>,
    /// The version `system:get-version()` reports; below 7, the types eXist 7 added as XML
    /// (`application/mods+xml`, …) are unknown and stored as binary, as eXist 6.4 does
    #[arg(long, default_value = "7.0.0-SNAPSHOT")]
    exist_version: String,
    /// Test hook: every PUT waits this long before answering
    #[arg(long, value_name = "MS", default_value_t = 0)]
    put_delay_ms: u64,
}

/// Settings the handlers read.
pub struct Settings {
    prefix: String,
    users: BTreeMap<String, String>,
    offset_minutes: i32,
    offset_file: Option<PathBuf>,
    reindent_xml: bool,
    fail_path: Option<String>,
    put_delay_ms: u64,
    proxy_strips_charset: bool,
    pub exist_version: String,
}

impl Settings {
    /// The major version number of the eXist this server plays.
    pub fn exist_major(&self) -> u32 {
        let digits: String = self
            .exist_version
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap_or(7)
    }

    /// The offset listings are written in now.
    fn offset_minutes(&self) -> i32 {
        self.offset_file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| parse_offset(text.trim()).ok())
            .unwrap_or(self.offset_minutes)
    }
}

fn parse_offset(text: &str) -> Result<i32> {
    if text == "Z" {
        return Ok(0);
    }
    let (sign, rest) = match text.split_at(1) {
        ("+", rest) => (1, rest),
        ("-", rest) => (-1, rest),
        _ => bail!("--utc-offset: expected Z or ±HH:MM, got `{text}`"),
    };
    let (h, m) = rest
        .split_once(':')
        .with_context(|| format!("--utc-offset: expected ±HH:MM, got `{text}`"))?;
    Ok(sign * (h.parse::<i32>()? * 60 + m.parse::<i32>()?))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut users = BTreeMap::from([("admin".to_string(), args.admin_password.clone())]);
    for user in &args.users {
        let (name, password) = user
            .split_once(':')
            .with_context(|| format!("--user {user}: expected NAME:PASSWORD"))?;
        users.insert(name.to_string(), password.to_string());
    }
    let settings = Arc::new(Settings {
        prefix: args.prefix.trim_end_matches('/').to_string(),
        users,
        offset_minutes: parse_offset(&args.utc_offset)?,
        offset_file: args.utc_offset_file,
        reindent_xml: args.reindent_xml,
        fail_path: args.fail_path,
        put_delay_ms: args.put_delay_ms,
        proxy_strips_charset: args.proxy_strips_charset,
        exist_version: args.exist_version,
    });
    let store = Arc::new(Mutex::new(store::Store::new(&args.data).with_context(
        || format!("cannot use the data directory {}", args.data.display()),
    )?));
    // With TLS the HTTP server listens on a private port and the TLS front on the given one.
    let tls = match &args.tls {
        Some(files) => {
            let (cert, key) = files.split_once(',').context("--tls: expected CERT,KEY")?;
            let config = tls::config(cert.as_ref(), key.as_ref())?;
            let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))
                .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
            Some((listener, config))
        }
        None => None,
    };
    let plain_port = if tls.is_some() { 0 } else { args.port };
    let server = Arc::new(
        tiny_http::Server::http(("127.0.0.1", plain_port))
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{plain_port}: {e}"))?,
    );
    let http_port = server
        .server_addr()
        .to_ip()
        .map_or(plain_port, |a| a.port());
    let port = match tls {
        Some((listener, config)) => {
            let port = listener.local_addr()?.port();
            std::thread::spawn(move || tls::serve(listener, http_port, config));
            port
        }
        None => http_port,
    };
    println!("ready {port}");
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (server, store, settings) = (server.clone(), store.clone(), settings.clone());
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    handlers::handle(request, &store, &settings);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

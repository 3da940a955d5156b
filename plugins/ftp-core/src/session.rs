//! Opening one control connection: connect (plain or through a [`Connector`]'s TLS), time out
//! every socket, log in, binary type, UTF-8 or Latin-1 names, and the data-connection mode —
//! active, or passive with EPSV first and PASV (with the server's address replaced by the
//! control connection's) once EPSV is refused.

use std::{
    net::{SocketAddr, TcpStream, ToSocketAddrs},
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use ferry_plugin_api::{BackendError, ErrorKind};
use suppaftp::{types::FileType, FtpError, FtpResult, FtpStream, ImplFtpStream, Mode, TlsStream};

use crate::{config::FtpUrl, error::ftp_error};

/// Names the stream type behind an `ImplFtpStream` (suppaftp does not export the plain one).
pub trait StreamType {
    /// The TLS (or no-TLS) stream type.
    type Stream: TlsStream;
}

impl<T: TlsStream> StreamType for ImplFtpStream<T> {
    type Stream = T;
}

/// suppaftp's stream type of plain FTP.
pub type PlainStream = <FtpStream as StreamType>::Stream;

/// Makes control connections, plain or secured.
pub trait Connector: Send + Sync + 'static {
    /// The stream type of the connections it makes.
    type Stream: TlsStream + Send + 'static;

    /// Connects to `address` and secures the connection as the URL's scheme says.
    fn connect(
        &self,
        url: &FtpUrl,
        address: SocketAddr,
        timeout: Duration,
    ) -> FtpResult<ImplFtpStream<Self::Stream>>;
}

/// Plain FTP: no TLS at all.
#[derive(Debug, Default)]
pub struct Plain;

impl Connector for Plain {
    type Stream = PlainStream;

    fn connect(
        &self,
        _url: &FtpUrl,
        address: SocketAddr,
        timeout: Duration,
    ) -> FtpResult<FtpStream> {
        FtpStream::connect_with_stream(timed_socket(address, timeout)?)
    }
}

/// A TCP connection to `address` whose connect, reads and writes all time out after
/// `timeout`: set before the server's greeting is read, so a server that accepts and never
/// speaks cannot hang a run.
pub fn timed_socket(address: SocketAddr, timeout: Duration) -> FtpResult<TcpStream> {
    let socket =
        TcpStream::connect_timeout(&address, timeout).map_err(FtpError::ConnectionError)?;
    socket
        .set_read_timeout(Some(timeout))
        .and_then(|()| socket.set_write_timeout(Some(timeout)))
        .map_err(FtpError::ConnectionError)?;
    Ok(socket)
}

/// Runs `connect` (which may block with no timeout of its own, as suppaftp's implicit-TLS
/// connect does) on a thread of its own and gives up after `timeout`; a connect that never
/// returns is left to finish or fail on that thread.
pub fn within<T: Send + 'static>(
    timeout: Duration,
    connect: impl FnOnce() -> FtpResult<T> + Send + 'static,
) -> FtpResult<T> {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(connect());
    });
    result.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(FtpError::ConnectionError(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        )))
    })
}

/// Latin-1 file names, for legacy servers (`encoding = "latin-1"`).
#[derive(Debug)]
pub struct Latin1;

impl suppaftp::Encoding for Latin1 {
    fn decode(&self, bytes: &[u8]) -> String {
        bytes.iter().map(|b| char::from(*b)).collect()
    }

    fn encode(&self, text: &str) -> std::io::Result<Vec<u8>> {
        text.chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("`{c}` cannot be written in Latin-1"),
                    )
                })
            })
            .collect()
    }
}

/// What every connection of one backend shares.
#[derive(Debug)]
pub struct Settings {
    /// The parsed URL.
    pub url: FtpUrl,
    /// `host:port`, for messages.
    pub server: String,
    /// Login name.
    pub user: String,
    /// Password (never shown).
    pub password: String,
    /// Connect and reply timeout.
    pub timeout: Duration,
    /// Active mode.
    pub active: bool,
    /// Latin-1 names instead of UTF-8.
    pub latin1: bool,
    /// False once the server refused EPSV: later connections go straight to PASV.
    pub epsv: AtomicBool,
    /// True once the server refused `OPTS UTF8 ON` (pure-ftpd does, on every connection,
    /// while it speaks UTF-8 anyway): later connections do not ask again.
    pub utf8_refused: AtomicBool,
}

fn resolve(settings: &Settings) -> Result<SocketAddr, BackendError> {
    (settings.url.host.as_str(), settings.url.port)
        .to_socket_addrs()
        .map_err(|e| {
            BackendError::new(
                ErrorKind::CONNECTION,
                format!("{}: cannot resolve the host: {e}", settings.server),
            )
        })?
        .next()
        .ok_or_else(|| {
            BackendError::new(
                ErrorKind::CONNECTION,
                format!("{}: the host has no address", settings.server),
            )
        })
}

/// Opens and logs in one control connection.
pub fn open<C: Connector>(
    connector: &C,
    settings: &Settings,
) -> Result<ImplFtpStream<C::Stream>, BackendError> {
    let server = settings.server.as_str();
    let address = resolve(settings)?;
    let mut ftp = connector
        .connect(&settings.url, address, settings.timeout)
        .map_err(|e| ftp_error(server, "connect", e))?;
    {
        let socket = ftp.get_ref();
        let _ = socket.set_read_timeout(Some(settings.timeout));
        let _ = socket.set_write_timeout(Some(settings.timeout));
    }
    let timeout = settings.timeout;
    ftp = ftp.passive_stream_builder(move |address| {
        let stream =
            TcpStream::connect_timeout(&address, timeout).map_err(FtpError::ConnectionError)?;
        stream
            .set_read_timeout(Some(timeout))
            .map_err(FtpError::ConnectionError)?;
        stream
            .set_write_timeout(Some(timeout))
            .map_err(FtpError::ConnectionError)?;
        Ok(stream)
    });
    ftp.login(settings.user.as_str(), settings.password.as_str())
        .map_err(|e| ftp_error(server, &format!("login as `{}`", settings.user), e))?;
    ftp.transfer_type(FileType::Binary)
        .map_err(|e| ftp_error(server, "TYPE I", e))?;
    if settings.latin1 {
        ftp.set_encoding(Latin1);
    } else if !settings.utf8_refused.load(Ordering::Relaxed) {
        // Servers that always speak UTF-8 may refuse the command; that is fine.
        if let Err(FtpError::UnexpectedResponse(_)) = ftp.opts("UTF8", Some("ON")) {
            settings.utf8_refused.store(true, Ordering::Relaxed);
        }
    }
    ftp.set_passive_nat_workaround(true);
    if settings.active {
        ftp = ftp.active_mode(timeout);
    } else if settings.epsv.load(Ordering::Relaxed) {
        ftp.set_mode(Mode::ExtendedPassive);
    } else {
        ftp.set_mode(Mode::Passive);
    }
    Ok(ftp)
}

/// The optional commands a server advertises in FEAT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// MLSD listings.
    pub mlsd: bool,
    /// MLST for one path.
    pub mlst: bool,
    /// MFMT to set modification times.
    pub mfmt: bool,
    /// MDTM to read a file's modification time to the second.
    pub mdtm: bool,
}

/// Asks FEAT. A server that answers it with a refusal has none of the extensions; a FEAT that
/// fails any other way (the connection broke, a timeout) is an error, never read as "no
/// extensions": a run on that reading would list with LIST and set no mtimes, and the next
/// normal run would see every file as changed.
pub fn features<T: TlsStream>(ftp: &mut ImplFtpStream<T>) -> FtpResult<Features> {
    let advertised = match ftp.feat() {
        Ok(advertised) => advertised,
        Err(FtpError::UnexpectedResponse(_)) => return Ok(Features::default()),
        Err(error) => return Err(error),
    };
    let has = |name: &str| advertised.keys().any(|k| k.eq_ignore_ascii_case(name));
    Ok(Features {
        mlsd: has("MLST"),
        mlst: has("MLST"),
        mfmt: has("MFMT"),
        mdtm: has("MDTM"),
    })
}

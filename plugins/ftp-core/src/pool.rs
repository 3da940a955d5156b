//! A bounded pool of logged-in control connections per backend (the `connections` option):
//! idle connections are checked with NOOP before reuse, broken ones are replaced, and all are
//! closed with QUIT at the end, in parallel.
//!
//! A login costs a server tens of milliseconds (pure-ftpd: about 16 ms of password hashing and
//! privilege separation), so more connections are opened only once callers have been kept
//! waiting for as long as the first login took: then one per waiting caller (within the limit),
//! each on a thread of its own, and a caller takes whichever comes first, a new connection or
//! one another caller releases. A short burst (a no-op listing 50 directories, about 25 ms on
//! one connection) is served by the connections already open, without logins competing with it
//! for the server's CPU (measured: 4 connections were 10% slower than 1 on that no-op); a long
//! run waits one login's time more before it has them all. A connection the server refuses
//! while others work only lowers the limit.

use std::{
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use ferry_plugin_api::BackendError;
use suppaftp::ImplFtpStream;

use crate::session::{self, Connector, Settings};

/// Idle connections older than this are checked with NOOP before reuse.
const KEEPALIVE_AFTER: Duration = Duration::from_secs(15);

/// The longest callers wait before more connections are opened, however slow the first login
/// was (a TLS handshake across the world): past this, parallel transfers are worth more.
const MAX_PATIENCE: Duration = Duration::from_millis(250);

struct State<T: suppaftp::TlsStream> {
    idle: Vec<(ImplFtpStream<T>, Instant)>,
    /// Connections open, on loan or being opened.
    open: usize,
    /// Of those, the ones being opened.
    opening: usize,
    /// Callers waiting for a connection.
    waiting: usize,
    /// Since when callers have been kept waiting (reset when none is left waiting).
    short_since: Option<Instant>,
    /// How long the first login took: how long callers wait before more are opened. Unknown
    /// while that login is under way, which callers then wait for.
    patience: Option<Duration>,
    /// The most connections to have open: `connections`, lowered when the server refuses one.
    max: usize,
    closed: bool,
}

/// The shared part of a pool.
pub struct PoolInner<C: Connector> {
    connector: C,
    /// Settings every connection uses.
    pub settings: Settings,
    state: Mutex<State<C::Stream>>,
    available: Condvar,
}

/// A pool of control connections.
pub struct Pool<C: Connector> {
    inner: Arc<PoolInner<C>>,
}

impl<C: Connector> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

impl<C: Connector> Pool<C> {
    /// A pool of at most `max` connections.
    pub fn new(connector: C, settings: Settings, max: usize) -> Self {
        Pool {
            inner: Arc::new(PoolInner {
                connector,
                settings,
                state: Mutex::new(State {
                    idle: Vec::new(),
                    open: 0,
                    opening: 0,
                    waiting: 0,
                    short_since: None,
                    patience: None,
                    max: max.max(1),
                    closed: false,
                }),
                available: Condvar::new(),
            }),
        }
    }

    /// The settings of the pool's connections.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// A connection: an idle one, or the first to come of one released by another caller and
    /// a new one (opened while under the limit once callers have waited a login's time). With
    /// no connection open at all (at the start, or after every one broke or failed to open) one
    /// is opened on the caller's thread, so a failure to log in is the caller's error.
    pub fn get(&self) -> Result<Conn<C>, BackendError> {
        let inner = &self.inner;
        let mut state = inner.state.lock().expect("pool lock");
        loop {
            if let Some((mut ftp, since)) = state.idle.pop() {
                if state.waiting == 0 {
                    state.short_since = None;
                }
                drop(state);
                if since.elapsed() < KEEPALIVE_AFTER || ftp.noop().is_ok() {
                    return Ok(self.lend(ftp));
                }
                state = inner.state.lock().expect("pool lock");
                state.open -= 1;
                continue;
            }
            if state.open == 0 {
                state.open += 1;
                drop(state);
                let started = Instant::now();
                return match session::open(&inner.connector, &inner.settings) {
                    Ok(ftp) => {
                        let mut state = inner.state.lock().expect("pool lock");
                        if state.patience.is_none() {
                            state.patience = Some(started.elapsed().min(MAX_PATIENCE));
                            drop(state);
                            // Callers that came during the login waited without a deadline.
                            inner.available.notify_all();
                        }
                        Ok(self.lend(ftp))
                    }
                    Err(error) => {
                        inner.state.lock().expect("pool lock").open -= 1;
                        inner.available.notify_all();
                        Err(error)
                    }
                };
            }
            let timeout = self.grow_if_starved(&mut state);
            state.waiting += 1;
            state = match timeout {
                Some(timeout) => {
                    inner
                        .available
                        .wait_timeout(state, timeout)
                        .expect("pool lock")
                        .0
                }
                None => inner.available.wait(state).expect("pool lock"),
            };
            state.waiting -= 1;
        }
    }

    /// With the caller about to wait: once callers have waited a login's time, opens one
    /// connection per caller waiting (this one included) that none being opened will serve,
    /// within the limit. Returns how much longer to wait before asking again, if anything is
    /// left to decide by time.
    fn grow_if_starved(&self, state: &mut State<C::Stream>) -> Option<Duration> {
        let patience = state.patience.filter(|_| state.open < state.max)?;
        let waited = state.short_since.get_or_insert_with(Instant::now).elapsed();
        if waited < patience {
            return Some(patience - waited);
        }
        let wanted = (state.waiting + 1).saturating_sub(state.opening);
        for _ in 0..wanted.min(state.max - state.open) {
            state.open += 1;
            state.opening += 1;
            let pool = self.inner.clone();
            std::thread::spawn(move || open_in_background(&pool));
        }
        state.short_since = Some(Instant::now());
        None
    }

    fn lend(&self, ftp: ImplFtpStream<C::Stream>) -> Conn<C> {
        Conn {
            ftp: Some(ftp),
            pool: self.inner.clone(),
            healthy: true,
        }
    }

    /// Ends every idle connection with QUIT, all at once; connections still being opened are
    /// dropped when they arrive.
    pub fn close(&self) {
        let idle = {
            let mut state = self.inner.state.lock().expect("pool lock");
            state.closed = true;
            std::mem::take(&mut state.idle)
        };
        std::thread::scope(|scope| {
            for (mut ftp, _) in idle {
                scope.spawn(move || {
                    let _ = ftp.quit();
                });
            }
        });
    }
}

/// Opens one connection for the pool and makes it idle; a failure while other connections
/// are open lowers the limit to those (the server allows no more). Waiters are woken either
/// way: with none open, the next opens one on its own thread and gets its error.
fn open_in_background<C: Connector>(pool: &PoolInner<C>) {
    let opened = session::open(&pool.connector, &pool.settings);
    let mut state = pool.state.lock().expect("pool lock");
    state.opening -= 1;
    match opened {
        Ok(mut ftp) if state.closed => {
            state.open -= 1;
            drop(state);
            let _ = ftp.quit();
        }
        Ok(ftp) => state.idle.push((ftp, Instant::now())),
        Err(_) => {
            state.open -= 1;
            if state.open > 0 {
                state.max = state.open;
            }
        }
    }
    pool.available.notify_all();
}

/// A connection on loan from the pool; it goes back when dropped unless marked broken.
pub struct Conn<C: Connector> {
    ftp: Option<ImplFtpStream<C::Stream>>,
    pool: Arc<PoolInner<C>>,
    healthy: bool,
}

impl<C: Connector> Conn<C> {
    /// The FTP stream.
    pub fn ftp(&mut self) -> &mut ImplFtpStream<C::Stream> {
        self.ftp.as_mut().expect("present until dropped")
    }

    /// Marks the connection unusable: it is closed instead of returned.
    pub fn broken(&mut self) {
        self.healthy = false;
    }

    /// Not marked broken?
    pub fn is_healthy(&self) -> bool {
        self.healthy
    }
}

impl<C: Connector> Drop for Conn<C> {
    fn drop(&mut self) {
        let Some(ftp) = self.ftp.take() else { return };
        let mut state = self.pool.state.lock().expect("pool lock");
        if self.healthy {
            state.idle.push((ftp, Instant::now()));
        } else {
            state.open -= 1;
        }
        drop(state);
        self.pool.available.notify_one();
    }
}

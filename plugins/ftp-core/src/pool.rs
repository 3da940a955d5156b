//! A bounded pool of logged-in control connections per backend (the `connections` option):
//! callers wait when all are busy, idle connections are checked with NOOP before reuse, broken
//! ones are replaced, and all are closed with QUIT at the end.

use std::{
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use ferry_plugin_api::BackendError;
use suppaftp::ImplFtpStream;

use crate::session::{self, Connector, Settings};

/// Idle connections older than this are checked with NOOP before reuse.
const KEEPALIVE_AFTER: Duration = Duration::from_secs(15);

struct State<T: suppaftp::TlsStream> {
    idle: Vec<(ImplFtpStream<T>, Instant)>,
    open: usize,
}

/// The shared part of a pool.
pub struct PoolInner<C: Connector> {
    connector: C,
    /// Settings every connection uses.
    pub settings: Settings,
    max: usize,
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
                max: max.max(1),
                state: Mutex::new(State {
                    idle: Vec::new(),
                    open: 0,
                }),
                available: Condvar::new(),
            }),
        }
    }

    /// The settings of the pool's connections.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// A connection: an idle one, a new one while under the limit, or the next one released.
    pub fn get(&self) -> Result<Conn<C>, BackendError> {
        let inner = &self.inner;
        let mut state = inner.state.lock().expect("pool lock");
        loop {
            if let Some((mut ftp, since)) = state.idle.pop() {
                drop(state);
                if since.elapsed() < KEEPALIVE_AFTER || ftp.noop().is_ok() {
                    return Ok(Conn {
                        ftp: Some(ftp),
                        pool: inner.clone(),
                        healthy: true,
                    });
                }
                state = inner.state.lock().expect("pool lock");
                state.open -= 1;
                continue;
            }
            if state.open < inner.max {
                state.open += 1;
                drop(state);
                return match session::open(&inner.connector, &inner.settings) {
                    Ok(ftp) => Ok(Conn {
                        ftp: Some(ftp),
                        pool: inner.clone(),
                        healthy: true,
                    }),
                    Err(error) => {
                        inner.state.lock().expect("pool lock").open -= 1;
                        inner.available.notify_one();
                        Err(error)
                    }
                };
            }
            state = inner.available.wait(state).expect("pool lock");
        }
    }

    /// Ends every idle connection with QUIT.
    pub fn close(&self) {
        let idle = std::mem::take(&mut self.inner.state.lock().expect("pool lock").idle);
        for (mut ftp, _) in idle {
            let _ = ftp.quit();
        }
    }
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

//! A bounded pool of SFTP connections (the `connections` option, which ferry sets from
//! `--jobs`): callers wait when all are busy, a connection whose channel failed is dropped
//! instead of returned, and a new one is opened in its place on the next request.

use std::sync::{Arc, Condvar, Mutex};

use ferry_plugin_api::{BackendError, HostBox, LogLevel};

use crate::{
    config::Settings,
    connect::{self, Connection},
    protocol::Sftp,
};

struct State {
    idle: Vec<Connection>,
    open: usize,
}

/// The shared part of the pool.
pub struct Pool {
    /// The settings every connection uses.
    pub settings: Settings,
    host: HostBox,
    state: Mutex<State>,
    available: Condvar,
}

impl Pool {
    /// A pool that already holds one connection, so that a wrong host key or password fails
    /// `open` rather than the first transfer.
    pub fn open(settings: Settings, host: HostBox) -> Result<Arc<Pool>, BackendError> {
        let pool = Arc::new(Pool {
            settings,
            host,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            available: Condvar::new(),
        });
        let first = pool.get()?;
        drop(first);
        Ok(pool)
    }

    fn connect(&self) -> Result<Connection, BackendError> {
        connect::connect(&self.settings, &|message| {
            self.host.log(LogLevel::WARN, message.into())
        })
    }

    /// A connection: an idle one, a new one while under the limit, or the next one returned.
    pub fn get(self: &Arc<Self>) -> Result<Conn, BackendError> {
        let mut state = self.state.lock().expect("pool lock");
        loop {
            if let Some(connection) = state.idle.pop() {
                return Ok(Conn {
                    connection: Some(connection),
                    pool: self.clone(),
                });
            }
            if state.open < self.settings.connections {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(connection) => Ok(Conn {
                        connection: Some(connection),
                        pool: self.clone(),
                    }),
                    Err(error) => {
                        self.state.lock().expect("pool lock").open -= 1;
                        self.available.notify_one();
                        Err(error)
                    }
                };
            }
            state = self.available.wait(state).expect("pool lock");
        }
    }

    /// Closes every idle connection.
    pub fn close(&self) {
        let idle = std::mem::take(&mut self.state.lock().expect("pool lock").idle);
        for mut connection in idle {
            connection.sftp.close();
        }
    }
}

/// A connection on loan; it goes back to the pool when dropped, unless its channel failed.
pub struct Conn {
    connection: Option<Connection>,
    pool: Arc<Pool>,
}

impl Conn {
    /// The SFTP client.
    pub fn sftp(&mut self) -> &mut Sftp {
        &mut self
            .connection
            .as_mut()
            .expect("present until dropped")
            .sftp
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let mut state = self.pool.state.lock().expect("pool lock");
        if connection.sftp.broken {
            state.open -= 1;
        } else {
            state.idle.push(connection);
        }
        drop(state);
        self.pool.available.notify_one();
    }
}
